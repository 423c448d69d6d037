/**
 * Memory operands of the x87 (the ModRM address decoded by the caller):
 * little-endian 2/4/8/10-byte reads and writes through the CPU's segment
 * checks and TLB. A store checks both ends of the operand before the first
 * byte is written, so a store that faults on its first page leaves memory as it was.
 */
import type { CpuState } from '../cpu-state.js';

/** the operand's offset `k` bytes in, wrapped to the address size */
export function off(c: CpuState, k: number): number { return c.as32 ? (c.mOff + k) >>> 0 : (c.mOff + k) & 0xffff; }

export function rdM16(c: CpuState, k = 0): number { return c.rd16(c.mSeg, off(c, k)); }
export function rdM32(c: CpuState, k = 0): number { return c.rd32(c.mSeg, off(c, k)) >>> 0; }
export function rdM64(c: CpuState, k = 0): bigint {
  const lo = rdM32(c, k), hi = rdM32(c, k + 4);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
/** Fault before writing when either end of an n-byte store at +k is not writable. */
export function probeW(c: CpuState, n: number, k = 0): void {
  const a = c.segW(c.mSeg, off(c, k), n), b = (a + n - 1) | 0;
  // both pages translated for writing (#PF in address order) before any byte changes
  if (c.pg && ((a ^ b) & ~0xfff)) { c.tlb.translate(c, a, true); c.tlb.translate(c, b, true); }
}
export function wrM16(c: CpuState, v: number, k = 0): void { c.wr16(c.mSeg, off(c, k), v); }
export function wrM32(c: CpuState, v: number, k = 0): void { c.wr32(c.mSeg, off(c, k), v); }
export function wrM64(c: CpuState, v: bigint, k = 0): void {
  probeW(c, 8, k);
  wrM32(c, Number(v & 0xffffffffn), k);
  wrM32(c, Number((v >> 32n) & 0xffffffffn), k + 4);
}
/** 80-bit: significand at +0, sign/exponent word at +8 */
export function wrM80(c: CpuState, v: bigint, k = 0): void {
  probeW(c, 10, k);
  wrM32(c, Number(v & 0xffffffffn), k);
  wrM32(c, Number((v >> 32n) & 0xffffffffn), k + 4);
  wrM16(c, Number((v >> 64n) & 0xffffn), k + 8);
}
export function rdM80(c: CpuState, k = 0): bigint {
  return rdM64(c, k) | (BigInt(rdM16(c, k + 8)) << 64n);
}
