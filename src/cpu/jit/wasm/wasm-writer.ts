/**
 * A small WebAssembly binary writer: the instructions the block emitter uses (WebAssembly Core Specification 2.0,
 * §5.4 "Instructions", opcodes in comments), and the one module shape the tier needs (§5.5): the arena memory and
 * the slow-path functions imported, one function exported.
 */

export const I32 = 0x7f;
/** block type: no result / one i32 result */
const VOID = 0x40;

export class WasmWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(4096);
  len = 0;

  byte(b: number): this {
    if (this.len === this.buf.length) { const n = new Uint8Array(this.buf.length * 2); n.set(this.buf); this.buf = n; }
    this.buf[this.len++] = b;
    return this;
  }
  bytes(b: ArrayLike<number>): this {
    if (!(b instanceof Uint8Array)) { for (let i = 0; i < b.length; i++) this.byte(b[i]!); return this; }
    // a block's body into its function, a function into its module: one copy, not a call per byte
    let cap = this.buf.length;
    while (this.len + b.length > cap) cap *= 2;
    if (cap !== this.buf.length) { const n = new Uint8Array(cap); n.set(this.buf.subarray(0, this.len)); this.buf = n; }
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** unsigned LEB128 */
  u32(v: number): this {
    v >>>= 0;
    do { let b = v & 0x7f; v >>>= 7; if (v !== 0) b |= 0x80; this.byte(b); } while (v !== 0);
    return this;
  }
  /** signed LEB128 of an int32 */
  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f; v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.byte(b); return this; }
      this.byte(b | 0x80);
    }
  }
  done(): Uint8Array<ArrayBuffer> { return this.buf.slice(0, this.len); }

  // ---- control (§5.4.1) ----
  block(): this { return this.byte(0x02).byte(VOID); }
  loop(): this { return this.byte(0x03).byte(VOID); }
  if_(): this { return this.byte(0x04).byte(VOID); }
  ifI32(): this { return this.byte(0x04).byte(I32); }
  else_(): this { return this.byte(0x05); }
  end(): this { return this.byte(0x0b); }
  br(depth: number): this { return this.byte(0x0c).u32(depth); }
  /** br_table: the value on the stack picks a depth from `depths`, `otherwise` past their end */
  brTable(depths: readonly number[], otherwise: number): this { this.byte(0x0e).u32(depths.length); for (const d of depths) this.u32(d); return this.u32(otherwise); }
  brIf(depth: number): this { return this.byte(0x0d).u32(depth); }
  ret(): this { return this.byte(0x0f); }
  call(f: number): this { return this.byte(0x10).u32(f); }
  drop(): this { return this.byte(0x1a); }
  select(): this { return this.byte(0x1b); }
  // ---- variables (§5.4.4) ----
  get(l: number): this { return this.byte(0x20).u32(l); }
  set(l: number): this { return this.byte(0x21).u32(l); }
  tee(l: number): this { return this.byte(0x22).u32(l); }
  // ---- memory (§5.4.6): offset is the memarg's constant offset ----
  load(off: number): this { return this.byte(0x28).u32(2).u32(off); }
  load8u(off: number): this { return this.byte(0x2d).u32(0).u32(off); }
  load8s(off: number): this { return this.byte(0x2c).u32(0).u32(off); }
  load16u(off: number): this { return this.byte(0x2f).u32(1).u32(off); }
  load16s(off: number): this { return this.byte(0x2e).u32(1).u32(off); }
  store(off: number): this { return this.byte(0x36).u32(2).u32(off); }
  store8(off: number): this { return this.byte(0x3a).u32(0).u32(off); }
  store16(off: number): this { return this.byte(0x3b).u32(1).u32(off); }
  /** memory.copy (dest, src, bytes) and memory.fill (dest, byte, bytes) of the bulk-memory proposal, memory 0 */
  memoryCopy(): this { return this.byte(0xfc).u32(10).byte(0).byte(0); }
  memoryFill(): this { return this.byte(0xfc).u32(11).byte(0); }
  // ---- numeric (§5.4.7) ----
  i32(v: number): this { return this.byte(0x41).s32(v); }
  eqz(): this { return this.byte(0x45); }
  eq(): this { return this.byte(0x46); }
  ne(): this { return this.byte(0x47); }
  ltS(): this { return this.byte(0x48); }
  ltU(): this { return this.byte(0x49); }
  gtS(): this { return this.byte(0x4a); }
  gtU(): this { return this.byte(0x4b); }
  leS(): this { return this.byte(0x4c); }
  leU(): this { return this.byte(0x4d); }
  geS(): this { return this.byte(0x4e); }
  geU(): this { return this.byte(0x4f); }
  popcnt(): this { return this.byte(0x69); }
  add(): this { return this.byte(0x6a); }
  sub(): this { return this.byte(0x6b); }
  mul(): this { return this.byte(0x6c); }
  and(): this { return this.byte(0x71); }
  or(): this { return this.byte(0x72); }
  xor(): this { return this.byte(0x73); }
  shl(): this { return this.byte(0x74); }
  shrS(): this { return this.byte(0x75); }
  shrU(): this { return this.byte(0x76); }
  rotl(): this { return this.byte(0x77); }
  rotr(): this { return this.byte(0x78); }
  clz(): this { return this.byte(0x67); }
  ctz(): this { return this.byte(0x68); }
  i64ExtendS(): this { return this.byte(0xac); }
  i64ExtendU(): this { return this.byte(0xad); }
  i64Ne(): this { return this.byte(0x52); }
  i64Add(): this { return this.byte(0x7c); }
  i64DivS(): this { return this.byte(0x7f); }
  i64DivU(): this { return this.byte(0x80); }
  i64RemS(): this { return this.byte(0x81); }
  i64RemU(): this { return this.byte(0x82); }
  i64Or(): this { return this.byte(0x84); }
  i64Shl(): this { return this.byte(0x86); }
  i64ShrU(): this { return this.byte(0x88); }
  i64Mul(): this { return this.byte(0x7e); }
  i64ShrS(): this { return this.byte(0x87); }
  i64(v: number): this { return this.byte(0x42).s32(v); }
  wrap(): this { return this.byte(0xa7); }
}

