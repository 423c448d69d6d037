/**
 * The WebAssembly tier's code generator: decoded instructions (decode.ts) to the body of one WebAssembly function
 * `(max, acc, unused) -> retired`, which runs them against the arena (memory/wasm-arena.ts) exactly as the
 * interpreter would (`max`: the budget, `acc`: Tlb.acc; the third parameter's slot serves as a local).
 *
 * - Registers live in locals for the block's run, loaded at entry and stored at every exit.
 * - Flags follow the interpreter's lazy scheme (cpu-state.ts setLazy/setLogic/setShift): the kind, width and stale
 *   mask of the last producer are known here at compile time and its operands and result are locals. A block starts
 *   from the lazy state in the arena (the run loop's or the previous block's) and asks the dispatcher's `mat` for
 *   EFLAGS only if it reads a flag before setting one. A condition is computed from the locals; the exit state goes
 *   back to the arena for the glue (wasm-block.ts) or the next chained block.
 * - Memory is read and written through the TLB arrays in the arena when the entry allows the access and it stays on
 *   one page. Anything else (a TLB miss, an operand across a page, MMIO, a page holding code, a fault to come) leaves
 *   the block before the instruction with A_STOP set, and the interpreter runs it (see leaveBefore). So does an
 *   RDTSC that faults. A block never calls out but for the flags (`mat`), and never faults.
 * - Segments are flat (the glue runs a block only while CS, DS, ES and SS have base 0 and a 4 GiB limit and SS is
 *   32-bit), so an offset is the linear address and no limit check can fail on the fast path.
 * - Control: a Jcc's fall-through path goes on; its taken path goes on at the target when the block has that
 *   instruction (a label, see Gen.run), else leaves (a side exit). A direct JMP or CALL the block former followed
 *   (Insn.follow) goes on, and so does a RET to the predicted address; a direct branch to an instruction of the block
 *   goes to its label; other branches end the block. A block whose one such branch is its last instruction's, back
 *   to its start, is a plain loop (backEdge). Every branch to a label, and a long straight run every BUDGET_STEP
 *   instructions, checks the budget.
 */
import { A_BITS, A_CHAIN, A_DST, A_EIP, A_FLAGS, A_FSB, A_FSOK, A_GSB, A_GSOK, A_KIND, A_MASK, A_RAM, A_REGS, A_RES, A_SRC, A_STOP, A_TLB_R, A_TLB_W, A_TSC, A_TSCF, A_TSCN, A_TSCNS } from '../../../memory/wasm-arena.js';
import { FS } from '../../cpu-state.js';
import { isJcc, type Insn } from './decode.js';
import { pushTsc, WasmWriter } from './wasm-writer.js';

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF, SZP = SF | ZF | PF;
const K_ADD = 0, K_SUB = 1, K_LOGIC = 2;
const SS = 2;

/** imported functions, in import order (wasm-block.ts supplies them) */
export const IMPORTS = [
  { name: 'mat', type: { params: 0, results: 1 } }, // EFLAGS from the lazy state in the arena (the dispatcher's)
] as const;
const F_MAT = 0;
/** the static flag state at a block's start: whatever the arena holds (the run loop's or the previous block's) */
const UNKNOWN = -1;
/**
 * ...and at a loop head or a label, where every edge in made CF not lazy first (settleCF): CF is L_FL's bit 0, the
 * other flags whatever the locals hold. (As a mask it has CF clear and every other bit set, so `mask & CF` reads it.)
 */
const UNKNOWN_NC = -2;

// locals: parameters, then the registers and scratch
const P_MAX = 0, P_ACC = 1, P_UNUSED = 2;
const L_R = 3; // EAX..EDI: 3..10
const L_N = 11, L_FD = 12, L_FS = 13, L_FR = 14, L_LA = 15, L_E = 16, L_V = 17, L_T = 18, L_XEIP = 19;
/** the lazy-flag state at run time (mask, kind, width): what an exit stores */
const L_MASK = 20, L_KIND = 21, L_BITS = 22;
/** a count or carry */
const L_C = 23;
/** the label a branch inside the block goes to (see Gen.run) */
const L_TGT = 24;
/** leaveBefore's packing: the count in the low STOP_K_BITS (MAX_INSNS is 2,000), the EIP's offset above it */
const STOP_K_BITS = 11;
const STOP_OFF_MAX = 1 << (31 - STOP_K_BITS);
/** instructions between a long block's budget checks (see Gen.run) */
export const BUDGET_STEP = 64;
/** extra locals after the three parameters */
export const LOCALS = 22;
const L_FL = P_UNUSED; // EFLAGS (with the lazy mask's bits stale) in the third parameter's slot

/**
 * The function body for `insns`, the block wasm-block.ts formBlock formed (every instruction one decode.ts knows, the
 * last one where the block ends); null if an instruction has no code here (a bug of the decoder's table).
 */
export function emitBlock(insns: readonly Insn[]): Uint8Array | null {
  const g = new Gen(insns);
  return g.run() ? g.done() : null;
}

class Gen {
  readonly w = new WasmWriter();
  // the lazy-flag state after the instructions emitted so far, as known at compile time (UNKNOWN: in the locals only)
  private mask = UNKNOWN;
  private kind = K_ADD;
  private bits = 32;
  /** the last producer was ADC/SBB: CF and the conditions come from the general formulas, not an operand compare */
  private carry = false;
  /** block nesting inside the loop (br depth to the exit block is depth + 1) */
  private depth = 0;
  private i = 0;
  /** what the flag-state locals (L_MASK, L_KIND, L_BITS) hold here, where known (NaN: not known; see state) */
  private readonly held = [NaN, NaN, NaN];
  /**
   * A bit per register the block reads or writes (kept in a local, loaded on entry) and per register it writes
   * (stored on exit); the others stay in the arena untouched. A block transition (11.5 M in a Linux boot) loaded and
   * stored all eight.
   */
  private used = 0;
  private written = 0;
  /**
   * Branches inside the block (see run): the label of each instruction a branch goes to (-1: none), whether the
   * block has any, whether a branch goes back to a label other than the first (then the loop head dispatches on
   * L_TGT), the label blocks still open around the code being emitted, the label of the straight run being emitted
   * and where it began (L_N counts the instructions retired before it).
   */
  private labelOf: Int32Array = new Int32Array(0);
  private readonly index = new Map<number, number>();
  private labelled = false;
  /** no labels, and the last instruction branches back to the first (backEdge) */
  private loops = false;
  private dispatch = false;
  private outer = 0;
  private cur = 0;
  private seg = 0;
  constructor(private readonly insns: readonly Insn[]) {}

  /** The function body: the used registers loaded, then what run() wrote. */
  done(): Uint8Array {
    const head = new WasmWriter();
    for (let r = 0; r < 8; r++) if (this.used & (1 << r)) head.i32(0).load(A_REGS + 4 * r).set(L_R + r);
    return head.bytes(this.w.done()).done();
  }

