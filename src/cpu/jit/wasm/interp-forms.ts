/**
 * The instructions the WebAssembly interpreter runs itself: the 32-bit forms (and their 66-prefixed 16-bit ALU, MOV,
 * shift and string forms, and PAUSE), REP MOVS/STOS and REPE/REPNE SCASB/CMPSB, multiplies and divides, CMOVcc,
 * CMPXCHG8B, RDTSC, IN/OUT and a LOCK prefix, that make up most of what a Linux kernel runs outside its compiled
 * blocks; STI, far transfers and the system instructions stay JavaScript's. Each form reads its bytes after the
 * opcode, checks every access before it changes anything (interp-writer.ts), and then either falls off its end (EIP:
 * the next instruction) or branches to 'done' with EIP set (a jump). Anything else goes to 'unsup': the JavaScript
 * interpreter runs it.
 * Semantics as the JavaScript interpreter's (ops-*.ts, cpu-state.ts), which test/cpu/wasm-interp.test.ts holds it to
 * (the same registers, memory and count, and EFLAGS logged along generated programs).
 */
import { A_CPL, A_FEAT, A_FLAGS, A_FSB, A_FSOK, A_GSB, A_GSOK, A_LOCK, A_RAM, A_REGS, A_TLB_R, A_TLB_W, A_TSC, A_TSCF, A_TSCNS } from '../../../memory/wasm-arena.js';
import { ARITH, CF, DF, IF, IOPL, K_ADD, K_LOGIC, K_SUB, RF, VM, ZF } from '../../cpu-state.js';
import { EXIT_BUDGET, F_MAT, F_PIN, F_POUT, InterpWriter, L_D, L_E, L_EIP, L_G, L_LA, L_M, L_N, L_OP, L_P, L_R, L_RG, L_RM, L_S, L_SEG, L_ST, L_T, L_U, L_WHY, P_ACC, P_NS } from './interp-writer.js';
import { REP_SLICE } from '../../ops-string.js';
import { pushTsc } from './wasm-writer.js';
import { FEAT_CMOV, FEAT_CX8 } from '../../cpu-model.js';

export interface Form {
  readonly ops: readonly number[];
  /** the code after the opcode byte (in L_OP) */
  readonly body: (g: InterpWriter) => void;
}

/** group 1's operations: ADD OR ADC SBB AND SUB XOR CMP */
const ALU = [0, 1, 2, 3, 4, 5, 6, 7];
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, k) => from + k);
/** the operation of opcodes 00-3F in L_G, from bits 3-5 */
const aluOp = (g: InterpWriter): void => { g.w.get(L_OP).i32(3).shrU().set(L_G); };
/** store L_R where the ALU form's destination is, unless the operation was CMP */
const unlessCmp = (g: InterpWriter, store: () => void): void => { g.w.get(L_G).i32(7).ne(); g.if_(); store(); g.end(); };
/** a relative jump taken when condition code L_G holds (EIP: the next instruction, plus L_D if taken) */
const jcc = (g: InterpWriter): void => {
  const w = g.w;
  g.next(); w.set(L_EIP);
  g.cond(L_G); g.if_(); w.get(L_EIP).get(L_D).add().set(L_EIP); g.end();
  g.br('done');
};

/**
 * IN and OUT (E4-E7 by an immediate port, EC-EF by DX) of a byte or, for the odd opcodes, `wide` bytes (4, or 2 after
 * 66), where CPL <= IOPL: else the TSS's permission bitmap decides, and that is JavaScript's (ops-system.ts inOp,
 * port-io.ts ioCheck). The access is the CPU's own through an import (wasm-block.ts: port-io.ts busIn/busOut at the
 * instruction's EIP, the clock given the instructions this call retired before it, so a device reading the virtual
 * clock sees the exact count); AL/AX/EAX in the arena are what IN reads and OUT writes. When the access left the run
 * loop something to do (Cpu.breakLoop: an interrupt it can take, a stop or reset request, a memory map or a timer
 * moved) the call returns after the instruction, as the JavaScript interpreter's loop does.
 * (Linux's quick TSC calibration against the PIT, the PM timer's check and the serial console reach ports from warm
 * code: ~120 k hand-backs a boot.)
 */
function portIo(g: InterpWriter, wide: number): void {
  const w = g.w;
  w.i32(0).load(A_CPL).i32(0).load(A_FLAGS).i32(IOPL).and().i32(12).shrU().gtU(); g.brIf('unsup');
  w.get(L_OP).i32(8).and(); g.if_(); g.regN(2); w.i32(0xffff).and().set(L_T); g.else_(); g.u8(); w.set(L_T); g.end();
  w.get(L_OP).i32(1).and(); g.select(() => { w.i32(wide); }, () => { w.i32(1); }); w.set(L_U);
  const args = (): void => { w.get(L_T).get(L_U).get(L_N).get(L_ST); };
  w.get(L_OP).i32(2).and(); g.select(() => { args(); w.call(F_POUT); }, () => { args(); w.call(F_PIN); });
  g.if_();
  g.next(); w.set(L_EIP); w.get(L_N).i32(1).add().set(L_N); w.i32(EXIT_BUDGET).set(L_WHY); g.br('out');
  g.end();
}

/** INC (L_G 0) or DEC (1) of L_D into L_R, keeping CF (ops-alu.ts incDec) */
const incDec = (g: InterpWriter, bits: number): void => {
  const w = g.w;
  w.i32(1).set(L_S); g.keepCF();
  w.get(L_G); g.if_(); w.get(L_D).i32(1).sub().set(L_R); g.lazy(K_SUB, bits, ARITH & ~CF);
  g.else_(); w.get(L_D).i32(1).add().set(L_R); g.lazy(K_ADD, bits, ARITH & ~CF); g.end();
};
/** group 3's TEST (L_G 0, its immediate after the operand), NOT (2) or NEG (3) of the r/m operand; 1 and 4-7: JavaScript's */
const group3 = (g: InterpWriter, bits: number): void => {
  const w = g.w;
  g.rdE(bits, true);
  w.get(L_G).eqz(); g.if_();
  if (bits === 8) g.u8(); else if (bits === 16) g.u16(); else g.u32();
  w.get(L_D).and().set(L_R); g.lazy(K_LOGIC, bits);
  g.else_(); w.get(L_G).i32(2).eq(); g.if_(); w.get(L_D).i32(-1).xor().set(L_R);
  g.else_(); w.get(L_D).set(L_S).i32(0).set(L_D).get(L_D).get(L_S).sub().set(L_R); g.lazy(K_SUB, bits); // NEG: 0 - v
  g.end();
  g.wrE(bits, L_R);
  g.end();
};
/**
 * BT (L_G 4), BTS, BTR or BTC of bit L_T of L_D: CF from the bit, the rest of EFLAGS kept (ops-shift.ts bitTest);
 * all but BT write the operand back
 */
const bitOp = (g: InterpWriter): InterpWriter => {
  const w = g.w;
  g.setFlagBits(CF, () => { w.get(L_D).get(L_T).shrU().i32(1).and(); });
  w.get(L_G).i32(4).ne(); g.if_();
  w.i32(1).get(L_T).shl().set(L_S);
  w.get(L_G).i32(5).eq(); g.if_(); w.get(L_D).get(L_S).or().set(L_R);
  g.else_(); w.get(L_G).i32(6).eq(); g.if_(); w.get(L_D).get(L_S).i32(-1).xor().and().set(L_R);
  g.else_(); w.get(L_D).get(L_S).xor().set(L_R); g.end(); g.end();
  g.wrE(32, L_R);
  return g.end();
};

