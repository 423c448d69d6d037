/**
 * Group 3 (F6/F7: TEST NOT NEG MUL IMUL DIV IDIV), IMUL Gv,Ev(,imm), and the
 * BCD/ASCII adjusts. 64-bit products and dividends are done in exact 16-bit
 * pieces, so nothing allocates (no BigInt).
 */
import { AF, CF, DE, K_SUB, OF, type CpuState } from './cpu-state.js';
import { alu } from './ops-alu.js';
import { MASK, rE, rEW, sext, setR, wb } from './operand.js';

let hi = 0; // high half of the last mulU32/mulS32

/** Unsigned 32x32 -> 64: returns the low 32 bits (unsigned), high in `hi`. */
function mulU32(a: number, b: number): number {
  a >>>= 0; b >>>= 0;
  const p0 = a * (b & 0xffff), p1 = a * (b >>> 16);
  const lo = p0 + (p1 % 65536) * 65536;
  hi = Math.floor(p1 / 65536) + Math.floor(lo / 4294967296);
  hi >>>= 0;
  return lo % 4294967296;
}
function mulS32(a: number, b: number): number {
  const neg = (a < 0) !== (b < 0);
  let lo = mulU32(Math.abs(a | 0), Math.abs(b | 0));
  if (neg) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  return lo;
}

function setMulFlags(c: CpuState, overflow: boolean, res: number, bits: number): void {
  // CF=OF=overflow; SF/ZF/PF from the low result (undefined on Intel, what Bochs does), AF=0
  c.setShift(res, bits, overflow ? CF : 0, overflow ? 1 : 0);
}

export function group3(c: CpuState, bits: number): void {
  c.modrm();
  const op = c.mReg;
  const mask = MASK[bits >> 3]!;
  switch (op) {
    case 0: case 1: { // TEST E, imm
      const v = rE(c, bits);
      const imm = bits === 8 ? c.fetch8() : bits === 16 ? c.fetch16() : c.fetch32();
      c.setLogic(v & imm, bits);
      return;
    }
    case 2: { const v = rEW(c, bits); wb(c, bits, ~v); return; }
    case 3: { const v = rEW(c, bits); wb(c, bits, alu(c, 5, 0, v, bits)); return; }
    case 4: { // MUL
      const v = (rE(c, bits) & mask) >>> 0;
      if (bits === 8) { const r = c.r8[0]! * v; c.r16[0] = r; setMulFlags(c, r > 0xff, r, 8); }
      else if (bits === 16) { const r = c.r16[0]! * v; c.r16[0] = r; c.r16[4] = r >>> 16; setMulFlags(c, r > 0xffff, r, 16); }
      else { const lo = mulU32(c.regs[0]!, v); c.regs[0] = lo; c.regs[2] = hi; setMulFlags(c, hi !== 0, lo, 32); }
      return;
    }
    case 5: { // IMUL (one operand)
      const v = sext(rE(c, bits), bits);
      if (bits === 8) { const r = ((c.r8[0]! << 24) >> 24) * v; c.r16[0] = r; setMulFlags(c, r !== ((r << 24) >> 24), r, 8); }
      else if (bits === 16) { const r = ((c.r16[0]! << 16) >> 16) * v; c.r16[0] = r; c.r16[4] = r >> 16; setMulFlags(c, r !== ((r << 16) >> 16), r, 16); }
      else { const lo = mulS32(c.regs[0]!, v); c.regs[0] = lo; c.regs[2] = hi; setMulFlags(c, (hi | 0) !== ((lo | 0) >> 31), lo, 32); }
      return;
    }
    // unsigned divisor: a 32-bit value with bit 31 set is not negative (`>>> 0`, not `& mask`)
    case 6: divU(c, (rE(c, bits) & mask) >>> 0, bits); return;
    default: divS(c, sext(rE(c, bits), bits), bits); return;
  }
}

function divU(c: CpuState, d: number, bits: number): void {
  if (d === 0) c.raise(DE);
  if (bits === 8) {
    const n = c.r16[0]!, q = Math.floor(n / d);
    if (q > 0xff) c.raise(DE);
    c.r8[0] = q; c.r8[1] = n % d;
  } else if (bits === 16) {
    const n = (c.r16[4]! * 65536) + c.r16[0]!, q = Math.floor(n / d);
    if (q > 0xffff) c.raise(DE);
    c.r16[0] = q; c.r16[4] = n % d;
  } else {
    const nh = c.regs[2]! >>> 0, nl = c.regs[0]! >>> 0;
    if (nh >= d) c.raise(DE);
    const x = nh * 65536 + (nl >>> 16);
    const q1 = Math.floor(x / d);
    const y = (x - q1 * d) * 65536 + (nl & 0xffff);
    const q0 = Math.floor(y / d);
    c.regs[0] = q1 * 65536 + q0; c.regs[2] = y - q0 * d;
  }
}