  run(): boolean {
    const w = this.w;
    // the lazy flags as the run loop or the previous block left them (the registers: see done)
    w.i32(0).load(A_FLAGS).set(L_FL).i32(0).load(A_MASK).set(L_MASK).i32(0).load(A_KIND).set(L_KIND);
    w.i32(0).load(A_BITS).set(L_BITS).i32(0).load(A_DST).set(L_FD).i32(0).load(A_SRC).set(L_FS).i32(0).load(A_RES).set(L_FR);
    const n = this.insns.length;
    const labels = this.findLabels();
    // a block that branches inside itself starts its first instruction, a loop head, as at a label
    if ((this.labelled || this.loops) && this.readsCF(0)) { this.settleCF(); this.mask = UNKNOWN_NC; }
    w.block().block().loop(); // the exit, the leave-before tail (see leaveBefore), the loop
    if (this.labelled) {
      // One WebAssembly block per label after the first, the second's innermost: the code after block k's end is
      // label k's instruction, so a branch forward to it leaves the block (br). A branch back to the first label
      // goes round the loop, whose head the first instruction follows. A branch back to another label sets L_TGT
      // and goes round to a br_table over the labels (then the first label has a block too, innermost; L_TGT is 0
      // on entry: locals start at 0).
      for (let k = labels - 1; k > 0; k--) w.block();
      this.outer = labels - 1;
      if (this.dispatch) { w.block().get(L_TGT).brTable(Array.from({ length: labels }, (_, k) => k), 0).end(); }
    }
    for (this.i = 0; this.i < n; this.i++) {
      const ins = this.insns[this.i]!;
      const label = this.labelled ? this.labelOf[this.i]! : -1;
      if (label > 0) {
        // a label: the straight run before it falls through (its instructions counted), and here any path may
        // arrive, so the flag state is what the locals hold (as at a loop head)
        if (this.i > this.seg) w.get(L_N).i32(this.i - this.seg).add().set(L_N);
        const nc = this.readsCF(this.i);
        if (nc) this.settleCF();
        w.end(); this.outer--;
        this.cur = label; this.seg = this.i;
        this.mask = nc ? UNKNOWN_NC : UNKNOWN; this.carry = false; this.held.fill(NaN);
      }
      const last = this.i === n - 1;
      // a long block checks the budget every BUDGET_STEP instructions, so the run loop may enter it with that many
      // left (Block.minBudget): it leaves before instruction i when the next stretch would not fit
      if (this.i !== 0 && this.i % BUDGET_STEP === 0) {
        w.get(L_N).i32(this.i - this.seg + Math.min(BUDGET_STEP, n - this.i)).add().get(P_MAX).gtS().if_(); this.depth++;
        this.exit(ins.eip, this.i - this.seg);
        w.end(); this.depth--;
      }
      if (!this.insn(ins)) return false;
      // where the next instruction of the block is not this one's successor (the end of a path), go there
      if (!ends(ins)) {
        const to = ins.follow >= 0 ? ins.follow : ins.next;
        if (last || this.insns[this.i + 1]!.eip !== to) this.goto(to, this.i + 1 - this.seg);
      }
    }
    w.end().br(1).end(); // (nothing falls off the loop's end: every path leaves or goes round)
    // the leave-before tail: EIP from the block's first and the offset packed with the count (leaveBefore), A_STOP
    w.i32(this.insns[0]!.eip).get(L_C).i32(STOP_K_BITS).shrS().add().set(L_XEIP);
    w.get(L_N).get(L_C).i32((1 << STOP_K_BITS) - 1).and().add().set(L_N);
    w.i32(0).i32(1).store(A_STOP);
    w.end();
    // the exit block: the registers written and the flag state to the arena, EIP, and the count
    for (let r = 0; r < 8; r++) if (this.written & (1 << r)) w.i32(0).get(L_R + r).store(A_REGS + 4 * r);
    this.storeFlags();
    w.i32(0).get(L_XEIP).store(A_EIP);
    w.get(L_N);
    return true;
  }

  /**
   * The instructions a branch of the block goes to (a Jcc's target, a direct JMP's or CALL's, a path's successor)
   * that are themselves in the block get labels, numbered in block order, the first instruction's 0. A block whose
   * only such branch is its last instruction's back to its start keeps the plain loop (backEdge) instead. Returns
   * the number of labels.
   */
  private findLabels(): number {
    const insns = this.insns, n = insns.length, at = this.index;
    insns.forEach((ins, i) => at.set(ins.eip, i));
    const target = new Int32Array(n).fill(-1);
    let inner = false;
    const back: number[] = [];
    const to = (from: number, eip: number): void => {
      const j = at.get(eip);
      if (j === undefined) return;
      target[j] = 1;
      if (j !== 0 || from !== n - 1) inner = true;
      if (j > 0 && j <= from) back.push(j);
    };
    insns.forEach((ins, i) => {
      const op = ins.op;
      if (isJcc(op)) to(i, ins.imm);
      else if ((op === 0xe8 || op === 0xe9 || op === 0xeb) && ins.follow < 0) to(i, ins.imm);
      if (!ends(ins)) {
        const s = ins.follow >= 0 ? ins.follow : ins.next;
        if (i === n - 1 || insns[i + 1]!.eip !== s) to(i, s);
      }
    });
    this.labelled = inner;
    // (a JMP or CALL the block former followed never goes to the start: the start is in the block already)
    const end = insns[n - 1]!;
    this.loops = !inner && isBranch(end) && end.imm === insns[0]!.eip;
    if (!inner) return 0;
    target[0] = 1;
    let k = 0;
    for (let i = 0; i < n; i++) if (target[i] === 1) target[i] = k++;
    this.labelOf = target;
    this.dispatch = back.length > 0;
    return k;
  }

  /**
   * Go on at `eip` having retired `k` instructions of the straight run: at its label when the block has it (while
   * the budget allows the stretch from there), else leave. In a block without labels, a branch to the start from
   * its last instruction is the loop's back edge.
   */
  private goto(eip: number, k: number): void {
    const w = this.w, n = this.insns.length;
    if (!this.labelled) {
      if (this.loops && this.i === n - 1 && eip === this.insns[0]!.eip) this.backEdge(); else this.exit(eip, k);
      return;
    }
    const j = this.index.get(eip);
    const q = j === undefined ? -1 : this.labelOf[j]!;
    if (q < 0) { this.exit(eip, k); return; }
    if (k !== 0) w.get(L_N).i32(k).add().set(L_N);
    if (this.readsCF(j!)) this.settleCF();
    // The budget, for the stretch from the label: where the branch goes back (a loop), or forward past an
    // instruction that checks it every BUDGET_STEP (index a multiple of it), which the branch skips. A branch
    // forward within a stretch runs fewer instructions than the stretch's check allowed.
    const forward = q > this.cur;
    if (!forward || Math.floor(this.i / BUDGET_STEP) !== Math.floor((j! - 1) / BUDGET_STEP)) {
      w.get(L_N).i32(Math.min(BUDGET_STEP, n - j!)).add().get(P_MAX).gtS().if_(); this.depth++;
      this.exit(eip, 0);
      w.end(); this.depth--;
    }
    if (forward) w.br(this.depth + q - this.cur - 1); // out of the label's block: its end is the label
    else if (q === 0 && !this.dispatch) w.br(this.depth + this.outer); // round the loop: the first instruction
    else w.i32(q).set(L_TGT).br(this.depth + this.outer); // round the loop to the br_table
  }

  // ---------------------------------------------------------------- exits and calls

