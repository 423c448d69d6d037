/**
 * The ESC opcodes D8-DF and WAIT (9B): availability (#NM from CR0.EM/TS/MP),
 * pending unmasked exceptions (#MF with CR0.NE=1, FERR# with NE=0), the
 * last-instruction pointers, and decoding each ModRM form to its handler
 * (SDM vol. 2 appendix A.5, tables ).
 */
import { CF, CS, NM, PF, ZF } from '../cpu-state.js';
import type { Cpu } from '../cpu.js';
import { A, arith, B, compareUnderflow, fastArith, fastCom, fcom, fcomi, fprem, fscale, fxtract, unary } from './ops-arith.js';
import { fldcw, fldenv, fnclex, fnsave, fnstenv, frstor } from './ops-env.js';
import { fcmov, ffree, fldConst, fldMem, fldReg, fstMem, fstReg, fxch, LD_BCD, LD_F32, LD_F64, LD_F80, LD_I16, LD_I32, LD_I64 } from './ops-move.js';
import { transcendental } from './ops-transcendental.js';
import { DBL, SGL, unpackIeee } from './f80.js';
import { fromInt } from './f80-convert.js';
import { fromF32, fromF64, fromI32, qHi, qLo, qSe } from './f80-fast.js';
import { rdM16, rdM32, wrM16 } from './fpu-mem.js';
import { C1, ES } from './fpu-state.js';

const MF = 16;

/**
 * Before a waiting x87 instruction: an unmasked exception left pending by an earlier one is reported
 * now (SDM vol. 1 8.7): #MF when CR0.NE=1; with NE=0 the FERR# output goes to the chipset (IRQ 13 on a
 * PC) unless IGNNE# is asserted, and, as in QEMU (fpu_raise_exception), the instruction goes on.
 */
function checkPending(c: Cpu): void {
  const f = c.fpu;
  if ((f.sw & ES) === 0) return;
  if (c.cr0 & 0x20) c.raise(MF);
  if (!f.ignne && !f.ferr) { f.setFerr(true); c.breakLoop = true; }
}

/** 9B WAIT/FWAIT */
export function fwait(c: Cpu): void {
  if ((c.cr0 & 0xa) === 0xa) c.raise(NM);
  checkPending(c);
}

/** D8+n */
export function fpuEscape(c: Cpu, n: number): void {
  if (c.cr0 & 0xc) c.raise(NM);
  c.modrm();
  const f = c.fpu;
  const mem = c.mMem, r = c.mReg, i = c.mRm;
  // the non-waiting control forms (FN*) skip the pending-exception check and keep the pointers
  if (mem) {
    if ((n === 1 && r >= 4) || (n === 5 && r >= 4)) {
      // D9 /4 FLDENV, /5 FLDCW are waiting; /6 FNSTENV, /7 FNSTCW are not. DD /4 FRSTOR waits; /6 FNSAVE, /7 FNSTSW do not.
      if (r === 4 || (n === 1 && r === 5)) checkPending(c);
      control(c, n, r);
      return;
    }
  } else if (n === 3 && (i === 2 || i === 3 || i === 0 || i === 1 || i === 4) && r === 4) {
    if (i === 2) fnclex(f); else if (i === 3) f.init(); // FNCLEX, FNINIT; FENI/FDISI/FSETPM: no-ops on a 387
    return;
  } else if (n === 7 && r === 4 && i === 0) { c.r16[0] = f.statusWord(); return; } // FNSTSW AX
  checkPending(c);
  // FOP (11 bits), FIP/FCS, and FDP/FDS for memory forms
  f.fop = ((n & 7) << 8) | (c.mMod << 6) | (r << 3) | i;
  f.fip = c.insnStart; f.fcs = c.segSel[CS]!;
  if (mem) { f.fdp = c.mOff; f.fds = c.segSel[c.mSeg]!; memForm(c, n, r); } else regForm(c, n, r, i);
}

function control(c: Cpu, n: number, r: number): void {
  const f = c.fpu;
  if (n === 1) {
    switch (r) {
      case 4: fldenv(c); return;
      case 5: fldcw(c); return;
      case 6: fnstenv(c); f.cw |= 0x3f; return; // FNSTENV then masks all exceptions (SDM FSTENV)
      default: wrM16(c, f.cw); return;
    }
  }
  switch (r) {
    case 4: frstor(c); return;
    case 5: c.ud();
    // falls through (never reached)
    case 6: fnsave(c); return;
    default: wrM16(c, f.statusWord()); return;
  }
}

