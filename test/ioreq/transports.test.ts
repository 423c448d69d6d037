// The ioreq ring end to end, the same suite over both transports: the hypervisor side
// (Xen ioreq_send / ioreq_send_buffered / wait_for_io) sends, the device model
// (QEMU cpu_handle_ioreq) serves the loopback devices, results come back.
import { afterEach, describe, expect, it } from 'vitest';
import {
  IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE,
  STATE_IOREQ_INPROCESS, STATE_IOREQ_NONE, STATE_IOREQ_READY, pciSbdf,
} from '../../src/ioreq/abi.js';
import { bufSlotOffset, packBufWord0, writeBufSlot } from '../../src/ioreq/buf-ioreq-codec.js';
import { loadIoreqState, newIoreq, storeIoreqState, type Ioreq } from '../../src/ioreq/ioreq-codec.js';
import {
  LOOPBACK_HC_SHUTDOWN, LOOPBACK_MMIO_BASE, LOOPBACK_PCI_SBDF, LOOPBACK_SCRATCH_PORT, LOOPBACK_SHUTDOWN_PORT, LOOPBACK_SLP_EN,
  LOOPBACK_STREAM_PORT, LS_HC_RET, LS_INVALIDATE, LS_PIO_WRITES, LS_SEQ_R, LS_SEQ_W, LS_SERVED, LS_SHUTDOWN_REQS, LS_TIMEOFFSET,
  LS_VIOLATIONS, streamHi, streamLo, streamRead,
} from '../../src/ioreq/loopback-dm.js';
import { DmStatus } from '../../src/ioreq/ring-memory.js';
import { IoResult } from '../../src/ioreq/xen-ioreq-server.js';
import { makeLink, TRANSPORTS, type TestLink } from './link.js';

const pio = (dir: number, port: number, size: number, data = 0, extra: Partial<Ioreq> = {}): Ioreq =>
  newIoreq({ type: IOREQ_TYPE_PIO, dir, addrLo: port, size, count: 1, dataLo: data >>> 0, ...extra });
const copy = (dir: number, addr: number, size: number, lo = 0, hi = 0, extra: Partial<Ioreq> = {}): Ioreq =>
  newIoreq({ type: IOREQ_TYPE_COPY, dir, addrLo: addr, size, count: 1, dataLo: lo >>> 0, dataHi: hi >>> 0, ...extra });
const u32le = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

let open: TestLink[] = [];
afterEach(async () => {
  await Promise.all(open.map((t) => t.close()));
  open = [];
});