  /** Leave to `eip` having retired `k` instructions of this iteration. */
  private exit(eip: number, k: number): void {
    const w = this.w;
    w.i32(eip).set(L_XEIP);
    if (k !== 0) w.get(L_N).i32(k).add().set(L_N);
    w.br(this.depth + this.outer + 2);
  }
  /** Leave to the EIP in local L_T (RET). */
  private exitTo(k: number): void {
    const w = this.w;
    w.get(L_T).set(L_XEIP);
    if (k !== 0) w.get(L_N).i32(k).add().set(L_N);
    w.br(this.depth + this.outer + 2);
  }
  private storeFlags(): void {
    const w = this.w;
    w.i32(0).get(L_FL).store(A_FLAGS);
    w.i32(0).get(L_MASK).store(A_MASK).i32(0).get(L_KIND).store(A_KIND).i32(0).get(L_BITS).store(A_BITS);
    w.i32(0).get(L_FD).store(A_DST).i32(0).get(L_FS).store(A_SRC).i32(0).get(L_FR).store(A_RES);
  }
  /**
   * The flag state after the instruction being emitted: known here, and in the locals for exits. A local that holds
   * the value already is not set again (a Linux boot's blocks: ~7,000 of these sets, mostly the same mask or width as
   * the producer before). What the locals hold is known only in straight-line code at the top level (depth 0): after
   * an arm that set them they may hold either value, and at the loop head (the first instruction) they hold the
   * entry's state or the previous iteration's. So a state set inside an arm is not remembered.
   */
  private state(mask: number, kind: number, bits: number): void {
    const w = this.w, h = this.held, top = this.depth === 0;
    if (!top || h[0] !== mask) w.i32(mask).set(L_MASK);
    if (!top || h[1] !== kind) w.i32(kind).set(L_KIND);
    if (!top || h[2] !== bits) w.i32(bits).set(L_BITS);
    if (top) { h[0] = mask; h[1] = kind; h[2] = bits; } else h.fill(NaN);
    this.mask = mask; this.kind = kind; this.bits = bits; this.carry = false;
  }
  /**
   * Leave before `ins`, the interpreter to run it: its operand is not in the TLB arrays for this access (a miss, a
   * page holding code, MMIO, a fault to come) or runs across a page, or it is an RDTSC that faults. A_STOP tells
   * the dispatcher to chain no further and whoever entered the chain (the run loop, the WebAssembly interpreter) to
   * run the instruction before looking for a block, which may be this one. Nothing of `ins` has happened yet, and
   * the locals hold the state after the instructions before it. A Linux boot takes this path ~1,400 times (Debian's
   * ~6,000) of its 0.4 M (10.9 M) block entries: the call out it replaces (the whole state stored, the CPU's own
   * slow path) made up a fifth of a block's code.
   */
  private leaveBefore(ins: Insn): void {
    // One constant and a branch to the tail after the loop (its EIP's offset from the block's first and the count
    // packed), instead of the whole exit here: a block has one of these per memory operand, and inline they were a
    // quarter of its code. An offset too far for the packing (a followed CALL ~1 MB away) leaves inline.
    const off = ins.eip - this.insns[0]!.eip, k = this.i - this.seg;
    if (off >= -STOP_OFF_MAX && off < STOP_OFF_MAX && k < 1 << STOP_K_BITS) {
      this.w.i32(off * (1 << STOP_K_BITS) + k).set(L_C).br(this.depth + this.outer + 1);
      return;
    }
    this.w.i32(0).i32(1).store(A_STOP);
    this.exit(ins.eip, k);
  }

  // ---------------------------------------------------------------- registers

  private r32(r: number): void { this.used |= 1 << r; this.w.get(L_R + r); }
  /** set register r from the value on the stack */
  private setR32(r: number): void { this.used |= 1 << r; this.written |= 1 << r; this.w.set(L_R + r); }
  private r8(r: number): void {
    const w = this.w;
    this.used |= 1 << (r & 3);
    if (r < 4) w.get(L_R + r).i32(0xff).and();
    else w.get(L_R + r - 4).i32(8).shrU().i32(0xff).and();
  }
  /** set byte register r from local `from` */
  private setR8(r: number, from: number): void {
    const w = this.w, k = r & 3;
    if (r < 4) w.get(L_R + k).i32(~0xff).and().get(from).i32(0xff).and().or();
    else w.get(L_R + k).i32(~0xff00).and().get(from).i32(0xff).and().i32(8).shl().or();
    this.setR32(k);
  }
  private rdReg(bits: number, r: number): void {
    if (bits === 8) this.r8(r); else if (bits === 16) { this.r32(r); this.w.i32(0xffff).and(); } else this.r32(r);
  }
  private wrReg(bits: number, r: number, from: number): void {
    const w = this.w;
    if (bits === 8) this.setR8(r, from);
    else if (bits === 16) { w.get(L_R + r).i32(~0xffff).and().get(from).i32(0xffff).and().or(); this.setR32(r); }
    else { w.get(from); this.setR32(r); }
  }

  // ---------------------------------------------------------------- memory

  /** the effective address of `ins.ea` into L_LA */
  private ea(ins: Insn): void {
    const w = this.w, e = ins.ea!;
    let any = false;
    if (e.base >= 0) { this.r32(e.base); any = true; }
    if (e.index >= 0) {
      this.r32(e.index);
      if (e.scale !== 0) w.i32(e.scale).shl();
      if (any) w.add();
      any = true;
    }
    if (!any) w.i32(e.disp);
    else if (e.disp !== 0) w.i32(e.disp).add();
    w.set(L_LA);
    // FS or GS: the linear address is the offset plus the base the arena has (memory/wasm-arena.ts A_FSB, A_GSB)
    if (e.seg >= FS) w.i32(0).load(e.seg === FS ? A_FSB : A_GSB).get(L_LA).add().set(L_LA);
  }
  /**
   * The fast path's test for `size` bytes at L_LA through TLB array `tlb`, and for an FS or GS operand also that the
   * segment is flat but for its base (A_FSOK, A_GSOK: else its limit and checks are the slow path's)
   */
  private slow(seg: number, tlb: number, size: number): void {
    this.slowTest(tlb, size);
    if (seg >= FS) this.w.i32(0).load(seg === FS ? A_FSOK : A_GSOK).eqz().or();
  }
  /** Is the TLB entry for L_LA (read or write array) unusable for `size` bytes? Leaves the entry in L_E. */
  private slowTest(tlb: number, size: number): void {
    const w = this.w;
    w.get(L_LA).i32(12).shrU().i32(2).shl().load(tlb).tee(L_E).get(P_ACC).and().eqz();
    if (size > 1) w.get(L_LA).i32(0xfff).and().i32(0x1000 - size).gtU().or();
  }
  private ramAddr(): void {
    this.w.get(L_E).i32(~0xfff).and().get(L_LA).i32(0xfff).and().or();
  }
  private ramLoad(size: number): void {
    if (size === 1) this.w.load8u(A_RAM); else if (size === 2) this.w.load16u(A_RAM); else this.w.load(A_RAM);
  }
  /** Push the `size`-byte value at L_LA (segment `seg`); `rmw`: through the write translation. */
  private load(ins: Insn, seg: number, size: number, rmw: boolean): void {
    this.slow(seg, rmw ? A_TLB_W : A_TLB_R, size);
    this.w.if_(); this.depth++;
    this.leaveBefore(ins);
    this.w.end(); this.depth--;
    this.ramAddr(); this.ramLoad(size);
  }
  /**
   * Store local `from` (`size` bytes) at L_LA. `checked`: the read of a read-modify-write (rmw) passed the same test
   * on the same entry (the write array, L_E) for the same bytes, and nothing since has changed the arrays, so the
   * store cannot leave: the instruction may have set its flags by now, and the test is not made again.
   */
  private storeMem(ins: Insn, seg: number, size: number, from: number, checked: boolean): void {
    const w = this.w;
    if (!checked) {
      this.slow(seg, A_TLB_W, size);
      w.if_(); this.depth++;
      this.leaveBefore(ins);
      w.end(); this.depth--;
    }
    this.ramAddr(); w.get(from);
    if (size === 1) w.store8(A_RAM); else if (size === 2) w.store16(A_RAM); else w.store(A_RAM);
  }

