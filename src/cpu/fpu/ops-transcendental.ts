/**
 * The transcendental instructions (D9 F0-FF): F2XM1, FYL2X, FPTAN, FPATAN,
 * FYL2XP1, FSINCOS, FSIN, FCOS. Results are rounded to 64 bits by RC (PC does
 * not apply, SDM vol. 1 8.1.5.2). FSIN/FCOS/FSINCOS/FPTAN with |ST0| >= 2^63
 * set C2 and leave the stack unchanged.
 */
import type { Cpu } from '../cpu.js';
import { Unp } from './f80.js';
import { f2xm1, fpatan, fsin, ftan, fyl2x, fyl2xp1, outOfRange } from './f80-transcendental.js';
import { C2 } from './fpu-state.js';

const A = new Unp(), B = new Unp(), R = new Unp(), R2 = new Unp();

export function transcendental(c: Cpu, low: number): void {
  const f = c.fpu;
  const two = low === 0x11 || low === 0x13 || low === 0x19;
  if (f.isEmpty(0) || (two && f.isEmpty(1))) {
    if (f.stackFault(false)) return;
    if (two) { f.setIndefinite(1); f.pop(); } else { f.setIndefinite(0); if (low === 0x12 || low === 0x1b) { f.push(); f.setIndefinite(0); } }
    return;
  }
  f.get(0, A);
  switch (low) {
    case 0x10: f.writeResult(0, R, f2xm1(A, R), 64); return;
    case 0x11: case 0x13: case 0x19: {
      f.get(1, B); // ST1 op ST0 -> ST1, pop
      const flags = low === 0x11 ? fyl2x(B, A, R) : low === 0x13 ? fpatan(B, A, R) : fyl2xp1(B, A, R);
      if (f.writeResult(1, R, flags, 64)) f.pop();
      return;
    }
    case 0x1e: case 0x1f:
      if (outOfRange(A)) { f.sw |= C2; return; }
      f.sw &= ~C2;
      f.writeResult(0, R, fsin(A, low === 0x1f, R), 64);
      return;
    default: { // 0x12 FPTAN (push 1.0), 0x1b FSINCOS (ST0 = sin, push cos)
      if (outOfRange(A)) { f.sw |= C2; return; }
      if (!f.isEmpty(7)) { if (!f.stackFault(true)) { f.setIndefinite(0); f.push(); f.setIndefinite(0); } return; }
      f.sw &= ~C2;
      const flags = low === 0x12 ? ftan(A, R) : fsin(A, false, R);
      const flags2 = low === 0x12 ? 0 : fsin(A, true, R2);
      if (low === 0x12) R2.fin(0, 1n, 0);
      if (f.unmasked(flags | flags2) & 7) { f.signal(flags | flags2); return; }
      // NaN operand: both results are that NaN (SDM FPTAN/FSINCOS)
      f.writeResult(0, R, flags, 64);
      f.push();
      f.writeResult(0, low === 0x12 && R.k === 3 ? R : R2, flags2, 64);
      return;
    }
  }
}
