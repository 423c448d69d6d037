/**
 * The fast exact path for the common case: FADD/FSUB(R)/FMUL on two normal operands whose result is normal,
 * FCOM on normal numbers and zeros, FLD/FST of m32fp/m64fp normal numbers,
 * computed with JS numbers on 16- and 32-bit pieces of the 64-bit significands (no BigInt, no allocation), rounded
 * once by RC at 24, 53 or 64 bits exactly as round() in f80.ts does. Anything else — zeros, denormals,
 * infinities, NaNs, unsupported encodings, a result that would overflow or be tiny, an exponent difference over
 * 64 in an addition — returns false and the caller takes the BigInt path, which stays the reference
 * (test/cpu/fpu-core.test.ts checks both against exact rational arithmetic).
 *
 * Operands are register images: sign+exponent word `se`, significand halves `hi`/`lo` (J bit = hi bit 31).
 */
import { PE, RC_DOWN, RC_NEAR, RC_UP, ROUNDED_UP } from './f80.js';

/** The result of the last successful fast operation (register image) and its flags (PE, ROUNDED_UP). */
export let qSe = 0, qHi = 0, qLo = 0, qFlags = 0;

const TWO32 = 4294967296;

/** A normal value: biased exponent 1..0x7FFE and J = 1. */
export function isNormal(se: number, hi: number): boolean {
  const be = se & 0x7fff;
  return be !== 0 && be !== 0x7fff && (hi & 0x80000000) !== 0;
}

// the 128-bit work value, most significant word first
let w3 = 0, w2 = 0, w1 = 0, w0 = 0;

/**
 * Round the normalised 128-bit value w3:w2:w1:w0 (w3 bit 31 set) with unbiased exponent E (of bit 127) to p bits
 * by rc; sticky: nonzero bits already dropped below w0. Sets the result and returns true when it is normal.
 */
function finish(s: number, E: number, p: number, rc: number, sticky: boolean): boolean {
  // a value below the normal range before rounding is rounded at denormal precision with tininess rules: BigInt path
  if (E + 16383 < 1) return false;
  let hi = w3, lo = w2, rnd: number, rest: boolean, lsb: number;
  if (p === 64) {
    rnd = w1 >>> 31; rest = (w1 & 0x7fffffff) !== 0 || w0 !== 0 || sticky; lsb = lo & 1;
  } else if (p === 53) {
    rnd = (lo >>> 10) & 1; rest = (lo & 0x3ff) !== 0 || w1 !== 0 || w0 !== 0 || sticky; lsb = (lo >>> 11) & 1;
    lo = (lo & 0xfffff800) >>> 0;
  } else {
    rnd = (hi >>> 7) & 1; rest = (hi & 0x7f) !== 0 || lo !== 0 || w1 !== 0 || w0 !== 0 || sticky; lsb = (hi >>> 8) & 1;
    hi = (hi & 0xffffff00) >>> 0; lo = 0;
  }
  let flags = 0;
  if (rnd || rest) {
    flags = PE;
    const inc = rc === RC_NEAR ? rnd !== 0 && (rest || lsb !== 0) : rc === RC_DOWN ? s === 1 : rc === RC_UP ? s === 0 : false;
    if (inc) {
      flags |= ROUNDED_UP;
      const unit = p === 64 ? 1 : p === 53 ? 0x800 : 0;
      if (unit) {
        lo += unit;
        if (lo >= TWO32) { lo -= TWO32; hi += 1; }
      } else hi += 0x100;
      if (hi >= TWO32) { hi = 0x80000000; lo = 0; E += 1; }
    }
  }
  const be = E + 16383;
  if (be < 1 || be > 0x7ffe) return false;
  qSe = (s << 15) | be; qHi = hi; qLo = lo; qFlags = flags;
  return true;
}

/** a * b for two normal register images; false: take the BigInt path. */
export function fastMul(sea: number, ha: number, la: number, seb: number, hb: number, lb: number, p: number, rc: number): boolean {
  if (!isNormal(sea, ha) || !isNormal(seb, hb)) return false;
  const a3 = ha >>> 16, a2 = ha & 0xffff, a1 = la >>> 16, a0 = la & 0xffff;
  const b3 = hb >>> 16, b2 = hb & 0xffff, b1 = lb >>> 16, b0 = lb & 0xffff;
  // column sums of 16x16-bit products: each < 2^34, exact in a double
  let c = a0 * b0;
  const r0 = c % 65536; c = (c - r0) / 65536;
  c += a0 * b1 + a1 * b0;
  const r1 = c % 65536; c = (c - r1) / 65536;
  c += a0 * b2 + a1 * b1 + a2 * b0;
  const r2 = c % 65536; c = (c - r2) / 65536;
  c += a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const r3 = c % 65536; c = (c - r3) / 65536;
  c += a1 * b3 + a2 * b2 + a3 * b1;
  const r4 = c % 65536; c = (c - r4) / 65536;
  c += a2 * b3 + a3 * b2;
  const r5 = c % 65536; c = (c - r5) / 65536;
  c += a3 * b3;
  const r6 = c % 65536;
  const r7 = (c - r6) / 65536;
  w3 = r7 * 65536 + r6; w2 = r5 * 65536 + r4; w1 = r3 * 65536 + r2; w0 = r1 * 65536 + r0;
  // value = W * 2^(Ea + Eb - 126), W in [2^126, 2^128)
  let E = (sea & 0x7fff) - 16383 + (seb & 0x7fff) - 16383 + 1;
  if (w3 < 0x80000000) { shl128(1); E -= 1; }
  return finish((sea ^ seb) >>> 15 & 1, E, p, rc, false);
}