  /** Push the r/m operand (`bits` wide); `rmw`: the read of a read-modify-write (L_LA stays for the write). */
  private rdE(ins: Insn, bits: number, rmw = false): void {
    if (ins.ea === null) { this.rdReg(bits, ins.rm); return; }
    this.ea(ins);
    this.load(ins, ins.ea.seg, bits >> 3, rmw);
  }
  /** Write local `from` to the r/m operand (after rdE with rmw, or computing the address here). */
  private wrE(ins: Insn, bits: number, from: number, addressed: boolean): void {
    if (ins.ea === null) { this.wrReg(bits, ins.rm, from); return; }
    if (!addressed) this.ea(ins);
    this.storeMem(ins, ins.ea.seg, bits >> 3, from, addressed);
  }

  // ---------------------------------------------------------------- stack (SS is flat and 32-bit)

  private push(ins: Insn, from: number): void {
    const w = this.w;
    this.r32(4); w.i32(4).sub().set(L_LA);
    this.storeMem(ins, SS, 4, from, false);
    w.get(L_LA); this.setR32(4);
  }
  /** pop into the stack top, leaving the value pushed */
  private pop(ins: Insn): void {
    const w = this.w;
    this.r32(4); w.set(L_LA);
    this.load(ins, SS, 4, false);
    this.r32(4); w.i32(4).add(); this.setR32(4);
  }

  // ---------------------------------------------------------------- flags

  private cf(): void {
    if (this.mask === UNKNOWN_NC) { this.w.get(L_FL).i32(1).and(); return; }
    if (this.mask === UNKNOWN) { this.runtimeFlag(CF); return; }
    const w = this.w;
    if ((this.mask & CF) === 0) { w.get(L_FL).i32(1).and(); return; }
    if (this.kind === K_LOGIC) { w.i32(0); return; }
    if (this.bits === 32 && !this.carry) {
      if (this.kind === K_ADD) w.get(L_FR).get(L_FD).ltU(); else w.get(L_FD).get(L_FS).ltU();
      return;
    }
    // carry (borrow) out of the top bit: cpu-state.ts getCF
    if (this.kind === K_ADD) w.get(L_FD).get(L_FS).and().get(L_FD).get(L_FS).or().get(L_FR).i32(-1).xor().and().or();
    else w.get(L_FD).i32(-1).xor().get(L_FS).and().get(L_FD).i32(-1).xor().get(L_FS).or().get(L_FR).and().or();
    w.i32(this.bits - 1).shrU().i32(1).and();
  }
  private zf(): void {
    if (this.mask < 0) { this.runtimeFlag(ZF); return; }
    const w = this.w;
    if ((this.mask & ZF) === 0) { w.get(L_FL).i32(6).shrU().i32(1).and(); return; }
    w.get(L_FR);
    if (this.bits !== 32) w.i32(32 - this.bits).shl();
    w.eqz();
  }
  private sf(): void {
    if (this.mask < 0) { this.runtimeFlag(SF); return; }
    const w = this.w;
    if ((this.mask & SF) === 0) { w.get(L_FL).i32(7).shrU().i32(1).and(); return; }
    w.get(L_FR).i32(this.bits - 1).shrU().i32(1).and();
  }
  private of(): void {
    if (this.mask < 0) { this.runtimeFlag(OF); return; }
    const w = this.w;
    if ((this.mask & OF) === 0) { w.get(L_FL).i32(11).shrU().i32(1).and(); return; }
    if (this.kind === K_LOGIC) { w.i32(0); return; }
    if (this.kind === K_ADD) w.get(L_FD).get(L_FR).xor().get(L_FS).get(L_FR).xor().and();
    else w.get(L_FD).get(L_FS).xor().get(L_FD).get(L_FR).xor().and();
    w.i32(this.bits - 1).shrU().i32(1).and();
  }
  private pf(): void {
    if (this.mask < 0) { this.runtimeFlag(PF); return; }
    const w = this.w;
    if ((this.mask & PF) === 0) { w.get(L_FL).i32(2).shrU().i32(1).and(); return; }
    w.get(L_FR).i32(0xff).and().popcnt().i32(1).and().i32(1).xor(); // even parity
  }
  private af(): void {
    if (this.mask < 0) { this.runtimeFlag(AF); return; }
    const w = this.w;
    if ((this.mask & AF) === 0) { w.get(L_FL).i32(4).shrU().i32(1).and(); return; }
    if (this.kind === K_LOGIC) { w.i32(0); return; }
    w.get(L_FD).get(L_FS).xor().get(L_FR).xor().i32(4).shrU().i32(1).and();
  }
  /**
   * Push flag `bit` (0 or 1) where the producer is not known here (a block's start, a label): from the lazy state the
   * locals hold at run time, as cpu-state.ts getCF & co. (and the dispatcher's `mat`) compute it, with the general
   * carry and overflow formulas, which hold for ADC/SBB too; the stale bit from L_FL where L_MASK says it is not
   * lazy. Inline, no call: a loop whose label is followed by DEC (CF kept) or a Jcc called `mat` every iteration.
   */
  private runtimeFlag(bit: number): void {
    const w = this.w;
    const top = (): void => { w.get(L_BITS).i32(1).sub().shrU().i32(1).and(); }; // bit bits-1 of the value on the stack
    const notLogic = (): void => { w.get(L_KIND).i32(K_LOGIC).ne(); };
    switch (bit) {
      case CF: // LOGIC: 0; ADD: carry out; SUB: borrow out
        w.get(L_FD).get(L_FS).and().get(L_FD).get(L_FS).or().get(L_FR).i32(-1).xor().and().or();
        w.get(L_FD).i32(-1).xor().get(L_FS).and().get(L_FD).i32(-1).xor().get(L_FS).or().get(L_FR).and().or();
        w.get(L_KIND).eqz().select(); top(); notLogic(); w.and();
        break;
      case OF:
        w.get(L_FD).get(L_FR).xor().get(L_FS).get(L_FR).xor().and();
        w.get(L_FD).get(L_FS).xor().get(L_FD).get(L_FR).xor().and();
        w.get(L_KIND).eqz().select(); top(); notLogic(); w.and();
        break;
      case AF: w.get(L_FD).get(L_FS).xor().get(L_FR).xor().i32(4).shrU().i32(1).and(); notLogic(); w.and(); break;
      case ZF: w.get(L_FR).i32(32).get(L_BITS).sub().shl().eqz(); break;
      case SF: w.get(L_FR); top(); break;
      default: w.get(L_FR).i32(0xff).and().popcnt().i32(1).and().i32(1).xor(); break; // PF: even parity
    }
    w.get(L_FL).i32(31 - Math.clz32(bit)).shrU().i32(1).and();
    w.get(L_MASK).i32(bit).and().select();
  }
  /**
   * Whether the straight run from instruction `j` reads CF before an instruction sets it from its own result (INC/DEC
   * keep it, ADC/SBB and a condition on it read it; shifts, rotates, IMUL, BT and PUSHF are taken as reading it).
   * There, edges in make CF not lazy (settleCF) and the code after compiles for UNKNOWN_NC; elsewhere for UNKNOWN, so
   * a block entered millions of times does not work CF out on entry for nothing.
   */
  private readsCF(j: number): boolean {
    const insns = this.insns, n = insns.length;
    for (let i = j; i < n; i++) {
      const ins = insns[i]!, op = ins.op, r = ins.reg;
      if (op < 0x40 && (op & 7) < 6) return (op >> 3) === 2 || (op >> 3) === 3; // ADC SBB read it; the others set it
      if (op >= 0x80 && op <= 0x83) return r === 2 || r === 3;
      if (op === 0x84 || op === 0x85 || op === 0xa8 || op === 0xa9) return false; // TEST
      if ((op === 0xf6 || op === 0xf7) && r !== 2) return r !== 0 && r !== 1 && r !== 3; // TEST, NEG set it (NOT: no flags)
      if ((op >= 0x40 && op < 0x50) || ((op === 0xfe || op === 0xff) && r < 2)) return true; // INC/DEC keep it
      const cc = (op >= 0x70 && op < 0x80) || (op >= 0x180 && op < 0x1a0) || (op >= 0x140 && op < 0x150);
      if (cc && ((op & 15) >> 1 === 1 || (op & 15) >> 1 === 3)) return true; // B/AE, BE/A
      if (op === 0xc1 || op === 0xd1 || op === 0xd3 || op === 0x9c || op === 0x69 || op === 0x6b || op === 0x1af ||
        op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb || op === 0x1ba) return true;
      // no flags touched: on along the run while it goes on in the block's order, to the next label
      const to = ins.follow >= 0 ? ins.follow : ins.next;
      if (ends(ins) || i + 1 >= n || insns[i + 1]!.eip !== to || (this.labelled && this.labelOf[i + 1]! >= 0)) return false;
    }
    return false;
  }
  /**
   * Make CF not lazy at run time (L_FL's bit 0 holds it) on an edge into a loop head or a label, which are
   * compiled for UNKNOWN_NC: an INC/DEC or ADC/SBB there reads CF from L_FL instead of working it out from a producer
   * not known here. The compile-time state is left as it is (the edge may be a branch out of a conditional arm).
   */
  private settleCF(): void {
    const w = this.w, m = this.mask;
    if (m === UNKNOWN_NC || (m >= 0 && (m & CF) === 0)) return;
    w.get(L_FL).i32(~CF).and();
    this.cf();
    w.or().set(L_FL);
    // (L_MASK may go on calling CF lazy: its operands give the value just stored, until a producer sets L_MASK again)
  }
  /**
   * EFLAGS complete in L_FL (cpu-state.ts getFlags). Where the producer is not known here (a block's start, a label),
   * the dispatcher's `mat` computes them from the lazy state the locals hold (PUSHF and the like: rare enough for a call).
   */
  private materialize(): void {
    if (this.mask < 0) {
      this.storeFlags();
      this.w.call(F_MAT).set(L_FL);
      this.state(0, K_ADD, 32);
    }
    if (this.mask === 0) return;
    const w = this.w, m = this.mask, logic = this.kind === K_LOGIC; // (a logical result clears CF, AF and OF)
    w.get(L_FL).i32(~m).and();
    if (m & CF && !logic) { this.cf(); w.or(); }
    if (m & PF) { this.pf(); w.i32(2).shl().or(); }
    if (m & AF && !logic) { this.af(); w.i32(4).shl().or(); }
    if (m & ZF) { this.zf(); w.i32(6).shl().or(); }
    if (m & SF) { this.sf(); w.i32(7).shl().or(); }
    if (m & OF && !logic) { this.of(); w.i32(11).shl().or(); }
    w.set(L_FL);
    this.state(0, this.kind, this.bits);
  }
  /** Push condition `cc` (Jcc's low nibble) as 0 or 1. */
  private cond(cc: number): void {
    const w = this.w, base = cc >> 1;
    const full = this.mask === ARITH && this.bits === 32 && !this.carry;
    if (full && this.kind === K_SUB && base !== 0 && base !== 4 && base !== 5) {
      // after CMP/SUB: compare the operands (Intel SDM Vol. 1 Table B-1)
      if (base === 2) w.get(L_FR).eqz();
      else {
        w.get(L_FD).get(L_FS);
        if (base === 1) w.ltU(); else if (base === 3) w.leU(); else if (base === 6) w.ltS(); else w.leS();
      }
    } else if (full && this.kind === K_LOGIC && base !== 5 && base !== 0) {
      if (base === 1) w.i32(0);
      else if (base === 2 || base === 3) w.get(L_FR).eqz();
      else if (base === 4 || base === 6) w.get(L_FR).i32(0).ltS();
      else w.get(L_FR).i32(0).leS();
    } else {
      switch (base) {
        case 0: this.of(); break;
        case 1: this.cf(); break;
        case 2: this.zf(); break;
        case 3: this.cf(); this.zf(); w.or(); break;
        case 4: this.sf(); break;
        case 5: this.pf(); break;
        case 6: this.sf(); this.of(); w.xor(); break;
        default: this.zf(); this.sf(); this.of(); w.xor(); w.or(); break;
      }
    }
    if (cc & 1) w.eqz();
  }
  private setLazy(kind: number, bits: number): void { this.state(ARITH, kind, bits); }
  /**
   * The flags in `bits` (CF among them) were just written to L_FL from the instruction's own result: no longer lazy,
   * the others as they were (the producer known here: mask >= 0). state() forgets an ADC/SBB producer's carry, which
   * only a lazy CF reads (cf, cond).
   */
  private notLazy(bits: number): void {
    this.state(this.mask & ~bits, this.kind, this.bits);
  }