describe.each(TRANSPORTS)('ioreq ring over the %s transport', (kind) => {
  const setup = async (o: Parameters<typeof makeLink>[1] = {}): Promise<TestLink> => {
    const t = await makeLink(kind, o);
    open.push(t);
    return t;
  };

  describe('PIO (QEMU cpu_ioreq_pio)', () => {
    it('a read returns what the device answers, masked to the size, for each request in order', async () => {
      const { link } = await setup();
      const got: number[] = [];
      for (const size of [1, 2, 4, 4]) {
        const r = pio(IOREQ_READ, LOOPBACK_STREAM_PORT + 3, size);
        expect(link.server.emulate(0, r)).toBe(IoResult.Handled);
        got.push(r.dataLo, r.dataHi);
      }
      const want = [1, 2, 4, 4].flatMap((size, n) => [(streamRead(LOOPBACK_STREAM_PORT + 3, n) & [0, 0xff, 0xffff, 0, 0xffffffff][size]!) >>> 0, 0]);
      expect(got).toEqual(want);
    });

    it('a write reaches the device once with the value masked to its size; the proto keeps its data', async () => {
      const { link, stats } = await setup();
      for (let n = 0; n < 3; n++) {
        const r = pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT, 2, (streamLo(n) & 0xffff) | 0xabcd0000);
        expect(link.server.emulate(0, r)).toBe(IoResult.Handled);
        expect(r.dataLo).toBe(((streamLo(n) & 0xffff) | 0xabcd0000) >>> 0); // a PIO write needs no completion
      }
      expect([stats[LS_SEQ_W + 0], stats[LS_VIOLATIONS]]).toEqual([3, 0]);
    });

    it('a non-pointer out is performed once whatever count says (QEMU: do_outp once)', async () => {
      const { link, stats } = await setup();
      expect(link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_SCRATCH_PORT, 1, 0x5a, { count: 7 }))).toBe(IoResult.Handled);
      expect(stats[LS_PIO_WRITES]).toBe(1);
      const r = pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1);
      link.server.emulate(0, r);
      expect(r.dataLo).toBe(0x5a);
    });

    it.each([[0, 'up'], [1, 'down']])('rep outsw from guest memory with df=%i walks %s', async (df) => {
      const { link, ram, stats } = await setup();
      const base = 0x2000;
      // Place item i where rw_phys_req_item looks for it: base +/- 2i.
      for (let i = 0; i < 6; i++) {
        const a = df ? base - 2 * i : base + 2 * i;
        const v = streamLo(i) & 0xffff;
        ram[a] = v & 0xff;
        ram[a + 1] = v >>> 8;
      }
      const r = pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT + 1, 2, base, { count: 6, dataIsPtr: 1, df });
      expect(link.server.emulate(0, r)).toBe(IoResult.Handled);
      expect([stats[LS_SEQ_W + 1], stats[LS_VIOLATIONS]]).toEqual([6, 0]);
    });

    it.each([[0], [1]])('rep insd into guest memory with df=%i stores each item at its address', async (df) => {
      const { link, ram } = await setup();
      const base = 0x3000;
      const r = pio(IOREQ_READ, LOOPBACK_STREAM_PORT + 2, 4, base, { count: 5, dataIsPtr: 1, df });
      expect(link.server.emulate(0, r)).toBe(IoResult.Handled);
      expect(r.dataLo).toBe(base); // pointer requests need no completion: data is untouched
      const got = [0, 1, 2, 3, 4].map((i) => u32le(ram, df ? base - 4 * i : base + 4 * i));
      expect(got).toEqual([0, 1, 2, 3, 4].map((n) => streamRead(LOOPBACK_STREAM_PORT + 2, n)));
    });

    it('string I/O with count 0 moves nothing; a port beyond 64 KiB reads all-ones and drops writes', async () => {
      const { link, stats, ram } = await setup();
      ram.fill(0x11, 0x8000, 0x8010);
      expect(link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT, 1, 0x8000, { count: 0, dataIsPtr: 1 }))).toBe(IoResult.Handled);
      expect(link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_STREAM_PORT, 1, 0x8000, { count: 0, dataIsPtr: 1 }))).toBe(IoResult.Handled);
      const far = pio(IOREQ_READ, 0x10080, 2);
      link.server.emulate(0, far);
      link.server.emulate(0, pio(IOREQ_WRITE, 0x10080, 1, 0x99));
      expect([stats[LS_SERVED], stats[LS_PIO_WRITES], ram[0x8000], far.dataLo]).toEqual([0, 0, 0x11, 0xffff]);
    });

    it('a pointer outside guest RAM reads all-ones (QEMU unassigned access)', async () => {
      const { link } = await setup({ ramBytes: 0x10000 });
      link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_SCRATCH_PORT, 1, 0xfff0, { count: 1, dataIsPtr: 1 })); // in RAM: 0
      const r1 = pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1);
      link.server.emulate(0, r1);
      link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_SCRATCH_PORT, 1, 0x20000, { count: 1, dataIsPtr: 1 })); // outside
      const r2 = pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1);
      link.server.emulate(0, r2);
      expect([r1.dataLo, r2.dataLo]).toEqual([0, 0xff]);
    });
  });

  describe('COPY (QEMU cpu_ioreq_move)', () => {
    it('8-byte and 4-byte MMIO writes carry both halves; reads come back into data', async () => {
      const { link, stats } = await setup();
      for (let n = 0; n < 4; n++) expect(link.server.emulate(0, copy(IOREQ_WRITE, LOOPBACK_MMIO_BASE + 8, 8, streamLo(n), streamHi(n)))).toBe(IoResult.Handled);
      link.server.emulate(0, copy(IOREQ_WRITE, LOOPBACK_MMIO_BASE + 16, 4, streamLo(0), 0xffffffff)); // high half masked off
      const r = copy(IOREQ_READ, LOOPBACK_MMIO_BASE + 24, 8, 0xdddddddd, 0xeeeeeeee);
      link.server.emulate(0, r);
      expect([stats[LS_SEQ_W + 256 + 1], stats[LS_SEQ_W + 256 + 2], stats[LS_VIOLATIONS]]).toEqual([4, 1, 0]);
      expect([r.dataLo, r.dataHi]).toEqual([streamRead(0x10000 + 3, 0), 0]);
    });

    it('a 2-byte read from RAM replaces only the low bytes of data (read into &req->data)', async () => {
      const { link, ram } = await setup();
      ram.set([0x34, 0x12], 0x4000);
      const r = copy(IOREQ_READ, 0x4000, 2, 0xaaaaaaaa, 0xbbbbbbbb);
      link.server.emulate(0, r);
      expect([r.dataLo, r.dataHi]).toEqual([0xaaaa1234, 0xbbbbbbbb]);
    });

    it('data_is_ptr copies count items from a guest buffer walking down (df=1) to successive device addresses', async () => {
      const { link, ram, stats } = await setup();
      const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
      for (let i = 0; i < 3; i++) {
        dv.setUint32(0x5000 - 8 * i, streamLo(0), true); // where df=1 looks: each item is its stream's first write
        dv.setUint32(0x5000 - 8 * i + 4, streamHi(0), true);
        if (i > 0) dv.setUint32(0x5000 + 8 * i, 0xbad0bad0, true); // where df=0 would look
      }
      const w = copy(IOREQ_WRITE, LOOPBACK_MMIO_BASE + 8 * 40, 8, 0x5000, 0, { count: 3, dataIsPtr: 1, df: 1 });
      expect(link.server.emulate(0, w)).toBe(IoResult.Handled);
      expect([stats[LS_SEQ_W + 256 + 40], stats[LS_SEQ_W + 256 + 39], stats[LS_SEQ_W + 256 + 38], stats[LS_VIOLATIONS]]).toEqual([1, 1, 1, 0]);
    });

    it('data_is_ptr read copies device items into the guest buffer', async () => {
      const { link, ram } = await setup();
      const r = copy(IOREQ_READ, LOOPBACK_MMIO_BASE + 8 * 50, 4, 0x7000, 0, { count: 2, dataIsPtr: 1 });
      expect(link.server.emulate(0, r)).toBe(IoResult.Handled);
      expect([u32le(ram, 0x7000), u32le(ram, 0x7004)]).toEqual([streamRead(0x10000 + 50, 0), 0xffffffff]); // item 1 is at +4: not a stream address
    });
  });

  describe('PCI_CONFIG (QEMU cpu_ioreq_config)', () => {
    const cfg = (dir: number, sbdf: number, reg: number, size: number, data = 0, extra: Partial<Ioreq> = {}): Ioreq =>
      newIoreq({ type: IOREQ_TYPE_PCI_CONFIG, dir, addrHi: sbdf, addrLo: reg, size, count: 1, dataLo: data, ...extra });

    it('reads and writes the config space of the device with that SBDF', async () => {
      const { link } = await setup();
      const id = cfg(IOREQ_READ, LOOPBACK_PCI_SBDF, 0, 4);
      link.server.emulate(0, id);
      link.server.emulate(0, cfg(IOREQ_WRITE, LOOPBACK_PCI_SBDF, 0x40, 2, 0xb001));
      const back = cfg(IOREQ_READ, LOOPBACK_PCI_SBDF, 0x40, 4);
      link.server.emulate(0, back);
      expect([id.dataLo, back.dataLo]).toEqual([0x71138086, 0xb001]);
    });

    it('a request for an SBDF with no device reaches nothing: a read keeps its data', async () => {
      const { link } = await setup();
      const r = cfg(IOREQ_READ, pciSbdf(0, 0, 7, 3), 0, 4, 0x1234);
      expect(link.server.emulate(0, r)).toBe(IoResult.Handled);
      expect(r.dataLo).toBe(0x1234);
    });

    it('a pointer read stores the value in guest memory', async () => {
      const { link, ram } = await setup();
      link.server.emulate(0, cfg(IOREQ_READ, LOOPBACK_PCI_SBDF, 2, 2, 0x6000, { dataIsPtr: 1 }));
      expect([ram[0x6000], ram[0x6001]]).toEqual([0x13, 0x71]);
    });
  });

  describe('TIMEOFFSET, INVALIDATE', () => {
    it('INVALIDATE flushes the map cache; a buffered 8-byte TIMEOFFSET reaches the RTC hook', async () => {
      const { link, stats } = await setup();
      link.server.emulate(0, newIoreq({ type: IOREQ_TYPE_INVALIDATE, size: 4, count: 1, dataLo: 0xffffffff, dataHi: 0xffffffff }));
      expect(link.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_TIMEOFFSET, size: 8, count: 1, dataLo: 0xfffffff6, dataHi: 0xffffffff }))).toBe(IoResult.Handled);
      link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1)); // drains the ring first
      expect([stats[LS_INVALIDATE], stats[LS_TIMEOFFSET]]).toEqual([1, 1]);
    });
  });

  describe('buffered ring (Xen ioreq_send_buffered, QEMU handle_buffered_iopage)', () => {
    it('buffered writes are served in order, and before a later synchronous request (drain first)', async () => {
      const { link, stats } = await setup();
      for (let n = 0; n < 300; n++) {
        expect(link.server.sendBuffered(pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT + 9, 4, streamLo(n)))).toBe(IoResult.Handled);
      }
      const r = pio(IOREQ_READ, LOOPBACK_STREAM_PORT + 10, 4);
      link.server.emulate(0, r);
      expect([stats[LS_SEQ_W + 9], stats[LS_VIOLATIONS]]).toEqual([300, 0]);
    });

    it('8-byte requests use two slots and arrive whole, across the 511 wrap', async () => {
      const { link, stats } = await setup();
      let n = 0;
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 150; i++, n++) link.server.emulateBuffered(0, copy(IOREQ_WRITE, LOOPBACK_MMIO_BASE + 8 * 5, 8, streamLo(n), streamHi(n)));
        link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1));
      }
      expect([stats[LS_SEQ_W + 256 + 5], stats[LS_VIOLATIONS]]).toEqual([750, 0]);
    });

    it('a full ring sends the request through the synchronous path, still in order', async () => {
      const { link, stats } = await setup();
      for (let n = 0; n < 1500; n++) {
        expect(link.server.emulateBuffered(0, pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT + 11, 4, streamLo(n)))).toBe(IoResult.Handled);
      }
      link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1));
      expect([stats[LS_SEQ_W + 11], stats[LS_VIOLATIONS]]).toEqual([1500, 0]);
      if (kind === 'inline') expect(link.server.stats.bufferedFull).toBe(2); // at the 512th and 1023rd (nothing drains in between)
    });

    it.each([
      ['an address above 1 MiB', { addrLo: 0x100000 }],
      ['a data pointer', { dataIsPtr: 1 }],
      ['a count other than 1', { count: 2 }],
      ['size 3', { size: 3 }],
    ])('refuses %s (Xen cannot buffer it)', async (_what, extra) => {
      const { link, stats, rec } = await setup();
      expect(link.server.sendBuffered(pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT, 4, streamLo(0), extra))).toBe(IoResult.Unhandled);
      link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1));
      expect(stats[LS_PIO_WRITES]).toBe(0);
      if ('size' in extra) expect(rec.xenLog).toEqual(['warn: unexpected ioreq size: 3']);
    });
  });

  describe('hypervisor side (Xen ioreq_send / wait_for_io)', () => {
    it('refuses a slot whose state is not NONE: "device model set bad IO state"', async () => {
      const { link, stats, rec } = await setup();
      storeIoreqState(link.mem.u8, 0, STATE_IOREQ_INPROCESS);
      expect(link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_STREAM_PORT, 4, streamLo(0)))).toBe(IoResult.Unhandled);
      expect(rec.xenLog).toEqual(['err: device model set bad IO state 2']);
      expect([rec.deferralStarts, rec.deferralEnds, stats[LS_SERVED]]).toEqual([1, 1, 0]);
    });

    it('refuses a slot whose vp_eport is not the vCPU\'s channel: "device model set bad event channel"', async () => {
      const { link, rec } = await setup();
      link.mem.view.setUint32(24, 99, true);
      expect(link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_SCRATCH_PORT, 1, 1))).toBe(IoResult.Unhandled);
      expect(rec.xenLog).toEqual(['err: device model set bad event channel 99']);
    });

    it('sends nothing while the domain is shutting down (deferral refused: Retry)', async () => {
      const { link, stats, deferralAllowed } = await setup();
      deferralAllowed.value = false;
      expect(link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_SCRATCH_PORT, 1, 1))).toBe(IoResult.Retry);
      expect(stats[LS_PIO_WRITES]).toBe(0);
      expect(loadIoreqState(link.mem.u8, 0)).toBe(STATE_IOREQ_NONE);
    });

    it('every completed request ends its shutdown deferral once', async () => {
      const { link, rec } = await setup();
      for (let i = 0; i < 5; i++) link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1));
      expect([rec.deferralStarts, rec.deferralEnds]).toEqual([5, 5]);
    });

    it('a shutdown requested by the access is issued before the response (QEMU cpu_handle_ioreq)', async () => {
      const { link, stats, rec } = await setup({ hypercallRet: 42 });
      expect(link.server.emulate(0, pio(IOREQ_WRITE, LOOPBACK_SHUTDOWN_PORT, 2, LOOPBACK_SLP_EN))).toBe(IoResult.Handled);
      // The hypercall arrived while the vCPU's slot was still INPROCESS, i.e. before IORESP_READY.
      expect(rec.hypercalls).toEqual([{ op: LOOPBACK_HC_SHUTDOWN, args: [0, 0, 0, 0, 0, 0], slotState: STATE_IOREQ_INPROCESS }]);
      expect([stats[LS_SHUTDOWN_REQS], stats[LS_HC_RET]]).toEqual([1, 42]);
    });

    it('several vCPUs in flight at once each get their own answer', async () => {
      const { link } = await setup({ vcpus: 4 });
      const reqs = [0, 1, 2, 3].map((v) => pio(IOREQ_READ, LOOPBACK_STREAM_PORT + 20 + v, 4));
      reqs.forEach((r, v) => expect(link.server.send(v, r)).toBe(IoResult.Sent));
      reqs.forEach((r, v) => expect(link.server.waitForIo(v, r)).toBe(IoResult.Handled));
      expect(reqs.map((r) => r.dataLo)).toEqual([0, 1, 2, 3].map((v) => streamRead(LOOPBACK_STREAM_PORT + 20 + v, 0)));
    });
  });

  describe('malformed requests stop the device model, never the host', () => {
    it.each([
      ['PIO size 8', pio(IOREQ_WRITE, 0x80, 8), 'PIO_BAD_SIZE', 'PIO: bad size (8)'],
      ['PIO size 3', pio(IOREQ_READ, 0x1234, 3), 'INP_BAD_SIZE', 'inp: bad size: 1234 3'],
      ['PIO out size 0', pio(IOREQ_WRITE, 0x80, 0), 'OUTP_BAD_SIZE', 'outp: bad size: 0080 0'],
      ['COPY size 16', copy(IOREQ_READ, 0x1000, 16), 'MMIO_BAD_SIZE', 'MMIO: bad size (16)'],
      ['PCI count 2', newIoreq({ type: IOREQ_TYPE_PCI_CONFIG, addrHi: 8, size: 4, count: 2 }), 'PCI_BAD_COUNT', 'PCI config access: bad count (2)'],
      ['PCI size 8', newIoreq({ type: IOREQ_TYPE_PCI_CONFIG, addrHi: 8, size: 8, count: 1 }), 'PCI_BAD_SIZE', 'PCI config access: bad size (8)'],
      ['type 5', newIoreq({ type: 5, size: 4, count: 1 }), 'INVALID_TYPE', 'Invalid ioreq type 0x5'],
    ])('%s: %s, the request left INPROCESS for inspection', async (_what, proto, code, message) => {
      const req = { ...proto };
      const { link } = await setup({ vcpus: 2 });
      expect(link.server.emulate(0, req)).toBe(IoResult.DmDead);
      expect(link.dmError()).toEqual({ code, message });
      expect(link.mem.dmStatus()).toBe(DmStatus.Fatal);
      expect(loadIoreqState(link.mem.u8, 0)).toBe(STATE_IOREQ_INPROCESS);
      // vCPU 0 stays blocked on its request (waiting again says the same); vCPU 1 finds no device model.
      expect([link.server.inFlight(0), link.server.waitForIo(0, req)]).toEqual([true, IoResult.DmDead]);
      expect(link.server.emulate(1, pio(IOREQ_READ, 0x80, 1))).toBe(IoResult.DmDead);
      expect(loadIoreqState(link.mem.u8, 32)).toBe(STATE_IOREQ_READY); // never taken: not lost, not served
    });

    it('an 8-byte buffered request with only one slot published: "Incomplete quad word buffered ioreq", slot not consumed', async () => {
      const { link, stats } = await setup();
      const { view, u32, bufPage } = link.mem;
      writeBufSlot(view, bufSlotOffset(bufPage, 0), packBufWord0(IOREQ_TYPE_COPY, 0, 3, LOOPBACK_MMIO_BASE), streamLo(0));
      Atomics.store(u32, (bufPage + 4) >>> 2, 1); // wp = 1: half a quad word
      link.evtchn.notifyDm(link.evtchn.bufChannel);
      expect(link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1))).toBe(IoResult.DmDead);
      expect(link.dmError()).toEqual({ code: 'INCOMPLETE_QUAD_WORD', message: 'Incomplete quad word buffered ioreq' });
      expect([Atomics.load(u32, bufPage >>> 2), stats[LS_SERVED]]).toEqual([0, 0]);
    });

    it('an event on a port the DM never bound: "Fatal error while trying to get io event!"', async () => {
      const { link } = await setup();
      link.evtchn.notifyDmRaw(17);
      expect(link.server.emulate(0, pio(IOREQ_READ, LOOPBACK_SCRATCH_PORT, 1))).toBe(IoResult.DmDead);
      expect(link.dmError()?.code).toBe('BAD_EVENT');
      expect(link.dmError()?.message).toMatch(/^Fatal error while trying to get io event!/);
    });
  });

  it('stream reads stay exactly-once across many round trips', async () => {
    const { link, stats } = await setup();
    const r = pio(IOREQ_READ, LOOPBACK_STREAM_PORT + 30, 4);
    let bad = 0;
    for (let n = 0; n < 2000; n++) {
      link.server.emulate(0, r);
      if (r.dataLo !== streamRead(LOOPBACK_STREAM_PORT + 30, n)) bad++;
    }
    expect([bad, stats[LS_SEQ_R + 30]]).toEqual([0, 2000]);
  });
});