/**
 * RDTSC's value (an i64 on the stack) `count` instructions after the TSC stored at arena offset `tsc` (low and high
 * dword), at the nanoseconds per instruction stored at `ns`; `count` pushes an i32 (interp-forms.ts, emit.ts)
 */
export function pushTsc(w: WasmWriter, tsc: number, ns: number, count: () => void): void {
  w.i32(0).load(tsc + 4).i64ExtendU().i64(32).i64Shl().i32(0).load(tsc).i64ExtendU().i64Or();
  count(); w.i64ExtendU().i32(0).load(ns).i64ExtendU().i64Mul().i64Add();
}

/** Module section ids (§5.5.2) */
const SEC_TYPE = 1, SEC_IMPORT = 2, SEC_FUNC = 3, SEC_EXPORT = 7, SEC_CODE = 10;

function section(out: WasmWriter, id: number, body: Uint8Array): void { out.byte(id).u32(body.length).bytes(body); }
function name(w: WasmWriter, s: string): void { w.u32(s.length); for (let i = 0; i < s.length; i++) w.byte(s.charCodeAt(i)); }

/** A function type: its i32 parameter count and i32 result count (the tier uses nothing else). */
export interface FnType { readonly params: number; readonly results: number }

/** A module's start (magic, version 1) and its type section. */
function header(types: readonly FnType[]): WasmWriter {
  const out = new WasmWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const ts = new WasmWriter().u32(types.length);
  for (const t of types) {
    ts.byte(0x60).u32(t.params);
    for (let i = 0; i < t.params; i++) ts.byte(I32);
    ts.u32(t.results);
    for (let i = 0; i < t.results; i++) ts.byte(I32);
  }
  section(out, SEC_TYPE, ts.done());
  return out;
}

/** The code section: each function complete (locals declared, final `end` included). */
function codeSection(out: WasmWriter, fns: readonly Uint8Array[]): void {
  const code = new WasmWriter().u32(fns.length);
  for (const f of fns) code.u32(f.length).bytes(f);
  section(out, SEC_CODE, code.done());
}

/**
 * A module importing memory `env.mem` and the functions `env.<name>` (in order, so the first import is function 0),
 * and exporting the functions `bodies` (each without its final `end`, with `locals` extra i32 locals) as f0, f1...
 */