  // ---------------------------------------------------------------- instructions

  /** Emit one instruction; false if it cannot be compiled here. */
  private insn(ins: Insn): boolean {
    const w = this.w, op = ins.op;
    // ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iv (ADD OR AND SUB XOR CMP)
    const vb = ins.os16 ? 16 : 32;
    if (op < 0x40 && (op & 7) < 6) {
      const aop = op >> 3, bits = op & 1 ? vb : 8, form = (op & 7) >> 1;
      const reg = (r: number) => (): void => { this.rdReg(bits, r); };
      if (form === 0) { // E op= G
        this.alu(aop, bits, this.operandE(ins, bits, aop !== 7, L_T), reg(ins.reg));
        if (aop !== 7) this.wrE(ins, bits, L_FR, true);
      } else if (form === 1) { // G op= E
        this.alu(aop, bits, reg(ins.reg), this.operandE(ins, bits, false, L_V));
        if (aop !== 7) this.wrReg(bits, ins.reg, L_FR);
      } else { // accumulator, immediate
        this.alu(aop, bits, reg(0), () => { w.i32(ins.imm); });
        if (aop !== 7) this.wrReg(bits, 0, L_FR);
      }
      return true;
    }
    if (op >= 0x40 && op < 0x50) { // INC/DEC r32/r16
      this.rdReg(vb, op & 7); w.set(L_T);
      this.incDec(op >= 0x48, vb);
      this.wrReg(vb, op & 7, L_FR);
      return true;
    }
    if (op >= 0xb0 && op < 0xc0) { // MOV r, imm
      w.i32(ins.imm).set(L_V);
      this.wrReg(op < 0xb8 ? 8 : vb, op & 7, L_V);
      return true;
    }
    if (op >= 0x50 && op < 0x58) { this.r32(op & 7); w.set(L_V); this.push(ins, L_V); return true; }
    if (op >= 0x58 && op < 0x60) { this.pop(ins); this.setR32(op & 7); return true; }
    if (op === 0x68 || op === 0x6a) { w.i32(ins.imm).set(L_V); this.push(ins, L_V); return true; }
    if (isJcc(op)) {
      this.cond(op & 15);
      w.if_(); this.depth++;
      this.goto(ins.imm, this.i + 1 - this.seg);
      w.end(); this.depth--;
      return true;
    }
    switch (op) {
      case 0x80: case 0x81: case 0x83: {
        const bits = op === 0x80 ? 8 : vb;
        this.alu(ins.reg, bits, this.operandE(ins, bits, ins.reg !== 7, L_T), () => { w.i32(ins.imm); });
        if (ins.reg !== 7) this.wrE(ins, bits, L_FR, true);
        return true;
      }
      case 0x84: case 0x85: { // TEST E, G
        const bits = op === 0x84 ? 8 : vb;
        this.rdE(ins, bits); this.rdReg(bits, ins.reg); w.and().set(L_FR);
        this.setLazy(K_LOGIC, bits);
        return true;
      }
      case 0x86: case 0x87: { // XCHG E, G (a memory operand: a locked read-modify-write)
        const bits = op === 0x86 ? 8 : 32;
        this.rdE(ins, bits, true); w.set(L_T);
        this.rdReg(bits, ins.reg); w.set(L_V);
        this.wrE(ins, bits, L_V, true);
        this.wrReg(bits, ins.reg, L_T);
        return true;
      }
      case 0x88: case 0x89: { const bits = op === 0x88 ? 8 : vb; this.rdReg(bits, ins.reg); w.set(L_V); this.wrE(ins, bits, L_V, false); return true; }
      case 0x8a: case 0x8b: { const bits = op === 0x8a ? 8 : vb; this.rdE(ins, bits); w.set(L_V); this.wrReg(bits, ins.reg, L_V); return true; }
      case 0x8d: this.ea(ins); w.get(L_LA); this.setR32(ins.reg); return true;
      case 0x90: return true;
      case 0x99: this.r32(0); w.i32(31).shrS(); this.setR32(2); return true;
      case 0xa8: case 0xa9: this.rdReg(op === 0xa8 ? 8 : vb, 0); w.i32(ins.imm).and().set(L_FR); this.setLazy(K_LOGIC, op === 0xa8 ? 8 : vb); return true;
      case 0x9c: // PUSHF: EFLAGS without VM and RF (ops-system.ts pushf; VM is never set in flat 32-bit code)
        this.materialize();
        w.get(L_FL).i32(~0x30000).and().set(L_V); this.push(ins, L_V);
        return true;
      case 0xa0: case 0xa1: { const bits = op === 0xa0 ? 8 : 32; this.rdE(ins, bits); w.set(L_V); this.wrReg(bits, 0, L_V); return true; }
      case 0xa2: case 0xa3: { const bits = op === 0xa2 ? 8 : 32; this.rdReg(bits, 0); w.set(L_V); this.wrE(ins, bits, L_V, false); return true; }
      case 0xa4: case 0xa5: case 0xaa: case 0xab: case 0xac: case 0xad: return this.string(ins);
      case 0x69: case 0x6b: case 0x1af: return this.imul(ins);
      case 0x131: return this.rdtsc(ins);
      case 0xd3: return this.shiftCl(ins);
      case 0x1a3: case 0x1ab: case 0x1b3: case 0x1bb: case 0x1ba: return this.bitTest(ins);
      case 0xc1: case 0xd1: return ins.os16 ? this.shift16(ins, op === 0xd1 ? 1 : ins.imm) : this.shift(ins, op === 0xd1 ? 1 : ins.imm);
      case 0xc3:
        this.pop(ins); w.set(L_T);
        if (ins.follow < 0) { this.exitTo(this.i + 1 - this.seg); return true; }
        // the predicted return (the CALL's successor in this block): anything else leaves
        w.get(L_T).i32(ins.follow).ne().if_(); this.depth++;
        this.exitTo(this.i + 1 - this.seg);
        w.end(); this.depth--;
        return true;
      case 0xc6: case 0xc7: w.i32(ins.imm).set(L_V); this.wrE(ins, op === 0xc6 ? 8 : vb, L_V, false); return true;
      case 0xe8:
        w.i32(ins.next).set(L_V); this.push(ins, L_V);
        if (ins.follow < 0) this.goto(ins.imm, this.i + 1 - this.seg);
        return true;
      case 0xe9: case 0xeb:
        if (ins.follow < 0) this.goto(ins.imm, this.i + 1 - this.seg); // else the block goes on at the target
        return true;
      case 0xf6: case 0xf7: {
        const bits = op === 0xf6 ? 8 : vb;
        if (ins.reg === 0) { this.rdE(ins, bits); w.i32(ins.imm).and().set(L_FR); this.setLazy(K_LOGIC, bits); return true; }
        this.rdE(ins, bits, true); w.set(L_T);
        if (ins.reg === 2) { w.get(L_T).i32(-1).xor().set(L_V); this.wrE(ins, bits, L_V, true); return true; }
        // NEG: SUB from 0 (ops-muldiv.ts group3)
        this.alu(5, bits, () => { w.i32(0); }, () => { w.get(L_T); });
        this.wrE(ins, bits, L_FR, true);
        return true;
      }
      case 0xfe: case 0xff: {
        const bits = op === 0xfe ? 8 : vb;
        if (ins.reg === 6) { this.rdE(ins, 32); w.set(L_V); this.push(ins, L_V); return true; }
        if (ins.reg === 2) { // CALL r/m32: the target read first, then the return address pushed
          this.rdE(ins, 32); w.set(L_T);
          w.i32(ins.next).set(L_V); this.push(ins, L_V);
          this.exitTo(this.i + 1 - this.seg);
          return true;
        }
        if (ins.reg === 4) { this.rdE(ins, 32); w.set(L_T); this.exitTo(this.i + 1 - this.seg); return true; } // JMP r/m32
        this.rdE(ins, bits, true); w.set(L_T);
        this.incDec(ins.reg === 1, bits);
        this.wrE(ins, bits, L_FR, true);
        return true;
      }
      case 0x1b6: case 0x1b7: case 0x1be: case 0x1bf: {
        const size = op & 1 ? 16 : 8;
        if (ins.ea === null && size === 16) { this.r32(ins.rm); w.i32(0xffff).and(); } else this.rdE(ins, size);
        if (op >= 0x1be) { w.i32(32 - size).shl().i32(32 - size).shrS(); }
        this.setR32(ins.reg);
        return true;
      }
      default: break;
    }
    if (op >= 0x190 && op < 0x1a0) { // SETcc Eb
      this.cond(op & 15); w.set(L_V);
      this.wrE(ins, 8, L_V, false);
      return true;
    }
    if (op >= 0x140 && op < 0x150) { // CMOVcc Gv,Ev: the source is read even when the condition is false (formBlock
      // forms it only where the CPU model has CMOV)
      this.rdE(ins, 32); w.set(L_V);
      this.cond(op & 15);
      w.if_(); w.get(L_V); this.setR32(ins.reg); w.end();
      return true;
    }
    return false;
  }

