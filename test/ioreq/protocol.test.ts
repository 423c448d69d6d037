// Protocol details that need a hand on the ring between steps: the in-thread transport
// with autoRun off (the caller interleaves hypervisor polls and DM steps), plus the
// cross-thread cases a worker alone can show (a stuck or vanished device model).
import { afterEach, describe, expect, it } from 'vitest';
import {
  BUFIOREQ_OFF_SLOTS, HVM_IOREQSRV_BUFIOREQ_LEGACY, IOREQ_BUFFER_SLOT_NUM, IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_TYPE_PIO,
  IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE, STATE_IOREQ_INPROCESS, STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IORESP_READY,
} from '../../src/ioreq/abi.js';
import { bufSlotOffset, decodeBufIoreq } from '../../src/ioreq/buf-ioreq-codec.js';
import { DeviceModel } from '../../src/ioreq/device-model.js';
import { EventChannels } from '../../src/ioreq/evtchn.js';
import { createInlineIoreq, type InlineIoreqLink } from '../../src/ioreq/inline-transport.js';
import { decodeIoreq, loadIoreqState, newIoreq, storeIoreqState } from '../../src/ioreq/ioreq-codec.js';
import { createDeviceModel, LOOPBACK_SCRATCH_PORT, LOOPBACK_STREAM_PORT, LS_SCRATCH, LS_SEQ_W, LS_TIMEOFFSET, streamLo, streamRead } from '../../src/ioreq/loopback-dm.js';
import { RingMemory } from '../../src/ioreq/ring-memory.js';
import { IoResult, XenIoreqServer } from '../../src/ioreq/xen-ioreq-server.js';
import { Trace } from '../../src/trace/trace.js';
import { makeLink, type TestLink } from './link.js';

let open: TestLink[] = [];
afterEach(async () => {
  await Promise.all(open.map((t) => t.close()));
  open = [];
});
const manual = async (o: Parameters<typeof makeLink>[1] = {}): Promise<TestLink & { il: InlineIoreqLink }> => {
  const t = await makeLink('inline', { autoRun: false, ...o });
  open.push(t);
  return { ...t, il: t.link as InlineIoreqLink };
};
const read = (port: number, size = 4) => newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: port, size, count: 1 });

