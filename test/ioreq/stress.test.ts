// Property/fuzz test of the ring: random interleavings of synchronous and buffered requests
// from several vCPUs, with random delays on both sides (fixed seeds), must complete every
// request exactly once, in order, with the right data. Over 1e6 requests in total.
// In-thread, a seeded scheduler interleaves hypervisor sends/polls with single DM steps;
// cross-thread, the DM runs free in its worker and both threads spin random delays.
// IOREQ_STRESS_SCALE scales the request counts (default 1).
import { afterAll, describe, expect, it } from 'vitest';
import { IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_TYPE_PIO, IOREQ_WRITE } from '../../src/ioreq/abi.js';
import type { InlineIoreqLink } from '../../src/ioreq/inline-transport.js';
import { newIoreq, type Ioreq } from '../../src/ioreq/ioreq-codec.js';
import {
  LOOPBACK_MMIO_BASE, LOOPBACK_STREAM_PORT, LS_SEQ_R, LS_SEQ_W, LS_VIOLATIONS, LOOPBACK_STREAMS, streamHi, streamLo, streamRead,
} from '../../src/ioreq/loopback-dm.js';
import { IoResult, IO_RESULT_NAMES } from '../../src/ioreq/xen-ioreq-server.js';
import { makeLink, type TestLink, type TransportKind } from './link.js';

const SCALE = Number(process.env.IOREQ_STRESS_SCALE ?? 1);
const VCPUS = 3;

// Streams (per vCPU v) the loopback device checks in order:
const B4_PORT = (v: number): number => LOOPBACK_STREAM_PORT + 100 + v; // buffered 4-byte PIO writes, and synchronous ones in between
const B8_MMIO = (v: number): number => 10 + v; // buffered 8-byte COPY writes (COPY window stream index)
const R_PORT = (v: number): number => LOOPBACK_STREAM_PORT + 50 + v; // synchronous PIO reads
const R_MMIO = (v: number): number => 20 + v; // synchronous 8-byte COPY reads