  /** L_FR = L_T op L_V with the lazy flags of `aop` (ops-alu.ts alu) */
  /**
   * ALU operation `aop` of the operands `d` and `s` push (a register, an immediate, or the local an operand was read
   * into: see operandE), into L_FR, the lazy flags from it. Operands are pushed where the operation needs them, not
   * copied into locals first: a block of ALU code was a third copies.
   */
  private alu(aop: number, bits: number, d: () => void, s: () => void): void {
    const w = this.w;
    switch (aop) {
      case 2: case 3: // ADC / SBB: the carry in first, from the flags before
        this.cf(); w.set(L_C);
        d(); w.tee(L_FD); s(); w.tee(L_FS);
        if (aop === 2) w.add().get(L_C).add(); else w.sub().get(L_C).sub();
        w.set(L_FR);
        this.setLazy(aop === 2 ? K_ADD : K_SUB, bits);
        this.carry = true;
        break;
      case 0: d(); w.tee(L_FD); s(); w.tee(L_FS).add().set(L_FR); this.setLazy(K_ADD, bits); break;
      case 1: d(); s(); w.or().set(L_FR); this.setLazy(K_LOGIC, bits); break;
      case 4: d(); s(); w.and().set(L_FR); this.setLazy(K_LOGIC, bits); break;
      case 6: d(); s(); w.xor().set(L_FR); this.setLazy(K_LOGIC, bits); break;
      default: d(); w.tee(L_FD); s(); w.tee(L_FS).sub().set(L_FR); this.setLazy(K_SUB, bits); break; // SUB, CMP
    }
  }
  /**
   * The r/m operand for alu: a register is pushed where it is used; memory is read now (the read may leave the block,
   * which must happen before anything else of the instruction) into local `into`. `rmw`: as rdE's.
   */
  private operandE(ins: Insn, bits: number, rmw: boolean, into: number): () => void {
    if (ins.ea === null) return () => { this.rdReg(bits, ins.rm); };
    this.rdE(ins, bits, rmw); this.w.set(into);
    return () => { this.w.get(into); };
  }
  /** MOVS / STOS / LODS without REP: DS:ESI and ES:EDI, stepped by DF after the accesses (ops-string.ts) */
  private string(ins: Insn): boolean {
    const w = this.w, op = ins.op, size = op & 1 ? (ins.os16 ? 2 : 4) : 1, bits = size * 8;
    const step = (r: number): void => {
      this.r32(r); w.i32(-size).i32(size).get(L_FL).i32(10).shrU().i32(1).and().select().add(); this.setR32(r);
    };
    if (op === 0xac || op === 0xad) { // LODS
      this.r32(6); w.set(L_LA); this.load(ins, 3, size, false); w.set(L_V);
      this.wrReg(bits, 0, L_V); step(6);
      return true;
    }
    if (op === 0xaa || op === 0xab) this.rdReg(bits, 0);
    else { this.r32(6); w.set(L_LA); this.load(ins, 3, size, false); }
    w.set(L_V);
    this.r32(7); w.set(L_LA); this.storeMem(ins, 0, size, L_V, false);
    if (op === 0xa4 || op === 0xa5) step(6);
    step(7);
    return true;
  }
  /** IMUL Gv, Ev(, imm) (ops-muldiv.ts imulTrunc): CF = OF = the product does not fit, SF ZF PF from the low half */
  private imul(ins: Insn): boolean {
    const w = this.w;
    this.rdE(ins, 32); w.set(L_T);
    if (ins.op === 0x1af) this.r32(ins.reg); else w.i32(ins.imm);
    w.set(L_V);
    w.get(L_T).get(L_V).mul().set(L_FR);
    // the high half of the signed 64-bit product against the low half's sign
    w.get(L_T).i64ExtendS().get(L_V).i64ExtendS().i64Mul().i64(32).i64ShrS().wrap().get(L_FR).i32(31).shrS().ne().set(L_C);
    w.get(L_FL).i32(~(CF | OF | AF)).and().get(L_C).or().get(L_C).i32(11).shl().or().set(L_FL);
    this.state(SZP, this.kind, 32);
    w.get(L_FR); this.setR32(ins.reg);
    return true;
  }
  /** group 2 on r/m32 by CL: a count of 0 (after & 31) changes no flag, so the flags are made complete first */
  private shiftCl(ins: Insn): boolean {
    const w = this.w, op = ins.reg;
    this.rdE(ins, 32, true); w.set(L_T);
    this.materialize();
    this.r32(1); w.i32(31).and().set(L_C);
    w.get(L_T).set(L_V);
    w.get(L_C).if_();
    w.get(L_T).get(L_C);
    if (op === 0) w.rotl(); else if (op === 1) w.rotr(); else if (op === 4) w.shl(); else if (op === 5) w.shrU(); else w.shrS();
    w.set(L_V);
    if (op === 0 || op === 1) { // ROL / ROR: CF and OF only
      w.get(L_FL).i32(~(CF | OF)).and();
      if (op === 0) {
        w.get(L_V).i32(1).and().or();
        w.get(L_V).i32(31).shrU().get(L_V).xor().i32(1).and().i32(11).shl().or();
      } else {
        w.get(L_V).i32(31).shrU().or();
        w.get(L_V).i32(31).shrU().get(L_V).i32(30).shrU().xor().i32(1).and().i32(11).shl().or();
      }
      w.set(L_FL);
    } else { // SHL / SHR / SAR: all six (AF 0), from the result and the last bit out
      w.get(L_FL).i32(~ARITH).and();
      if (op === 4) { // cf = d >>> (32 - cnt), of = r[31] ^ cf
        w.get(L_T).i32(32).get(L_C).sub().shrU().i32(1).and().tee(L_E).or();
        w.get(L_V).i32(31).shrU().get(L_E).xor().i32(11).shl().or();
      } else if (op === 5) { // cf = d >>> (cnt - 1), of = cnt == 1 ? d[31] : 0
        w.get(L_T).get(L_C).i32(1).sub().shrU().i32(1).and().or();
        w.get(L_T).i32(31).shrU().i32(0).get(L_C).i32(1).eq().select().i32(11).shl().or();
      } else { // cf = d >> (cnt - 1), of = 0
        w.get(L_T).get(L_C).i32(1).sub().shrS().i32(1).and().or();
      }
      w.get(L_V).eqz().i32(6).shl().or(); // ZF
      w.get(L_V).i32(31).shrU().i32(7).shl().or(); // SF
      w.get(L_V).i32(0xff).and().popcnt().i32(1).and().i32(1).xor().i32(2).shl().or(); // PF
      w.set(L_FL);
    }
    w.end();
    this.wrE(ins, 32, L_V, true);
    return true;
  }
  /** BT / BTS / BTR / BTC with an immediate bit number or a register operand (ops-shift.ts bitTest): CF only */
  private bitTest(ins: Insn): boolean {
    const w = this.w, kind = ins.op === 0x1ba ? ins.reg - 4 : (ins.op >> 3) & 3; // 0 BT 1 BTS 2 BTR 3 BTC
    if (ins.op !== 0x1ba && ins.ea !== null) {
      // a bit string in memory: the dword the register's signed bit offset falls in (ops-shift.ts bitTest)
      this.ea(ins); w.get(L_LA); this.r32(ins.reg); w.i32(5).shrS().i32(2).shl().add().set(L_LA);
      this.load(ins, ins.ea.seg, 4, kind !== 0);
    } else {
      this.rdE(ins, 32, kind !== 0);
    }
    w.set(L_T);
    if (ins.op === 0x1ba) w.i32(ins.imm & 31); else { this.r32(ins.reg); w.i32(31).and(); }
    w.set(L_C);
    if (this.mask < 0) this.materialize(); // (else the other flags stay as they are: see shift's ROL / ROR)
    w.get(L_FL).i32(~CF).and().get(L_T).get(L_C).shrU().i32(1).and().or().set(L_FL);
    this.notLazy(CF);
    if (kind === 0) return true;
    w.get(L_T).i32(1).get(L_C).shl();
    if (kind === 1) w.or(); else if (kind === 2) w.i32(-1).xor().and(); else w.xor();
    w.set(L_V);
    this.wrE(ins, 32, L_V, true);
    return true;
  }
  /** INC/DEC of L_T into L_FR: CF keeps its value (cpu-state.ts setLazyKeepCF) */
  private incDec(dec: boolean, bits: number): void {
    const w = this.w;
    if (this.mask & CF) { w.get(L_FL).i32(~CF).and(); this.cf(); w.or().set(L_FL); }
    w.get(L_T).tee(L_FD).i32(1).tee(L_FS);
    if (dec) w.sub(); else w.add();
    w.set(L_FR);
    this.state(ARITH & ~CF, dec ? K_SUB : K_ADD, bits);
  }
  /**
   * A shift's r/m operand into L_T; false for a count of 0, which changes no flag (a memory operand is still written
   * back: ops-shift.ts group2)
   */
  private shiftOperand(ins: Insn, bits: number, cnt: number): boolean {
    this.rdE(ins, bits, true); this.w.set(L_T);
    if (cnt !== 0) return true;
    if (ins.ea !== null) this.wrE(ins, bits, L_T, true);
    return false;
  }
  /** group 2 on r/m32 by a constant count (ops-shift.ts shiftOp) */
  private shift(ins: Insn, count: number): boolean {
    const w = this.w, op = ins.reg, cnt = count & 31;
    if (!this.shiftOperand(ins, 32, cnt)) return true;
    if (op === 0 || op === 1) {
      // ROL / ROR: CF and OF set, the other flags as they were, lazy ones still lazy (the producer's operands stay
      // in their locals). Making EFLAGS complete first was ~70 of a rotate's ~95 bytes of code, and Linux's blake2s
      // and chacha rotate hundreds of times between instructions that set every flag anyway. Only where the producer
      // is not known here (a block's start, a label) are they made complete, as before.
      if (this.mask < 0) this.materialize();
      w.get(L_T).i32(cnt);
      if (op === 0) w.rotl(); else w.rotr();
      w.set(L_V);
      w.get(L_FL).i32(~(CF | OF)).and();
      if (op === 0) { // cf = r & 1, of = r[31] ^ cf
        w.get(L_V).i32(1).and().or();
        w.get(L_V).i32(31).shrU().get(L_V).xor().i32(1).and().i32(11).shl().or();
      } else { // cf = r[31], of = r[31] ^ r[30]
        w.get(L_V).i32(31).shrU().or();
        w.get(L_V).i32(31).shrU().get(L_V).i32(30).shrU().xor().i32(1).and().i32(11).shl().or();
      }
      w.set(L_FL);
      this.notLazy(CF | OF);
      this.wrE(ins, 32, L_V, true);
      return true;
    }
    // SHL / SHR / SAR: CF, OF and AF set, SF ZF PF lazy from the result (cpu-state.ts setShift)
    w.get(L_T).i32(cnt);
    if (op === 4) w.shl(); else if (op === 5) w.shrU(); else w.shrS();
    w.set(L_FR);
    w.get(L_FL).i32(~(CF | OF | AF)).and();
    if (op === 4) { // cf = d >>> (32 - cnt) & 1; of = r[31] ^ cf
      w.get(L_T).i32(32 - cnt).shrU().i32(1).and().tee(L_V).or();
      w.get(L_FR).i32(31).shrU().get(L_V).xor().i32(11).shl().or();
    } else if (op === 5) { // cf = d >>> (cnt - 1) & 1; of = cnt == 1 ? d[31] : 0
      w.get(L_T).i32(cnt - 1).shrU().i32(1).and().or();
      if (cnt === 1) w.get(L_T).i32(31).shrU().i32(11).shl().or();
    } else { // cf = d >> (cnt - 1) & 1; of = 0
      w.get(L_T).i32(cnt - 1).shrS().i32(1).and().or();
    }
    w.set(L_FL);
    this.state(SZP, this.kind, 32);
    this.wrE(ins, 32, L_FR, true);
    return true;
  }
  /**
   * SHL / SHR / SAR of r/m16 by a constant count (ops-shift.ts shiftOp at 16 bits; rotates are not decoded): CF and
   * OF set, SF ZF PF lazy from the 16-bit result (cpu-state.ts setShift). The XZ decompressor in front of Debian's
   * kernel shifts 16-bit probabilities (`shr cx, 5`) in its hottest loops.
   */
  private shift16(ins: Insn, count: number): boolean {
    const w = this.w, op = ins.reg, cnt = count & 31;
    if (!this.shiftOperand(ins, 16, cnt)) return true;
    let cf: () => void, of: (() => void) | null;
    if (op === 4) { // r = d << cnt (0 from 32 on); cf = d >>> (16 - cnt) for cnt <= 16, else 0; of = r[15] ^ cf
      w.get(L_T).i32(cnt).shl().i32(0xffff).and().set(L_FR);
      cf = () => { if (cnt <= 16) w.get(L_T).i32(16 - cnt).shrU().i32(1).and(); else w.i32(0); };
      of = () => { w.get(L_FR).i32(15).shrU(); cf(); w.xor(); };
    } else if (op === 5) { // r = d >>> cnt; cf = d >>> (cnt - 1) for cnt <= 16, else 0; of = cnt == 1 ? d[15] : 0
      w.get(L_T).i32(cnt).shrU().set(L_FR);
      cf = () => { if (cnt <= 16) w.get(L_T).i32(cnt - 1).shrU().i32(1).and(); else w.i32(0); };
      of = cnt === 1 ? () => { w.get(L_T).i32(15).shrU(); } : null;
    } else { // SAR: the sign-extended value shifted (by at most 31); of = 0
      w.get(L_T).i32(16).shl().i32(16).shrS().i32(Math.min(cnt, 31)).shrS().i32(0xffff).and().set(L_FR);
      cf = () => { w.get(L_T).i32(16).shl().i32(16).shrS().i32(Math.min(cnt - 1, 31)).shrS().i32(1).and(); };
      of = null;
    }
    w.get(L_FL).i32(~(CF | OF | AF)).and();
    cf(); w.or();
    if (of !== null) { of(); w.i32(11).shl().or(); }
    w.set(L_FL);
    this.state(SZP, this.kind, 16);
    this.wrE(ins, 16, L_FR, true);
    return true;
  }
  /**
   * RDTSC (ops-system.ts rdtsc): the TSC when the chain began (A_TSC, from the glue or the interpreter's call, plus
   * A_TSCN instructions the interpreter ran before it entered the chain) and the time of the instructions retired
   * since: the chain's before this block (A_CHAIN) and this block's before this one. The clock reaches no timer's
   * deadline inside a block (a slice ends at the next one), so giving it those instructions fires nothing, as in
   * JavaScript. When it would fault (#UD without a TSC, #GP at CPL > 0 with CR4.TSD: A_TSCF, from the glue) the
   * block leaves before it and the interpreter raises the exception. (Linux's delay_tsc: a wasm block and a JavaScript block from the RDTSC on
   * took turns, two run-loop entries a pass, 8.5 M in a Debian boot.)
   */
  private rdtsc(ins: Insn): boolean {
    const w = this.w;
    w.i32(0).load(A_TSCF).if_(); this.depth++;
    this.leaveBefore(ins);
    w.end(); this.depth--;
    const tsc = (): void => {
      pushTsc(w, A_TSC, A_TSCNS, () => { w.i32(0).load(A_TSCN).i32(0).load(A_CHAIN).add().get(L_N).add().i32(this.i - this.seg).add(); });
    };
    tsc(); w.wrap(); this.setR32(0);
    tsc(); w.i64(32).i64ShrU().wrap(); this.setR32(2);
    return true;
  }
  /** the end of an iteration that jumps back to the block's start: go round while `max` allows */
  private backEdge(): void {
    const w = this.w, n = this.insns.length;
    w.get(L_N).i32(n).add().tee(L_N);
    w.get(P_MAX).i32(n).sub().gtS();
    w.if_(); this.depth++;
    this.exit(this.insns[0]!.eip, 0);
    w.end(); this.depth--;
    // the loop head was compiled for any flag state (UNKNOWN), or for any but a lazy CF (UNKNOWN_NC: see readsCF)
    if (this.readsCF(0)) this.settleCF();
    w.br(this.depth + this.outer);
  }
}

/** a Jcc, JMP or CALL with a target in its bytes */
function isBranch(ins: Insn): boolean {
  const op = ins.op;
  return isJcc(op) || op === 0xe8 || op === 0xe9 || op === 0xeb;
}

/** instructions that end the block themselves */
function ends(ins: Insn): boolean {
  const op = ins.op;
  return (op === 0xc3 || op === 0xe8 || op === 0xe9 || op === 0xeb) && ins.follow < 0;
}