/** a + (-1)^neg * b for two normal register images; false: take the BigInt path. */
export function fastAdd(sea: number, ha: number, la: number, seb: number, hb: number, lb: number, neg: number, p: number, rc: number): boolean {
  if (!isNormal(sea, ha) || !isNormal(seb, hb)) return false;
  let sa = sea >>> 15, sb = (seb >>> 15) ^ neg;
  let ea = sea & 0x7fff, eb = seb & 0x7fff;
  // |a| >= |b| by exponent, then by significand
  if (eb > ea || (eb === ea && (hb > ha || (hb === ha && lb > la)))) {
    let t = ea; ea = eb; eb = t; t = sa; sa = sb; sb = t;
    t = ha; ha = hb; hb = t; t = la; la = lb; lb = t;
  }
  const d = ea - eb;
  if (d > 64) return false;
  // b's significand shifted right by d inside 128 bits (a sits in the top 64): nothing falls off
  let b3: number, b2: number, b1: number, b0: number;
  if (d === 0) { b3 = hb; b2 = lb; b1 = 0; b0 = 0; }
  else if (d < 32) { b3 = hb >>> d; b2 = ((hb << (32 - d)) | (lb >>> d)) >>> 0; b1 = (lb << (32 - d)) >>> 0; b0 = 0; }
  else if (d === 32) { b3 = 0; b2 = hb; b1 = lb; b0 = 0; }
  else if (d < 64) { const k = d - 32; b3 = 0; b2 = hb >>> k; b1 = ((hb << (32 - k)) | (lb >>> k)) >>> 0; b0 = (lb << (32 - k)) >>> 0; }
  else { b3 = 0; b2 = 0; b1 = hb; b0 = lb; }
  let E = ea - 16383;
  let sticky = false;
  if (sa === sb) {
    w0 = b0; w1 = b1;
    let t = la + b2; w2 = t % TWO32; let carry = t >= TWO32 ? 1 : 0;
    t = ha + b3 + carry; w3 = t % TWO32; carry = t >= TWO32 ? 1 : 0;
    if (carry) {
      sticky = (w0 & 1) !== 0;
      w0 = ((w0 >>> 1) | (w1 << 31)) >>> 0; w1 = ((w1 >>> 1) | (w2 << 31)) >>> 0;
      w2 = ((w2 >>> 1) | (w3 << 31)) >>> 0; w3 = ((w3 >>> 1) | 0x80000000) >>> 0;
      E += 1;
    }
    return finish(sa, E, p, rc, sticky);
  }
  // |a| >= |b|: a - b >= 0
  let t = 0 - b0, borrow = t < 0 ? 1 : 0; w0 = t + borrow * TWO32;
  t = 0 - b1 - borrow; borrow = t < 0 ? 1 : 0; w1 = t + borrow * TWO32;
  t = la - b2 - borrow; borrow = t < 0 ? 1 : 0; w2 = t + borrow * TWO32;
  t = ha - b3 - borrow; w3 = t;
  if (w3 === 0 && w2 === 0 && w1 === 0 && w0 === 0) {
    // exact zero: +0, or -0 when rounding down (SDM vol. 1 4.8.3.? / IEEE 754 6.3)
    qSe = rc === RC_DOWN ? 0x8000 : 0; qHi = 0; qLo = 0; qFlags = 0;
    return true;
  }
  const n = w3 !== 0 ? Math.clz32(w3) : w2 !== 0 ? 32 + Math.clz32(w2) : w1 !== 0 ? 64 + Math.clz32(w1) : 96 + Math.clz32(w0);
  if (n) { shl128(n); E -= n; }
  return finish(sa, E, p, rc, false);
}

/** w3:w2:w1:w0 <<= n (0 < n < 128) */
function shl128(n: number): void {
  while (n >= 32) { w3 = w2; w2 = w1; w1 = w0; w0 = 0; n -= 32; }
  if (n === 0) return;
  const m = 32 - n;
  w3 = ((w3 << n) | (w2 >>> m)) >>> 0;
  w2 = ((w2 << n) | (w1 >>> m)) >>> 0;
  w1 = ((w1 << n) | (w0 >>> m)) >>> 0;
  w0 = (w0 << n) >>> 0;
}