class Rng {
  constructor(private s: number) {}
  next(): number {
    let x = this.s;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

interface Vcpu {
  busy: boolean;
  req: Ioreq;
  kind: 'read' | 'mmio-read' | 'write' | 'b4' | 'b8';
  want: number;
  /** buffered requests this vCPU queued before the in-flight one: all must be served by its completion. */
  b4Before: number;
  b8Before: number;
}

interface Tally {
  requests: number; sync: number; buffered: number; fallbacks: number;
  badData: number; drainOrder: number; other: string[];
  sentB4: number[]; sentB8: number[]; reads: number[]; mmioReads: number[]; writes: number[];
}

function run(t: TestLink, seed: number, total: number, kind: TransportKind, mainDelayMax: number): Tally {
  const { link, stats } = t;
  const rng = new Rng(seed);
  const z = (): number[] => new Array(VCPUS).fill(0);
  const tally: Tally = { requests: 0, sync: 0, buffered: 0, fallbacks: 0, badData: 0, drainOrder: 0, other: [], sentB4: z(), sentB8: z(), reads: z(), mmioReads: z(), writes: z() };
  const cpus: Vcpu[] = Array.from({ length: VCPUS }, () => ({ busy: false, req: newIoreq(), kind: 'read' as const, want: 0, b4Before: 0, b8Before: 0 }));
  const dm = kind === 'inline' ? (link as InlineIoreqLink).dm : null;
  let sink = 0;

  const complete = (v: number, r: IoResult): void => {
    const c = cpus[v]!;
    c.busy = false;
    tally.requests++;
    if (r !== IoResult.Handled) {
      if (tally.other.length < 5) tally.other.push(`vcpu ${v} ${c.kind}: ${IO_RESULT_NAMES[r]}`);
      return;
    }
    if ((c.kind === 'read' || c.kind === 'mmio-read') && (c.req.dataLo !== c.want || c.req.dataHi !== 0)) tally.badData++;
    // Drain first: everything this vCPU buffered before the request has reached the device by now.
    if (stats[LS_SEQ_W + B4_PORT(v) - LOOPBACK_STREAM_PORT]! < c.b4Before || stats[LS_SEQ_W + LOOPBACK_STREAMS + B8_MMIO(v)]! < c.b8Before) tally.drainOrder++;
  };

  const sendSync = (v: number): void => {
    const c = cpus[v]!;
    c.b4Before = tally.sentB4[v]!;
    c.b8Before = tally.sentB8[v]!;
    const r = link.server.send(v, c.req);
    if (r !== IoResult.Sent) { complete(v, r); return; }
    c.busy = true;
    tally.sync++;
  };

  const sendBuffered = (v: number, eight: boolean): void => {
    const c = cpus[v]!;
    const n = eight ? tally.sentB8[v]! : tally.sentB4[v]!;
    const p = c.req;
    if (eight) Object.assign(p, { type: IOREQ_TYPE_COPY, dir: IOREQ_WRITE, addrLo: LOOPBACK_MMIO_BASE + 8 * B8_MMIO(v), addrHi: 0, size: 8, count: 1, dataIsPtr: 0, df: 0, dataLo: streamLo(n), dataHi: streamHi(n) });
    else Object.assign(p, { type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: B4_PORT(v), addrHi: 0, size: 4, count: 1, dataIsPtr: 0, df: 0, dataLo: streamLo(n), dataHi: 0 });
    const r = link.server.sendBuffered(p);
    if (eight) tally.sentB8[v]!++; else tally.sentB4[v]!++;
    if (r === IoResult.Handled) { tally.buffered++; tally.requests++; return; }
    if (r !== IoResult.RingFull) { tally.other.push(`buffered: ${IO_RESULT_NAMES[r]}`); return; }
    // Full ring: Xen's caller takes the synchronous path; the vCPU blocks on it.
    tally.fallbacks++;
    c.kind = eight ? 'b8' : 'b4';
    c.b4Before = tally.sentB4[v]! - (eight ? 0 : 1);
    c.b8Before = tally.sentB8[v]! - (eight ? 1 : 0);
    const s = link.server.send(v, p);
    if (s !== IoResult.Sent) { complete(v, s); return; }
    c.busy = true;
  };

  const startSync = (v: number): void => {
    const c = cpus[v]!;
    const p = c.req;
    const k = rng.below(3);
    if (k === 0) {
      const n = tally.reads[v]!++;
      Object.assign(p, { type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: R_PORT(v), addrHi: 0, size: 4, count: 1, dataIsPtr: 0, df: 0, dataLo: 0, dataHi: 0 });
      c.kind = 'read';
      c.want = streamRead(R_PORT(v), n);
    } else if (k === 1) {
      const n = tally.mmioReads[v]!++;
      Object.assign(p, { type: IOREQ_TYPE_COPY, dir: IOREQ_READ, addrLo: LOOPBACK_MMIO_BASE + 8 * R_MMIO(v), addrHi: 0, size: 8, count: 1, dataIsPtr: 0, df: 0, dataLo: 0, dataHi: 0 });
      c.kind = 'mmio-read';
      c.want = streamRead(0x10000 + R_MMIO(v), n);
    } else {
      // A synchronous write on the same stream as the vCPU's buffered writes: it must land after all of them.
      tally.writes[v]!++;
      const n = tally.sentB4[v]!;
      Object.assign(p, { type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: B4_PORT(v), addrHi: 0, size: 4, count: 1, dataIsPtr: 0, df: 0, dataLo: streamLo(n), dataHi: 0 });
      c.kind = 'write';
      sendSync(v);
      tally.sentB4[v]!++;
      return;
    }
    sendSync(v);
  };

  const poll = (v: number): void => {
    const c = cpus[v]!;
    if (!c.busy) return;
    // Cross-thread, sometimes block (waitForIo) rather than poll.
    const r = dm === null && rng.below(4) === 0 ? link.server.waitForIo(v, c.req, 10_000) : link.server.pollIo(v, c.req);
    if (r !== IoResult.Pending) complete(v, r);
  };

  let issued = 0;
  // Bursts of buffered-only sends (in-thread with the DM held off) so the ring fills and Xen falls back.
  let burst = 0;
  while (issued < total) {
    if (burst === 0 && rng.below(3000) === 0) burst = 1500;
    const x = burst > 0 ? rng.below(55) : rng.below(100);
    if (burst > 0) burst--;
    const v = rng.below(VCPUS);
    const c = cpus[v]!;
    if (x < 70) {
      if (c.busy) { poll(v); continue; }
      issued++;
      if (x < 40) sendBuffered(v, false);
      else if (x < 55) sendBuffered(v, true);
      else startSync(v);
    } else if (x < 90) {
      if (dm) dm.handleEvent(); // one cpu_handle_ioreq at a random point
      else { const n = rng.below(mainDelayMax); for (let i = 0; i < n; i++) sink += i; }
    } else {
      poll(v);
    }
  }
  // Let everything finish.
  for (let guard = 0; cpus.some((c) => c.busy) && guard < 10_000_000; guard++) {
    if (dm) dm.handleEvent();
    for (let v = 0; v < VCPUS; v++) poll(v);
  }
  if (dm) dm.runPending();
  else link.server.emulate(0, newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: 0x80, size: 1 })); // a final sync drains the ring
  if (sink === 0.5) console.log(sink);
  return tally;
}

