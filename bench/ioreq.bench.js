// The Xen ioreq ring: synchronous round trips (in-thread and cross-thread), buffered-ring
// throughput (4- and 8-byte requests) and the ioreq_t codec, each beside the JavaScript
// floor measured in the same run:
//  - cross-thread round trip: an Atomics ping-pong between two workers (same spin-then-wait);
//  - buffered ring: a plain single-producer/single-consumer ring of 8-byte records to a worker;
//  - in-thread round trip: calling the device directly.
import { Worker } from 'node:worker_threads';
import {
  IOREQ_READ, IOREQ_TYPE_COPY, IOREQ_TYPE_PIO, IOREQ_WRITE, createInlineIoreq, newIoreq, readIoreq, writeIoreq,
} from '../dist/ioreq/index.js';
import { createDeviceModel, createLoopbackStats, LOOPBACK_MMIO_BASE, LOOPBACK_SCRATCH_PORT, LOOPBACK_STREAM_PORT } from '../dist/ioreq/loopback-dm.js';
import { startWorkerIoreq } from '../dist/ioreq/worker-transport-node.js';

const SPIN = 4000;
const hr = () => Number(process.hrtime.bigint());
const median = (a) => { a.sort((x, y) => x - y); return a[a.length >> 1]; };

// ---- floors (plain JavaScript, same run) -------------------------------------------

// Two workers ping-pong on one Int32 word, spinning SPIN loads before Atomics.wait (as the ring does).
const PINGPONG = `
const { workerData, parentPort } = require('node:worker_threads');
const { sab, role, n, spin } = workerData;
const w = new Int32Array(sab);
// word 0: the ball; word 1: start barrier; words 2/3: ping/pong sleeps (notify only then, as the ring does)
const me = role === 'ping' ? 2 : 3, other = role === 'ping' ? 3 : 2;
const waitFor = (v) => {
  for (let i = 0; i < spin; i++) if (Atomics.load(w, 0) === v) return;
  Atomics.store(w, me, 1);
  for (;;) { const cur = Atomics.load(w, 0); if (cur === v) break; Atomics.wait(w, 0, cur, 100); }
  Atomics.store(w, me, 0);
};
const pass = (v) => { Atomics.store(w, 0, v); if (Atomics.load(w, other) !== 0) Atomics.notify(w, 0); };
Atomics.add(w, 1, 1); Atomics.notify(w, 1);
while (Atomics.load(w, 1) < 2) Atomics.wait(w, 1, 1, 100);
const lat = role === 'ping' ? new Float64Array(n) : null;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  if (role === 'ping') {
    const s = process.hrtime.bigint();
    pass(1);
    waitFor(2);
    lat[i] = Number(process.hrtime.bigint() - s);
  } else {
    waitFor(1);
    pass(2);
  }
}
const ns = Number(process.hrtime.bigint() - t0);
parentPort.postMessage(role === 'ping' ? { ns, median: Array.from(lat).sort((a, b) => a - b)[n >> 1] } : {});
`;

async function pingPongFloor(n) {
  const sab = new SharedArrayBuffer(16);
  const done = ['ping', 'pong'].map((role) => new Promise((resolve, reject) => {
    const w = new Worker(PINGPONG, { eval: true, workerData: { sab, role, n, spin: SPIN } });
    w.once('message', resolve);
    w.once('error', reject);
  }));
  const [ping] = await Promise.all(done);
  return { rate: n / (ping.ns / 1e9), median: ping.median };
}

// A 511-slot ring of 8-byte records (rp @0, wp @1, slots from word 4), consumer in a worker. Same
// wake-up discipline as the ioreq ring (spin, then Atomics.wait; notify only a sleeper), so on a
// busy machine neither side burns its time slice spinning against a descheduled peer.
const SPSC = `
const { workerData, parentPort } = require('node:worker_threads');
const { sab, n, spin } = workerData;
const u = new Uint32Array(sab), i32 = new Int32Array(sab);
let sum = 0, got = 0;
parentPort.postMessage('ready');
while (got < n) {
  let rp = Atomics.load(u, 0);
  let wp = Atomics.load(u, 1);
  if (rp === wp) {
    for (let k = 0; k < spin && Atomics.load(u, 1) === rp; k++);
    if (Atomics.load(u, 1) === rp) {
      Atomics.store(i32, 2, 1);
      if (Atomics.load(u, 1) === rp) Atomics.wait(i32, 1, rp, 100);
      Atomics.store(i32, 2, 0);
    }
    continue;
  }
  while (rp !== wp) {
    const s = 4 + (rp % 511) * 2;
    sum = (sum + u[s] + u[s + 1]) | 0;
    rp++; got++;
  }
  Atomics.store(u, 0, rp);
  if (Atomics.load(i32, 3) !== 0) Atomics.notify(i32, 0);
}
parentPort.postMessage({ sum });
`;

