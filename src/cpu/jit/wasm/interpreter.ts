/**
 * An interpreter written in WebAssembly, for the code that runs too seldom to be worth compiling: a Linux boot runs
 * ~27 M of its 221 M instructions outside compiled blocks, and the JavaScript interpreter took ~30 ns for each of
 * them (V8 also compiling and recompiling its hundreds of handler functions). This one is a single function, built
 * once per process, that runs the commonest 32-bit flat-mode instructions (interp-forms.ts) straight from the
 * arena: registers, lazy flags, TLB arrays and RAM (memory/wasm-arena.ts). It stops, before the instruction, at
 * anything else (a prefix other than 66, or F3 before PAUSE; a form it does not know, a TLB miss, an operand across
 * a page, code running into a page the TLB does not hold, a code page written), and the JavaScript interpreter runs
 * that one instruction; so the JavaScript interpreter stays the reference for every instruction and every fault,
 * and this one is a fast path that test/cpu/wasm-interp.test.ts holds to it.
 *
 * It keeps the run loop's accounting exactly as the JavaScript interpreter's loop does (fast-paths.ts
 * makeInterpLoop): after a branch (EIP moved other than forward by at most 15 bytes), and where the code ran on
 * into the next page, it looks up the block slot, returns when a block is there (the arena's byte per slot,
 * Cpu.blk) or when the start's visit count reaches the compile threshold, and counts the visit otherwise, in the same
 * arrays (Cpu.hot and Cpu.hotLin live in the arena).
 * A run with it and a run without it compile the same blocks at the same instruction counts.
 *
 * A block start whose slot holds a WebAssembly block ready to run, valid in this TLB epoch, it enters itself
 * (enterBlock), through the dispatcher, as the run loop would.
 *
 * `run(max, acc, thr, ns, epoch)`: at most `max` instructions, `acc` the TLB's access bits (Tlb.acc), `thr` the
 * visit threshold (Cpu.hotThreshold), `ns` 1 when the first instruction's successor is a block start to look at,
 * `epoch` the TLB's (Tlb.epoch). Returns the instructions retired; EIP, the reason (A_IEXIT: EXIT_*), and the
 * instructions run in blocks and the blocks entered (A_WIB, A_WIE) in the arena.
 */
import { A_BLK, A_BLKLIN, A_EIP, A_FETCH, A_FLUSH, A_HOT, A_HOTLIN, A_HT, A_IEXIT, A_RAM, A_STOP, A_TLB_R, A_TSCN, A_WIB, A_WIE, HT_ENTRY, HT_SLOTS } from '../../../memory/wasm-arena.js';
import { JIT_SLOTS, SLOT_EPOCH_MASK, SLOT_SHIFT } from '../block.js';
import { FORMS } from './interp-forms.js';
import { EXIT_BLOCK, EXIT_BUDGET, EXIT_UNSUPPORTED, F_RUN, InterpWriter, L_BE, L_BN, L_CB, L_CPG, L_EIP, L_H, L_N, L_OP, L_P, L_P0, L_SEG, L_ST, L_T, L_U, L_WHY, LOCALS, P_ACC, P_EPOCH, P_MAX, P_NS, P_THR } from './interp-writer.js';
import { buildInterpreterModule } from './wasm-writer.js';

// the arena's per-slot areas (memory/wasm-arena.ts) hold a u16 count, the i32 start counted, the i32 slot code and the
// i32 address of the block there, per block slot
if (A_HOTLIN - A_HOT < 2 * JIT_SLOTS || A_BLK - A_HOTLIN < 4 * JIT_SLOTS || A_BLKLIN - A_BLK < 4 * JIT_SLOTS || A_RAM - A_BLKLIN < 4 * JIT_SLOTS) throw new Error('wasm-arena: the visit-count areas are smaller than JIT_SLOTS');

export { EXIT_BLOCK, EXIT_BUDGET, EXIT_UNSUPPORTED } from './interp-writer.js';