/**
 * IMUL Gv,Ev(,imm) on 32 bits: L_R = L_D * L_S into register L_RG, CF = OF = the signed product does not fit, SF ZF PF
 * lazy from its low half, AF 0 (ops-muldiv.ts imulTrunc, setMulFlags)
 */
const imul32 = (g: InterpWriter): void => {
  const w = g.w;
  w.get(L_D).get(L_S).mul().set(L_R);
  w.get(L_D).i64ExtendS().get(L_S).i64ExtendS().i64Mul().i64(32).i64ShrS().wrap().get(L_R).i32(31).shrS().ne().set(L_U);
  g.shiftFlags(L_U, L_U).setReg(L_RG, () => { w.get(L_R); });
};

/** EDX:EAX as an i64 on the stack */
const edxEax = (g: InterpWriter): void => { g.regN(2); g.w.i64ExtendU().i64(32).i64Shl(); g.regN(0); g.w.i64ExtendU().i64Or(); };

/**
 * Group 3's MUL (L_G 4), IMUL (5), DIV (6) and IDIV (7) of EDX:EAX by the 32-bit operand in L_D (ops-muldiv.ts group3,
 * divU, divS). MUL and IMUL: EDX:EAX the product, flags as imul32's (CF = OF: the high half is not the low half's
 * extension). DIV and IDIV change no flag; #DE (a zero divisor, a quotient too large) is JavaScript's, and so is
 * IDIV by -1 (the one quotient WebAssembly's i64.div_s traps on: -2^63 / -1).
 */
const mulDiv32 = (g: InterpWriter): void => {
  const w = g.w;
  w.get(L_G).i32(6).ltU(); g.if_();
  g.regN(0); w.set(L_S);
  w.get(L_S).get(L_D).mul().set(L_R);
  w.get(L_G).i32(4).eq(); g.if_();
  w.get(L_S).i64ExtendU().get(L_D).i64ExtendU().i64Mul().i64(32).i64ShrU().wrap().tee(L_T).i32(0).ne().set(L_U);
  g.else_();
  w.get(L_S).i64ExtendS().get(L_D).i64ExtendS().i64Mul().i64(32).i64ShrS().wrap().tee(L_T).get(L_R).i32(31).shrS().ne().set(L_U);
  g.end();
  g.setRegN(0, () => { w.get(L_R); }).setRegN(2, () => { w.get(L_T); }).shiftFlags(L_U, L_U);
  g.else_();
  w.get(L_G).i32(6).eq(); g.if_();
  g.regN(2); w.get(L_D).geU(); g.brIf('unsup'); // the quotient needs more than 32 bits (or the divisor is 0)
  edxEax(g); w.get(L_D).i64ExtendU().i64DivU().wrap().set(L_R);
  edxEax(g); w.get(L_D).i64ExtendU().i64RemU().wrap().set(L_T);
  g.else_();
  w.get(L_D).i32(1).add().i32(2).ltU(); g.brIf('unsup'); // a divisor of 0 or -1
  edxEax(g); w.get(L_D).i64ExtendS().i64DivS().wrap().set(L_R);
  edxEax(g); w.get(L_D).i64ExtendS().i64DivS().get(L_R).i64ExtendS().i64Ne(); g.brIf('unsup'); // not an int32
  edxEax(g); w.get(L_D).i64ExtendS().i64RemS().wrap().set(L_T);
  g.end();
  g.setRegN(0, () => { w.get(L_R); }).setRegN(2, () => { w.get(L_T); });
  g.end();
};

/**
 * SHLD (0F A4 imm8, A5 CL) and SHRD (AC, AD) Ev,Gv on 32 bits (ops-shift.ts shld): a count of 0 (mod 32) changes
 * nothing (the operand is still checked for writing first); else CF is the last bit shifted out, OF whether the sign
 * changed, SF ZF PF lazy
 */
const shiftDouble = (g: InterpWriter): void => {
  const w = g.w;
  g.modrm().rdE(32, true); g.reg(L_RG); w.set(L_S);
  w.get(L_OP).i32(1).and(); g.select(() => { g.regN(1); }, () => { g.u8(); }); w.i32(31).and().set(L_T);
  w.get(L_T); g.if_();
  w.get(L_OP).i32(8).and(); g.if_();
  w.get(L_D).get(L_T).shrU().get(L_S).i32(32).get(L_T).sub().shl().or().set(L_R);
  w.get(L_D).get(L_T).i32(1).sub().shrU().i32(1).and().set(L_G);
  g.else_();
  w.get(L_D).get(L_T).shl().get(L_S).i32(32).get(L_T).sub().shrU().or().set(L_R);
  w.get(L_D).i32(32).get(L_T).sub().shrU().i32(1).and().set(L_G);
  g.end();
  w.get(L_R).get(L_D).xor().i32(31).shrU().set(L_U);
  g.shiftFlags(L_G, L_U).wrE(32, L_R);
  g.end();
};

/**
 * SHL (L_G 4), SHR (5) and SAR (7) of a 16-bit r/m (after 66) by imm8 (C1), 1 (D1) or CL (D3), the count mod 32, 0
 * changing nothing (the operand still written back, as the 32-bit form does): CF the last bit out (0 past 16), OF as
 * the 32-bit forms have it, SF ZF PF lazy from the 16-bit result (ops-shift.ts shiftOp; emit.ts shift16). The
 * rotates and SAL: JavaScript's. (Debian's 686 kernel handed back ~230 k `shr $imm, %r16` a boot.)
 */
const shift16 = (g: InterpWriter): void => {
  const w = g.w;
  g.modrm(); w.get(L_RG).set(L_G);
  w.get(L_G).i32(4).eq().get(L_G).i32(5).eq().or().get(L_G).i32(7).eq().or().eqz(); g.brIf('unsup');
  g.rdE(16, true);
  w.get(L_OP).i32(0xc1).eq(); g.select(() => { g.u8(); }, () => { w.get(L_OP).i32(0xd1).eq(); g.select(() => { w.i32(1); }, () => { g.regN(1); }); });
  w.i32(31).and().tee(L_T); g.if_();
  w.get(L_G).i32(4).eq(); g.if_();
  // (a shift count of 16 - T past 16 wraps to 17..31: the 16-bit value shifted out entirely, CF 0)
  w.get(L_D).get(L_T).shl().i32(0xffff).and().set(L_R);
  w.get(L_D).i32(16).get(L_T).sub().shrU().i32(1).and().set(L_S);
  w.get(L_R).i32(15).shrU().get(L_S).xor().set(L_U);
  g.else_(); w.get(L_G).i32(5).eq(); g.if_();
  w.get(L_D).get(L_T).shrU().set(L_R);
  w.get(L_D).get(L_T).i32(1).sub().shrU().i32(1).and().set(L_S);
  w.get(L_T).i32(1).eq(); g.select(() => { w.get(L_D).i32(15).shrU(); }, () => { w.i32(0); }); w.set(L_U);
  g.else_();
  w.get(L_D).i32(16).shl().i32(16).shrS().get(L_T).shrS().i32(0xffff).and().set(L_R);
  w.get(L_D).i32(16).shl().i32(16).shrS().get(L_T).i32(1).sub().shrS().i32(1).and().set(L_S);
  w.i32(0).set(L_U);
  g.end().end();
  g.shiftFlags(L_S, L_U, 16);
  g.else_(); w.get(L_D).set(L_R); g.end();
  g.wrE(16, L_R);
};

