/**
 * Integer ALU: the eight binary operations (ADD OR ADC SBB AND SUB XOR CMP),
 * INC/DEC, TEST, NOT/NEG, and the 486 XADD/CMPXCHG. Flags are lazy (see
 * cpu-state.ts setLazy/setLogic).
 */
import { K_ADD, K_SUB, type CpuState } from './cpu-state.js';
import { getR, rE, rEW, setR, wb } from './operand.js';


/** op: 0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP. Returns the result (not masked). */
export function alu(c: CpuState, op: number, d: number, s: number, bits: number): number {
  let r: number;
  switch (op) {
    case 0: r = (d + s) | 0; c.setLazy(K_ADD, d, s, r, bits); return r;
    case 1: r = d | s; c.setLogic(r, bits); return r;
    case 2: r = (d + s + c.getCF()) | 0; c.setLazy(K_ADD, d, s, r, bits); return r;
    case 3: r = (d - s - c.getCF()) | 0; c.setLazy(K_SUB, d, s, r, bits); return r;
    case 4: r = d & s; c.setLogic(r, bits); return r;
    case 5: case 7: r = (d - s) | 0; c.setLazy(K_SUB, d, s, r, bits); return r;
    default: r = d ^ s; c.setLogic(r, bits); return r;
  }
}

/** op Eb/Ev, Gb/Gv */
export function aluEG(c: CpuState, op: number, bits: number): void {
  c.modrm();
  const s = getR(c, bits, c.mReg);
  if (op === 7) { alu(c, 7, rE(c, bits), s, bits); return; }
  const d = rEW(c, bits);
  wb(c, bits, alu(c, op, d, s, bits));
}
/** op Gb/Gv, Eb/Ev */
export function aluGE(c: CpuState, op: number, bits: number): void {
  c.modrm();
  const r = alu(c, op, getR(c, bits, c.mReg), rE(c, bits), bits);
  if (op !== 7) setR(c, bits, c.mReg, r);
}
/** op AL/eAX, imm */
export function aluAI(c: CpuState, op: number, bits: number): void {
  const imm = bits === 8 ? c.fetch8() : bits === 16 ? c.fetch16() : c.fetch32();
  const r = alu(c, op, getR(c, bits, 0), imm, bits);
  if (op !== 7) setR(c, bits, 0, r);
}
/** group 1 (80, 81, 83): op Eb/Ev, imm (imm8 sign-extended for 83) */
export function aluGroup1(c: CpuState, bits: number, immBits: number): void {
  c.modrm();
  const op = c.mReg;
  if (op === 7) {
    const d = rE(c, bits);
    const imm = immBits === 8 ? (bits === 8 ? c.fetch8() : c.fetchS8()) : immBits === 16 ? c.fetch16() : c.fetch32();
    alu(c, 7, d, imm, bits);
    return;
  }
  const d = rEW(c, bits);
  const imm = immBits === 8 ? (bits === 8 ? c.fetch8() : c.fetchS8()) : immBits === 16 ? c.fetch16() : c.fetch32();
  wb(c, bits, alu(c, op, d, imm, bits));
}

export function inc(c: CpuState, d: number, bits: number): number {
  const r = (d + 1) | 0;
  c.setLazyKeepCF(K_ADD, d, 1, r, bits);
  return r;
}
export function dec(c: CpuState, d: number, bits: number): number {
  const r = (d - 1) | 0;
  c.setLazyKeepCF(K_SUB, d, 1, r, bits);
  return r;
}
/** 40-4F: INC/DEC r16/r32 */
export function incDecReg(c: CpuState, r: number, isDec: boolean, bits: number): void {
  const d = getR(c, bits, r);
  setR(c, bits, r, isDec ? dec(c, d, bits) : inc(c, d, bits));
}

/** TEST Eb/Ev, Gb/Gv */
export function testEG(c: CpuState, bits: number): void {
  c.modrm();
  c.setLogic(rE(c, bits) & getR(c, bits, c.mReg), bits);
}
export function testAI(c: CpuState, bits: number): void {
  const imm = bits === 8 ? c.fetch8() : bits === 16 ? c.fetch16() : c.fetch32();
  c.setLogic(getR(c, bits, 0) & imm, bits);
}

/** XADD Eb/Ev, Gb/Gv (0F C0/C1) */
export function xadd(c: CpuState, bits: number): void {
  c.modrm();
  const d = rEW(c, bits), s = getR(c, bits, c.mReg);
  const r = alu(c, 0, d, s, bits);
  // SDM XADD: SRC := DEST, then DEST := SUM, so `xadd eax, eax` leaves the sum. A memory destination is written
  // first so a faulting write leaves the register as it was.
  if (c.mMem) { wb(c, bits, r); setR(c, bits, c.mReg, d); } else { setR(c, bits, c.mReg, d); wb(c, bits, r); }
}

/** CMPXCHG Eb/Ev, Gb/Gv (0F B0/B1): compare with AL/eAX. */
export function cmpxchg(c: CpuState, bits: number): void {
  c.modrm();
  const d = rEW(c, bits);
  const a = getR(c, bits, 0);
  alu(c, 7, a, d, bits);
  if (c.getZF()) wb(c, bits, getR(c, bits, c.mReg));
  else { wb(c, bits, d); setR(c, bits, 0, d); } // the destination is always written (Intel SDM CMPXCHG)
}