function body(): Uint8Array {
  const g = new InterpWriter(), w = g.w;
  w.i32(0).load(A_EIP).set(L_EIP).i32(1).set(L_CPG);
  g.block('out').loop('next');
  w.get(L_EIP).set(L_ST).i32(0).set(L_SEG);
  g.block('unsup').block('done');
  // The opcode from the page the last instruction came from: nothing in a call changes the TLB (the JavaScript
  // side does, between calls), and a write to a page holding code never gets here (the page has no write entry).
  w.get(L_EIP).i32(~0xfff).and().get(L_CPG).eq().get(L_EIP).i32(0xfff).and().i32(0xff0).leU().and(); g.if_();
  w.get(L_CB).get(L_EIP).i32(0xfff).and().add().tee(L_P).set(L_P0);
  g.else_();
  // else through the read TLB
  w.get(L_EIP).i32(12).shrU().i32(2).shl().load(A_TLB_R).tee(L_T).get(P_ACC).and().eqz(); g.brIf('unsup');
  w.get(L_EIP).i32(0xfff).and().i32(0xff0).gtU(); g.if_();
  // In a page's last 15 bytes an instruction may run on into the next page (the longest form here is 12 bytes):
  // its bytes come from a copy of this page's last 16 and the next page's first 16 (A_FETCH), when the TLB has the
  // next page as RAM this code may read, as a fetch across would find it; else the JavaScript interpreter fetches.
  // (A Linux boot handed back ~260 k instructions a boot in the last bytes of a page before.)
  w.get(L_EIP).i32(0xfffff000).geU(); g.brIf('unsup'); // past 4 GiB: CS's limit
  w.get(L_EIP).i32(12).shrU().i32(1).add().i32(2).shl().load(A_TLB_R).tee(L_U).get(P_ACC).and().eqz(); g.brIf('unsup');
  for (let k = 0; k < 16; k += 4) {
    w.i32(0).get(L_T).i32(~0xfff).and().load(A_RAM + 0xff0 + k).store(A_FETCH + k);
    w.i32(0).get(L_U).i32(~0xfff).and().load(A_RAM + k).store(A_FETCH + 16 + k);
  }
  w.get(L_EIP).i32(0xf).and().i32(A_FETCH).add().tee(L_P).set(L_P0);
  g.else_();
  w.get(L_T).i32(~0xfff).and().i32(A_RAM).add().set(L_CB).get(L_EIP).i32(~0xfff).and().set(L_CPG);
  w.get(L_CB).get(L_EIP).i32(0xfff).and().add().tee(L_P).set(L_P0);
  g.end();
  g.end();
  g.u8(); w.set(L_OP);
  // one block per form, innermost first: br_table jumps to the end of form k's block, where its code is
  const byOp = new Array<number>(256).fill(-1);
  FORMS.forEach((f, k) => { for (const op of f.ops) byOp[op] = k; });
  // (a segment prefix's form reads the opcode after it and dispatches again: 'disp')
  g.loop('disp');
  for (let k = FORMS.length - 1; k >= 0; k--) g.block(`f${k}`);
  w.get(L_OP).brTable(byOp.map((k) => g.depth(k < 0 ? 'unsup' : `f${k}`)), g.depth('unsup'));
  for (let k = 0; k < FORMS.length; k++) {
    g.end(); // f_k
    g.block('seq');
    FORMS[k]!.body(g);
    g.end(); // seq: the next instruction follows
    g.next(); w.set(L_EIP);
    g.br('done');
  }
  g.end(); // disp
  g.end(); // done: the instruction retired
  w.get(L_N).i32(1).add().tee(L_N).get(P_MAX).geS(); g.if_(); w.i32(EXIT_BUDGET).set(L_WHY); g.br('out'); g.end();
  // a block start? (fast-paths.ts makeInterpLoop; jit/block.ts blockSlot; CS base 0)
  g.loop('start');
  // (or the code ran on into the next page: see fast-paths.ts)
  w.get(P_NS).get(L_EIP).get(L_ST).sub().i32(1).sub().i32(15).geU().or().get(L_EIP).get(L_ST).xor().i32(0xfff).gtU().or(); g.if_();
  w.i32(0).set(P_NS);
  w.get(L_EIP).get(L_EIP).i32(SLOT_SHIFT).shrU().xor().i32(JIT_SLOTS - 1).and().set(L_H);
  w.get(L_H).i32(2).shl().load(A_BLK).tee(L_T); g.if_();
  passBy(g);
  enterBlock(g);
  w.i32(EXIT_BLOCK).set(L_WHY); g.br('out');
  g.end();
  w.get(L_H).i32(2).shl().load(A_HOTLIN).get(L_EIP).eq();
  g.select(() => { w.get(L_H).i32(1).shl().load16u(A_HOT).i32(1).add(); }, () => { w.i32(1); });
  w.tee(L_T).get(P_THR).gtS(); g.if_(); w.i32(EXIT_BLOCK).set(L_WHY); g.br('out'); g.end();
  w.get(L_H).i32(2).shl().get(L_EIP).store(A_HOTLIN).get(L_H).i32(1).shl().get(L_T).store16(A_HOT);
  g.end();
  g.end(); // start
  g.br('next');
  g.end(); // unsup: EIP back at the instruction's start
  w.get(L_ST).set(L_EIP).i32(EXIT_UNSUPPORTED).set(L_WHY);
  g.end().end(); // next, out
  w.i32(0).get(L_EIP).store(A_EIP).i32(0).get(L_WHY).store(A_IEXIT);
  w.i32(0).get(L_BN).store(A_WIB).i32(0).get(L_BE).store(A_WIE).get(L_N);
  return w.done();
}