function memForm(c: Cpu, n: number, r: number): void {
  const f = c.fpu;
  switch (n) {
    case 0: case 2: case 4: case 6: { // arithmetic with m32fp, m32int, m64fp, m16int
      // operand first (a fault leaves the FPU unchanged), read once
      const lo = n === 6 ? rdM16(c) : rdM32(c), hi = n === 4 ? rdM32(c, 4) : 0;
      // FADD/FMUL/FCOM(P)/FSUB/FSUBR of normal numbers: the number fast path (f80-fast.ts)
      if (r < 6 && !f.isEmpty(0) &&
        (n === 0 ? fromF32(lo) : n === 4 ? fromF64(hi, lo) : fromI32(n === 2 ? lo | 0 : (lo << 16) >> 16)) &&
        (r === 2 || r === 3 ? fastCom(f, qSe, qHi, qLo, r - 2) : fastArith(f, r, 0, qSe, qHi, qLo, false))) return;
      if (n === 0) unpackIeee(B, BigInt(lo), SGL);
      else if (n === 4) unpackIeee(B, (BigInt(hi) << 32n) | BigInt(lo), DBL);
      else if (n === 2) fromInt(B, BigInt(lo), 32);
      else fromInt(B, BigInt(lo), 16);
      if (f.isEmpty(0)) {
        if (r === 2 || r === 3) compareUnderflow(f, r - 2);
        else if (!f.stackFault(false)) f.setIndefinite(0);
        return;
      }
      f.get(0, A);
      if (r === 2 || r === 3) fcom(f, A, B, false, r - 2);
      else arith(f, r, 0, A, B, false);
      return;
    }
    case 1:
      switch (r) {
        case 0: fldMem(c, LD_F32); return;
        case 2: fstMem(c, LD_F32, false); return;
        case 3: fstMem(c, LD_F32, true); return;
        default: c.ud();
      }
      return;
    case 3:
      switch (r) {
        case 0: fldMem(c, LD_I32); return;
        case 2: fstMem(c, LD_I32, false); return;
        case 3: fstMem(c, LD_I32, true); return;
        case 5: fldMem(c, LD_F80); return;
        case 7: fstMem(c, LD_F80, true); return;
        default: c.ud(); // /1 FISTTP is SSE3
      }
      return;
    case 5:
      switch (r) {
        case 0: fldMem(c, LD_F64); return;
        case 2: fstMem(c, LD_F64, false); return;
        case 3: fstMem(c, LD_F64, true); return;
        default: c.ud();
      }
      return;
    default: // DF
      switch (r) {
        case 0: fldMem(c, LD_I16); return;
        case 2: fstMem(c, LD_I16, false); return;
        case 3: fstMem(c, LD_I16, true); return;
        case 4: fldMem(c, LD_BCD); return;
        case 5: fldMem(c, LD_I64); return;
        case 6: fstMem(c, LD_BCD, true); return;
        case 7: fstMem(c, LD_I64, true); return;
        default: c.ud();
      }
  }
}

/** ST(dst) = ST(dst) op ST(src) etc. with the underflow check */
function arithReg(c: Cpu, op: number, dst: number, other: number, pop: boolean): void {
  const f = c.fpu;
  if (f.isEmpty(dst) || f.isEmpty(other)) {
    if (!f.stackFault(false)) { f.setIndefinite(dst); if (pop) f.pop(); }
    return;
  }
  if (op !== 6 && op !== 7) {
    const p = f.phys(other);
    if (fastArith(f, op, dst, f.se[p]!, f.hi[p]!, f.lo[p]!, pop)) return;
  }
  f.get(dst, A); f.get(other, B);
  arith(f, op, dst, A, B, pop);
}
function comReg(c: Cpu, i: number, unordered: boolean, pops: number): void {
  const f = c.fpu;
  if (f.isEmpty(0) || f.isEmpty(i)) { compareUnderflow(f, pops); return; }
  const p = f.phys(i);
  if (fastCom(f, f.se[p]!, f.hi[p]!, f.lo[p]!, pops)) return;
  fcom(f, f.get(0, A), f.get(i, B), unordered, pops);
}

