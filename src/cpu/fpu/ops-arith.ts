/**
 * x87 arithmetic and comparison instructions: FADD/FMUL/FSUB(R)/FDIV(R) in all
 * forms (ST, memory fp and int operands, P variants), FCOM/FUCOM/FICOM/FTST/
 * FCOMI/FUCOMI, FXAM, FCHS/FABS/FSQRT/FRNDINT/FSCALE/FXTRACT/FPREM/FPREM1.
 */
import { CF, PF, ZF, AF, SF as EF_SF, OF } from '../cpu-state.js';
import type { Cpu } from '../cpu.js';
import { add, cmpFlags, compare, div, mul, rem, remNoQuotient, remPartial, remQ, sqrt, nan2 } from './f80-arith.js';
import { intFlags, toIntegerMag } from './f80-convert.js';
import { bitLen, DE, IE, K_BAD, K_FIN, K_INF, K_NAN, K_ZERO, quiet, isSnan, Unp, ZE } from './f80.js';
import { fastAdd, fastCompare, fastMul, qFlags, qHi, qLo, qSe } from './f80-fast.js';
import { C0, C1, C2, C3, examine, type Fpu } from './fpu-state.js';

const A = new Unp(), B = new Unp(), R = new Unp(), R2 = new Unp();

/**
 * ST(dst) = a op b, op by the ModRM reg field of D8: 0 FADD, 1 FMUL, 4 FSUB, 5 FSUBR, 6 FDIV, 7 FDIVR
 * (2/3 are the compares). The caller has loaded a and b (and checked for empty registers).
 */
export function arith(f: Fpu, op: number, dst: number, a: Unp, b: Unp, pop: boolean): void {
  let flags: number;
  switch (op) {
    case 0: flags = add(a, b, 0, f.rc, R); break;
    case 1: flags = mul(a, b, R); break;
    case 4: flags = add(a, b, 1, f.rc, R); break;
    case 5: flags = add(b, a, 1, f.rc, R); break;
    case 6: flags = div(a, b, R); break;
    default: flags = div(b, a, R); break;
  }
  if (f.writeResult(dst, R, flags, f.pcBits) && pop) f.pop();
}

/**
 * The same for normal operands through the number fast path (f80-fast.ts): ST(dst) = ST(dst) op b for op 0 FADD,
 * 1 FMUL, 4 FSUB, 5 FSUBR, b given as a register image. False: not handled, nothing changed (take arith()).
 */
export function fastArith(f: Fpu, op: number, dst: number, seb: number, hb: number, lb: number, pop: boolean): boolean {
  const p = f.phys(dst), sea = f.se[p]!, ha = f.hi[p]!, la = f.lo[p]!;
  const pc = f.pcBits, rc = f.rc;
  let ok: boolean;
  switch (op) {
    case 0: ok = fastAdd(sea, ha, la, seb, hb, lb, 0, pc, rc); break;
    case 1: ok = fastMul(sea, ha, la, seb, hb, lb, pc, rc); break;
    case 4: ok = fastAdd(sea, ha, la, seb, hb, lb, 1, pc, rc); break;
    case 5: ok = fastAdd(seb, hb, lb, sea, ha, la, 1, pc, rc); break;
    default: return false;
  }
  if (!ok) return false;
  f.signal(qFlags);
  f.setRaw(dst, qSe, qHi, qLo);
  if (pop) f.pop();
  return true;
}

/** fcom() for ST(0) against a register image that is a normal number or a zero (f80-fast.ts); false: not handled. */
export function fastCom(f: Fpu, seb: number, hb: number, lb: number, pops: number): boolean {
  const p = f.phys(0);
  const r = fastCompare(f.se[p]!, f.hi[p]!, f.lo[p]!, seb, hb, lb);
  if (r === 2) return false;
  f.setCC(r < 0 ? C0 : r === 0 ? C3 : 0); // C1 cleared with them
  for (let i = 0; i < pops; i++) f.pop();
  return true;
}

/** FCOM family: set C3 C2 C0 (and clear C1) from comparing a with b; `pops` registers popped after. */
export function fcom(f: Fpu, a: Unp, b: Unp, unordered: boolean, pops: number): void {
  const r = compare(a, b, !unordered);
  if (f.signal(cmpFlags)) return;
  f.setCC(r === 2 ? C3 | C2 | C0 : r < 0 ? C0 : r === 0 ? C3 : 0);
  for (let i = 0; i < pops; i++) f.pop();
}
/** FCOMI/FUCOMI(P): ZF PF CF from the comparison, OF SF AF cleared. */
export function fcomi(c: Cpu, i: number, unordered: boolean, pop: boolean): void {
  const f = c.fpu;
  if (f.isEmpty(0) || f.isEmpty(i)) {
    if (f.stackFault(false)) return;
    c.setFlagBits(ZF | PF | CF | OF | EF_SF | AF, ZF | PF | CF);
    if (pop) f.pop();
    return;
  }
  const r = compare(f.get(0, A), f.get(i, B), !unordered);
  f.sw &= ~C1;
  if (f.signal(cmpFlags)) return;
  c.setFlagBits(ZF | PF | CF | OF | EF_SF | AF, r === 2 ? ZF | PF | CF : r < 0 ? CF : r === 0 ? ZF : 0);
  if (pop) f.pop();
}

/** A compare with stack underflow: masked, the result is "unordered". */
export function compareUnderflow(f: Fpu, pops: number): void {
  if (f.stackFault(false)) return;
  f.setCC(C3 | C2 | C0);
  for (let i = 0; i < pops; i++) f.pop();
}

