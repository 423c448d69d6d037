// A feasibility probe, not a figure of acpidm (run it by hand: `node bench/wasm-tier-probe.js`; bench/run.js runs only
// *.bench.js): what a WebAssembly block tier would cost on this Node, for src/cpu/README.md "What would close the Linux
// gap". It generates functions shaped like compiled x86 blocks (8 guest registers in wasm locals, loaded from and
// stored back to memory; per instruction an ADD/XOR/ROL on registers, or a 32-bit load through a software TLB with an
// exit on a miss) and measures V8's compile, instantiate and first-call (lazy Liftoff) cost, and their speed looping
// inside wasm and called once per block from JS.
// Memory: regs at 0 (8 x i32), the TLB (read) at 0x1000 (1 Mi x i32), RAM at 0x100_0000 (16 MiB).
const u = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const s = (n) => { const o = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); } };
const vec = (items) => [...u(items.length), ...items.flat()];
const sec = (id, body) => [id, ...u(body.length), ...body];
const I32 = 0x7f;
const op = { get: 0x20, set: 0x21, tee: 0x22, ld: 0x28, st: 0x36, c: 0x41, add: 0x6a, sub: 0x6b, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shru: 0x76, rotl: 0x77, rotr: 0x78, eqz: 0x45, ne: 0x47, if: 0x04, end: 0x0b, ret: 0x0f, br: 0x0c, brif: 0x0d, loop: 0x03, block: 0x02, ltu: 0x49 };
// locals: 0 = param max; 1..8 = R0..R7; 9 = la; 10 = e; 11 = n (iterations), 12 = res
function blockBody(nInsns, seed, loops) {
  let x = seed; const rnd = (k) => ((x = (x * 1103515245 + 12345) >>> 0) >>> 8) % k;
  const b = [];
  for (let r = 0; r < 8; r++) b.push(op.c, ...s(r * 4), op.ld, 2, 0, op.set, ...u(1 + r));
  if (loops) b.push(op.loop, 0x40);
  for (let i = 0; i < nInsns; i++) {
    const d = 1 + rnd(7), sr = 1 + rnd(7), k = rnd(6);
    if (k === 0 || k === 5) { // mov d, [esp + disp] with TLB lookup, exit on miss
      const disp = rnd(64) * 4;
      b.push(op.get, 5, op.c, ...s(disp), op.add, op.tee, 9, op.c, ...s(12), op.shru, op.c, ...s(2), op.shl, op.ld, 2, ...u(0x1000), op.tee, 10,
        op.c, 1, op.and, op.eqz, op.if, 0x40, op.c, ...s(i), op.ret, op.end, // (ret with value: function returns i32)
        op.get, 10, op.c, ...s(~0xfff), op.and, op.get, 9, op.c, ...s(0xfff), op.and, op.or, op.ld, 2, ...u(0x1000000), op.set, ...u(d));
    } else if (k === 1) { b.push(op.get, ...u(d), op.get, ...u(sr), op.add, op.tee, ...u(d), op.set, 12); }
    else if (k === 2) { b.push(op.get, ...u(d), op.c, ...s(rnd(1 << 30)), op.xor, op.tee, ...u(d), op.set, 12); }
    else if (k === 3) { b.push(op.get, ...u(d), op.c, ...s(1 + rnd(31)), op.rotl, op.set, ...u(d)); }
    else { b.push(op.get, ...u(d), op.get, ...u(sr), op.xor, op.tee, ...u(d), op.set, 12); }
  }
  if (loops) b.push(op.get, 11, op.c, 1, op.add, op.tee, 11, op.get, 0, op.ltu, op.brif, 0, op.end);
  for (let r = 0; r < 8; r++) b.push(op.c, ...s(r * 4), op.get, ...u(1 + r), op.st, 2, 0);
  b.push(op.c, ...s(nInsns), op.end);
  // local decls: 12 i32
  return [...u(1), ...u(12), I32, ...b];
}
function module(nFuncs, nInsns, loops) {
  const type = sec(1, vec([[0x60, 1, I32, 1, I32]]));
  const imp = sec(2, vec([[...u(3), ...Buffer.from('env'), ...u(3), ...Buffer.from('mem'), 2, 0, ...u(512)]]));
  const fns = sec(3, vec(Array.from({ length: nFuncs }, () => [0])));
  const exp = sec(7, vec(Array.from({ length: nFuncs }, (_, i) => { const nm = Buffer.from('f' + i); return [...u(nm.length), ...nm, 0, ...u(i)]; })));
  const code = sec(10, vec(Array.from({ length: nFuncs }, (_, i) => { const body = blockBody(nInsns, i + 1, loops); return [...u(body.length), ...body]; })));
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imp, ...fns, ...exp, ...code]);
}
const mem = new WebAssembly.Memory({ initial: 512 });
const v = new Int32Array(mem.buffer);
for (let p = 0; p < 4096; p++) v[(0x1000 >> 2) + p] = (p << 12) | 1; // identity TLB for the first 16 MiB... of linear -> RAM offset
v[5] = 0x8000; // ESP
const t = (f) => { const a = process.hrtime.bigint(); const r = f(); return [Number(process.hrtime.bigint() - a) / 1e3, r]; };
for (const [nF, nI] of [[1, 50], [1, 1600], [100, 50], [20, 50]]) {
  const bytes = module(nF, nI, false);
  const [tc, m] = t(() => new WebAssembly.Module(bytes));
  const [ti, inst] = t(() => new WebAssembly.Instance(m, { env: { mem } }));
  const [t1] = t(() => inst.exports.f0(1));
  const [t2] = t(() => inst.exports.f0(1));
  console.log(`${nF} fn x ${nI} insns: ${bytes.length} B, compile ${tc.toFixed(0)} us, instantiate ${ti.toFixed(0)} us, first call ${t1.toFixed(0)} us, 2nd ${t2.toFixed(1)} us`);
}
// steady state: a 40-insn looping block, and call overhead of a 40-insn non-looping block
const ml = new WebAssembly.Instance(new WebAssembly.Module(module(1, 40, true)), { env: { mem } });
const mn = new WebAssembly.Instance(new WebAssembly.Module(module(1, 40, false)), { env: { mem } });
for (let rep = 0; rep < 3; rep++) {
  const N = 2_000_000;
  const [tl] = t(() => ml.exports.f0(N));
  let acc = 0; const [tn] = t(() => { for (let i = 0; i < N; i++) acc += mn.exports.f0(1); return acc; });
  console.log(`loop inside wasm: ${(40 * N / tl).toFixed(0)} MIPS; one call per 40-insn block from JS: ${(40 * N / tn).toFixed(0)} MIPS, ${(tn * 1000 / N).toFixed(1)} ns per call+block`);
}