// ---- memory formats: m64fp / m32fp of a normal number to a register image and back ----

/** m64fp (two dwords) to a register image when it is a normal double; false otherwise. */
export function fromF64(hiW: number, loW: number): boolean {
  const be = (hiW >>> 20) & 0x7ff;
  if (be === 0 || be === 0x7ff) return false;
  qSe = ((hiW >>> 31) << 15) | (be - 1023 + 16383);
  qHi = (0x80000000 | ((hiW & 0xfffff) << 11) | (loW >>> 21)) >>> 0;
  qLo = (loW << 11) >>> 0;
  qFlags = 0;
  return true;
}

/** m32fp to a register image when it is a normal single; false otherwise. */
export function fromF32(v: number): boolean {
  const be = (v >>> 23) & 0xff;
  if (be === 0 || be === 0xff) return false;
  qSe = ((v >>> 31) << 15) | (be - 127 + 16383);
  qHi = (0x80000000 | ((v & 0x7fffff) << 8)) >>> 0;
  qLo = 0; qFlags = 0;
  return true;
}

/** A nonzero 16/32-bit integer to a register image (always exact). */
export function fromI32(v: number): boolean {
  if (v === 0) return false;
  const s = v < 0 ? 1 : 0;
  const m = s ? -v : v; // up to 2^31, exact
  const n = Math.clz32(m >>> 0);
  qSe = (s << 15) | (31 - n + 16383);
  qHi = ((m >>> 0) << n) >>> 0; qLo = 0; qFlags = 0;
  return true;
}

/** The m64fp (high and low dword) or m32fp (dHi) of the last toF64/toF32. */
export let dHi = 0, dLo = 0;
/** The m64fp of a normal register image rounded by rc, when the result is a normal double. */
export function toF64(se: number, hi: number, lo: number, rc: number): boolean {
  if (!isNormal(se, hi)) return false;
  // outside the double's normal range before rounding (overflow, denormal precision, tininess): BigInt path
  const e0 = (se & 0x7fff) - 16383 + 1023;
  if (e0 < 1 || e0 > 0x7fe) return false;
  w3 = hi; w2 = lo; w1 = 0; w0 = 0;
  const s = se >>> 15;
  if (!finish(s, (se & 0x7fff) - 16383, 53, rc, false)) return false;
  const e = (qSe & 0x7fff) - 16383 + 1023;
  if (e < 1 || e > 0x7fe) return false;
  dHi = ((s << 31) | (e << 20) | ((qHi >>> 11) & 0xfffff)) >>> 0;
  dLo = ((qHi << 21) | (qLo >>> 11)) >>> 0;
  return true;
}

/** The m32fp of a normal register image rounded by rc, when the result is a normal single (in dHi). */
export function toF32(se: number, hi: number, lo: number, rc: number): boolean {
  if (!isNormal(se, hi)) return false;
  const e0 = (se & 0x7fff) - 16383 + 127;
  if (e0 < 1 || e0 > 0xfe) return false;
  w3 = hi; w2 = lo; w1 = 0; w0 = 0;
  const s = se >>> 15;
  if (!finish(s, (se & 0x7fff) - 16383, 24, rc, false)) return false;
  const e = (qSe & 0x7fff) - 16383 + 127;
  if (e > 0xfe) return false;
  dHi = ((s << 31) | (e << 23) | ((qHi >>> 8) & 0x7fffff)) >>> 0;
  return true;
}

/**
 * Compare two register images that are normal numbers or true zeros: -1 (a < b), 0, 1; 2 for anything else
 * (denormals, infinities, NaNs, unsupported: the BigInt path decides, with its exception rules).
 */
export function fastCompare(sea: number, ha: number, la: number, seb: number, hb: number, lb: number): number {
  const za = (sea & 0x7fff) === 0 && ha === 0 && la === 0, zb = (seb & 0x7fff) === 0 && hb === 0 && lb === 0;
  if ((!za && !isNormal(sea, ha)) || (!zb && !isNormal(seb, hb))) return 2;
  const va = za ? 0 : sea & 0x8000 ? -1 : 1, vb = zb ? 0 : seb & 0x8000 ? -1 : 1;
  if (va !== vb || va === 0) return va < vb ? -1 : va > vb ? 1 : 0;
  const ea = sea & 0x7fff, eb = seb & 0x7fff;
  const mag = ea !== eb ? (ea > eb ? 1 : -1) : ha !== hb ? (ha > hb ? 1 : -1) : la !== lb ? (la > lb ? 1 : -1) : 0;
  return va > 0 ? mag : -mag;
}
