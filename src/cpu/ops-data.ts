/**
 * Data movement: MOV forms, LEA, XCHG, PUSH/POP (registers, segment
 * registers, immediates, memory), PUSHA/POPA, ENTER/LEAVE, far-pointer loads
 * (LDS/LES/LSS/LFS/LGS), MOVZX/MOVSX, BSWAP, SETcc/CMOVcc, CBW/CWD, XLAT,
 * LAHF/SAHF, BOUND, SALC.
 */
import { BR, CF, CS, DS, EBP, ESP, SS, UD, type CpuState } from './cpu-state.js';
import { getR, MASK, rE, rdMem, sext, setR, wE } from './operand.js';
import { loadSeg } from './segments.js';

export function movEG(c: CpuState, bits: number): void { c.modrm(); wE(c, bits, getR(c, bits, c.mReg)); }
export function movGE(c: CpuState, bits: number): void { c.modrm(); setR(c, bits, c.mReg, rE(c, bits)); }
export function movEI(c: CpuState, bits: number): void {
  c.modrm();
  if (c.mReg !== 0) c.raise(UD);
  // the immediate follows the displacement: fetch before the store
  const imm = bits === 8 ? c.fetch8() : bits === 16 ? c.fetch16() : c.fetch32();
  wE(c, bits, imm);
}
/** A0-A3: MOV AL/eAX, moffs and back */
export function movMoffs(c: CpuState, bits: number, toMem: boolean): void {
  const off = c.as32 ? c.fetch32() >>> 0 : c.fetch16();
  const seg = c.segOvr >= 0 ? c.segOvr : DS;
  if (toMem) {
    const v = getR(c, bits, 0);
    if (bits === 8) c.wr8(seg, off, v); else if (bits === 16) c.wr16(seg, off, v); else c.wr32(seg, off, v);
  } else setR(c, bits, 0, rdMem(c, bits, seg, off));
}
/** 8C: MOV Ew, Sreg (a register destination gets the selector zero-extended with 32-bit operand size) */
export function movESreg(c: CpuState): void {
  c.modrm();
  if (c.mReg > 5) c.raise(UD);
  const v = c.segSel[c.mReg]!;
  if (c.mMem) c.wr16(c.mSeg, c.mOff, v);
  else if (c.os) c.regs[c.mRm] = v; else c.r16[c.mRm << 1] = v;
}
/** 8E: MOV Sreg, Ew (CS is #UD) */
export function movSregE(c: CpuState): void {
  c.modrm();
  if (c.mReg > 5 || c.mReg === CS) c.raise(UD);
  loadSeg(c, c.mReg, c.rE16());
  if (c.mReg === SS) c.interruptShadow();
}
export function lea(c: CpuState, bits: number): void {
  c.modrm();
  if (!c.mMem) c.raise(UD);
  setR(c, bits, c.mReg, c.mOff);
}
export function xchgEG(c: CpuState, bits: number): void {
  c.modrm();
  const a = getR(c, bits, c.mReg);
  let b: number;
  if (c.mMem) {
    c.mLin = c.segW(c.mSeg, c.mOff, bits >> 3);
    // a locked read-modify-write: read with write intent, as ALU on memory (CpuState.rdW32L)
    b = bits === 8 ? c.rdW8L(c.mLin) : bits === 16 ? c.rdW16L(c.mLin) : c.rdW32L(c.mLin);
    if (bits === 8) c.wr8L(c.mLin, a); else if (bits === 16) c.wr16L(c.mLin, a); else c.wr32L(c.mLin, a);
  } else {
    b = getR(c, bits, c.mRm);
    setR(c, bits, c.mRm, a);
  }
  setR(c, bits, c.mReg, b);
}
export function xchgAX(c: CpuState, r: number, bits: number): void {
  const a = getR(c, bits, 0);
  setR(c, bits, 0, getR(c, bits, r));
  setR(c, bits, r, a);
}