/** D9 E0-E5, F0-FF register-only forms that work on ST0 (and ST1) */
export function unary(c: Cpu, low: number): void {
  const f = c.fpu;
  if (low === 5) { // FXAM: no exceptions; C1 = sign, an empty register reports 101
    const p = f.phys(0);
    if (f.isEmpty(0)) { f.setCC(C3 | C0 | ((f.se[p]! & 0x8000) ? C1 : 0)); return; }
    f.get(0, A);
    f.setCC(examine(A) | (A.s ? C1 : 0));
    return;
  }
  if (f.isEmpty(0)) {
    if (low === 4) { compareUnderflow(f, 0); return; }
    if (!f.stackFault(false)) f.setIndefinite(0);
    return;
  }
  f.get(0, A);
  switch (low) {
    case 0: case 1: { // FCHS, FABS: only the sign changes, even for NaNs (no IE)
      const p = f.phys(0);
      f.se[p] = low === 0 ? f.se[p]! ^ 0x8000 : f.se[p]! & 0x7fff;
      f.sw &= ~C1;
      return;
    }
    case 4: fcom(f, A, B.zero(0), false, 0); return; // FTST
    case 0x1a: f.writeResult(0, R, sqrt(A, R), f.pcBits); return; // FSQRT
    case 0x1c: frndint(f); return;
    default: throw new RangeError(`fpu unary ${low}`);
  }
}

function frndint(f: Fpu): void {
  if (A.k !== K_FIN) {
    const flags = A.k === K_ZERO || A.k === K_INF ? 0 : nan1(A);
    f.writeResult(0, A.k === K_NAN || A.k === K_BAD ? R : R.set(A), flags, 64);
    return;
  }
  const mag = toIntegerMag(A, f.rc);
  if (mag === 0n) R.zero(A.s); else R.fin(A.s, mag, 0);
  f.writeResult(0, R, intFlags | (A.den ? DE : 0), 64);
}
function nan1(a: Unp): number {
  if (a.k === K_BAD) { R.indefinite(); return IE; }
  R.set(a); quiet(R);
  return isSnan(a) ? IE : 0;
}

/** FSCALE: ST0 * 2^trunc(ST1) */
export function fscale(f: Fpu): void {
  if (f.isEmpty(0) || f.isEmpty(1)) { if (!f.stackFault(false)) f.setIndefinite(0); return; }
  f.get(0, A); f.get(1, B);
  let flags = 0;
  if (A.k === K_NAN || A.k === K_BAD || B.k === K_NAN || B.k === K_BAD) flags = nan2(A, B, R);
  else if (B.k === K_INF) {
    if (B.s === 0) { if (A.k === K_ZERO) { R.indefinite(); flags = IE; } else R.inf(A.s); }
    else if (A.k === K_INF) { R.indefinite(); flags = IE; } else R.zero(A.s);
  } else if (A.k !== K_FIN) R.set(A);
  else {
    let n = 0;
    if (B.k === K_FIN) {
      const E = B.e + bitLen(B.m) - 1;
      n = E > 20 ? 1 << 20 : Number(B.e >= 0 ? B.m << BigInt(B.e) : B.m >> BigInt(-B.e));
      if (B.s) n = -n;
    }
    R.fin(A.s, A.m, A.e + n);
    flags = (A.den || B.den) ? DE : 0;
  }
  f.writeResult(0, R, flags, 64);
}

/** FXTRACT: ST0 -> exponent, then push the significand (1 <= |sig| < 2) */
export function fxtract(f: Fpu): void {
  if (f.isEmpty(0)) { if (!f.stackFault(false)) { f.setIndefinite(0); f.push(); f.setIndefinite(0); } return; }
  if (!f.isEmpty(7)) { if (!f.stackFault(true)) { f.setIndefinite(0); f.push(); f.setIndefinite(0); } return; }
  f.get(0, A);
  let flags = 0;
  if (A.k === K_NAN || A.k === K_BAD) { flags = nan1(A); R2.set(R); }
  else if (A.k === K_ZERO) { flags = ZE; R.inf(1); R2.zero(A.s); }
  else if (A.k === K_INF) { R.inf(0); R2.set(A); }
  else {
    const E = A.e + bitLen(A.m) - 1;
    if (E === 0) R.zero(0); else R.fin(E < 0 ? 1 : 0, BigInt(Math.abs(E)), 0);
    R2.fin(A.s, A.m, A.e - E);
    flags = A.den ? DE : 0;
  }
  if (f.unmasked(flags) & 7) { f.signal(flags); return; }
  f.writeResult(0, R, flags, 64);
  f.push();
  f.writeResult(0, R2, 0, 64);
}

/** FPREM (round = false) / FPREM1 */
export function fprem(f: Fpu, round: boolean): void {
  // C1 and C2 are cleared first; without a quotient (a stack fault, a NaN or an invalid operand, an unmasked
  // exception) C0 and C3 stay as they were. The SDM gives the condition codes only for a quotient; this is Bochs
  // (fpu_arith.cc FPREM/FPREM1: clear_C1, clear_C2, setcc only when do_fprem returns >= 0). QEMU clears all four.
  f.sw &= ~(C1 | C2);
  if (f.isEmpty(0) || f.isEmpty(1)) { if (!f.stackFault(false)) f.setIndefinite(0); return; }
  f.get(0, A); f.get(1, B);
  const flags = rem(A, B, round, R);
  if (!f.writeResult(0, R, flags, 64)) return;
  if (remNoQuotient) return;
  const q = remQ;
  f.setCC(remPartial ? C2 : (q & 4 ? C0 : 0) | (q & 2 ? C3 : 0) | (q & 1 ? C1 : 0));
}
export { A, B, R };
