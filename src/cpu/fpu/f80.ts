/**
 * The extended-precision number core: unpacked values (sign, integer
 * significand as a BigInt, exponent of its least significant bit), the one
 * rounding routine every result goes through, and packing into the x87
 * register format and the memory formats (m32fp, m64fp, m80fp).
 *
 * Rounding follows IEEE 754 as the SDM (vol. 1 ch. 4.8, 8.5) describes it for
 * the x87: RC chooses the direction, the precision p may be cut to 24/53 bits
 * by PC while the exponent range stays extended, tininess is detected after
 * rounding (Berkeley SoftFloat's 8086 specialisation, which QEMU's floatx80
 * follows), masked underflow signals UE only when the result is also inexact.
 */

/** classes of an unpacked value */
export const K_ZERO = 0, K_FIN = 1, K_INF = 2, K_NAN = 3, K_BAD = 4; // K_BAD: unsupported 80-bit encoding

// status word exception bits
export const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40;
/** not a status bit: "the result was rounded away from zero" (becomes C1) */
export const ROUNDED_UP = 0x200;

// rounding control (CW bits 10-11)
export const RC_NEAR = 0, RC_DOWN = 1, RC_UP = 2, RC_CHOP = 3;

/** value = (-1)^s * m * 2^e for K_FIN; m holds the raw 64-bit significand for K_NAN */
export class Unp {
  k = K_ZERO;
  s = 0;
  e = 0;
  m = 0n;
  /** the operand was a denormal (DE when used) */
  den = false;
  set(o: Unp): this { this.k = o.k; this.s = o.s; this.e = o.e; this.m = o.m; this.den = o.den; return this; }
  fin(s: number, m: bigint, e: number): this {
    this.s = s; this.den = false;
    if (m === 0n) { this.k = K_ZERO; this.m = 0n; this.e = 0; } else { this.k = K_FIN; this.m = m; this.e = e; }
    return this;
  }
  zero(s: number): this { this.k = K_ZERO; this.s = s; this.m = 0n; this.e = 0; this.den = false; return this; }
  inf(s: number): this { this.k = K_INF; this.s = s; this.m = 0n; this.e = 0; this.den = false; return this; }
  /** the QNaN "real indefinite" (SDM table 8-10): sign 1, significand C000...0 */
  indefinite(): this { this.k = K_NAN; this.s = 1; this.m = 0xc000000000000000n; this.e = 0; this.den = false; return this; }
}

export interface Format {
  readonly bias: number;
  /** stored fraction bits (63 for extended: the J bit is stored on top of them) */
  readonly frac: number;
  readonly explicit: boolean;
  readonly maxBiased: number;
}
export const EXT: Format = { bias: 16383, frac: 63, explicit: true, maxBiased: 0x7fff };
export const DBL: Format = { bias: 1023, frac: 52, explicit: false, maxBiased: 0x7ff };
export const SGL: Format = { bias: 127, frac: 23, explicit: false, maxBiased: 0xff };

const MASK64 = (1n << 64n) - 1n;

const TWO32 = 1n << 32n, TWO64 = 1n << 64n;
/** number of significant bits of m > 0 (the hot path: one comparison and at most one shift for m < 2^64) */
export function bitLen(m: bigint): number {
  let n = 0;
  while (m >= TWO64) { m >>= 64n; n += 64; }
  if (m < TWO32) return n + 32 - Math.clz32(Number(m));
  return n + 64 - Math.clz32(Number(m >> 32n));
}

// ---- results of round(): the packed bit pattern and flags ----
/** the packed result (80, 64 or 32 bits) */
export let rBits = 0n;
/** IE..PE and ROUNDED_UP raised by the last round() */
export let rFlags = 0;

/** Pack an unpacked special (zero/inf/nan) into `f`. NaNs keep their payload, quietened by the caller. */
export function packSpecial(u: Unp, f: Format): bigint {
  const expShift = BigInt(f.explicit ? f.frac + 1 : f.frac);
  const sb = BigInt(u.s) << (f === EXT ? 79n : f === DBL ? 63n : 31n);
  if (u.k === K_ZERO) return sb;
  const top = BigInt(f.maxBiased) << expShift;
  if (u.k === K_INF) return sb | top | (f.explicit ? 1n << 63n : 0n);
  // NaN: the top `frac` bits of the 63-bit fraction
  const fr = (u.m & ((1n << 63n) - 1n)) >> BigInt(63 - f.frac);
  return sb | top | fr | (f.explicit ? 1n << 63n : 0n);
}