/**
 * REPE (F3) / REPNE (F2) SCASB (L_OP AE) and CMPSB (A6) with DF = 0: what one run of the JavaScript interpreter's REP
 * does (ops-string.ts stringOp): compare element after element, min(ECX, REP_SLICE) of them, stopping after the one
 * whose ZF ends the repeat, with the flags of the last compare. Only when that run stays on the pages of ES:EDI (and
 * DS:ESI) the TLB holds: it scans first and commits after, so a run that would cross a page's end is handed back with
 * nothing changed. One retired instruction; EIP stays on it when elements remain after a whole slice; a block may start
 * after it. (A Linux boot handed ~27 k of them back, strlen's REPNE SCASB.)
 */
const repCompare = (g: InterpWriter, repe: boolean): void => {
  const w = g.w;
  w.i32(0).load(A_FLAGS).i32(DF).and(); g.brIf('unsup');
  g.regN(1); w.set(L_D); // ECX
  w.get(L_D); g.if_();
  w.get(L_D).i32(REP_SLICE).get(L_D).i32(REP_SLICE).ltU().select().set(L_R); // this run's elements at most
  /** the arena address of register `r`'s byte into `to`, if the TLB holds its page for reading; L_U: the bytes left on it at most */
  const side = (r: number, to: number): void => {
    g.regN(r); w.set(L_LA);
    w.get(L_LA).i32(12).shrU().i32(2).shl().load(A_TLB_R).tee(L_E).get(P_ACC).and().eqz(); g.brIf('unsup');
    w.get(L_E).i32(~0xfff).and().get(L_LA).i32(0xfff).and().or().i32(A_RAM).add().set(to);
    w.i32(0x1000).get(L_LA).i32(0xfff).and().sub().tee(L_E).get(L_U).get(L_E).get(L_U).ltU().select().set(L_U);
  };
  w.get(L_R).set(L_U);
  side(7, L_T);
  w.get(L_OP).i32(0xa6).eq(); g.if_(); side(6, L_S); g.end();
  // scan: L_G elements compared, L_RG and L_M the last two bytes, L_RM 1 if the last one ended the repeat
  w.i32(0).set(L_G).i32(0).set(L_RM);
  g.block('scanned').loop('scan');
  w.get(L_G).get(L_U).geU(); g.brIf('scanned');
  w.get(L_OP).i32(0xa6).eq(); g.select(() => { w.get(L_S).get(L_G).add().load8u(0); }, () => { g.regN(0); w.i32(0xff).and(); }); w.set(L_RG);
  w.get(L_T).get(L_G).add().load8u(0).set(L_M);
  w.get(L_G).i32(1).add().set(L_G);
  w.get(L_RG).get(L_M); if (repe) w.ne(); else w.eq(); g.if_(); w.i32(1).set(L_RM); g.br('scanned'); g.end();
  g.br('scan');
  g.end().end();
  // a run the page's end cut short: JavaScript's, from the start
  w.get(L_RM).eqz().get(L_U).get(L_R).ltU().and(); g.brIf('unsup');
  g.setRegN(1, () => { w.get(L_D).get(L_G).sub(); });
  g.setRegN(7, () => { g.regN(7); w.get(L_G).add(); });
  w.get(L_OP).i32(0xa6).eq(); g.if_(); g.setRegN(6, () => { g.regN(6); w.get(L_G).add(); }); g.end();
  w.get(L_RG).set(L_D).get(L_M).set(L_S).get(L_D).get(L_S).sub().set(L_R); g.lazy(K_SUB, 8);
  w.i32(1).set(P_NS);
  w.get(L_RM).eqz(); g.regN(1); w.i32(0).ne().and(); g.if_(); w.get(L_ST).set(L_EIP); g.br('done'); g.end(); // a whole slice: again
  g.end();
  w.i32(1).set(P_NS);
};

/**
 * MOVS CMPS STOS LODS SCAS without REP (A4-A7, AA-AF in L_OP; REP forms are the JavaScript interpreter's bulk
 * copies): one element of `size` bytes at DS:ESI and ES:EDI (flat), ESI and EDI stepped by DF (ops-string.ts
 * stringOne). Both accesses are checked before either is made; anything else in A0-AF goes to 'unsup'.
 */
const stringOne = (g: InterpWriter, size: number): void => {
  const w = g.w, bits = size * 8;
  w.i32(0).load(A_FLAGS).i32(DF).and(); g.select(() => { w.i32(-size); }, () => { w.i32(size); }); w.set(L_U); // the step
  const step = (r: number): void => { g.setRegN(r, () => { g.regN(r); w.get(L_U).add(); }); };
  /** the element at [ESI] (6) or [EDI] (7), checked for reading, into local `to` */
  const read = (r: number, to: number): void => { g.regN(r); w.set(L_LA); g.check(A_TLB_R, size).load(size); w.set(to); };
  const kind = (op: number): void => { w.get(L_OP).i32(0xfe).and().i32(op).eq(); };
  kind(0xa4); g.if_(); // MOVS
  read(6, L_D); g.regN(7); w.set(L_LA); g.check(A_TLB_W, size).store(size, () => { w.get(L_D); });
  step(6); step(7); g.br('seq');
  g.end();
  kind(0xa6); g.if_(); // CMPS: [ESI] - [EDI]
  read(6, L_D); read(7, L_S); w.get(L_D).get(L_S).sub().set(L_R); g.lazy(K_SUB, bits);
  step(6); step(7); g.br('seq');
  g.end();
  kind(0xaa); g.if_(); // STOS
  g.regN(7); w.set(L_LA); g.check(A_TLB_W, size).store(size, () => { g.regN(0); });
  step(7); g.br('seq');
  g.end();
  kind(0xac); g.if_(); // LODS
  read(6, L_D);
  if (size === 4) g.setRegN(0, () => { w.get(L_D); }); else { w.i32(0).get(L_D); if (size === 2) w.store16(A_REGS); else w.store8(A_REGS); }
  step(6); g.br('seq');
  g.end();
  kind(0xae); g.if_(); // SCAS: the accumulator - [EDI]
  read(7, L_S); g.regN(0); if (size < 4) w.i32(size === 2 ? 0xffff : 0xff).and(); w.set(L_D);
  w.get(L_D).get(L_S).sub().set(L_R); g.lazy(K_SUB, bits);
  step(7); g.br('seq');
  g.end();
  g.br('unsup');
};

/**
 * REP MOVSB/MOVSD/STOSB/STOSD (L_OP A4, A5, AA, AB) with DF = 0: what one run of the JavaScript interpreter's REP
 * does (ops-string.ts stringOp), min(ECX, REP_SLICE) elements, at once, when each side lies on one page of RAM the
 * TLB holds (as rep-bulk.ts takes it: a page holding compiled code is never held for writes) and a copy does not
 * overlap forward; else 'unsup' with nothing changed, and the JavaScript interpreter runs it. One retired
 * instruction; EIP stays on it while elements remain (a long REP restarts itself); a block may start after it.
 * (A Linux boot handed ~165 k REP MOVS/STOS back to JavaScript: memcpy and memset of small objects and pages.)
 */