describe('one synchronous round trip, step by step (Xen ioreq_send, QEMU cpu_handle_ioreq, Xen wait_for_io)', () => {
  it('READY -> (DM) IORESP_READY -> (Xen) NONE, data back in the proto', async () => {
    const { il } = await manual();
    const r = read(LOOPBACK_STREAM_PORT);
    expect(il.server.send(0, r)).toBe(IoResult.Sent);
    expect(decodeIoreq(il.mem.view, 0)).toMatchObject({ stateName: 'READY', addr: BigInt(LOOPBACK_STREAM_PORT), vpEport: il.evtchn.xenPort(0), dir: 'read' });
    expect(il.server.pollIo(0, r)).toBe(IoResult.Pending);
    expect(il.dm.handleEvent()).toBe(true);
    expect(loadIoreqState(il.mem.u8, 0)).toBe(STATE_IORESP_READY);
    expect(il.server.pollIo(0, r)).toBe(IoResult.Handled);
    expect([loadIoreqState(il.mem.u8, 0), r.dataLo]).toEqual([STATE_IOREQ_NONE, streamRead(LOOPBACK_STREAM_PORT, 0)]);
    expect(il.dm.handleEvent()).toBe(false); // nothing left
  });

  it('a stuck device model: waitForIo gives Timeout, the request stays in flight, and completes later', async () => {
    const { il } = await manual();
    const r = read(LOOPBACK_STREAM_PORT + 1);
    expect(il.server.emulate(0, r, 50)).toBe(IoResult.Timeout);
    expect(il.server.inFlight(0)).toBe(true);
    il.dm.handleEvent();
    expect(il.server.waitForIo(0, r)).toBe(IoResult.Handled);
    expect(r.dataLo).toBe(streamRead(LOOPBACK_STREAM_PORT + 1, 0));
  });

  it('the slot going backwards crashes the domain: "Weird HVM ioreq state transition 2 -> 1"', async () => {
    const { il, rec } = await manual();
    const r = read(LOOPBACK_SCRATCH_PORT, 1);
    il.server.send(0, r);
    storeIoreqState(il.mem.u8, 0, STATE_IOREQ_INPROCESS);
    expect(il.server.pollIo(0, r)).toBe(IoResult.Pending);
    storeIoreqState(il.mem.u8, 0, STATE_IOREQ_READY);
    expect(il.server.pollIo(0, r)).toBe(IoResult.Crashed);
    expect(rec.crashes).toEqual([{ vcpu: 0, message: 'Weird HVM ioreq state transition 2 -> 1' }]);
    expect(rec.xenLog).toEqual(['err: Weird HVM ioreq state transition 2 -> 1']);
    expect(il.server.inFlight(0)).toBe(false);
  });

  it('a state above 3 crashes the domain: "Weird HVM iorequest state 9"', async () => {
    const { il, rec } = await manual();
    const r = read(LOOPBACK_SCRATCH_PORT, 1);
    il.server.send(0, r);
    storeIoreqState(il.mem.u8, 0, 9);
    expect(il.server.pollIo(0, r)).toBe(IoResult.Crashed);
    expect(rec.crashes.map((c) => c.message)).toEqual(['Weird HVM iorequest state 9']);
  });

  it('a slot reset to NONE under a waiting vCPU (emulator dying) completes with all-ones', async () => {
    const { il, rec } = await manual();
    const r = read(LOOPBACK_SCRATCH_PORT, 4);
    il.server.send(0, r);
    storeIoreqState(il.mem.u8, 0, STATE_IOREQ_NONE);
    expect(il.server.pollIo(0, r)).toBe(IoResult.Handled);
    expect([r.dataLo, r.dataHi, rec.crashes]).toEqual([0xffffffff, 0xffffffff, []]);
  });

  it('an event for a slot that is not READY is ignored by the DM (cpu_get_ioreq_from_shared_memory)', async () => {
    const { il, stats } = await manual();
    il.evtchn.notifyDm(0);
    expect(il.dm.handleEvent()).toBe(true);
    expect([il.dm.stats.notReady, il.dm.stats.sync, il.dm.running, stats[LS_SCRATCH]]).toEqual([1, 0, true, 0]);
  });

  it('a slot rewritten during dispatch: "Badness in I/O request ... not in service?!", no response, domain destroyed', async () => {
    const destroyed: boolean[] = [];
    const log: string[] = [];
    const il = createInlineIoreq({
      autoRun: false,
      createDeviceModel: () => ({
        devices: {
          pio: { read: () => { storeIoreqState(il.mem.u8, 0, STATE_IOREQ_READY); return 0x42; }, write: () => {} },
          mem: { read: () => false, write: () => false },
        },
        hooks: { destroyHvmDomain: (reboot) => destroyed.push(reboot), log: (l) => log.push(l) },
      }),
    });
    const r = read(0x1234, 2);
    il.server.send(0, r);
    il.dm.handleEvent();
    expect(destroyed).toEqual([false]);
    expect(log).toEqual(['Badness in I/O request ... not in service?!: 1, ptr: 0, port: 1234, data: 42, count: 1, size: 2, type: 0 (vcpu 0)']);
    expect(loadIoreqState(il.mem.u8, 0)).toBe(STATE_IOREQ_READY); // no IORESP_READY was posted
  });
});

