/**
 * x87 data transfer: FLD/FST/FSTP (register, m32fp, m64fp, m80fp), FILD/FIST/
 * FISTP (m16/m32/m64int), FBLD/FBSTP, FXCH, FFREE, FCMOVcc, the constants
 * (FLD1, FLDZ, FLDPI, FLDL2E, FLDL2T, FLDLG2, FLDLN2) and FINCSTP/FDECSTP.
 */
import type { Cpu } from '../cpu.js';
import { BF, divBF, LN10, LN2, ONE, PI } from './bigfloat.js';
import { BCD_INDEFINITE, fromBcd, fromInt, intFlags, toBcd, toInt } from './f80-convert.js';
import {
  DBL, DE, EXT, exact80, IE, isSnan, K_BAD, K_FIN, K_NAN, packSpecial, quiet, rBits, rFlags, round, SGL, unpackIeee, Unp, OE, UE,
} from './f80.js';
import { dHi, dLo, fromF32, fromF64, qFlags, qHi, qLo, qSe, toF32, toF64 } from './f80-fast.js';
import { probeW, rdM16, rdM32, rdM64, rdM80, wrM16, wrM32, wrM64, wrM80 } from './fpu-mem.js';
import { C1, type Fpu } from './fpu-state.js';

const A = new Unp();

/** Room for a push? On overflow the masked response pushes the indefinite. Returns true to go on. */
export function canPush(f: Fpu): boolean {
  if (f.isEmpty(7)) return true;
  if (!f.stackFault(true)) { f.push(); f.setIndefinite(0); }
  return false;
}

/** Push an exactly representable value (loads): SNaN -> IE (quietened), denormal -> DE. */
function pushValue(f: Fpu, u: Unp): void {
  let flags = u.den ? DE : 0;
  if (isSnan(u)) { flags = IE; quiet(u); }
  if (f.unmasked(flags)) { f.signal(flags); return; }
  f.signal(flags);
  f.push();
  f.setBits(0, exact80(u));
}

/** FLD m32fp / m64fp / m80fp / m16int / m32int / m64int / m80bcd (kind: 'f32' | ...) */
export function fldMem(c: Cpu, kind: number): void {
  const f = c.fpu;
  // a normal m64fp/m32fp: exact, no exception, no BigInt (f80-fast.ts)
  if (kind === LD_F64 || kind === LD_F32) {
    const lo = rdM32(c), hi = kind === LD_F64 ? rdM32(c, 4) : 0;
    if (kind === LD_F64 ? fromF64(hi, lo) : fromF32(lo)) {
      if (!canPush(f)) return;
      f.sw &= ~C1;
      f.push();
      f.setRaw(0, qSe, qHi, qLo);
      return;
    }
  }
  // read the operand first: a #PF/#GP must leave the stack as it was
  let v: bigint;
  switch (kind) {
    case LD_F32: case LD_I32: v = BigInt(rdM32(c)); break;
    case LD_I16: v = BigInt(rdM16(c)); break;
    case LD_F64: case LD_I64: v = rdM64(c); break;
    default: v = rdM80(c); break;
  }
  if (!canPush(f)) return;
  switch (kind) {
    case LD_F32: pushValue(f, unpackIeee(A, v, SGL)); return;
    case LD_F64: pushValue(f, unpackIeee(A, v, DBL)); return;
    case LD_F80: f.sw &= ~C1; f.push(); f.setBits(0, v); return; // a raw copy: no exceptions (SDM FLD)
    case LD_I16: pushValue(f, fromInt(A, v, 16)); return;
    case LD_I32: pushValue(f, fromInt(A, v, 32)); return;
    case LD_I64: pushValue(f, fromInt(A, v, 64)); return;
    default: pushValue(f, fromBcd(A, v)); return;
  }
}
export const LD_F32 = 0, LD_F64 = 1, LD_F80 = 2, LD_I16 = 3, LD_I32 = 4, LD_I64 = 5, LD_BCD = 6;

/** FLD ST(i) */
export function fldReg(f: Fpu, i: number): void {
  if (f.isEmpty(i)) { if (!f.stackFault(false)) { f.push(); f.setIndefinite(0); } return; }
  if (!canPush(f)) return;
  const p = f.phys(i);
  f.sw &= ~C1;
  f.push();
  f.setRaw(0, f.se[p]!, f.hi[p]!, f.lo[p]!);
}

/** FST/FSTP ST(i) */
export function fstReg(f: Fpu, i: number, pop: boolean): void {
  if (f.isEmpty(0)) { if (f.stackFault(false)) return; f.setIndefinite(i); }
  else { f.copy(i, 0); f.sw &= ~C1; }
  if (pop) f.pop();
}

const INDEF_F32 = 0xffc00000n, INDEF_F64 = 0xfff8000000000000n, INDEF_F80 = 0xffffc000000000000000n;