const repString = (g: InterpWriter): void => {
  const w = g.w;
  w.i32(0).load(A_FLAGS).i32(DF).and(); g.brIf('unsup');
  w.get(L_OP).i32(1).and().i32(1).shl().set(L_G); // log2 of the element's size
  g.regN(1); w.set(L_D); // ECX: the elements left
  w.get(L_D); g.if_();
  w.get(L_D).i32(REP_SLICE).get(L_D).i32(REP_SLICE).ltU().select().set(L_R); // this run's elements
  w.get(L_R).get(L_G).shl().set(L_U); // and bytes
  /** the arena address of the L_U bytes from register `r` into local `to`, if on one page the TLB array `tlb` holds */
  const side = (r: number, tlb: number, to: number): void => {
    g.regN(r); w.set(L_LA);
    w.get(L_LA).i32(12).shrU().i32(2).shl().load(tlb).tee(L_E).get(P_ACC).and().eqz();
    w.get(L_LA).i32(0xfff).and().get(L_U).add().i32(0x1000).gtU().or(); g.brIf('unsup');
    w.get(L_E).i32(~0xfff).and().get(L_LA).i32(0xfff).and().or().i32(A_RAM).add().set(to);
  };
  side(7, A_TLB_W, L_T);
  w.get(L_OP).i32(0xa6).ltU(); g.if_(); // MOVS
  side(6, A_TLB_R, L_S);
  // a destination just above the source repeats the first bytes (a forward copy reads what it wrote)
  w.get(L_T).get(L_S).gtU().get(L_T).get(L_S).get(L_U).add().ltU().and(); g.brIf('unsup');
  w.get(L_T).get(L_S).get(L_U).memoryCopy();
  g.setRegN(6, () => { g.regN(6); w.get(L_U).add(); });
  g.else_(); // STOS: bytes, or a dword of four equal bytes, as a fill; other dwords one by one
  w.get(L_G).eqz(); g.regN(0); w.i32(0xff).and().i32(0x01010101).mul(); g.regN(0); w.eq().or(); g.if_();
  w.get(L_T); g.regN(0); w.get(L_U).memoryFill();
  g.else_();
  w.i32(0).set(L_M);
  g.block('filled').loop('fill');
  w.get(L_M).get(L_U).geU(); g.brIf('filled');
  w.get(L_T).get(L_M).add(); g.regN(0); w.store(0);
  w.get(L_M).i32(4).add().set(L_M); g.br('fill');
  g.end().end();
  g.end();
  g.end();
  g.setRegN(7, () => { g.regN(7); w.get(L_U).add(); });
  g.setRegN(1, () => { w.get(L_D).get(L_R).sub(); });
  w.i32(1).set(P_NS);
  w.get(L_D).get(L_R).ne(); g.if_(); w.get(L_ST).set(L_EIP); g.br('done'); g.end(); // elements remain: again
  g.end();
  w.i32(1).set(P_NS);
};

/** ALU Ev,Gv (op & 7 = 1, or 0 for bytes): the operation from the opcode (ops-alu.ts aluEG) */
const aluEG = (g: InterpWriter, bits: number): void => {
  aluOp(g); g.modrm().regW(bits, L_RG); g.w.set(L_S);
  g.rdE(bits, true).alu(bits); unlessCmp(g, () => g.wrE(bits, L_R));
};
/** ALU Gv,Ev (op & 7 = 3, or 2 for bytes) */
const aluGE = (g: InterpWriter, bits: number): void => {
  const w = g.w;
  aluOp(g); g.modrm().rdE(bits, false); w.get(L_D).set(L_S); g.regW(bits, L_RG); w.set(L_D);
  g.alu(bits); unlessCmp(g, () => g.setRegW(bits, L_RG, () => { w.get(L_R); }));
};
/** ALU AL/AX/EAX,imm (op & 7 = 5, or 4 for bytes) */
const aluAI = (g: InterpWriter, bits: number): void => {
  const w = g.w;
  aluOp(g); g.acc(bits); w.set(L_D); g.imm(bits); w.set(L_S);
  g.alu(bits); unlessCmp(g, () => g.setAcc(bits, () => { w.get(L_R); }));
};
/** group 1 (80, 81, 83: ModRM read, the operation in its reg field): an imm8 sign-extended for 83 */
const group1 = (g: InterpWriter, bits: number): void => {
  const w = g.w;
  g.modrm(); w.get(L_RG).set(L_G);
  g.rdE(bits, true);
  if (bits === 8) g.u8();
  else { w.get(L_OP).i32(0x83).eq(); g.select(() => { g.s8(); }, () => { g.imm(bits); }); if (bits === 16) w.i32(0xffff).and(); }
  w.set(L_S);
  g.alu(bits); unlessCmp(g, () => g.wrE(bits, L_R));
};
/** TEST Ev,Gv and TEST AL/AX/EAX,imm */
const testEG = (g: InterpWriter, bits: number): void => {
  g.modrm().rdE(bits, false); g.w.get(L_D); g.regW(bits, L_RG); g.w.and().set(L_R); g.lazy(K_LOGIC, bits);
};
const testAI = (g: InterpWriter, bits: number): void => { g.acc(bits).imm(bits); g.w.and().set(L_R); g.lazy(K_LOGIC, bits); };