/**
 * Round s * m * 2^e (m > 0) to `p` significant bits in format `f` with rounding control `rc`.
 * `oeUnmasked`/`ueUnmasked`: the exception is unmasked and the destination is a register, so the SDM's
 * exponent bias adjustment (± 3 * 2^13 for extended, 4.9.1.4/4.9.1.5) replaces the masked response. Sets rBits and rFlags.
 */
export function round(s: number, m: bigint, e: number, p: number, f: Format, rc: number, oeUnmasked = false, ueUnmasked = false): void {
  const emin = 1 - f.bias, emax = f.bias, lsbMin = emin - f.frac;
  let flags = 0;
  const n = bitLen(m);
  let E = e + n - 1;
  let lsb = Math.max(E - p + 1, lsbMin);
  let q = roundAt(s, m, e, lsb, rc);
  if (rInexact) flags |= PE;
  if (rUp) flags |= ROUNDED_UP;
  let E2 = q === 0n ? lsb - 1 : lsb + bitLen(q) - 1;
  if (E < emin) {
    // tininess after rounding: round with an unbounded exponent and look at the result's exponent
    const lsbU = E - p + 1;
    const qU = roundAt(s, m, e, lsbU, rc);
    const tiny = lsbU + bitLen(qU) - 1 < emin;
    if (tiny && ueUnmasked) {
      // bias-adjusted result (SDM 4.9.1.5): the exact value scaled by 2^24576 (extended), rounded normally
      flags = UE;
      const adj = f === EXT ? 24576 : f === DBL ? 1536 : 192;
      E += adj; lsb = E - p + 1;
      q = roundAt(s, m, e + adj, lsb, rc);
      if (rInexact) flags |= PE;
      if (rUp) flags |= ROUNDED_UP;
      E2 = lsb + bitLen(q) - 1;
    } else if (tiny && (flags & PE)) flags |= UE;
  }
  if (E2 > emax) {
    flags |= OE;
    if (oeUnmasked) {
      const adj = f === EXT ? 24576 : f === DBL ? 1536 : 192;
      E2 -= adj; lsb -= adj;
    } else {
      flags |= PE;
      const toInf = rc === RC_NEAR || (rc === RC_UP && s === 0) || (rc === RC_DOWN && s === 1);
      const sb = BigInt(s) << (f === EXT ? 79n : f === DBL ? 63n : 31n);
      const expShift = BigInt(f.explicit ? f.frac + 1 : f.frac);
      if (toInf) {
        rBits = sb | (BigInt(f.maxBiased) << expShift) | (f.explicit ? 1n << 63n : 0n);
        flags |= ROUNDED_UP;
      } else {
        // the largest finite number at precision p (PC=24: significand FFFFFF0000000000; Bochs and QEMU alike)
        const ones = f.explicit ? p : p - 1, fracBits = f.explicit ? 64 : f.frac;
        rBits = sb | (BigInt(f.maxBiased - 1) << expShift) | (((1n << BigInt(ones)) - 1n) << BigInt(fracBits - ones));
        flags &= ~ROUNDED_UP;
      }
      rFlags = flags;
      return;
    }
  }
  rBits = packFinite(s, q, lsb, f);
  rFlags = flags;
}