describe('buffered ring details', () => {
  it('an 8-byte request fills two slots with the same header, data split low/high, wp += 2', async () => {
    const { il } = await manual();
    il.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_COPY, dir: IOREQ_WRITE, addrLo: 0xa0018, size: 8, count: 1, dataLo: 0x11223344, dataHi: 0x55667788 }));
    const { view, u32, bufPage } = il.mem;
    expect([decodeBufIoreq(view, bufSlotOffset(bufPage, 0)), decodeBufIoreq(view, bufSlotOffset(bufPage, 1))]).toEqual([
      { type: IOREQ_TYPE_COPY, pad: 0, dir: 'write', size: 8, addr: 0xa0018, data: 0x11223344 },
      { type: IOREQ_TYPE_COPY, pad: 0, dir: 'write', size: 8, addr: 0xa0018, data: 0x55667788 },
    ]);
    expect([u32[bufPage >>> 2], u32[(bufPage >>> 2) + 1]]).toEqual([0, 2]);
  });

  it.each([
    ['ATOMIC', undefined, [600 % IOREQ_BUFFER_SLOT_NUM, 600 % IOREQ_BUFFER_SLOT_NUM]],
    ['LEGACY', HVM_IOREQSRV_BUFIOREQ_LEGACY, [600, 600]],
  ] as const)('%s mode: pointers after 600 requests', async (_mode, bufioreq, want) => {
    const { il, stats } = await manual(bufioreq === undefined ? {} : { bufioreq });
    for (let n = 0; n < 600; n++) {
      if (il.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: LOOPBACK_STREAM_PORT + 7, size: 4, count: 1, dataLo: streamLo(n) })) !== IoResult.Handled) il.dm.runPending();
      if (n % 100 === 99) il.dm.runPending();
    }
    il.dm.runPending();
    // ATOMIC: Xen reduces both pointers by a multiple of 511 once rp >= 511 (on the next send after the drain).
    il.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: LOOPBACK_STREAM_PORT + 7, size: 4, count: 1, dataLo: streamLo(600) }));
    il.dm.runPending();
    const p = il.mem.bufPage >>> 2;
    expect([il.mem.u32[p], il.mem.u32[p + 1]]).toEqual([want[0] + 1, want[1] + 1]);
    expect(stats[LS_SEQ_W + 7]).toBe(601);
  });

  it('upstream QEMU forces buffered requests to WRITE whatever the slot says', async () => {
    const { il, stats } = await manual();
    il.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: LOOPBACK_SCRATCH_PORT, size: 1, count: 1, dataLo: 0x77 }));
    il.dm.runPending();
    expect(stats[LS_SCRATCH]).toBe(0x77);
  });

  it('the ring index is the pointer mod 511, not a mask', () => {
    expect([0, 1, 510, 511, 512, 1022, 0xffffffff].map((p) => (bufSlotOffset(0, p) - BUFIOREQ_OFF_SLOTS) / 8)).toEqual([0, 1, 510, 0, 1, 0, 0xffffffff % 511]);
  });
});

describe('TIMEOFFSET as qemu-trad: logged and accumulated', () => {
  it('logs "Time offset set %ld, added offset %PRId64" with the running total', async () => {
    const dmLog: string[] = [];
    const { il, stats } = await manual({ dmLog });
    il.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_TIMEOFFSET, size: 8, count: 1, dataLo: 0xfffffff6, dataHi: 0xffffffff })); // -10
    il.server.sendBuffered(newIoreq({ type: IOREQ_TYPE_TIMEOFFSET, size: 8, count: 1, dataLo: 3600, dataHi: 0 }));
    il.dm.runPending();
    expect(dmLog).toEqual(['Time offset set -10, added offset -10', 'Time offset set 3590, added offset 3600']);
    expect(stats[LS_TIMEOFFSET]).toBe(2);
  });
});

describe('wiring', () => {
  it('each vCPU slot carries its own channel port; the DM binds a different local port per channel', () => {
    const mem = RingMemory.create(3, false);
    const ev = new EventChannels(mem);
    new XenIoreqServer(mem, ev, { idle: () => false });
    expect([0, 1, 2].map((v) => decodeIoreq(mem.view, 32 * v).vpEport)).toEqual([1, 2, 3]);
    expect([0, 1, 2, 3].map((c) => ev.dmPort(c))).toEqual([0x200, 0x201, 0x202, 0x203]);
    expect(ev.bufChannel).toBe(3);
  });

  it('trace events name the ioreq path when enabled', async () => {
    const trace = new Trace();
    trace.enable('acpidm:ioreq');
    const il = createInlineIoreq({ trace, createDeviceModel, shared: { stats: new ArrayBuffer(8192) } });
    il.server.emulate(0, read(LOOPBACK_SCRATCH_PORT, 1));
    expect(trace.history.map((r) => r.name)).toEqual(['ioreq_send', 'handle_ioreq', 'ioreq_complete']);
  });

  it('a DM on memory of the wrong size is refused with a clear error', () => {
    expect(() => RingMemory.attach(new ArrayBuffer(4096), 1)).toThrow(/needs 12288 bytes, got 4096/);
    expect(() => RingMemory.create(0, false)).toThrow(/vCPU count must be/);
    const mem = RingMemory.create(1, false);
    expect(new DeviceModel(mem, new EventChannels(mem), { pio: { read: () => 0, write: () => {} }, mem: { read: () => false, write: () => false } }).running).toBe(true);
  });
});

