/*
 * Prints the layout of Xen's ioreq ABI as JSON, compiled against the real
 * public headers (Debian libxen-dev: /usr/include/xen/hvm/ioreq.h).
 * Bitfield positions are found by setting each field through the struct and
 * dumping the bytes, so nothing here assumes an allocation order.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

static void dump_ioreq_byte(const char *name, ioreq_t *r, size_t off) {
    printf("  \"%s\": {\"byte\": %zu, \"mask\": %u},\n", name, off, ((uint8_t *)r)[off]);
}

/* Which byte of ioreq_t changed, and its value, after setting one field. */
static size_t changed_byte(ioreq_t *r) {
    for (size_t i = 0; i < sizeof(*r); i++) if (((uint8_t *)r)[i]) return i;
    return (size_t)-1;
}

int main(void) {
    ioreq_t r;
    buf_ioreq_t b;
    uint32_t w[2];

    printf("{\n");
    printf("  \"sizeof_ioreq\": %zu,\n", sizeof(ioreq_t));
    printf("  \"off_addr\": %zu, \"off_data\": %zu, \"off_count\": %zu, \"off_size\": %zu, \"off_vp_eport\": %zu, \"off_pad0\": %zu, \"off_type\": %zu,\n",
           offsetof(ioreq_t, addr), offsetof(ioreq_t, data), offsetof(ioreq_t, count), offsetof(ioreq_t, size),
           offsetof(ioreq_t, vp_eport), offsetof(ioreq_t, _pad0), offsetof(ioreq_t, type));
    printf("  \"sizeof_shared_iopage_slot\": %zu,\n", sizeof(((shared_iopage_t *)0)->vcpu_ioreq[0]));

    memset(&r, 0, sizeof r); r.state = 0xf; dump_ioreq_byte("state", &r, changed_byte(&r));
    memset(&r, 0, sizeof r); r.data_is_ptr = 1; dump_ioreq_byte("data_is_ptr", &r, changed_byte(&r));
    memset(&r, 0, sizeof r); r.dir = 1; dump_ioreq_byte("dir", &r, changed_byte(&r));
    memset(&r, 0, sizeof r); r.df = 1; dump_ioreq_byte("df", &r, changed_byte(&r));
    memset(&r, 0, sizeof r); r._pad1 = 1; dump_ioreq_byte("pad1", &r, changed_byte(&r));

    printf("  \"sizeof_buf_ioreq\": %zu,\n", sizeof(buf_ioreq_t));
#define BUFWORDS(field, val) do { memset(&b, 0, sizeof b); b.field = (val); memcpy(w, &b, 8); \
        printf("  \"buf_%s\": [%u, %u],\n", #field, w[0], w[1]); } while (0)
    BUFWORDS(type, 0xff);
    BUFWORDS(pad, 1);
    BUFWORDS(dir, 1);
    BUFWORDS(size, 3);
    BUFWORDS(addr, 0xfffff);
    BUFWORDS(data, 0xffffffffu);
    printf("  \"buf_ioreq_off_data\": %zu,\n", offsetof(buf_ioreq_t, data));

    printf("  \"sizeof_buffered_iopage\": %zu,\n", sizeof(buffered_iopage_t));
    printf("  \"off_read_pointer\": %zu, \"off_write_pointer\": %zu, \"off_buf_ioreq\": %zu,\n",
           offsetof(buffered_iopage_t, read_pointer), offsetof(buffered_iopage_t, write_pointer),
           offsetof(buffered_iopage_t, buf_ioreq));
    printf("  \"IOREQ_BUFFER_SLOT_NUM\": %d,\n", IOREQ_BUFFER_SLOT_NUM);
    printf("  \"IOREQ_READ\": %d, \"IOREQ_WRITE\": %d,\n", IOREQ_READ, IOREQ_WRITE);
    printf("  \"STATE_IOREQ_NONE\": %d, \"STATE_IOREQ_READY\": %d, \"STATE_IOREQ_INPROCESS\": %d, \"STATE_IORESP_READY\": %d,\n",
           STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IOREQ_INPROCESS, STATE_IORESP_READY);
    printf("  \"IOREQ_TYPE_PIO\": %d, \"IOREQ_TYPE_COPY\": %d, \"IOREQ_TYPE_PCI_CONFIG\": %d, \"IOREQ_TYPE_TIMEOFFSET\": %d, \"IOREQ_TYPE_INVALIDATE\": %d,\n",
           IOREQ_TYPE_PIO, IOREQ_TYPE_COPY, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_TIMEOFFSET, IOREQ_TYPE_INVALIDATE);
    printf("  \"HVM_IOREQSRV_BUFIOREQ_OFF\": %d, \"HVM_IOREQSRV_BUFIOREQ_LEGACY\": %d, \"HVM_IOREQSRV_BUFIOREQ_ATOMIC\": %d,\n",
           HVM_IOREQSRV_BUFIOREQ_OFF, HVM_IOREQSRV_BUFIOREQ_LEGACY, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    /* One request with every field set, as bytes, to compare with the TypeScript encoder. */
    memset(&r, 0, sizeof r);
    r.addr = 0x0001000200b004ULL; r.data = 0x8877665544332211ULL; r.count = 3; r.size = 2; r.vp_eport = 0x2a;
    r.state = STATE_IOREQ_INPROCESS; r.data_is_ptr = 1; r.dir = IOREQ_READ; r.df = 1; r.type = IOREQ_TYPE_PCI_CONFIG;
    printf("  \"sample_ioreq\": \"");
    for (size_t i = 0; i < sizeof r; i++) printf("%02x", ((uint8_t *)&r)[i]);
    printf("\",\n");
    memset(&b, 0, sizeof b);
    b.type = IOREQ_TYPE_COPY; b.dir = IOREQ_READ; b.size = 3; b.addr = 0xa0123; b.data = 0xdeadbeef;
    printf("  \"sample_buf_ioreq\": \"");
    for (size_t i = 0; i < sizeof b; i++) printf("%02x", ((uint8_t *)&b)[i]);
    printf("\",\n");
    printf("  \"HVM_PARAM_IOREQ_PFN\": %d, \"HVM_PARAM_BUFIOREQ_PFN\": %d, \"HVM_PARAM_BUFIOREQ_EVTCHN\": %d\n",
           HVM_PARAM_IOREQ_PFN, HVM_PARAM_BUFIOREQ_PFN, HVM_PARAM_BUFIOREQ_EVTCHN);
    printf("}\n");
    return 0;
}
