/**
 * The WebAssembly interpreter's code writer (interpreter.ts builds the loop, interp-forms.ts the instructions): a
 * WasmWriter with named branch targets and the operand, memory and flag steps every form is made of.
 *
 * Conventions of the generated function `run(max, acc, thr, ns, epoch)` (interpreter.ts):
 * - Registers and the lazy-flag state stay in the arena (memory/wasm-arena.ts A_REGS, A_FLAGS...), where the
 *   interpreter in JavaScript and the compiled blocks read them; the operands of the instruction running are locals.
 * - An instruction commits nothing before its last check: every access goes through the TLB arrays in the arena and
 *   must stay on one page of RAM the entry allows (`check`), and an instruction that fails a check, or that this
 *   interpreter does not know, leaves to the label 'unsup' with EIP at its start, for the JavaScript interpreter to
 *   run as it would have anyway (faults, MMIO, code pages, page crossings).
 * - Segments are flat (the caller runs it only while CS, DS, ES and SS have base 0 and a 4 GiB limit, with 32-bit
 *   code and stack), and takes no segment prefix (any prefix but 66 before a MOV is 'unsup'): an offset is the linear
 *   address.
 */
import { A_BITS, A_DST, A_FLAGS, A_KIND, A_MASK, A_RAM, A_REGS, A_RES, A_SRC, A_TLB_R, A_TLB_W } from '../../../memory/wasm-arena.js';
import { AF, ARITH, CF, K_ADD, K_LOGIC, K_SUB, OF, SZP, ZF } from '../../cpu-state.js';
import { WasmWriter } from './wasm-writer.js';


// parameters of run(max, acc, thr, ns, epoch)
export const P_MAX = 0, P_ACC = 1, P_THR = 2, P_NS = 3, P_EPOCH = 4;
/** locals: retired, EIP, the instruction's start, its next byte's arena address and its first's */
export const L_N = 5, L_EIP = 6, L_ST = 7, L_P = 8, L_P0 = 9;
/** the opcode, the ModRM byte, its reg field and its r/m register */
export const L_OP = 10, L_M = 11, L_RG = 12, L_RM = 13;
/** the linear address, its TLB entry; operands D (destination) and S (source), result R; the group's operation G */
export const L_LA = 14, L_E = 15, L_D = 16, L_S = 17, L_R = 18, L_G = 19;
/** scratch, the block slot, the exit reason */
export const L_T = 20, L_U = 21, L_H = 22, L_WHY = 23;
/** the code page the last instruction was fetched from (linear, or 1: none yet) and its arena address */
export const L_CPG = 24, L_CB = 25;
/** of the instructions retired, those in blocks the interpreter entered; the blocks entered */
export const L_BN = 26, L_BE = 27;
/** the base a segment prefix adds to a ModRM or moffs address (0 without one) */
export const L_SEG = 28;
/** locals after the five parameters */
export const LOCALS = 24;
/**
 * the imported functions: EFLAGS from the arena's lazy state, the dispatcher's `run` (wasm-writer.ts), and IN and OUT
 * (wasm-block.ts: `(port, size, retired, EIP)`, 1 when the access left the run loop something to do)
 */
export const F_MAT = 0, F_RUN = 1, F_PIN = 2, F_POUT = 3;
/** why `run` returned: the budget ran out; at a block start the run loop has something to do; an instruction for JavaScript */
export const EXIT_BUDGET = 0, EXIT_BLOCK = 1, EXIT_UNSUPPORTED = 2;

export class InterpWriter {
  readonly w = new WasmWriter();
  /** the enclosing blocks, loops and ifs, innermost last: branch targets by name ('' for an unnamed one) */
  private readonly labels: string[] = [];

  // ---------------------------------------------------------------- structure
  block(label = ''): this { this.w.block(); this.labels.push(label); return this; }
  loop(label = ''): this { this.w.loop(); this.labels.push(label); return this; }
  if_(): this { this.w.if_(); this.labels.push(''); return this; }
  /** an if with an i32 result: `then` and `otherwise` each push one value */
  select(then: () => void, otherwise: () => void): this {
    this.w.ifI32(); this.labels.push(''); then(); this.w.else_(); otherwise(); this.w.end(); this.labels.pop();
    return this;
  }
  else_(): this { this.w.else_(); return this; }
  end(): this { this.w.end(); this.labels.pop(); return this; }
  depth(label: string): number {
    const i = this.labels.lastIndexOf(label);
    if (i < 0) throw new Error(`interpreter: no enclosing '${label}'`);
    return this.labels.length - 1 - i;
  }
  br(label: string): this { this.w.br(this.depth(label)); return this; }
  brIf(label: string): this { this.w.brIf(this.depth(label)); return this; }