export function buildModule(imports: readonly { name: string; type: FnType }[], fnType: FnType, locals: number,
  bodies: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const types: FnType[] = [];
  const typeOf = (t: FnType): number => {
    const i = types.findIndex((x) => x.params === t.params && x.results === t.results);
    if (i >= 0) return i;
    types.push(t);
    return types.length - 1;
  };
  const impTypes = imports.map((i) => typeOf(i.type));
  const blockType = typeOf(fnType);
  const out = header(types);
  const im = new WasmWriter().u32(imports.length + 1);
  name(im, 'env'); name(im, 'mem'); im.byte(0x02).byte(0x00).u32(0); // memory, limits {min 0}
  imports.forEach((imp, i) => { name(im, 'env'); name(im, imp.name); im.byte(0x00).u32(impTypes[i]!); });
  section(out, SEC_IMPORT, im.done());
  const fs = new WasmWriter().u32(bodies.length);
  for (let i = 0; i < bodies.length; i++) fs.u32(blockType);
  section(out, SEC_FUNC, fs.done());
  const ex = new WasmWriter().u32(bodies.length);
  bodies.forEach((_, i) => { name(ex, `f${i}`); ex.byte(0x00).u32(imports.length + i); });
  section(out, SEC_EXPORT, ex.done());
  codeSection(out, bodies.map((body) => {
    const fn = new WasmWriter();
    if (locals > 0) fn.u32(1).u32(locals).byte(I32); else fn.u32(0);
    return fn.bytes(body).end().done();
  }));
  return out.done();
}

/**
 * The WebAssembly interpreter's module (interpreter.ts): imports memory `env.mem`, `env.mat` (the dispatcher's
 * EFLAGS, function 0) and `env.run` (the dispatcher's run, function 1), exports `run(max, acc, thr, ns, epoch) ->
 * retired` with `locals` extra i32 locals and `body` (without its final `end`).
 */
export function buildInterpreterModule(locals: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  // types 0: materialize, 1: the interpreter's run, 2: the dispatcher's run, 3: a port access (port, size, retired, EIP)
  const out = header([{ params: 0, results: 1 }, { params: 5, results: 1 }, { params: 6, results: 1 }, { params: 4, results: 1 }]);
  // functions 0-3 (interp-writer.ts F_MAT, F_RUN, F_PIN, F_POUT) are imported, 4 is the interpreter
  const im = new WasmWriter().u32(5);
  name(im, 'env'); name(im, 'mem'); im.byte(0x02).byte(0x00).u32(0);
  name(im, 'env'); name(im, 'mat'); im.byte(0x00).u32(0);
  name(im, 'env'); name(im, 'run'); im.byte(0x00).u32(2);
  name(im, 'env'); name(im, 'pin'); im.byte(0x00).u32(3);
  name(im, 'env'); name(im, 'pout'); im.byte(0x00).u32(3);
  section(out, SEC_IMPORT, im.done());
  section(out, SEC_FUNC, new WasmWriter().u32(1).u32(1).done());
  const ex = new WasmWriter().u32(1);
  name(ex, 'run'); ex.byte(0x00).u32(4);
  section(out, SEC_EXPORT, ex.done());
  codeSection(out, [new WasmWriter().u32(1).u32(locals).byte(I32).bytes(body).end().done()]);
  return out.done();
}

/**
 * The dispatcher (memory/wasm-arena.ts for the words it uses): imports the memory and the function table, exports
 * `run(index, max, acc, flags, epoch, csBase)`. It calls table entry `index` as a block `(max, acc, flags)`, then,
 * while the block did not leave before an instruction for the interpreter (A_STOP) and the EIP it left at starts a
 * block in the chaining table that was valid in this TLB epoch, under this CS base, and fits the budget left, calls
 * that one too. One JS-to-WebAssembly call for
 * a chain of blocks; the lazy flags pass from block to block through the arena. It also exports `mat`, EFLAGS from
 * the arena's lazy state (cpu-state.ts getFlags, written out below), which a block calls when it reads a flag it
 * did not set.
 */