function regForm(c: Cpu, n: number, r: number, i: number): void {
  const f = c.fpu;
  switch (n) {
    case 0: // D8: ST0 = ST0 op ST(i)
      if (r === 2 || r === 3) comReg(c, i, false, r - 2); else arithReg(c, r, 0, i, false);
      return;
    case 1: // D9
      switch (r) {
        case 0: fldReg(f, i); return;
        case 1: fxch(f, i); return;
        case 2: if (i === 0) return; c.ud(); // FNOP
        // falls through (never reached)
        case 3: fstReg(f, i, true); return; // undocumented FSTP1 alias
        case 4: if (i === 2 || i === 3 || i === 6 || i === 7) c.ud(); unary(c, i); return;
        case 5: if (i === 7) c.ud(); fldConst(f, i); return;
        default: {
          const low = ((r - 6) << 3) | i | 0x10;
          if (low === 0x14) fxtract(f);
          else if (low === 0x15) fprem(f, true);
          else if (low === 0x16) { f.top = (f.top - 1) & 7; f.sw &= ~C1; } // FDECSTP
          else if (low === 0x17) { f.top = (f.top + 1) & 7; f.sw &= ~C1; } // FINCSTP
          else if (low === 0x18) fprem(f, false);
          else if (low === 0x1a || low === 0x1c) unary(c, low);
          else if (low === 0x1d) fscale(f);
          else transcendental(c, low);
          return;
        }
      }
    case 2: { // DA: FCMOVB/E/BE/U, FUCOMPP
      if (r === 5 && i === 1) { comReg(c, 1, true, 2); return; }
      if (r >= 4) c.ud();
      p6(c);
      fcmov(f, i, cmovCond(c, r));
      return;
    }
    case 3: // DB: FCMOVNB/NE/NBE/NU, FUCOMI, FCOMI
      if (r < 4) { p6(c); fcmov(f, i, !cmovCond(c, r)); return; }
      if (r === 5) { p6(c); fcomi(c, i, true, false); return; }
      if (r === 6) { p6(c); fcomi(c, i, false, false); return; }
      c.ud();
      return;
    case 4: // DC: ST(i) = ST(i) op ST0 (sub/div directions swapped relative to D8)
      if (r === 2 || r === 3) { comReg(c, i, false, r - 2); return; }
      arithReg(c, r >= 4 ? r ^ 1 : r, i, 0, false);
      return;
    case 5: // DD
      switch (r) {
        case 0: ffree(f, i); return;
        case 1: fxch(f, i); return;
        case 2: fstReg(f, i, false); return;
        case 3: fstReg(f, i, true); return;
        case 4: comReg(c, i, true, 0); return;
        case 5: comReg(c, i, true, 1); return;
        default: c.ud();
      }
      return;
    case 6: // DE: the P forms
      if (r === 3) { if (i !== 1) c.ud(); comReg(c, 1, false, 2); return; } // FCOMPP
      if (r === 2) { comReg(c, i, false, 1); return; }
      arithReg(c, r >= 4 ? r ^ 1 : r, i, 0, true);
      return;
    default: // DF
      switch (r) {
        case 0: ffree(f, i); f.pop(); return; // FFREEP (undocumented)
        case 1: fxch(f, i); return;
        case 2: case 3: fstReg(f, i, true); return;
        case 5: p6(c); fcomi(c, i, true, true); return;
        case 6: p6(c); fcomi(c, i, false, true); return;
        default: c.ud();
      }
  }
}

/** FCMOVcc conditions by ModRM.reg: B (CF), E (ZF), BE (CF|ZF), U (PF) */
/** FCMOVcc/FCOMI/FUCOMI(P) are P6 instructions: #UD on a CPU model without CPUID.1:EDX.CMOV (cpu-model.ts). */
function p6(c: Cpu): void {
  if ((c.features & 0x8000) === 0) c.ud();
}
function cmovCond(c: Cpu, r: number): boolean {
  const fl = c.getFlags();
  switch (r) {
    case 0: return (fl & CF) !== 0;
    case 1: return (fl & ZF) !== 0;
    case 2: return (fl & (CF | ZF)) !== 0;
    default: return (fl & PF) !== 0;
  }
}