  // ---------------------------------------------------------------- instruction bytes (at L_P: an arena address, in
  // RAM or in the copy of a page's end, interpreter.ts)
  u8(): this { this.w.get(L_P).load8u(0).get(L_P).i32(1).add().set(L_P); return this; }
  s8(): this { this.w.get(L_P).load8s(0).get(L_P).i32(1).add().set(L_P); return this; }
  u16(): this { this.w.get(L_P).load16u(0).get(L_P).i32(2).add().set(L_P); return this; }
  u32(): this { this.w.get(L_P).load(0).get(L_P).i32(4).add().set(L_P); return this; }
  /** an immediate of `bits` (8, 16, 32), zero-extended */
  imm(bits: number): this { return bits === 8 ? this.u8() : bits === 16 ? this.u16() : this.u32(); }
  /** the ModRM byte into L_M, its reg field into L_RG */
  modrm(): this { this.u8(); this.w.set(L_M).get(L_M).i32(3).shrU().i32(7).and().set(L_RG); return this; }
  /** EIP of the next instruction: the start plus the bytes read */
  next(): this { this.w.get(L_P).get(L_P0).sub().get(L_ST).add(); return this; }

  // ---------------------------------------------------------------- registers
  /** the 32-bit register numbered by local `l` */
  reg(l: number): this { this.w.get(l).i32(2).shl().load(A_REGS); return this; }
  setReg(l: number, val: () => void): this { this.w.get(l).i32(2).shl(); val(); this.w.store(A_REGS); return this; }
  /** the low 16 bits of register number `l` */
  reg16(l: number): this { this.w.get(l).i32(2).shl().load16u(A_REGS); return this; }
  setReg16(l: number, val: () => void): this { this.w.get(l).i32(2).shl(); val(); this.w.store16(A_REGS); return this; }
  /** the register numbered by local `l` at width `bits` (8: AL..BH, 16: the low half, 32) */
  regW(bits: number, l: number): this { return bits === 8 ? this.reg8(l) : bits === 16 ? this.reg16(l) : this.reg(l); }
  setRegW(bits: number, l: number, val: () => void): this {
    return bits === 8 ? this.setReg8(l, val) : bits === 16 ? this.setReg16(l, val) : this.setReg(l, val);
  }
  /** AL, AX or EAX */
  acc(bits: number): this { this.regN(0); if (bits < 32) this.w.i32(bits === 8 ? 0xff : 0xffff).and(); return this; }
  setAcc(bits: number, val: () => void): this {
    if (bits === 32) return this.setRegN(0, val);
    this.w.i32(0); val();
    if (bits === 8) this.w.store8(A_REGS); else this.w.store16(A_REGS);
    return this;
  }
  regN(n: number): this { this.w.i32(0).load(A_REGS + 4 * n); return this; }
  setRegN(n: number, val: () => void): this { this.w.i32(0); val(); this.w.store(A_REGS + 4 * n); return this; }
  /** the byte of 8-bit register number `l` (AL CL DL BL AH CH DH BH) in the register area (cpu-state.ts R8, computed) */
  private reg8At(l: number): void { this.w.get(l).i32(3).and().i32(2).shl().get(l).i32(2).shrU().or(); }
  reg8(l: number): this { this.reg8At(l); this.w.load8u(A_REGS); return this; }
  setReg8(l: number, val: () => void): this { this.reg8At(l); val(); this.w.store8(A_REGS); return this; }