let rInexact = false, rUp = false;
/** m * 2^e rounded to a multiple of 2^lsb, as an integer count of 2^lsb (sets rInexact, rUp). */
function roundAt(s: number, m: bigint, e: number, lsb: number, rc: number): bigint {
  const sh = lsb - e;
  rInexact = false; rUp = false;
  if (sh <= 0) return m << BigInt(-sh);
  const n = bitLen(m);
  let q: bigint, rem: bigint, half: bigint;
  if (sh > n + 1) { q = 0n; rem = 1n; half = 2n; } // far below half an ulp (only the sticky bit counts)
  else {
    const bs = BigInt(sh);
    q = m >> bs; rem = m & ((1n << bs) - 1n); half = 1n << (bs - 1n);
  }
  if (rem === 0n) return q;
  rInexact = true;
  let inc = false;
  switch (rc) {
    case RC_NEAR: inc = rem > half || (rem === half && (q & 1n) === 1n); break;
    case RC_DOWN: inc = s === 1; break;
    case RC_UP: inc = s === 0; break;
    default: inc = false;
  }
  if (inc) { q += 1n; rUp = true; }
  return q;
}

/** Pack a rounded finite value q * 2^lsb (q may be 0 after rounding a tiny value) into f. */
function packFinite(s: number, q: bigint, lsb: number, f: Format): bigint {
  const sb = BigInt(s) << (f === EXT ? 79n : f === DBL ? 63n : 31n);
  if (q === 0n) return sb;
  const emin = 1 - f.bias;
  const n = bitLen(q), E = lsb + n - 1;
  const expShift = BigInt(f.explicit ? f.frac + 1 : f.frac);
  if (E < emin) return sb | (q << BigInt(lsb - (emin - f.frac))); // denormal: biased exponent 0
  let sig = q << BigInt(f.frac - (n - 1));
  if (!f.explicit) sig -= 1n << BigInt(f.frac);
  return sb | (BigInt(E + f.bias) << expShift) | sig;
}

/** Unpack an 80-bit value (sign+exponent word, 64-bit significand). */
export function unpack80(u: Unp, se: number, sig: bigint): Unp {
  const s = se >> 15, be = se & 0x7fff;
  u.s = s; u.den = false; u.e = 0;
  const j = sig >> 63n;
  if (be === 0) {
    if (sig === 0n) { u.k = K_ZERO; u.m = 0n; return u; }
    u.k = K_FIN; u.m = sig; u.e = 1 - 16383 - 63; u.den = true; // denormal or pseudo-denormal (J=1): same value rule
    return u;
  }
  if (be === 0x7fff) {
    if (j === 0n) { u.k = K_BAD; u.m = sig; return u; } // pseudo-infinity / pseudo-NaN
    u.m = sig;
    u.k = (sig & ((1n << 63n) - 1n)) === 0n ? K_INF : K_NAN;
    return u;
  }
  if (j === 0n) { u.k = K_BAD; u.m = sig; return u; } // unnormal
  u.k = K_FIN; u.m = sig; u.e = be - 16383 - 63;
  return u;
}

/** Unpack an m64fp or m32fp bit pattern; NaN payloads are widened to the 64-bit significand with J=1. */
export function unpackIeee(u: Unp, bits: bigint, f: Format): Unp {
  const total = f === DBL ? 64n : 32n, fb = BigInt(f.frac);
  const s = Number(bits >> (total - 1n)), be = Number((bits >> fb) & BigInt(f.maxBiased));
  const fr = bits & ((1n << fb) - 1n);
  u.s = s; u.den = false; u.e = 0;
  if (be === 0) {
    if (fr === 0n) { u.k = K_ZERO; u.m = 0n; return u; }
    u.k = K_FIN; u.m = fr; u.e = 1 - f.bias - f.frac; u.den = true;
    return u;
  }
  if (be === f.maxBiased) {
    u.m = (1n << 63n) | (fr << BigInt(63 - f.frac));
    u.k = fr === 0n ? K_INF : K_NAN;
    return u;
  }
  u.k = K_FIN; u.m = fr | (1n << fb); u.e = be - f.bias - f.frac;
  return u;
}

/** The 80-bit pattern of an unpacked value that is exactly representable (normalised). */
export function exact80(u: Unp): bigint {
  if (u.k !== K_FIN) return packSpecial(u, EXT);
  round(u.s, u.m, u.e, 64, EXT, RC_NEAR);
  return rBits;
}

export const isSnan = (u: Unp): boolean => u.k === K_NAN && (u.m & (1n << 62n)) === 0n;
export const quiet = (u: Unp): Unp => { u.m |= 1n << 62n; return u; };
export { MASK64 };
