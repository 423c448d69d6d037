/**
 * x87 control instructions: FNINIT, FNCLEX, FLDCW/FNSTCW, FNSTSW (m16 and AX),
 * FLDENV/FNSTENV and FRSTOR/FNSAVE in the four layouts of SDM vol. 1 8.1.10
 * (figures 8-9 to 8-12): 14 bytes (16-bit operand size) or 28 bytes (32-bit),
 * each in a protected-mode form (offset + selector) and a real/V86-mode form
 * (20-bit linear instruction and operand addresses, opcode beside them).
 */
import { VM } from '../cpu-state.js';
import type { Cpu } from '../cpu.js';
import { rdM16, rdM32, rdM80, wrM16, wrM32, wrM80, probeW } from './fpu-mem.js';
import { BUSY, ES, type Fpu } from './fpu-state.js';

/** ES and B follow the exception flags and the masks (after FLDCW, FLDENV, FRSTOR). */
export function recomputeES(f: Fpu): void {
  if (f.sw & ~f.cw & 0x3f) f.sw |= ES | BUSY;
  else { f.sw &= ~(ES | BUSY); f.setFerr(false); }
}

export function fnclex(f: Fpu): void {
  f.sw &= ~(0x3f | 0x40 | ES | BUSY);
  f.setFerr(false);
  f.ignne = false;
}

export function fldcw(c: Cpu): void {
  const f = c.fpu;
  f.cw = (rdM16(c) & 0x1f3f) | 0x40; // bit 6 reads as 1 (QEMU and the 387 alike); 13-15 reserved
  recomputeES(f);
}

const realMode = (c: Cpu): boolean => !c.pe || (c.flags & VM) !== 0;

/** FNSTENV: the environment at the operand; returns its size */
export function fnstenv(c: Cpu): number {
  const f = c.fpu, big = c.os !== 0, n = big ? 28 : 14;
  probeW(c, n);
  const w = big ? (v: number, k: number) => wrM32(c, v, k * 4) : (v: number, k: number) => wrM16(c, v, k * 2);
  w(f.cw | (big ? 0xffff0000 : 0), 0);
  w(f.statusWord() | (big ? 0xffff0000 : 0), 1);
  w(f.tagWord() | (big ? 0xffff0000 : 0), 2);
  if (realMode(c)) {
    const ip = (f.fcs << 4) + f.fip, dp = (f.fds << 4) + f.fdp;
    w(ip & 0xffff | (big ? 0xffff0000 : 0), 3);
    w(big ? ((ip >>> 16) << 12) | f.fop : ((ip >>> 16) << 12) | f.fop, 4);
    w(dp & 0xffff | (big ? 0xffff0000 : 0), 5);
    w(big ? (dp >>> 16) << 12 : ((dp >>> 16) & 0xf) << 12, 6);
  } else {
    w(f.fip, 3);
    w(big ? f.fcs | (f.fop << 16) : f.fcs, 4);
    w(f.fdp, 5);
    w(f.fds | (big ? 0xffff0000 : 0), 6);
  }
  return n;
}

/** FLDENV: returns the environment's size */
export function fldenv(c: Cpu): number {
  const f = c.fpu, big = c.os !== 0, n = big ? 28 : 14;
  const r = big ? (k: number) => rdM32(c, k * 4) : (k: number) => rdM16(c, k * 2);
  const cw = r(0), sw = r(1), tw = r(2), a = r(3), b = r(4), d = r(5), e = r(6);
  f.cw = (cw & 0x1f3f) | 0x40;
  f.setStatusWord(sw & 0xffff);
  f.setTagWord(tw & 0xffff);
  if (realMode(c)) {
    f.fcs = 0; f.fds = 0;
    f.fip = (a & 0xffff) | (((b >>> 12) & 0xffff) << 16);
    f.fop = b & 0x7ff;
    f.fdp = (d & 0xffff) | (((e >>> 12) & 0xffff) << 16);
  } else {
    f.fip = big ? a >>> 0 : a;
    f.fcs = b & 0xffff;
    f.fop = big ? (b >>> 16) & 0x7ff : f.fop;
    f.fdp = big ? d >>> 0 : d;
    f.fds = e & 0xffff;
  }
  recomputeES(f);
  return n;
}

/** FNSAVE: environment, then ST(0)..ST(7) as 80-bit values; then FNINIT */
export function fnsave(c: Cpu): void {
  const f = c.fpu, n = c.os ? 28 : 14;
  probeW(c, n + 80);
  fnstenv(c);
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i);
    wrM80(c, (BigInt(f.se[p]!) << 64n) | (BigInt(f.hi[p]!) << 32n) | BigInt(f.lo[p]!), n + i * 10);
  }
  f.init();
}

/** FRSTOR */
export function frstor(c: Cpu): void {
  const f = c.fpu, n = c.os ? 28 : 14;
  const regs: bigint[] = [];
  for (let i = 0; i < 8; i++) regs.push(rdM80(c, n + i * 10)); // all reads first: a fault changes nothing
  fldenv(c);
  const e = f.empty; // the loaded tag word decides which registers are empty
  for (let i = 0; i < 8; i++) f.setBits(i, regs[i]!);
  f.empty = e;
}