  // ---------------------------------------------------------------- memory
  /**
   * ModRM in L_M with mod != 3: the linear address into L_LA (cpu-state.ts ea32; SIB and displacement read), the
   * offset plus L_SEG
   */
  ea(): this {
    const w = this.w;
    w.get(L_M).i32(7).and().i32(4).eq(); this.if_();
    this.u8(); w.set(L_T); // SIB: the index scaled (none for 4), then the base (disp32 for 5 with mod 0)
    w.get(L_T).i32(3).shrU().i32(7).and().tee(L_U).i32(4).eq();
    this.select(() => { w.i32(0); }, () => { this.reg(L_U); w.get(L_T).i32(6).shrU().shl(); });
    w.set(L_LA);
    w.get(L_T).i32(7).and().i32(5).eq().get(L_M).i32(0xc0).and().eqz().and(); this.if_();
    w.get(L_LA); this.u32(); w.add().set(L_LA);
    this.else_();
    w.get(L_T).i32(7).and().set(L_U); w.get(L_LA); this.reg(L_U); w.add().set(L_LA);
    this.end();
    this.else_();
    w.get(L_M).i32(0xc7).and().i32(5).eq(); this.if_(); // mod 0, r/m 5: disp32 alone
    this.u32(); w.set(L_LA);
    this.else_();
    w.get(L_M).i32(7).and().set(L_U); this.reg(L_U); w.set(L_LA);
    this.end();
    this.end();
    w.get(L_M).i32(6).shrU().i32(1).eq(); this.if_(); // disp8
    w.get(L_LA); this.s8(); w.add().set(L_LA);
    this.else_();
    w.get(L_M).i32(6).shrU().i32(2).eq(); this.if_(); // disp32
    w.get(L_LA); this.u32(); w.add().set(L_LA);
    this.end();
    this.end();
    w.get(L_LA).get(L_SEG).add().set(L_LA); // a segment prefix's base (interp-forms.ts: LEA takes none)
    return this;
  }
  /**
   * Leave to JavaScript (label 'unsup') unless the `size` bytes at L_LA lie on one page of RAM the TLB array `tlb`
   * (A_TLB_R or A_TLB_W) allows at this privilege (`acc`); the entry stays in L_E. As a block's fast path does
   * (emit.ts slowTest), but with no slow path: the JavaScript interpreter takes the instruction from its start.
   */
  check(tlb: number, size: number): this {
    const w = this.w;
    w.get(L_LA).i32(12).shrU().i32(2).shl().load(tlb).tee(L_E).get(P_ACC).and().eqz();
    if (size > 1) w.get(L_LA).i32(0xfff).and().i32(0x1000 - size).gtU().or();
    return this.brIf('unsup');
  }
  private ramAt(): void { this.w.get(L_E).i32(~0xfff).and().get(L_LA).i32(0xfff).and().or(); }
  /** the dword `off` bytes past L_LA (checked together with it), and a store there */
  load32At(off: number): this { this.ramAt(); this.w.load(A_RAM + off); return this; }
  store32At(off: number, val: () => void): this { this.ramAt(); val(); this.w.store(A_RAM + off); return this; }
  /** the `size`-byte value at L_LA (checked) */
  load(size: number): this {
    this.ramAt();
    if (size === 1) this.w.load8u(A_RAM); else if (size === 2) this.w.load16u(A_RAM); else this.w.load(A_RAM);
    return this;
  }
  store(size: number, val: () => void): this {
    this.ramAt(); val();
    if (size === 1) this.w.store8(A_RAM); else if (size === 2) this.w.store16(A_RAM); else this.w.store(A_RAM);
    return this;
  }
  /** the r/m operand (`bits` 8, 16 or 32) into L_D: register L_RM, or memory at L_LA checked for reading or (`rmw`) writing */
  rdE(bits: number, rmw: boolean): this {
    const w = this.w;
    w.get(L_M).i32(0xc0).geU(); this.if_();
    w.get(L_M).i32(7).and().set(L_RM);
    if (bits === 8) this.reg8(L_RM); else this.reg(L_RM);
    if (bits === 16) w.i32(0xffff).and();
    w.set(L_D);
    this.else_();
    this.ea().check(rmw ? A_TLB_W : A_TLB_R, bits >> 3).load(bits >> 3); w.set(L_D);
    this.end();
    return this;
  }
  /** a destination the instruction only writes: its register into L_RM, or its address into L_LA (not checked yet) */
  dest(): this {
    const w = this.w;
    w.get(L_M).i32(0xc0).geU(); this.if_();
    w.get(L_M).i32(7).and().set(L_RM);
    this.else_();
    this.ea();
    return this.end();
  }
  /** the value `val` pushes to the destination `dest` found (memory checked for writing here) */
  put(bits: number, val: () => void): this {
    const w = this.w;
    w.get(L_M).i32(0xc0).geU(); this.if_();
    if (bits === 8) this.setReg8(L_RM, val); else if (bits === 16) this.setReg16(L_RM, val); else this.setReg(L_RM, val);
    this.else_();
    this.check(A_TLB_W, bits >> 3).store(bits >> 3, val);
    return this.end();
  }
  /** local `from` to the r/m operand rdE read (its register, or its memory, checked for writing) */
  wrE(bits: number, from: number): this {
    const w = this.w;
    w.get(L_M).i32(0xc0).geU(); this.if_();
    if (bits === 8) this.setReg8(L_RM, () => { w.get(from); });
    else if (bits === 16) this.setReg16(L_RM, () => { w.get(from); });
    else this.setReg(L_RM, () => { w.get(from); });
    this.else_();
    this.store(bits >> 3, () => { w.get(from); });
    this.end();
    return this;
  }
  /** push the value `val` pushes (the stack slot checked first; ESP moved last) */
  push(val: () => void): this {
    const w = this.w;
    this.regN(4); w.i32(4).sub().set(L_LA);
    this.check(A_TLB_W, 4).store(4, val);
    return this.setRegN(4, () => { w.get(L_LA); });
  }