/** FST/FSTP m32fp, m64fp, m80fp and FIST/FISTP/FBSTP (kind as for fldMem) */
export function fstMem(c: Cpu, kind: number, pop: boolean): void {
  const f = c.fpu;
  // a normal value whose double is normal: rounded with number arithmetic (f80-fast.ts)
  if ((kind === LD_F64 || kind === LD_F32) && !f.isEmpty(0)) {
    const p = f.phys(0);
    if (kind === LD_F64 ? toF64(f.se[p]!, f.hi[p]!, f.lo[p]!, f.rc) : toF32(f.se[p]!, f.hi[p]!, f.lo[p]!, f.rc)) {
      const h = dHi, l = dLo, flags = qFlags;
      if (kind === LD_F64) { probeW(c, 8); wrM32(c, l); wrM32(c, h, 4); } else wrM32(c, h);
      f.signal(flags);
      if (pop) f.pop();
      return;
    }
  }
  let v: bigint, flags = 0;
  if (f.isEmpty(0)) {
    flags = IE | 0x40; // stack underflow (SF), C1 = 0
    v = kind === LD_F32 ? INDEF_F32 : kind === LD_F64 ? INDEF_F64 : kind === LD_F80 ? INDEF_F80 : kind === LD_BCD ? BCD_INDEFINITE
      : 1n << BigInt(kind === LD_I16 ? 15 : kind === LD_I32 ? 31 : 63);
  } else {
    f.get(0, A);
    switch (kind) {
      case LD_F80: v = (BigInt(f.se[f.phys(0)]!) << 64n) | (BigInt(f.hi[f.phys(0)]!) << 32n) | BigInt(f.lo[f.phys(0)]!); break;
      case LD_F32: case LD_F64: {
        const fmt = kind === LD_F32 ? SGL : DBL;
        if (A.k === K_FIN) {
          round(A.s, A.m, A.e, kind === LD_F32 ? 24 : 53, fmt, f.rc);
          v = rBits; flags = rFlags;
          // unmasked overflow/underflow with a memory destination: nothing is stored (SDM 4.9.1.4/4.9.1.5)
          if (f.unmasked(flags) & (OE | UE)) { f.signal(flags); return; }
        } else if (A.k === K_BAD) { flags = IE; v = kind === LD_F32 ? INDEF_F32 : INDEF_F64; }
        else {
          if (isSnan(A)) { flags = IE; quiet(A); }
          v = packSpecial(A, fmt);
        }
        break;
      }
      case LD_BCD: v = toBcd(A, f.rc); flags = intFlags; break;
      default: v = toInt(A, kind === LD_I16 ? 16 : kind === LD_I32 ? 32 : 64, f.rc); flags = intFlags; break;
    }
  }
  const underflow = (flags & 0x40) !== 0;
  if (underflow) { if ((f.cw & IE) === 0) { f.stackFault(false); return; } }
  else if (f.unmasked(flags) & IE) { f.signal(flags); return; }
  switch (kind) {
    case LD_F32: case LD_I32: wrM32(c, Number(v)); break;
    case LD_I16: wrM16(c, Number(v)); break;
    case LD_F64: case LD_I64: wrM64(c, v); break;
    default: wrM80(c, v); break;
  }
  // the store is done: only now does the status word change (a faulting store leaves the FPU as it was)
  if (underflow) f.stackFault(false); else f.signal(flags);
  if (pop) f.pop();
}

/** FXCH ST(i) */
export function fxch(f: Fpu, i: number): void {
  if (f.isEmpty(0) || f.isEmpty(i)) {
    if (f.stackFault(false)) return;
    if (f.isEmpty(0)) f.setIndefinite(0);
    if (f.isEmpty(i)) f.setIndefinite(i);
  }
  const p = f.phys(0), q = f.phys(i);
  const se = f.se[p]!, hi = f.hi[p]!, lo = f.lo[p]!;
  f.se[p] = f.se[q]!; f.hi[p] = f.hi[q]!; f.lo[p] = f.lo[q]!;
  f.se[q] = se; f.hi[q] = hi; f.lo[q] = lo;
  f.sw &= ~C1;
}

/** FCMOVcc ST(0), ST(i) */
export function fcmov(f: Fpu, i: number, cond: boolean): void {
  if (f.isEmpty(0) || f.isEmpty(i)) { if (!f.stackFault(false)) f.setIndefinite(0); return; }
  // C1 is only written on a stack underflow (SDM FCMOVcc "C1 set to 0 if stack underflow occurred"); otherwise it
  // keeps its value, as QEMU 7.2 and Bochs (fpu_cmov.cc) do — found by the difftest (fcmovnbe st0, st0).
  if (cond) f.copy(0, i);
}

// constants: exact (FLD1, FLDZ) or rounded by RC from 256-bit values (SDM 8.3.8: the result depends on RC)
const CONSTS: (() => BF)[] = [
  () => ONE,
  () => divBF(LN10(), LN2()), // log2 10
  () => divBF(ONE, LN2()), // log2 e
  () => PI(),
  () => divBF(LN2(), LN10()), // log10 2
  () => LN2(),
];
const constCache = new Map<number, bigint>();
/** D9 E8-EE: FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ */
export function fldConst(f: Fpu, k: number): void {
  if (!canPush(f)) return;
  let bits: bigint;
  if (k === 6) bits = 0n;
  else {
    const key = k * 4 + f.rc;
    let b = constCache.get(key);
    if (b === undefined) {
      const x = CONSTS[k]!();
      round(0, (x.m << 1n) | (k === 0 ? 0n : 1n), x.e - 1, 64, EXT, f.rc);
      b = rBits;
      constCache.set(key, b);
    }
    bits = b;
  }
  f.sw &= ~C1;
  f.push();
  f.setBits(0, bits);
}

/** FFREE ST(i) */
export function ffree(f: Fpu, i: number): void { f.empty |= 1 << f.phys(i); }
export { K_NAN };