// ---- stack ----
export function pushReg(c: CpuState, r: number): void {
  // PUSH SP pushes the value before the push (286 and later)
  if (c.os) c.push32(c.regs[r]!); else c.push16(c.r16[r << 1]!);
}
export function popReg(c: CpuState, r: number): void {
  if (c.os) { const v = c.pop32(); c.regs[r] = v; } else { const v = c.pop16(); c.r16[r << 1] = v; }
}
export function pushSreg(c: CpuState, s: number): void {
  // a 32-bit push of a segment register writes only 16 bits on many CPUs; writing the zero-extended value is also valid
  if (c.os) c.push32(c.segSel[s]!); else c.push16(c.segSel[s]!);
}
export function popSreg(c: CpuState, s: number): void {
  const v = c.os ? c.peek32(0) & 0xffff : c.peek16(0);
  // ESP moves by the size of the stack the value came from: for POP SS that is the old SS's B bit
  // (Bochs stack.cc POP32_SS: pop_32() before load_seg_reg; Linux KVM em_pop_sreg: the same order)
  const big = c.ssBig;
  loadSeg(c, s, v);
  const n = c.os ? 4 : 2;
  if (big) c.regs[ESP] = c.regs[ESP]! + n; else c.r16[8] = c.r16[8]! + n;
  if (s === SS) c.interruptShadow();
}
export function pushImm(c: CpuState, byte: boolean): void {
  const v = byte ? c.fetchS8() : c.fetchIv();
  c.pushV(v);
}
/** 8F /0: POP Ev. The ESP increment happens before the address is used (Intel SDM POP). */
export function popE(c: CpuState): void {
  const big = c.os !== 0;
  const v = big ? c.peek32(0) : c.peek16(0);
  const oldSp = c.regs[ESP]!;
  c.addSP(big ? 4 : 2);
  try {
    c.modrm();
    if (c.mReg !== 0) c.raise(UD);
    if (big) c.wE32(v); else c.wE16(v);
  } catch (e) { c.regs[ESP] = oldSp; throw e; }
}
export function pusha(c: CpuState): void {
  const big = c.os !== 0, sz = big ? 4 : 2;
  void sz;
  const saved = c.regs[ESP]!;
  for (let r = 0; r < 8; r++) {
    const v = r === ESP ? saved : c.regs[r]!;
    if (big) c.push32(v); else c.push16(v & 0xffff);
  }
}
export function popa(c: CpuState): void {
  const big = c.os !== 0, sz = big ? 4 : 2;
  const vals = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 8; i++) vals[7 - i] = big ? c.peek32(i * sz) : c.peek16(i * sz);
  for (let r = 0; r < 8; r++) if (r !== ESP) { if (big) c.regs[r] = vals[r]!; else c.r16[r << 1] = vals[r]!; }
  c.addSP(8 * sz);
}
/**
 * ENTER Iw, Ib (Intel SDM ENTER; Bochs stack.cc ENTER32_IwIb/ENTER16_IwIb). The frame pointer is
 * ESP after the push of EBP: all 32 bits with a 32-bit operand size even on a 16-bit stack (only SP
 * moved), SP with a 16-bit one. The final stack slot must be writable (checked like a
 * read-modify-write, nothing written); any fault leaves ESP and EBP as they were.
 */
export function enter(c: CpuState): void {
  const size = c.fetch16(), level = c.fetch8() & 31;
  const big = c.os !== 0, n = big ? 4 : 2;
  const oldBp = c.regs[EBP]!, oldSp = c.regs[ESP]!;
  try {
    c.pushV(oldBp);
    const frame = big ? c.regs[ESP]! : c.r16[8]!;
    if (level > 0) {
      let bp = c.ssBig ? oldBp : oldBp & 0xffff;
      for (let i = 1; i < level; i++) {
        bp = c.ssBig ? (bp - n) | 0 : (bp - n) & 0xffff;
        c.pushV(big ? c.rd32(SS, bp >>> 0) : c.rd16(SS, bp >>> 0));
      }
      c.pushV(frame);
    }
    c.addSP(-size);
    const top = c.ssBig ? c.regs[ESP]! >>> 0 : c.r16[8]!;
    const lin = c.segW(SS, top, n);
    c.tlb.translate(c, lin, true);
    if ((lin & 0xfff) + n > 0x1000) c.tlb.translate(c, (lin + n - 1) | 0, true);
    if (big) c.regs[EBP] = frame; else c.r16[10] = frame;
  } catch (e) {
    c.regs[ESP] = oldSp;
    throw e;
  }
}
export function leave(c: CpuState): void {
  // read the saved frame pointer before ESP changes, so a fault leaves ESP intact
  const bp = c.ssBig ? c.regs[EBP]! >>> 0 : c.r16[10]!;
  const v = c.os ? c.rd32(SS, bp) : c.rd16(SS, bp);
  if (c.ssBig) c.regs[ESP] = bp + (c.os ? 4 : 2); else c.r16[8] = bp + (c.os ? 4 : 2);
  if (c.os) c.regs[EBP] = v; else c.r16[10] = v;
}