  // ---------------------------------------------------------------- flags (cpu-state.ts's lazy scheme)
  /** the lazy state of a result L_R of `bits` (setLazy: operands L_D, L_S; setLogic: `kind` K_LOGIC) */
  lazy(kind: number, bits: number, mask = ARITH): this {
    const w = this.w;
    w.i32(0).i32(kind).store(A_KIND);
    if (kind !== K_LOGIC) w.i32(0).get(L_D).store(A_DST).i32(0).get(L_S).store(A_SRC);
    w.i32(0).get(L_R).store(A_RES).i32(0).i32(bits).store(A_BITS).i32(0).i32(mask).store(A_MASK);
    return this;
  }
  /** INC/DEC keep CF: its value now goes into EFLAGS (setLazyKeepCF) before their lazy state (mask without CF) */
  keepCF(): this {
    const w = this.w;
    w.i32(0).load(A_MASK).i32(CF).and(); this.if_();
    w.i32(0).i32(0).load(A_FLAGS).i32(~CF).and().call(F_MAT).i32(CF).and().or().store(A_FLAGS);
    return this.end();
  }
  /** EFLAGS with `bits` set from the value `val` pushes (setFlagBits): every flag stored, none lazy */
  setFlagBits(mask: number, val: () => void): this {
    const w = this.w;
    w.i32(0).call(F_MAT).i32(~mask).and(); val(); w.or().store(A_FLAGS).i32(0).i32(0).store(A_MASK);
    return this;
  }
  /** L_R = L_D op L_S for group 1's operation L_G (ADD OR ADC SBB AND SUB XOR CMP), with its flags */
  alu(bits: number): this {
    const w = this.w;
    w.get(L_G).eqz(); this.if_(); w.get(L_D).get(L_S).add().set(L_R); this.lazy(K_ADD, bits);
    this.else_(); w.get(L_G).i32(2).eq(); this.if_(); // ADC, SBB: the carry in from EFLAGS now (ops-alu.ts alu)
    w.get(L_D).get(L_S).add().call(F_MAT).i32(CF).and().add().set(L_R); this.lazy(K_ADD, bits);
    this.else_(); w.get(L_G).i32(3).eq(); this.if_();
    w.get(L_D).get(L_S).sub().call(F_MAT).i32(CF).and().sub().set(L_R); this.lazy(K_SUB, bits);
    this.else_(); w.get(L_G).i32(5).eq().get(L_G).i32(7).eq().or(); this.if_(); w.get(L_D).get(L_S).sub().set(L_R); this.lazy(K_SUB, bits);
    this.else_(); w.get(L_G).i32(1).eq(); this.if_(); w.get(L_D).get(L_S).or().set(L_R);
    this.else_(); w.get(L_G).i32(4).eq(); this.if_(); w.get(L_D).get(L_S).and().set(L_R);
    this.else_(); w.get(L_D).get(L_S).xor().set(L_R);
    this.end().end(); this.lazy(K_LOGIC, bits);
    return this.end().end().end().end();
  }
  /**
   * ROL (0), ROR (1), SHL (4), SHR (5) or SAR (7) in L_G of L_D by L_T (1-31) into L_R (ops-shift.ts shiftOp): rotates
   * store CF and OF and keep the rest; shifts store CF and OF with SF ZF PF lazy (cpu-state.ts setShift: OF from the
   * last step for SHL, the 286's for SHR, 0 for SAR). Inside shiftOrRotate's block.
   */
  shift(): this {
    const w = this.w; // CF into L_S, OF into L_U
    w.get(L_G).i32(2).ltU(); this.if_(); // ROL, ROR: CF and OF stored, the other flags kept (setFlagBits)
    w.get(L_G); this.if_();
    w.get(L_D).get(L_T).rotr().set(L_R); w.get(L_R).i32(31).shrU().set(L_S); w.get(L_S).get(L_R).i32(30).shrU().i32(1).and().xor().set(L_U);
    this.else_();
    w.get(L_D).get(L_T).rotl().set(L_R); w.get(L_R).i32(1).and().set(L_S); w.get(L_R).i32(31).shrU().get(L_S).xor().set(L_U);
    this.end();
    this.setFlagBits(CF | OF, () => { w.get(L_S).get(L_U).i32(11).shl().or(); });
    this.br('rot');
    this.end();
    w.get(L_G).i32(4).eq(); this.if_();
    w.get(L_D).get(L_T).shl().set(L_R); w.get(L_D).i32(32).get(L_T).sub().shrU().i32(1).and().set(L_S);
    w.get(L_R).i32(31).shrU().get(L_S).xor().set(L_U);
    this.else_(); w.get(L_G).i32(5).eq(); this.if_();
    w.get(L_D).get(L_T).shrU().set(L_R); w.get(L_D).get(L_T).i32(1).sub().shrU().i32(1).and().set(L_S);
    w.get(L_T).i32(1).eq(); this.select(() => { w.get(L_D).i32(31).shrU(); }, () => { w.i32(0); }); w.set(L_U);
    this.else_();
    w.get(L_D).get(L_T).shrS().set(L_R); w.get(L_D).get(L_T).i32(1).sub().shrS().i32(1).and().set(L_S); w.i32(0).set(L_U);
    this.end().end();
    return this.shiftFlags(L_S, L_U);
  }
  /**
   * EFLAGS as cpu-state.ts setShift leaves them after a shift, multiply or SHLD/SHRD of `bits`: CF and OF from locals
   * `cf` and `of` (0 or 1), AF 0, SF ZF PF lazy from L_R
   */
  shiftFlags(cf: number, of: number, bits = 32): this {
    const w = this.w;
    w.i32(0).i32(0).load(A_FLAGS).i32(~(CF | OF | AF)).and().get(cf).or().get(of).i32(11).shl().or().store(A_FLAGS);
    w.i32(0).get(L_R).store(A_RES).i32(0).i32(bits).store(A_BITS).i32(0).i32(SZP).store(A_MASK);
    return this;
  }
  /** `shift` inside the block it leaves early for a rotate */
  shiftOrRotate(): this { this.block('rot'); this.shift(); return this.end(); }
  /** condition code `cc` (a local, 0-15) true, as 0/1 (cpu-state.ts cond): ZF from the lazy result, the rest from `mat` */
  cond(cc: number): this {
    const w = this.w;
    w.get(cc).i32(1).shrU().i32(2).eq();
    this.select(() => { // E / NE: the commonest, without materialising EFLAGS
      w.i32(0).load(A_MASK).i32(ZF).and();
      this.select(() => { w.i32(0).load(A_RES).i32(32).i32(0).load(A_BITS).sub().shl().eqz(); },
        () => { w.i32(0).load(A_FLAGS).i32(6).shrU().i32(1).and(); });
    }, () => {
      w.call(F_MAT).set(L_T);
      const bit = (n: number) => (): void => { w.get(L_T).i32(n).shrU().i32(1).and(); };
      const of = bit(11), cf = bit(0), zf = bit(6), sf = bit(7), pf = bit(2);
      // by cc >> 1: O B Z BE S P L LE
      const forms = [of, cf, zf, () => { cf(); zf(); w.or(); }, sf, pf, () => { sf(); of(); w.xor(); }, () => { zf(); sf(); of(); w.xor(); w.or(); }];
      w.get(cc).i32(1).shrU().set(L_U);
      const pick = (k: number): void => {
        if (k === forms.length - 1) { forms[k]!(); return; }
        w.get(L_U).i32(k).eq(); this.select(forms[k]!, () => pick(k + 1));
      };
      pick(0);
    });
    w.get(cc).i32(1).and().xor();
    return this;
  }
}
