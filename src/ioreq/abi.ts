/**
 * The Xen ioreq ABI, byte for byte (Xen xen/include/public/hvm/ioreq.h,
 * hvm_op.h, params.h; x86-64, GCC LSB-first bitfields). Every number here is
 * checked against the real headers by test/ioreq/abi.test.ts.
 *
 * ioreq_t, 32 bytes, one per vCPU in the shared iopage (vCPU n at 32 * n):
 *
 *    0               8               16      20      24      28  30 31
 *   +---------------+---------------+-------+-------+-------+---+--+--+
 *   | addr      u64 | data      u64 | count | size  |vp_eprt|pad|bf|ty|
 *   +---------------+---------------+-------+-------+-------+---+--+--+
 *   byte 30 (bf):  7    6    5     4          3..0
 *                 pad | df | dir | data_is_ptr | state
 *   byte 31 (ty):  type
 *
 * buf_ioreq_t, 8 bytes = two little-endian u32 words:
 *
 *   word 0:  31 ............. 12 | 11 10 |  9  |  8  | 7 .... 0
 *                 addr (20 bits) | size  | dir | pad |   type
 *                                  log2
 *   word 1:  data (low 32 bits; the high half of an 8-byte request is word 1 of the next slot)
 *
 * buffered_iopage, 4096 bytes:
 *
 *   0: read_pointer u32 | 4: write_pointer u32 | 8: buf_ioreq_t[511] (ends at 4096)
 */

export const IOREQ_SIZE = 32; // sizeof(ioreq_t); vCPU n lives at byte n * 32 of the shared page
export const PAGE_SIZE = 4096;
export const IOREQS_PER_PAGE = PAGE_SIZE / IOREQ_SIZE; // 128

// ---- ioreq_t field offsets --------------------------------------------------
export const IOREQ_OFF_ADDR = 0; // u64 port, guest-physical address, or PCI SBDF+reg
export const IOREQ_OFF_DATA = 8; // u64 value, or guest-physical pointer when data_is_ptr
export const IOREQ_OFF_COUNT = 16; // u32 rep count
export const IOREQ_OFF_SIZE = 20; // u32 bytes per item
export const IOREQ_OFF_VP_EPORT = 24; // u32 the vCPU's event channel (Xen's end)
export const IOREQ_OFF_PAD0 = 28; // u16
export const IOREQ_OFF_BITS = 30; // u8 state:4 data_is_ptr:1 dir:1 df:1 _pad1:1
export const IOREQ_OFF_TYPE = 31; // u8

// ---- byte 30 bit masks (explicit: never "whatever the bitfield order is") -----
export const IOREQ_STATE_MASK = 0b0000_1111;
export const IOREQ_DATA_IS_PTR = 0b0001_0000;
export const IOREQ_DIR = 0b0010_0000;
export const IOREQ_DF = 0b0100_0000;
export const IOREQ_PAD1 = 0b1000_0000;

// ---- constants ---------------------------------------------------------------
export const IOREQ_WRITE = 0;
export const IOREQ_READ = 1;

export const STATE_IOREQ_NONE = 0;
export const STATE_IOREQ_READY = 1;
export const STATE_IOREQ_INPROCESS = 2;
export const STATE_IORESP_READY = 3;

export const IOREQ_TYPE_PIO = 0;
export const IOREQ_TYPE_COPY = 1; // MMIO
export const IOREQ_TYPE_PCI_CONFIG = 2;
export const IOREQ_TYPE_TIMEOFFSET = 7;
export const IOREQ_TYPE_INVALIDATE = 8; // mapcache

// HVM_IOREQSRV_BUFIOREQ_* (hvm_op.h)
export const HVM_IOREQSRV_BUFIOREQ_OFF = 0;
export const HVM_IOREQSRV_BUFIOREQ_LEGACY = 1;
export const HVM_IOREQSRV_BUFIOREQ_ATOMIC = 2;
export type BufioreqMode = typeof HVM_IOREQSRV_BUFIOREQ_OFF | typeof HVM_IOREQSRV_BUFIOREQ_LEGACY | typeof HVM_IOREQSRV_BUFIOREQ_ATOMIC;

// params.h
export const HVM_PARAM_IOREQ_PFN = 5;
export const HVM_PARAM_BUFIOREQ_PFN = 6;
export const HVM_PARAM_BUFIOREQ_EVTCHN = 26;

// ---- buf_ioreq_t ---------------------------------------------------------------
export const BUF_IOREQ_SIZE = 8;
export const IOREQ_BUFFER_SLOT_NUM = 511; // not a power of two: index = pointer % 511, never a mask
export const BUFIOREQ_OFF_READ_POINTER = 0;
export const BUFIOREQ_OFF_WRITE_POINTER = 4;
export const BUFIOREQ_OFF_SLOTS = 8;
export const BUFFERED_IOPAGE_SIZE = BUFIOREQ_OFF_SLOTS + IOREQ_BUFFER_SLOT_NUM * BUF_IOREQ_SIZE; // 4096

export const BUF_TYPE_MASK = 0x0000_00ff; // bits 0-7
export const BUF_PAD_BIT = 0x0000_0100; // bit 8
export const BUF_DIR_BIT = 0x0000_0200; // bit 9
export const BUF_SIZE_SHIFT = 10; // bits 10-11: 0 => 1, 1 => 2, 2 => 4, 3 => 8 bytes
export const BUF_SIZE_MASK = 0x0000_0c00;
export const BUF_ADDR_SHIFT = 12; // bits 12-31
export const BUF_ADDR_MASK = 0xffff_f000;
export const BUF_ADDR_MAX = 0xf_ffff; // Xen ioreq_send_buffered: "'addr' is only a 20-bit field"

// ---- PCI_CONFIG addr layout (ioreq.h comment) ----------------------------------
//   63....48|47..40|39..35|34..32|31........0
//   SEGMENT |BUS   |DEV   |FN    |OFFSET
// sbdf = addr >> 32 (QEMU cpu_ioreq_config), reg = low 32 bits.
export const PCI_SBDF_SEG_SHIFT = 16; // within sbdf (the high u32)
export const PCI_SBDF_BUS_SHIFT = 8;
export const PCI_SBDF_DEV_SHIFT = 3;

/** Build the high u32 of a PCI_CONFIG addr (the SBDF). */
export function pciSbdf(seg: number, bus: number, dev: number, fn: number): number {
  return (((seg & 0xffff) << PCI_SBDF_SEG_SHIFT) | ((bus & 0xff) << PCI_SBDF_BUS_SHIFT) | ((dev & 0x1f) << PCI_SBDF_DEV_SHIFT) | (fn & 7)) >>> 0;
}

export const IOREQ_STATE_NAMES = ['NONE', 'READY', 'INPROCESS', 'IORESP_READY'] as const;

export function ioreqTypeName(type: number): string {
  switch (type) {
    case IOREQ_TYPE_PIO: return 'PIO';
    case IOREQ_TYPE_COPY: return 'COPY';
    case IOREQ_TYPE_PCI_CONFIG: return 'PCI_CONFIG';
    case IOREQ_TYPE_TIMEOFFSET: return 'TIMEOFFSET';
    case IOREQ_TYPE_INVALIDATE: return 'INVALIDATE';
    default: return `0x${type.toString(16)}`;
  }
}