/** LES/LDS/LSS/LFS/LGS Gv, Mp */
export function loadFarPtr(c: CpuState, seg: number): void {
  c.modrm();
  if (!c.mMem) c.raise(UD);
  const big = c.os !== 0;
  const off = big ? c.rd32(c.mSeg, c.mOff) : c.rd16(c.mSeg, c.mOff);
  const sel = c.rd16(c.mSeg, c.as32 ? (c.mOff + (big ? 4 : 2)) >>> 0 : (c.mOff + (big ? 4 : 2)) & 0xffff);
  loadSeg(c, seg, sel);
  if (big) c.regs[c.mReg] = off; else c.r16[c.mReg << 1] = off;
  if (seg === SS) c.interruptShadow();
}

/** MOVZX/MOVSX Gv, Eb/Ew */
export function movx(c: CpuState, srcBits: number, signed: boolean): void {
  c.modrm();
  let v = srcBits === 8 ? c.rE8() : c.rE16();
  if (signed) v = sext(v, srcBits);
  if (c.os) c.regs[c.mReg] = v; else c.r16[c.mReg << 1] = v;
}
export function bswap(c: CpuState, r: number): void {
  const v = c.regs[r]!;
  c.regs[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}
export function setcc(c: CpuState, cc: number): void { c.modrm(); c.wE8(c.cond(cc) ? 1 : 0); }
export function cmovcc(c: CpuState, cc: number): void {
  if ((c.features & 0x8000) === 0) c.raise(UD); // CPUID.1:EDX.CMOV[bit 15] (cpu-model.ts)
  c.modrm();
  const v = c.os ? c.rE32() : c.rE16(); // the source is read even when the condition is false
  if (c.cond(cc)) { if (c.os) c.regs[c.mReg] = v; else c.r16[c.mReg << 1] = v; }
}
export function cbw(c: CpuState): void {
  if (c.os) c.regs[0] = (c.regs[0]! << 16) >> 16; else c.r16[0] = (c.r8[0]! << 24) >> 24;
}
export function cwd(c: CpuState): void {
  if (c.os) c.regs[2] = c.regs[0]! >> 31; else c.r16[4] = (c.r16[0]! & 0x8000) ? 0xffff : 0;
}
export function xlat(c: CpuState): void {
  const seg = c.segOvr >= 0 ? c.segOvr : DS;
  const off = c.as32 ? (c.regs[3]! + c.r8[0]!) >>> 0 : (c.r16[6]! + c.r8[0]!) & 0xffff;
  c.r8[0] = c.rd8(seg, off);
}
export function lahf(c: CpuState): void { c.r8[1] = (c.getFlags() & 0xd5) | 2; }
export function sahf(c: CpuState): void { c.setFlagBits(0xd5, c.r8[1]!); }
export function salc(c: CpuState): void { c.r8[0] = c.getCF() ? 0xff : 0; }
export function bound(c: CpuState): void {
  c.modrm();
  if (!c.mMem) c.raise(UD);
  const bits = c.os ? 32 : 16;
  const idx = sext(getR(c, bits, c.mReg), bits);
  const lo = sext(rdMem(c, bits, c.mSeg, c.mOff), bits);
  const hiOff = c.as32 ? (c.mOff + (bits >> 3)) >>> 0 : (c.mOff + (bits >> 3)) & 0xffff;
  const hi = sext(rdMem(c, bits, c.mSeg, hiOff), bits);
  if (idx < lo || idx > hi) c.raise(BR);
}
export function flagOp(c: CpuState, mask: number, value: number): void { c.setFlagBits(mask, value); }
export function cmc(c: CpuState): void { c.setFlagBits(CF, c.getCF() ^ 1); }
export { MASK };