/**
 * At a block start whose slot holds a block with no function (L_T < 0: cpu.ts slotCode) for this EIP, valid in this
 * TLB epoch, go on as Cpu.runChunk does there without returning to it: past no block start (an empty block) with the
 * next instruction a block start to look at; past a WebAssembly block waiting for its batch, not counted as a visit,
 * until the batch is due for its compile (A_FLUSH), when the run loop polls the tier. Anything else falls through to
 * enterBlock and the return. (A Linux boot returned here ~230 k times for these two: ~170 k for a waiting block.)
 */
function passBy(g: InterpWriter): void {
  const w = g.w;
  w.get(L_T).i32(0).ltS(); g.if_();
  w.i32(-1).get(L_T).sub().set(L_U); // epoch << 1 | kind
  w.get(L_H).i32(2).shl().load(A_BLKLIN).get(L_EIP).eq();
  w.get(L_U).i32(1).shrU().get(P_EPOCH).i32(SLOT_EPOCH_MASK).and().eq().and();
  g.if_();
  w.get(L_U).i32(1).and(); g.if_();
  w.get(L_N).i32(0).load(A_FLUSH).ltS(); g.brIf('next');
  g.else_();
  w.i32(1).set(P_NS); g.br('next');
  g.end();
  g.end();
  g.end();
}

/**
 * At a block start whose slot holds a WebAssembly block ready to run (L_T = 2 + its table index, Cpu.blk): when the
 * dispatcher's chaining table has it as valid in this TLB epoch at CS base 0, and it fits the budget, run it
 * through the dispatcher (and whatever chains from it), as the run loop would have (Cpu.runChunk, WasmTier.glue),
 * then look for a block where it left. A JS-to-WebAssembly round trip per block entered was ~400 k a Linux boot.
 * The run loop's own checks of the block (its code and page generations, the TLB entry of its page) all move the
 * epoch when they change, so an entry noted valid in this epoch still is (wasm-block.ts WasmTier.note).
 */
function enterBlock(g: InterpWriter): void {
  const w = g.w;
  w.get(L_T).i32(2).geS(); g.if_();
  w.get(L_EIP).get(L_EIP).i32(12).shrU().xor().i32(HT_SLOTS - 1).and().i32(HT_ENTRY).mul().set(L_U);
  w.get(L_U).load(A_HT).get(L_EIP).eq();
  w.get(L_U).load(A_HT + 4).eqz().and();
  w.get(L_U).load(A_HT + 8).get(L_T).i32(2).sub().eq().and();
  w.get(L_U).load(A_HT + 16).get(P_EPOCH).eq().and();
  w.get(L_U).load(A_HT + 12).get(P_MAX).get(L_N).sub().leS().and();
  g.if_();
  w.i32(0).get(L_N).store(A_TSCN); // what this call retired so far, for an RDTSC in the chain (emit.ts rdtsc)
  w.get(L_T).i32(2).sub().get(P_MAX).get(L_N).sub().get(P_ACC).i32(0).get(P_EPOCH).i32(0).call(F_RUN).set(L_T);
  w.get(L_N).get(L_T).add().set(L_N).get(L_BN).get(L_T).add().set(L_BN).get(L_BE).i32(1).add().set(L_BE);
  w.i32(0).load(A_EIP).set(L_EIP);
  w.get(L_N).get(P_MAX).geS(); g.if_(); w.i32(EXIT_BUDGET).set(L_WHY); g.br('out'); g.end();
  // the last block left before an instruction it leaves to the interpreter (emit.ts leaveBefore): run it here, as
  // the run loop would, before looking for a block (it may be the block just left)
  w.i32(0).load(A_STOP); g.brIf('next');
  w.i32(1).set(P_NS); g.br('start'); // where a block leaves, another may start
  g.end();
  g.end();
}

let module: WebAssembly.Module | null = null;
let compiling = false;

/**
 * The compiled module, made at the first use in the process; null while a host that refuses to compile it
 * synchronously (a browser's main thread: Chrome's limit is 4 KB) compiles it in the background, as the block tier
 * does its batches (wasm-block.ts flush). Until then the JavaScript interpreter runs everything.
 */
export function interpreterModule(): WebAssembly.Module | null {
  if (module !== null || compiling) return module;
  const bytes = buildInterpreterModule(LOCALS, body());
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    compiling = true;
    WebAssembly.compile(bytes).then((m) => { module = m; compiling = false; }, () => { compiling = false; });
  }
  return module;
}

/** Forget the compiled module (tests of a host that refuses a synchronous compile). */
export function clearInterpreterModule(): void {
  module = null;
}