function divS(c: CpuState, d: number, bits: number): void {
  if (d === 0) c.raise(DE);
  if (bits === 8) {
    const n = (c.r16[0]! << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) c.raise(DE);
    c.r8[0] = q; c.r8[1] = n % d;
  } else if (bits === 16) {
    const n = (c.r16[4]! << 16) | c.r16[0]!;
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) c.raise(DE);
    c.r16[0] = q; c.r16[4] = n % d;
  } else {
    // |EDX:EAX| / |d| with the unsigned routine, then fix the signs
    let nh = c.regs[2]! | 0, nl = c.regs[0]! >>> 0;
    const nNeg = nh < 0;
    if (nNeg) { nl = (~nl + 1) >>> 0; nh = (~nh + (nl === 0 ? 1 : 0)) >>> 0; } else nh >>>= 0;
    const ad = Math.abs(d);
    if (nh >= ad) c.raise(DE);
    const x = nh * 65536 + (nl >>> 16);
    const q1 = Math.floor(x / ad);
    const y = (x - q1 * ad) * 65536 + (nl & 0xffff);
    const q0 = Math.floor(y / ad);
    let q = q1 * 65536 + q0, r = y - q0 * ad;
    if (nNeg !== (d < 0)) q = -q;
    if (nNeg) r = -r;
    if (q > 0x7fffffff || q < -0x80000000) c.raise(DE);
    c.regs[0] = q; c.regs[2] = r;
  }
}

/**
 * The product of IMUL's two- and three-operand forms: the low `bits` of a * b (both already sign-extended),
 * CF = OF = 1 when the signed product does not fit. Shared with the block compiler (jit/compile.ts).
 */
export function imulTrunc(c: CpuState, a: number, b: number, bits: number): number {
  if (bits === 16) {
    const r = a * b;
    setMulFlags(c, r !== ((r << 16) >> 16), r, 16);
    return r & 0xffff;
  }
  // the double product is exact below 2^53 and, rounding being monotonic, stays outside the int32 range
  // whenever the exact one is outside it
  const p = a * b, lo = Math.imul(a, b);
  setMulFlags(c, p > 0x7fffffff || p < -0x80000000, lo, 32);
  return lo;
}

/** IMUL Gv, Ev, imm (69/6B) and IMUL Gv, Ev (0F AF): immKind 0 none, 8 imm8, 16/32 imm */
export function imulGE(c: CpuState, bits: number, immKind: number): void {
  c.modrm();
  const a = sext(rE(c, bits), bits);
  const b = immKind === 0 ? sext(bits === 16 ? c.r16[c.mReg << 1]! : c.regs[c.mReg]!, bits)
    : immKind === 8 ? c.fetchS8() : immKind === 16 ? (c.fetch16() << 16) >> 16 : c.fetch32() | 0;
  const r = imulTrunc(c, a, b, bits);
  if (bits === 16) c.r16[c.mReg << 1] = r;
  else c.regs[c.mReg] = r;
}

// ---- BCD / ASCII adjust (Intel SDM pseudo-code) ----
export function daa(c: CpuState, sub: boolean): void {
  const oldAl = c.r8[0]!, oldCf = c.getCF();
  const f = c.getFlags();
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0xf) > 9 || (f & AF)) {
    al = sub ? al - 6 : al + 6;
    cf = oldCf | ((sub ? al < 0 : al > 0xff) ? 1 : 0);
    al &= 0xff; af = AF;
  }
  if (oldAl > 0x99 || oldCf) { al = (sub ? al - 0x60 : al + 0x60) & 0xff; cf = 1; }
  c.r8[0] = al;
  // OF is undefined; the 286 computes it like the add/sub it performs
  const of = sub ? ((oldAl ^ al) & oldAl & 0x80) : ((oldAl ^ al) & al & 0x80);
  c.setShift(al, 8, cf, of);
  if (af) c.flags |= AF;
}

export function aaa(c: CpuState, sub: boolean): void {
  const f = c.getFlags();
  let al = c.r8[0]!;
  if ((al & 0xf) > 9 || (f & AF)) {
    // 286/386: AX +/- 106h in two steps, AL/AH separately
    const ah = c.r8[1]!;
    c.r16[0] = sub ? (((ah - 1 - (al < 6 ? 1 : 0)) & 0xff) << 8) | ((al - 6) & 0x0f) : (((ah + 1 + (al > 0xf9 ? 1 : 0)) & 0xff) << 8) | ((al + 6) & 0x0f);
    al = c.r8[0]!;
    c.setFlagsRaw(f | AF | CF);
  } else {
    c.r8[0] = al & 0x0f;
    c.setFlagsRaw(f & ~(AF | CF));
  }
}

export function aam(c: CpuState): void {
  const base = c.fetch8();
  if (base === 0) c.raise(DE);
  const al = c.r8[0]!;
  c.r8[1] = Math.floor(al / base);
  c.r8[0] = al % base;
  c.setLogic(c.r8[0]!, 8);
}

export function aad(c: CpuState): void {
  const base = c.fetch8();
  const al = c.r8[0]!, prod = (c.r8[1]! * base) & 0xff;
  const r = alu(c, 0, al, prod, 8) & 0xff; // flags as the ADD it performs
  c.r16[0] = r;
  void K_SUB;
}

export { setR };