async function spscFloor(n) {
  const sab = new SharedArrayBuffer(16 + 511 * 8);
  const u = new Uint32Array(sab);
  const i32 = new Int32Array(sab);
  const w = new Worker(SPSC, { eval: true, workerData: { sab, n, spin: SPIN } });
  await new Promise((r) => w.once('message', r));
  const finished = new Promise((r) => w.once('message', r));
  const t0 = hr();
  for (let i = 0; i < n; i++) {
    const wp = Atomics.load(u, 1);
    let rp = Atomics.load(u, 0);
    if (wp - rp >= 511) {
      for (let k = 0; k < SPIN && wp - (rp = Atomics.load(u, 0)) >= 511; k++);
      while (wp - (rp = Atomics.load(u, 0)) >= 511) {
        Atomics.store(i32, 3, 1);
        if (wp - Atomics.load(u, 0) >= 511) Atomics.wait(i32, 0, rp, 100);
        Atomics.store(i32, 3, 0);
      }
    }
    const s = 4 + (wp % 511) * 2;
    u[s] = i; u[s + 1] = ~i;
    Atomics.store(u, 1, wp + 1);
    if (Atomics.load(i32, 2) !== 0) Atomics.notify(i32, 1);
  }
  await finished;
  const ns = hr() - t0;
  return n / (ns / 1e9);
}

// ---- the ring ---------------------------------------------------------------------------

function loopbackShared() {
  return { stats: createLoopbackStats(true), ram: new SharedArrayBuffer(0x10_0000) };
}

function latencyMedian(server, req, n) {
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = hr();
    server.emulate(0, req);
    lat[i] = hr() - s;
  }
  return median(Array.from(lat));
}

function bufferedThroughput(server, make, n) {
  const t0 = hr();
  for (let i = 0; i < n; i++) server.emulateBuffered(0, make(i));
  server.emulate(0, newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: LOOPBACK_SCRATCH_PORT, size: 1, count: 1 })); // drains the ring
  return n / ((hr() - t0) / 1e9);
}

