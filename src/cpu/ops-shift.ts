/**
 * Shifts and rotates (group 2: C0/C1/D0-D3), SHLD/SHRD, bit tests and scans.
 * Counts are masked to 5 bits (286 and later).
 */
import { CF, OF, type CpuState } from './cpu-state.js';
import { getR, MASK, rE, rEW, setR, wb } from './operand.js';

/** Shift/rotate `d` (masked to bits) by `cnt` (already & 31); sets flags; returns the result. */
export function shiftOp(c: CpuState, op: number, d: number, cnt: number, bits: number): number {
  if (cnt === 0) return d;
  const mask = MASK[bits >> 3]!;
  const top = bits - 1;
  let r: number, cf: number, of: number;
  switch (op) {
    case 0: { // ROL
      const n = cnt % bits;
      r = n === 0 ? d : ((d << n) | (d >>> (bits - n))) & mask;
      cf = r & 1; of = ((r >>> top) & 1) ^ cf;
      c.setFlagBits(CF | OF, cf | (of ? OF : 0));
      return r;
    }
    case 1: { // ROR
      const n = cnt % bits;
      r = n === 0 ? d : ((d >>> n) | (d << (bits - n))) & mask;
      cf = (r >>> top) & 1; of = cf ^ ((r >>> (top - 1)) & 1);
      c.setFlagBits(CF | OF, cf | (of ? OF : 0));
      return r;
    }
    case 2: { // RCL through CF, bits+1 wide
      const n = cnt % (bits + 1);
      cf = c.getCF();
      r = d;
      for (let i = 0; i < n; i++) { const out = (r >>> top) & 1; r = ((r << 1) | cf) & mask; cf = out; }
      of = ((r >>> top) & 1) ^ cf;
      c.setFlagBits(CF | OF, cf | (of ? OF : 0));
      return r >>> 0 === r ? r : r >>> 0;
    }
    case 3: { // RCR
      const n = cnt % (bits + 1);
      cf = c.getCF();
      r = d;
      for (let i = 0; i < n; i++) { const out = r & 1; r = ((r >>> 1) | (cf << top)) & mask; cf = out; }
      of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      c.setFlagBits(CF | OF, cf | (of ? OF : 0));
      return r;
    }
    case 4: case 6: { // SHL/SAL
      r = cnt < 32 ? (d << cnt) & mask : 0;
      cf = cnt <= bits ? (d >>> (bits - cnt)) & 1 : 0;
      if (bits === 32 && cnt === 0) cf = 0;
      of = ((r >>> top) & 1) ^ cf;
      break;
    }
    case 5: { // SHR
      r = cnt < 32 ? (d >>> cnt) & mask : 0;
      cf = cnt <= bits ? (d >>> (cnt - 1)) & 1 : 0;
      of = cnt === 1 ? (d >>> top) & 1 : 0; // OF of the last 1-bit step (what the 286 does)
      break;
    }
    default: { // SAR
      const s = bits === 8 ? (d << 24) >> 24 : bits === 16 ? (d << 16) >> 16 : d | 0;
      r = (s >> Math.min(cnt, 31)) & mask;
      cf = (s >> Math.min(cnt - 1, 31)) & 1;
      of = 0;
      break;
    }
  }
  c.setShift(r, bits, cf, of);
  return r;
}

/** group 2: countKind 0 = 1, 1 = CL, 2 = imm8 */
export function group2(c: CpuState, bits: number, countKind: number): void {
  c.modrm();
  const d = rEW(c, bits) & MASK[bits >> 3]!;
  const cnt = (countKind === 0 ? 1 : countKind === 1 ? c.r8[4]! : c.fetch8()) & 31;
  const r = shiftOp(c, c.mReg, d, cnt, bits);
  wb(c, bits, r);
}

/** SHLD/SHRD Ev, Gv, imm8/CL */
export function shld(c: CpuState, bits: number, right: boolean, byCl: boolean): void {
  c.modrm();
  const d = rEW(c, bits) >>> 0;
  const s = getR(c, bits, c.mReg) >>> 0;
  const cnt = (byCl ? c.r8[4]! : c.fetch8()) & 31;
  if (cnt === 0) return;
  const mask = MASK[bits >> 3]!;
  let r: number, cf: number;
  if (bits === 16 && cnt > 16) {
    // undefined result on real hardware; do a 32-bit rotate of s:d like Bochs
    const wide = right ? (s << 16 | (d & 0xffff)) >>> 0 : ((d & 0xffff) << 16 | s) >>> 0;
    r = (right ? (wide >>> cnt) | (wide << (32 - cnt)) : (wide << cnt) | (wide >>> (32 - cnt))) & (right ? 0xffff : 0xffff0000);
    if (!right) r >>>= 16;
    cf = right ? (d >>> (cnt - 1)) & 1 : 0;
  } else if (right) {
    r = ((d >>> cnt) | (s << (bits - cnt))) & mask;
    cf = (d >>> (cnt - 1)) & 1;
  } else {
    r = ((d << cnt) | (s >>> (bits - cnt))) & mask;
    cf = (d >>> (bits - cnt)) & 1;
  }
  const of = ((r ^ d) >>> (bits - 1)) & 1;
  c.setShift(r, bits, cf, of);
  wb(c, bits, r);
}

/**
 * BT/BTS/BTR/BTC. kind 0 BT, 1 BTS, 2 BTR, 3 BTC. With a register bit
 * offset and a memory operand, the offset addresses beyond the operand.
 */
export function bitTest(c: CpuState, bits: number, kind: number, immForm: boolean): void {
  c.modrm();
  let off = immForm ? 0 : getR(c, bits, c.mReg);
  if (immForm) off = c.fetch8();
  if (c.mMem && !immForm) {
    const sOff = bits === 16 ? (off << 16) >> 16 : off | 0;
    const delta = Math.floor(sOff / bits) * (bits >> 3);
    c.mOff = c.as32 ? (c.mOff + delta) >>> 0 : (c.mOff + delta) & 0xffff;
  }
  const bit = off & (bits - 1);
  const v = kind === 0 ? rE(c, bits) : rEW(c, bits);
  const cf = (v >>> bit) & 1;
  c.setFlagBits(CF, cf);
  if (kind === 0) return;
  const m = 1 << bit;
  wb(c, bits, kind === 1 ? v | m : kind === 2 ? v & ~m : v ^ m);
}

/** BSF/BSR Gv, Ev: ZF=1 and destination unchanged for a zero source. */
export function bitScan(c: CpuState, bits: number, reverse: boolean): void {
  c.modrm();
  const v = rE(c, bits) & MASK[bits >> 3]!;
  if (v === 0) { c.setFlagBits(0x40, 0x40); return; }
  const n = reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
  c.setFlagBits(0x40, 0);
  setR(c, bits, c.mReg, n);
}