describe('cross-thread only', () => {
  it('a device model that stalls: waitForIo times out, the request stays in flight, then completes', async () => {
    const t = await makeLink('worker', { dmOptions: { delay: { seed: 1, max: 1, stallEvery: 1, stallSpins: 200_000_000 } } });
    open.push(t);
    const r = read(LOOPBACK_STREAM_PORT + 2);
    expect(t.link.server.emulate(0, r, 20)).toBe(IoResult.Timeout);
    expect(t.link.server.inFlight(0)).toBe(true);
    expect(t.link.server.waitForIo(0, r)).toBe(IoResult.Handled);
    expect(r.dataLo).toBe(streamRead(LOOPBACK_STREAM_PORT + 2, 0));
  });

  it('a device-model module without createDeviceModel is refused at start with a clear error', async () => {
    const { startWorkerIoreq } = await import('../../src/ioreq/worker-transport-node.js');
    await expect(startWorkerIoreq({ dmModule: 'data:text/javascript,export const nothing = 1;' }))
      .rejects.toThrow(/device-model worker failed to start: .*does not export createDeviceModel/);
  });

  it('a device model that vanished: the vCPU gets DmDead instead of blocking forever', async () => {
    const t = await makeLink('worker');
    open.push(t);
    expect(t.link.server.emulate(0, read(LOOPBACK_SCRATCH_PORT, 1))).toBe(IoResult.Handled);
    const { WorkerIoreqLink } = await import('../../src/ioreq/worker-transport-node.js');
    if (!(t.link instanceof WorkerIoreqLink)) throw new Error('expected a worker link');
    await t.link.kill();
    const r = read(LOOPBACK_SCRATCH_PORT, 1);
    expect(t.link.server.emulate(0, r)).toBe(IoResult.DmDead);
    expect(loadIoreqState(t.link.mem.u8, 0)).toBe(STATE_IOREQ_READY); // still there for inspection
  });
});

describe('a device model built from the port bus and PhysMemory (the pieces qemu-dm uses)', () => {
  it('rep outsb from guest RAM reaches a PortBus region; a COPY read sees RAM; beyond 4 GiB is unbacked', async () => {
    const { PortBus, PortRegion } = await import('../../src/ioports/index.js');
    const { PhysMemory } = await import('../../src/memory/index.js');
    const { physGuestMemory } = await import('../../src/ioreq/guest-memory.js');
    const bus = new PortBus();
    const seen: number[] = [];
    bus.map(new PortRegion({ name: 'sink', size: 1, read: () => 0x5a, write: (_s: unknown, _o: number, v: number) => { seen.push(v); } }, {}), 0x510);
    const pm = new PhysMemory(0x10_0000);
    pm.load(0x9000, new Uint8Array([1, 2, 3, 4]));
    const il = createInlineIoreq({ createDeviceModel: () => ({ devices: { pio: bus, mem: physGuestMemory(pm) } }) });
    il.server.emulate(0, newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: 0x510, size: 1, count: 4, dataIsPtr: 1, dataLo: 0x9000 }));
    il.server.emulate(0, newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: 0x510, size: 1, count: 2, dataIsPtr: 1, dataLo: 0x9100 }));
    const c = newIoreq({ type: IOREQ_TYPE_COPY, dir: IOREQ_READ, addrLo: 0x9000, size: 4, count: 1 });
    il.server.emulate(0, c);
    const far = newIoreq({ type: IOREQ_TYPE_COPY, dir: IOREQ_READ, addrLo: 0xfffffffe, size: 4, count: 1 });
    il.server.emulate(0, far);
    expect([seen, pm.read8(0x9100), pm.read8(0x9101), c.dataLo, far.dataLo]).toEqual([[1, 2, 3, 4], 0x5a, 0x5a, 0x04030201, 0xffffffff]);
  });
});