const PLAN: { kind: TransportKind; seeds: number[]; perSeed: number; mainDelay: number; dmDelay: number }[] = [
  { kind: 'inline', seeds: [0x1234, 0xbeef, 0xc0ffee], perSeed: Math.round(200_000 * SCALE), mainDelay: 1, dmDelay: 0 },
  { kind: 'worker', seeds: [0x5eed, 0xfeed], perSeed: Math.round(400_000 * SCALE), mainDelay: 64, dmDelay: 48 },
];
let grand = 0;

describe.each(PLAN)('stress over the $kind transport', ({ kind, seeds, perSeed, mainDelay, dmDelay }) => {
  it.each(seeds)(`seed %i: ${perSeed} mixed requests from ${VCPUS} vCPUs, each exactly once, in order, right data`, async (seed) => {
    const t = await makeLink(kind, { vcpus: VCPUS, autoRun: false, dmOptions: { delay: { seed: seed ^ 0x9e37, max: dmDelay, stallEvery: 4000, stallSpins: 400_000 } } });
    try {
      const tally = run(t, seed, perSeed, kind, mainDelay);
      const s = t.stats;
      const served = {
        b4: [...Array(VCPUS).keys()].map((v) => s[LS_SEQ_W + B4_PORT(v) - LOOPBACK_STREAM_PORT]),
        b8: [...Array(VCPUS).keys()].map((v) => s[LS_SEQ_W + LOOPBACK_STREAMS + B8_MMIO(v)]),
        reads: [...Array(VCPUS).keys()].map((v) => s[LS_SEQ_R + R_PORT(v) - LOOPBACK_STREAM_PORT]),
        mmioReads: [...Array(VCPUS).keys()].map((v) => s[LS_SEQ_R + LOOPBACK_STREAMS + R_MMIO(v)]),
      };
      // Exactly once: what the device counted equals what was sent; in order + right data: no violation, no bad read.
      expect(served).toEqual({ b4: tally.sentB4, b8: tally.sentB8, reads: tally.reads, mmioReads: tally.mmioReads });
      expect({ violations: s[LS_VIOLATIONS], badData: tally.badData, drainOrder: tally.drainOrder, other: tally.other, dmError: t.link.dmError() })
        .toEqual({ violations: 0, badData: 0, drainOrder: 0, other: [], dmError: null });
      expect(tally.requests).toBe(perSeed);
      expect(tally.sync).toBeGreaterThan(perSeed / 20);
      expect(tally.buffered).toBeGreaterThan(perSeed / 5);
      expect(tally.fallbacks).toBeGreaterThan(0);
      grand += tally.requests;
      console.log(`ioreq stress ${kind} seed ${seed}: ${tally.requests} requests (${tally.sync} synchronous, ${tally.buffered} buffered, ${tally.fallbacks} ring-full fallbacks)`);
    } finally {
      await t.close();
    }
  });
});

afterAll(() => {
  // Reported, not asserted on speed: the total that actually ran.
  console.log(`ioreq stress: ${grand} requests completed exactly once across transports`);
});