export const FORMS: readonly Form[] = [
  // MOV Ev,Gv / Gv,Ev / Eb,Gb / Gb,Eb
  { ops: [0x89], body: (g) => { g.modrm().dest().put(32, () => g.reg(L_RG)); } },
  { ops: [0x8b], body: (g) => { g.modrm().rdE(32, false).setReg(L_RG, () => { g.w.get(L_D); }); } },
  { ops: [0x88], body: (g) => { g.modrm().dest().put(8, () => g.reg8(L_RG)); } },
  { ops: [0x8a], body: (g) => { g.modrm().rdE(8, false).setReg8(L_RG, () => { g.w.get(L_D); }); } },
  // MOV r32,imm32; MOV Ev,imm32 (C7 /0); MOV Eb,imm8 (C6 /0)
  { ops: range(0xb8, 8), body: (g) => { g.w.get(L_OP).i32(7).and().set(L_RM); g.u32(); g.w.set(L_D); g.setReg(L_RM, () => { g.w.get(L_D); }); } },
  { ops: [0xc7, 0xc6], body: (g) => {
    const w = g.w;
    g.modrm(); w.get(L_RG); g.brIf('unsup');
    w.get(L_OP).i32(0xc7).eq(); g.if_();
    g.dest().u32(); w.set(L_D); g.put(32, () => { w.get(L_D); });
    g.else_();
    g.dest().u8(); w.set(L_D); g.put(8, () => { w.get(L_D); });
    g.end();
  } },
  // MOV AL/EAX <-> moffs32 (A0-A3)
  { ops: [0xa0, 0xa1, 0xa2, 0xa3], body: (g) => {
    const w = g.w;
    g.u32(); w.get(L_SEG).add().set(L_LA);
    w.get(L_OP).i32(0xa0).eq(); g.if_(); g.check(A_TLB_R, 1); w.i32(0); g.load(1); w.store8(A_REGS); g.end();
    w.get(L_OP).i32(0xa1).eq(); g.if_(); g.check(A_TLB_R, 4).setRegN(0, () => { g.load(4); }); g.end();
    w.get(L_OP).i32(0xa2).eq(); g.if_(); g.check(A_TLB_W, 1).store(1, () => { g.regN(0); }); g.end();
    w.get(L_OP).i32(0xa3).eq(); g.if_(); g.check(A_TLB_W, 4).store(4, () => { g.regN(0); }); g.end();
  } },
  // LEA (a register operand is #UD: JavaScript's)
  { ops: [0x8d], body: (g) => {
    g.modrm(); g.w.get(L_M).i32(0xc0).geU(); g.brIf('unsup');
    g.ea().setReg(L_RG, () => { g.w.get(L_LA); });
  } },
  // ALU Ev,Gv (01 09 21 29 31 39) and Eb,Gb (00 08 20 28 30 38); Gv,Ev and Gb,Eb (x3, x2); EAX,imm32 and AL,imm8
  { ops: ALU.map((k) => (k << 3) | 1), body: (g) => { aluEG(g, 32); } },
  { ops: ALU.map((k) => k << 3), body: (g) => { aluEG(g, 8); } },
  { ops: ALU.map((k) => (k << 3) | 3), body: (g) => { aluGE(g, 32); } },
  { ops: ALU.map((k) => (k << 3) | 2), body: (g) => { aluGE(g, 8); } },
  { ops: ALU.map((k) => (k << 3) | 5), body: (g) => { aluAI(g, 32); } },
  { ops: ALU.map((k) => (k << 3) | 4), body: (g) => { aluAI(g, 8); } },
  // group 1: 81 Ev,imm32, 83 Ev,imm8 (sign-extended), 80 Eb,imm8
  { ops: [0x81, 0x83], body: (g) => { group1(g, 32); } },
  { ops: [0x80], body: (g) => { group1(g, 8); } },
  // TEST Ev,Gv / Eb,Gb; TEST EAX,imm32 / AL,imm8
  { ops: [0x85], body: (g) => { testEG(g, 32); } },
  { ops: [0x84], body: (g) => { testEG(g, 8); } },
  { ops: [0xa9], body: (g) => { testAI(g, 32); } },
  { ops: [0xa8], body: (g) => { testAI(g, 8); } },
  // INC/DEC r32
  { ops: range(0x40, 16), body: (g) => {
    const w = g.w;
    w.get(L_OP).i32(7).and().set(L_RM).get(L_OP).i32(8).and().set(L_G);
    g.reg(L_RM); w.set(L_D); incDec(g, 32);
    g.setReg(L_RM, () => { w.get(L_R); });
  } },
  // group 2, Ev: ROL ROR SHL SHR SAR by imm8 (C1), 1 (D1), CL (D3); a count of 0 changes no flag (RCL/RCR, SAL /6: JavaScript's)
  { ops: [0xc1, 0xd1, 0xd3], body: (g) => {
    const w = g.w;
    g.modrm(); w.get(L_RG).set(L_G);
    w.get(L_G).i32(2).eq().get(L_G).i32(3).eq().or().get(L_G).i32(6).eq().or(); g.brIf('unsup');
    g.rdE(32, true);
    w.get(L_OP).i32(0xc1).eq(); g.select(() => { g.u8(); }, () => { w.get(L_OP).i32(0xd1).eq(); g.select(() => { w.i32(1); }, () => { g.regN(1); }); });
    w.i32(31).and().tee(L_T); g.if_(); g.shiftOrRotate(); g.else_(); w.get(L_D).set(L_R); g.end();
    g.wrE(32, L_R);
  } },
  // group 3: TEST NOT NEG, Eb (F6) and Ev (F7)
  { ops: [0xf6, 0xf7], body: (g) => {
    const w = g.w;
    g.modrm(); w.get(L_RG).set(L_G);
    w.get(L_G).i32(1).eq(); g.brIf('unsup');
    // MUL IMUL DIV IDIV of 32 bits (the byte forms: JavaScript's)
    w.get(L_G).i32(3).gtU(); g.if_();
    w.get(L_OP).i32(0xf6).eq(); g.brIf('unsup');
    g.rdE(32, false); mulDiv32(g); g.br('seq');
    g.end();
    w.get(L_OP).i32(0xf6).eq(); g.if_(); group3(g, 8); g.else_(); group3(g, 32); g.end();
  } },
  // group 5, Ev: INC DEC CALL JMP PUSH
  { ops: [0xff], body: (g) => {
    const w = g.w;
    g.modrm(); w.get(L_RG).set(L_G);
    w.get(L_G).i32(3).eq().get(L_G).i32(5).eq().or().get(L_G).i32(7).eq().or(); g.brIf('unsup');
    w.get(L_G).i32(2).ltU(); g.if_();
    g.rdE(32, true); incDec(g, 32);
    g.wrE(32, L_R).br('seq');
    g.end();
    g.rdE(32, false);
    w.get(L_G).i32(6).eq(); g.if_(); g.push(() => { w.get(L_D); }).br('seq'); g.end();
    w.get(L_G).i32(2).eq(); g.if_(); g.next(); w.set(L_T); g.push(() => { w.get(L_T); }); g.end(); // CALL: the target read first
    w.get(L_D).set(L_EIP); g.br('done');
  } },
  // PUSH r32, POP r32 (not ESP), PUSH imm32 / imm8
  { ops: range(0x50, 8), body: (g) => { g.w.get(L_OP).i32(7).and().set(L_RM); g.reg(L_RM); g.w.set(L_D); g.push(() => { g.w.get(L_D); }); } },
  { ops: [0x58, 0x59, 0x5a, 0x5b, 0x5d, 0x5e, 0x5f], body: (g) => {
    const w = g.w;
    g.regN(4); w.set(L_LA); g.check(A_TLB_R, 4).load(4); w.set(L_D);
    g.setRegN(4, () => { w.get(L_LA).i32(4).add(); });
    w.get(L_OP).i32(7).and().set(L_RM); g.setReg(L_RM, () => { w.get(L_D); });
  } },
  { ops: [0x68, 0x6a], body: (g) => {
    const w = g.w;
    w.get(L_OP).i32(0x68).eq(); g.select(() => { g.u32(); }, () => { g.s8(); }); w.set(L_D);
    g.push(() => { w.get(L_D); });
  } },
  // CALL rel32, RET, JMP rel8 / rel32, Jcc rel8
  { ops: [0xe8], body: (g) => {
    const w = g.w;
    g.u32(); w.set(L_D); g.next(); w.set(L_T);
    g.push(() => { w.get(L_T); });
    w.get(L_T).get(L_D).add().set(L_EIP); g.br('done');
  } },
  { ops: [0xc3], body: (g) => {
    const w = g.w;
    g.regN(4); w.set(L_LA); g.check(A_TLB_R, 4).load(4); w.set(L_D);
    g.setRegN(4, () => { w.get(L_LA).i32(4).add(); });
    w.get(L_D).set(L_EIP); g.br('done');
  } },
  { ops: [0xeb, 0xe9], body: (g) => {
    const w = g.w;
    w.get(L_OP).i32(0xeb).eq(); g.select(() => { g.s8(); }, () => { g.u32(); }); w.set(L_D);
    g.next(); w.get(L_D).add().set(L_EIP); g.br('done');
  } },
  { ops: range(0x70, 16), body: (g) => { g.s8(); g.w.set(L_D).get(L_OP).i32(15).and().set(L_G); jcc(g); } },
  { ops: [0x90], body: () => {} }, // NOP
  // XCHG EAX,r32
  { ops: range(0x91, 7), body: (g) => {
    const w = g.w;
    w.get(L_OP).i32(7).and().set(L_RM); g.reg(L_RM); w.set(L_D);
    g.setReg(L_RM, () => { g.regN(0); }).setRegN(0, () => { w.get(L_D); });
  } },
  // CWDE (98), CDQ (99)
  { ops: [0x98, 0x99], body: (g) => {
    const w = g.w;
    w.get(L_OP).i32(0x99).eq(); g.if_(); g.setRegN(2, () => { g.regN(0); w.i32(31).shrS(); });
    g.else_(); g.setRegN(0, () => { g.regN(0); w.i32(16).shl().i32(16).shrS(); }); g.end();
  } },
  // LEAVE: EBP's slot read first, then ESP = EBP + 4 and EBP the value (ops-data.ts leave; a 32-bit stack here)
  { ops: [0xc9], body: (g) => {
    const w = g.w;
    g.regN(5); w.set(L_LA); g.check(A_TLB_R, 4).load(4); w.set(L_D);
    g.setRegN(4, () => { w.get(L_LA).i32(4).add(); }).setRegN(5, () => { w.get(L_D); });
  } },
  // an operand-size prefix: MOV Ew,Gw / Gw,Ew / Ew,imm16 (66 89, 66 8B, 66 C7 /0), the ALU forms, TEST, INC/DEC
  // and group 3's TEST NOT NEG on 16 bits (the lazy flags of a 16-bit result: cpu-state.ts setLazy)
  { ops: [0x66], body: (g) => {
    const w = g.w;
    g.u8(); w.set(L_OP);
    w.get(L_OP).i32(0x89).eq(); g.if_(); g.modrm().dest().put(16, () => g.reg16(L_RG)).br('seq'); g.end();
    w.get(L_OP).i32(0x90).eq(); g.brIf('seq'); // XCHG AX,AX: a 2-byte NOP
    w.get(L_OP).i32(0xf4).and().i32(0xe4).eq(); g.if_(); portIo(g, 2); g.br('seq'); g.end(); // IN/OUT of AX
    w.get(L_OP).i32(0xc1).eq().get(L_OP).i32(0xd1).eq().or().get(L_OP).i32(0xd3).eq().or(); g.if_(); shift16(g); g.br('seq'); g.end();
    w.get(L_OP).i32(0x8b).eq(); g.if_(); g.modrm().rdE(16, false).setReg16(L_RG, () => { w.get(L_D); }).br('seq'); g.end();
    w.get(L_OP).i32(0xc7).eq(); g.if_();
    g.modrm(); w.get(L_RG); g.brIf('unsup');
    g.dest().u16(); w.set(L_D); g.put(16, () => { w.get(L_D); }).br('seq');
    g.end();
    // ALU Ew,Gw (x1), Gw,Ew (x3), AX,imm16 (x5); group 1 (81, 83); TEST Ew,Gw and AX,imm16
    w.get(L_OP).i32(0x40).ltU(); g.if_();
    w.get(L_OP).i32(7).and().set(L_T);
    w.get(L_T).i32(1).eq(); g.if_(); aluEG(g, 16); g.br('seq'); g.end();
    w.get(L_T).i32(3).eq(); g.if_(); aluGE(g, 16); g.br('seq'); g.end();
    w.get(L_T).i32(5).ne(); g.brIf('unsup');
    aluAI(g, 16); g.br('seq');
    g.end();
    w.get(L_OP).i32(0xfd).and().i32(0x81).eq(); g.if_(); group1(g, 16); g.br('seq'); g.end();
    w.get(L_OP).i32(0x85).eq(); g.if_(); testEG(g, 16); g.br('seq'); g.end();
    w.get(L_OP).i32(0xa9).eq(); g.if_(); testAI(g, 16); g.br('seq'); g.end();
    // MOVSW CMPSW STOSW LODSW SCASW (66 before a byte form changes nothing)
    w.get(L_OP).i32(0xf0).and().i32(0xa0).eq(); g.if_();
    w.get(L_OP).i32(1).and(); g.if_(); stringOne(g, 2); g.else_(); stringOne(g, 1); g.end();
    g.end();
    // INC/DEC r16
    w.get(L_OP).i32(0xf0).and().i32(0x40).eq(); g.if_();
    w.get(L_OP).i32(7).and().set(L_RM).get(L_OP).i32(8).and().set(L_G);
    g.reg16(L_RM); w.set(L_D); incDec(g, 16);
    g.setReg16(L_RM, () => { w.get(L_R); }).br('seq');
    g.end();
    // INC/DEC Ew (FF /0 /1)
    w.get(L_OP).i32(0xff).eq(); g.if_();
    g.modrm(); w.get(L_RG).set(L_G).get(L_G).i32(2).geU(); g.brIf('unsup');
    g.rdE(16, true); incDec(g, 16); g.wrE(16, L_R).br('seq');
    g.end();
    // group 3 (F7): TEST NOT NEG
    w.get(L_OP).i32(0xf7).ne(); g.brIf('unsup');
    g.modrm(); w.get(L_RG).set(L_G);
    w.get(L_G).i32(1).eq().get(L_G).i32(3).gtU().or(); g.brIf('unsup');
    group3(g, 16);
  } },
  // MOVS CMPS STOS LODS SCAS, bytes and dwords
  { ops: [0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf], body: (g) => {
    g.w.get(L_OP).i32(1).and(); g.if_(); stringOne(g, 4); g.else_(); stringOne(g, 1); g.end();
  } },
  // One segment prefix (ES, SS, DS, FS, GS; CS and a second prefix are JavaScript's), then the instruction after it,
  // dispatched again. ES, SS and DS are flat here (Cpu.interpretFlat's condition): they change nothing (Linux pads
  // with `3E 8D 74 26 00`, a DS-prefixed LEA). FS and GS add their base to ModRM and moffs addresses (L_SEG) when the
  // segment is flat but for its base (A_FSOK, A_GSOK): Linux's per-CPU variables are %fs-relative (`incl %fs:x`,
  // `mov %fs:x, %eax`; Debian's 686 kernel handed back ~15 M of them a boot). What an FS or GS prefix cannot take is
  // handed back: LEA (no segment), POP m32, the string forms (the prefix names their source), REP, LOCK.
  { ops: [0x26, 0x36, 0x3e, 0x64, 0x65], body: (g) => {
    const w = g.w;
    w.get(L_OP).i32(0x64).geU(); g.if_();
    w.get(L_OP).i32(0x64).eq(); g.select(() => { w.i32(0).load(A_FSOK); }, () => { w.i32(0).load(A_GSOK); }); w.eqz(); g.brIf('unsup');
    w.get(L_OP).i32(0x64).eq(); g.select(() => { w.i32(0).load(A_FSB); }, () => { w.i32(0).load(A_GSB); }); w.set(L_SEG);
    g.u8(); w.set(L_OP);
    // the operand-size prefix: the opcode after it (peeked) must not be a string form
    w.get(L_OP).i32(0x66).eq(); g.if_(); w.get(L_P).load8u(0).i32(0xa4).sub().i32(12).ltU(); g.brIf('unsup'); g.end();
    w.get(L_OP).i32(0x8d).eq().get(L_OP).i32(0x8f).eq().or().get(L_OP).i32(0xa4).sub().i32(12).ltU().or();
    w.get(L_OP).i32(0xf0).eq().or().get(L_OP).i32(0xf2).eq().or().get(L_OP).i32(0xf3).eq().or(); g.brIf('unsup');
    g.else_();
    g.u8(); w.set(L_OP);
    g.end();
    // one segment prefix
    w.get(L_OP).i32(0xe7).and().i32(0x26).eq().get(L_OP).i32(0xfe).and().i32(0x64).eq().or(); g.brIf('unsup');
    g.br('disp');
  } },
  // CLI where CPL <= IOPL (else #GP: JavaScript's; ops-system.ts cli): IF is never a lazy flag
  { ops: [0xfa], body: (g) => {
    const w = g.w;
    w.i32(0).load(A_CPL).i32(0).load(A_FLAGS).i32(IOPL).and().i32(12).shrU().gtU(); g.brIf('unsup');
    w.i32(0).i32(0).load(A_FLAGS).i32(~IF).and().store(A_FLAGS);
  } },
  // IN and OUT by an immediate port or DX (portIo)
  { ops: [0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef], body: (g) => { portIo(g, 4); } },
  // MOV r8,imm8
  { ops: range(0xb0, 8), body: (g) => { g.w.get(L_OP).i32(7).and().set(L_RM); g.u8(); g.w.set(L_D); g.setReg8(L_RM, () => { g.w.get(L_D); }); } },
  // F3: PAUSE (F3 90), a NOP after which a block may start, as after any REP-prefixed instruction (fast-paths.ts);
  // REP MOVS and REP STOS
  { ops: [0xf3], body: (g) => {
    const w = g.w;
    g.u8(); w.set(L_OP);
    w.get(L_OP).i32(0x90).eq(); g.if_(); w.i32(1).set(P_NS); g.br('seq'); g.end();
    w.get(L_OP).i32(0xae).eq().get(L_OP).i32(0xa6).eq().or(); g.if_(); repCompare(g, true); g.br('seq'); g.end();
    w.get(L_OP).i32(0xfe).and().i32(0xa4).eq().get(L_OP).i32(0xfe).and().i32(0xaa).eq().or().eqz(); g.brIf('unsup');
    repString(g);
  } },
  // LOCK before an instruction and ModRM reg field it may precede, with a memory operand (opcode-table.ts lockPrefix;
  // A_LOCK): one CPU, so it changes nothing, and the instruction is dispatched again. Anything else (#UD, other
  // prefixes after it): JavaScript's. (Linux's atomics: `lock cmpxchg8b`, `lock cmpxchg`, `lock incl`.)
  { ops: [0xf0], body: (g) => {
    const w = g.w;
    g.u8(); w.set(L_OP);
    // the ModRM byte after the opcode (after 0F xx: one more byte on) into L_T, the opcode's mask into L_U
    w.get(L_OP).i32(0x0f).eq(); g.if_();
    w.get(L_P).load8u(1).set(L_T).get(L_P).load8u(0).load8u(A_LOCK + 0x100).set(L_U);
    g.else_();
    w.get(L_P).load8u(0).set(L_T).get(L_OP).load8u(A_LOCK).set(L_U);
    g.end();
    w.get(L_T).i32(0xc0).geU().get(L_U).get(L_T).i32(3).shrU().i32(7).and().shrU().i32(1).and().eqz().or(); g.brIf('unsup');
    g.br('disp');
  } },
  // F2: REPNE SCASB and CMPSB
  { ops: [0xf2], body: (g) => {
    const w = g.w;
    g.u8(); w.set(L_OP);
    w.get(L_OP).i32(0xae).eq().get(L_OP).i32(0xa6).eq().or().eqz(); g.brIf('unsup');
    repCompare(g, false);
  } },
  // PUSHFD: EFLAGS without VM and RF (ops-system.ts pushf)
  { ops: [0x9c], body: (g) => { g.push(() => { g.w.call(F_MAT).i32(~(VM | RF)).and(); }); } },
  // POP Ev (8F /0): ESP moves before the address is computed, and back if the store cannot be made here
  // (ops-data.ts popE); the old ESP in L_S (ea uses L_T and L_U)
  { ops: [0x8f], body: (g) => {
    const w = g.w;
    g.modrm(); w.get(L_RG); g.brIf('unsup');
    g.regN(4); w.tee(L_S).set(L_LA); g.check(A_TLB_R, 4).load(4); w.set(L_D);
    w.get(L_M).i32(0xc0).geU(); g.if_();
    g.setRegN(4, () => { w.get(L_S).i32(4).add(); });
    w.get(L_M).i32(7).and().set(L_RM); g.setReg(L_RM, () => { w.get(L_D); });
    g.else_();
    g.setRegN(4, () => { w.get(L_S).i32(4).add(); }).ea().setRegN(4, () => { w.get(L_S); });
    g.check(A_TLB_W, 4);
    g.setRegN(4, () => { w.get(L_S).i32(4).add(); }).store(4, () => { w.get(L_D); });
    g.end();
  } },
  // IMUL Gv,Ev,imm32 / imm8: CF = OF = the signed product does not fit, SF ZF PF lazy from its low half, AF 0
  // (ops-muldiv.ts imulTrunc, setShift)
  { ops: [0x69, 0x6b], body: (g) => {
    const w = g.w;
    g.modrm().rdE(32, false);
    w.get(L_OP).i32(0x6b).eq(); g.select(() => { g.s8(); }, () => { g.u32(); }); w.set(L_S);
    imul32(g);
  } },
  // 0F: Jcc rel32, SETcc Eb, BT BTS BTR BTC Ev,imm8, MOVZX / MOVSX Gv,Eb/Ew
  { ops: [0x0f], body: (g) => {
    const w = g.w;
    g.u8(); w.set(L_OP);
    w.get(L_OP).i32(0xf0).and().i32(0x80).eq(); g.if_();
    g.u32(); w.set(L_D).get(L_OP).i32(15).and().set(L_G); jcc(g);
    g.end();
    w.get(L_OP).i32(0xf0).and().i32(0x90).eq(); g.if_();
    g.modrm().dest(); w.get(L_OP).i32(15).and().set(L_G); g.cond(L_G); w.set(L_D); g.put(8, () => { w.get(L_D); }).br('seq');
    g.end();
    w.get(L_OP).i32(0xba).eq(); g.if_();
    g.modrm(); w.get(L_RG).set(L_G).get(L_G).i32(4).ltU(); g.brIf('unsup');
    w.get(L_G).i32(4).eq(); g.if_(); g.rdE(32, false); g.else_(); g.rdE(32, true); g.end();
    g.u8(); w.i32(31).and().set(L_T);
    bitOp(g).br('seq');
    g.end();
    // BT BTS BTR BTC Ev,Gv (A3 AB B3 BB): a memory operand is the dword the signed bit offset falls in
    w.get(L_OP).i32(0xe7).and().i32(0xa3).eq(); g.if_();
    g.modrm(); w.get(L_OP).i32(3).shrU().i32(3).and().i32(4).add().set(L_G);
    g.reg(L_RG); w.set(L_S); // the bit offset (ea uses L_T and L_U)
    w.get(L_M).i32(0xc0).geU(); g.if_();
    w.get(L_M).i32(7).and().set(L_RM); g.reg(L_RM); w.set(L_D);
    g.else_();
    g.ea(); w.get(L_LA).get(L_S).i32(5).shrS().i32(2).shl().add().set(L_LA);
    w.get(L_G).i32(4).eq(); g.if_(); g.check(A_TLB_R, 4); g.else_(); g.check(A_TLB_W, 4); g.end();
    g.load(4); w.set(L_D);
    g.end();
    w.get(L_S).i32(31).and().set(L_T);
    bitOp(g).br('seq');
    g.end();
    // XADD Ev,Gv: the register gets the old value first, so `xadd eax, eax` leaves the sum (ops-alu.ts xadd)
    w.get(L_OP).i32(0xc1).eq(); g.if_();
    g.modrm().rdE(32, true); g.reg(L_RG); w.set(L_S);
    w.get(L_D).get(L_S).add().set(L_R); g.lazy(K_ADD, 32);
    g.setReg(L_RG, () => { w.get(L_D); }).wrE(32, L_R).br('seq');
    g.end();
    // CMPXCHG Ev,Gv: CMP EAX with the operand; equal: the operand gets Gv, else EAX gets the operand, which is
    // written back either way (ops-alu.ts cmpxchg)
    w.get(L_OP).i32(0xb1).eq(); g.if_();
    g.modrm().rdE(32, true); w.get(L_D).set(L_S); g.regN(0); w.set(L_D);
    w.get(L_D).get(L_S).sub().set(L_R); g.lazy(K_SUB, 32);
    w.get(L_R).eqz(); g.if_(); g.reg(L_RG); w.set(L_T); g.wrE(32, L_T);
    g.else_(); g.wrE(32, L_S).setRegN(0, () => { w.get(L_S); }); g.end();
    g.br('seq');
    g.end();
    // CMOVcc Gv,Ev: the source is read (and checked) whether or not the condition holds; #UD without CMOV
    // (ops-data.ts cmovcc)
    w.get(L_OP).i32(0xf0).and().i32(0x40).eq(); g.if_();
    w.i32(0).load(A_FEAT).i32(FEAT_CMOV).and().eqz(); g.brIf('unsup');
    g.modrm().rdE(32, false); w.get(L_OP).i32(15).and().set(L_G);
    g.cond(L_G); g.if_(); g.setReg(L_RG, () => { w.get(L_D); }); g.end();
    g.br('seq');
    g.end();
    // RDTSC: the TSC when the call began and the time of the instructions it retired since (ops-system.ts rdtsc: the
    // clock given every instruction before this one); its exception (A_TSCF: #UD, or #GP with CR4.TSD): JavaScript's
    w.get(L_OP).i32(0x31).eq(); g.if_();
    w.i32(0).load(A_TSCF); g.brIf('unsup');
    const tsc = (): void => { pushTsc(w, A_TSC, A_TSCNS, () => { w.get(L_N); }); };
    g.setRegN(0, () => { tsc(); w.wrap(); }).setRegN(2, () => { tsc(); w.i64(32).i64ShrU().wrap(); });
    g.br('seq');
    g.end();
    // BSWAP r32
    w.get(L_OP).i32(0xf8).and().i32(0xc8).eq(); g.if_();
    w.get(L_OP).i32(7).and().set(L_RM); g.reg(L_RM); w.set(L_D);
    g.setReg(L_RM, () => {
      w.get(L_D).i32(24).shl().get(L_D).i32(0xff00).and().i32(8).shl().or();
      w.get(L_D).i32(8).shrU().i32(0xff00).and().or().get(L_D).i32(24).shrU().or();
    });
    g.br('seq');
    g.end();
    // CMPXCHG8B m64 (C7 /1; #UD without CX8, for a register or another reg field): EDX:EAX against the qword;
    // equal: ZF 1 and ECX:EBX stored, else ZF 0 and EDX:EAX loaded, the qword written back (ops-system.ts cmpxchg8b)
    w.get(L_OP).i32(0xc7).eq(); g.if_();
    w.i32(0).load(A_FEAT).i32(FEAT_CX8).and().eqz(); g.brIf('unsup');
    g.modrm(); w.get(L_M).i32(0xc0).geU().get(L_RG).i32(1).ne().or(); g.brIf('unsup');
    g.ea().check(A_TLB_W, 8); g.load32At(0); w.set(L_D); g.load32At(4); w.set(L_S);
    w.get(L_D); g.regN(0); w.eq().get(L_S); g.regN(2); w.eq().and(); g.if_();
    g.store32At(0, () => { g.regN(3); }).store32At(4, () => { g.regN(1); });
    g.setFlagBits(ZF, () => { w.i32(ZF); });
    g.else_();
    g.setRegN(0, () => { w.get(L_D); }).setRegN(2, () => { w.get(L_S); });
    g.setFlagBits(ZF, () => { w.i32(0); });
    g.end();
    g.br('seq');
    g.end();
    // IMUL Gv,Ev
    w.get(L_OP).i32(0xaf).eq(); g.if_(); g.modrm().rdE(32, false); g.reg(L_RG); w.set(L_S); imul32(g); g.br('seq'); g.end();
    // BSF, BSR: a zero source sets ZF and leaves the destination; else ZF 0 and the bit's index (ops-shift.ts bitScan)
    w.get(L_OP).i32(0xfe).and().i32(0xbc).eq(); g.if_();
    g.modrm().rdE(32, false);
    w.get(L_D).eqz(); g.if_(); g.setFlagBits(ZF, () => { w.i32(ZF); });
    g.else_(); g.setFlagBits(ZF, () => { w.i32(0); });
    g.setReg(L_RG, () => { w.get(L_OP).i32(0xbc).eq(); g.select(() => { w.get(L_D).ctz(); }, () => { w.i32(31).get(L_D).clz().sub(); }); });
    g.end();
    g.br('seq');
    g.end();
    // SHLD, SHRD Ev,Gv by imm8 or CL
    w.get(L_OP).i32(0xf6).and().i32(0xa4).eq(); g.if_(); shiftDouble(g); g.br('seq'); g.end();
    w.get(L_OP).i32(0xb6).eq().get(L_OP).i32(0xb7).eq().or().get(L_OP).i32(0xbe).eq().or().get(L_OP).i32(0xbf).eq().or().eqz(); g.brIf('unsup');
    g.modrm();
    w.get(L_OP).i32(1).and(); g.if_(); g.rdE(16, false); g.else_(); g.rdE(8, false); g.end();
    w.get(L_OP).i32(8).and(); g.if_(); // MOVSX
    w.get(L_OP).i32(1).and(); g.if_(); w.get(L_D).i32(16).shl().i32(16).shrS().set(L_D);
    g.else_(); w.get(L_D).i32(24).shl().i32(24).shrS().set(L_D); g.end();
    g.end();
    g.setReg(L_RG, () => { w.get(L_D); });
  } },
];