export default async function (h) {
  // Codec: one full ioreq_t write + read through the DataView accessors.
  {
    const view = new DataView(new ArrayBuffer(4096));
    const a = newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: 0xb004, size: 2, count: 1, dataLo: 0x2000 });
    const b = newIoreq();
    const N = 1000;
    let sink = 0;
    const floor = h.measure('ioreq_t floor: 8 raw u32 stores + loads', () => {
      for (let i = 0; i < N; i++) {
        const o = (i & 127) << 5;
        for (let k = 0; k < 32; k += 4) view.setUint32(o + k, i + k, true);
        for (let k = 0; k < 32; k += 4) sink ^= view.getUint32(o + k, true);
      }
    }, { perOp: N, unit: 'structs/s' });
    h.measure('ioreq_t encode+decode (writeIoreq + readIoreq)', () => {
      for (let i = 0; i < N; i++) {
        a.dataLo = i;
        writeIoreq(view, (i & 127) << 5, a);
        sink ^= readIoreq(view, (i & 127) << 5, b).dataLo;
      }
    }, { perOp: N, unit: 'structs/s', floor });
    if (sink === 0.5) console.log(sink);
  }

  // In-thread synchronous round trip: READY -> INPROCESS -> IORESP_READY -> NONE as function calls.
  {
    const il = createInlineIoreq({ createDeviceModel, shared: loopbackShared() });
    const req = newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: LOOPBACK_SCRATCH_PORT, size: 1, count: 1 });
    const pio = il.module.devices.pio;
    const N = 1000;
    let sink = 0;
    const floor = h.measure('in-thread floor: direct device call', () => {
      for (let i = 0; i < N; i++) sink ^= pio.read(LOOPBACK_SCRATCH_PORT, 1);
    }, { perOp: N, unit: 'round trips/s' });
    h.measure('in-thread sync round trip (emulate PIO inb)', () => {
      for (let i = 0; i < N; i++) il.server.emulate(0, req);
    }, { perOp: N, unit: 'round trips/s', floor });
    h.report('in-thread sync round trip median latency', latencyMedian(il.server, req, 100_000), 'ns');
    const mk4 = newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: LOOPBACK_STREAM_PORT + 200, size: 4, count: 1 });
    const B = 200_000;
    // Floor: the same thread fills and drains a plain 511-slot ring of 8-byte records.
    const ring = new Uint32Array(2 + 511 * 2);
    const t0 = hr();
    for (let i = 0; i < B; i++) {
      if (ring[1] - ring[0] >= 511) {
        while (ring[0] !== ring[1]) { const s = 2 + (ring[0] % 511) * 2; sink ^= ring[s] ^ ring[s + 1]; ring[0]++; }
      }
      const s = 2 + (ring[1] % 511) * 2;
      ring[s] = i; ring[s + 1] = ~i; ring[1]++;
    }
    while (ring[0] !== ring[1]) { const s = 2 + (ring[0] % 511) * 2; sink ^= ring[s] ^ ring[s + 1]; ring[0]++; }
    const ringFloor = B / ((hr() - t0) / 1e9);
    h.report('in-thread buffered 4-byte (send + drain)', bufferedThroughput(il.server, (i) => { mk4.dataLo = i; return mk4; }, B), 'requests/s',
      ringFloor, 'floor: same-thread ring of 8-byte records');
    // Heap growth per million I/Os on the in-thread hot path (target: ~0; the ATOMIC pointer
    // reduction allocates two BigInts once per 511 buffered slots). Exact with node --expose-gc.
    {
      const r = newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: LOOPBACK_SCRATCH_PORT, size: 1, count: 1 });
      const b = newIoreq({ type: IOREQ_TYPE_COPY, dir: IOREQ_WRITE, addrLo: 0x1000, size: 8, count: 1 });
      const run = (n) => { for (let i = 0; i < n; i++) { il.server.emulate(0, r); b.dataLo = i; il.server.emulateBuffered(0, b); } };
      run(100_000);
      globalThis.gc?.();
      const h0 = process.memoryUsage().heapUsed;
      run(500_000);
      const grew = process.memoryUsage().heapUsed - h0;
      h.report('heap growth per 1M I/Os (in-thread, half sync, half buffered 8-byte)', grew, 'bytes', undefined,
        globalThis.gc ? 'before GC' : 'before GC; run node --expose-gc for a clean baseline');
    }
    if (sink === 0.5) console.log(sink);
    await il.close();
  }

  // Cross-thread: the DM in a worker on SharedArrayBuffer pages. The machine may be shared, so
  // floor and ring are measured alternately, best of TRIALS each.
  {
    const TRIALS = 3;
    const link = await startWorkerIoreq({ shared: loopbackShared(), spin: SPIN });
    try {
      const req = newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_READ, addrLo: LOOPBACK_SCRATCH_PORT, size: 1, count: 1 });
      const best = { pp: 0, ppMedian: Infinity, rate: 0, median: Infinity };
      for (let t = 0; t < TRIALS; t++) {
        const pp = await pingPongFloor(50_000);
        best.pp = Math.max(best.pp, pp.rate);
        best.ppMedian = Math.min(best.ppMedian, pp.median);
        const N = 50_000;
        const t0 = hr();
        for (let i = 0; i < N; i++) link.server.emulate(0, req);
        best.rate = Math.max(best.rate, N / ((hr() - t0) / 1e9));
        best.median = Math.min(best.median, latencyMedian(link.server, req, 20_000));
      }
      h.report('cross-thread sync round trip (emulate PIO inb)', best.rate, 'round trips/s', best.pp, `floor: Atomics ping-pong, 2 workers; best of ${TRIALS}`);
      h.report('cross-thread sync round trip median latency', best.median, 'ns', best.ppMedian, 'floor: ping-pong median (lower is better)');

      const B = 500_000;
      let spsc = 0;
      for (let t = 0; t < TRIALS; t++) spsc = Math.max(spsc, await spscFloor(B));
      const mk4 = newIoreq({ type: IOREQ_TYPE_PIO, dir: IOREQ_WRITE, addrLo: LOOPBACK_STREAM_PORT + 201, size: 4, count: 1 });
      const mk8 = newIoreq({ type: IOREQ_TYPE_COPY, dir: IOREQ_WRITE, addrLo: LOOPBACK_MMIO_BASE + 8 * 60, size: 8, count: 1 });
      h.report('cross-thread buffered ring, 4-byte requests', bufferedThroughput(link.server, (i) => { mk4.dataLo = i; return mk4; }, B),
        'requests/s', spsc, 'floor: SPSC ring of 8-byte records');
      h.report('cross-thread buffered ring, 8-byte requests (2 slots)', bufferedThroughput(link.server, (i) => { mk8.dataLo = i; mk8.dataHi = ~i >>> 0; return mk8; }, B),
        'requests/s', spsc, 'floor: SPSC ring of 8-byte records');
      h.report('cross-thread ring-full fallbacks to the sync path', link.server.stats.bufferedFull, 'count');
    } finally {
      await link.close();
    }
  }
}
