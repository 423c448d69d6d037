/**
 * Size-generic operand helpers (bits = 8, 16 or 32) for handlers that are
 * written once for every operand size.
 */
import { R8, type CpuState } from './cpu-state.js';

export const MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export function getR(c: CpuState, bits: number, r: number): number {
  return bits === 8 ? c.r8[R8[r]!]! : bits === 16 ? c.r16[r << 1]! : c.regs[r]!;
}
export function setR(c: CpuState, bits: number, r: number, v: number): void {
  if (bits === 8) c.r8[R8[r]!] = v; else if (bits === 16) c.r16[r << 1] = v; else c.regs[r] = v;
}
export function rE(c: CpuState, bits: number): number {
  return bits === 8 ? c.rE8() : bits === 16 ? c.rE16() : c.rE32();
}
export function rEW(c: CpuState, bits: number): number {
  return bits === 8 ? c.rE8W() : bits === 16 ? c.rE16W() : c.rE32W();
}
export function wE(c: CpuState, bits: number, v: number): void {
  if (bits === 8) c.wE8(v); else if (bits === 16) c.wE16(v); else c.wE32(v);
}
/** Write back to the operand read by rEW. */
export function wb(c: CpuState, bits: number, v: number): void {
  if (bits === 8) c.wb8(v); else if (bits === 16) c.wb16(v); else c.wb32(v);
}
export function fetchImm(c: CpuState, bits: number): number {
  return bits === 8 ? c.fetch8() : bits === 16 ? c.fetch16() : c.fetch32();
}
export function rdMem(c: CpuState, bits: number, seg: number, off: number): number {
  return bits === 8 ? c.rd8(seg, off) : bits === 16 ? c.rd16(seg, off) : c.rd32(seg, off);
}
export function wrMem(c: CpuState, bits: number, seg: number, off: number, v: number): void {
  if (bits === 8) c.wr8(seg, off, v); else if (bits === 16) c.wr16(seg, off, v); else c.wr32(seg, off, v);
}
/** Sign-extend a value of `bits` to int32. */
export function sext(v: number, bits: number): number {
  return bits === 8 ? (v << 24) >> 24 : bits === 16 ? (v << 16) >> 16 : v | 0;
}
/** Operand size of the current instruction for an `os` form. */
export function osBits(c: CpuState): number {
  return c.os ? 32 : 16;
}