export function buildDispatcher(a: {
  flags: number; mask: number; kind: number; dst: number; src: number; res: number; bits: number; eip: number;
  chain: number; stop: number; ht: number; htSlots: number; htEntry: number;
}): Uint8Array<ArrayBuffer> {
  // types 0: a block, 1: run, 2: materialize
  const out = header([{ params: 3, results: 1 }, { params: 6, results: 1 }, { params: 0, results: 1 }]);
  const im = new WasmWriter().u32(2);
  name(im, 'env'); name(im, 'mem'); im.byte(0x02).byte(0x00).u32(0);
  name(im, 'env'); name(im, 't'); im.byte(0x01).byte(0x70).byte(0x00).u32(0); // table of funcref, limits {min 0}
  section(out, SEC_IMPORT, im.done());
  section(out, SEC_FUNC, new WasmWriter().u32(2).u32(1).u32(2).done()); // function 0: run, 1: materialize
  const ex = new WasmWriter().u32(2);
  name(ex, 'run'); ex.byte(0x00).u32(0);
  name(ex, 'mat'); ex.byte(0x00).u32(1);
  section(out, SEC_EXPORT, ex.done());

  // run: params idx 0, max 1, acc 2, flags 3, epoch 4, csBase 5; locals n 6, lin 7, e 8
  const r = new WasmWriter().u32(1).u32(3).byte(I32);
  r.i32(0).i32(0).store(a.stop);
  r.loop();
  r.i32(0).get(6).store(a.chain);
  r.get(1).get(6).sub().get(2).get(3).get(0).byte(0x11).u32(0).u32(0); // call_indirect type 0, table 0
  r.get(6).add().set(6);
  r.block();
  r.i32(0).load(a.stop).brIf(0);
  r.i32(0).load(a.eip).get(5).add().tee(7);
  r.get(7).i32(12).shrU().xor().i32(a.htSlots - 1).and().i32(a.htEntry).mul().i32(a.ht).add().set(8);
  r.get(8).load(0).get(7).ne().brIf(0);
  r.get(8).load(4).get(5).ne().brIf(0);
  r.get(8).load(16).get(4).ne().brIf(0);
  r.get(8).load(12).get(1).get(6).sub().gtS().brIf(0);
  r.get(8).load(8).set(0);
  r.br(1);
  r.end();
  r.end();
  r.get(6).end();

  // materialize: EFLAGS from the lazy state the last block stored (cpu-state.ts getFlags); locals m 0 k 1 d 2 s 3 r 4 b 5 f 6
  const m = new WasmWriter().u32(1).u32(7).byte(I32);
  m.i32(0).load(a.mask).set(0).i32(0).load(a.kind).set(1).i32(0).load(a.dst).set(2).i32(0).load(a.src).set(3);
  m.i32(0).load(a.res).set(4).i32(0).load(a.bits).i32(1).sub().set(5); // bits - 1
  m.i32(0).load(a.flags).get(0).i32(-1).xor().and().set(6);
  const flag = (bit: number, value: () => void): void => {
    m.get(0).i32(bit).and().if_(); m.get(6); value(); m.or().set(6); m.end();
  };
  const top = (): void => { m.get(5).shrU().i32(1).and(); }; // bit bits-1 of the value on the stack
  flag(0x1, () => { // CF: 0 for a logical result
    m.get(1).i32(2).eq().ifI32().i32(0).else_();
    m.get(1).eqz().ifI32();
    m.get(2).get(3).and().get(2).get(3).or().get(4).i32(-1).xor().and().or(); top();
    m.else_();
    m.get(2).i32(-1).xor().get(3).and().get(2).i32(-1).xor().get(3).or().get(4).and().or(); top();
    m.end().end();
  });
  flag(0x4, () => { m.get(4).i32(0xff).and().popcnt().i32(1).and().i32(1).xor().i32(2).shl(); });
  flag(0x10, () => { m.get(1).i32(2).ne().get(2).get(3).xor().get(4).xor().i32(4).shrU().and().i32(1).and().i32(4).shl(); });
  flag(0x40, () => { m.get(4).i32(31).get(5).sub().shl().eqz().i32(6).shl(); });
  flag(0x80, () => { m.get(4); top(); m.i32(7).shl(); });
  flag(0x800, () => {
    m.get(1).i32(2).eq().ifI32().i32(0).else_();
    m.get(1).eqz().ifI32();
    m.get(2).get(4).xor().get(3).get(4).xor().and(); top();
    m.else_();
    m.get(2).get(3).xor().get(2).get(4).xor().and(); top();
    m.end().end();
    m.i32(11).shl();
  });
  m.get(6).end();

  codeSection(out, [r.done(), m.done()]);
  return out.done();
}
