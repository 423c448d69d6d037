/**
 * Exact arithmetic on unpacked values (f80.ts): the special-operand rules of
 * the SDM (vol. 1 tables 4-7 and 8-10, the per-instruction tables in vol. 2)
 * and the exact finite results that round() then rounds. Each operation
 * writes its result into `out` and returns the exception bits it raised
 * (IE, DE, ZE); out.k === K_FIN results are exact or carry a sticky bit
 * below every bit round() can keep.
 */
import { bitLen, DE, IE, isSnan, K_BAD, K_FIN, K_INF, K_NAN, K_ZERO, quiet, RC_DOWN, ZE, type Unp } from './f80.js';

/** Sticky guard: an operand this many bits below the other cannot change any rounding decision. */
const FAR = 200;

/** NaN propagation (SDM vol. 1 table 4-7): SNaN -> IE; of two NaNs the larger significand (tie: the positive). */
export function nan2(a: Unp, b: Unp, out: Unp): number {
  let flags = 0;
  if (a.k === K_BAD || b.k === K_BAD) { out.indefinite(); return IE; }
  if (isSnan(a) || isSnan(b)) flags = IE;
  if (a.k === K_NAN && b.k === K_NAN && isSnan(a) !== isSnan(b)) out.set(isSnan(a) ? b : a); // SNaN and QNaN: the QNaN (SDM Vol. 1 Table 4-7)
  else if (a.k === K_NAN && b.k === K_NAN) { // two SNaNs or two QNaNs: the larger significand
    const ma = a.m | (1n << 62n), mb = b.m | (1n << 62n);
    out.set(ma > mb ? a : mb > ma ? b : a.s <= b.s ? a : b);
  } else out.set(a.k === K_NAN ? a : b);
  quiet(out);
  return flags;
}
const isNanish = (u: Unp): boolean => u.k === K_NAN || u.k === K_BAD;
const denBits = (a: Unp, b: Unp): number => (a.den || b.den ? DE : 0);

/** a + (-1)^neg * b */
export function add(a: Unp, b: Unp, neg: number, rc: number, out: Unp): number {
  if (isNanish(a) || isNanish(b)) return nan2(a, b, out);
  const bs = b.s ^ neg;
  if (a.k === K_INF || b.k === K_INF) {
    if (a.k === K_INF && b.k === K_INF && a.s !== bs) { out.indefinite(); return IE; }
    out.inf(a.k === K_INF ? a.s : bs);
    return 0;
  }
  const flags = denBits(a, b);
  if (a.k === K_ZERO && b.k === K_ZERO) {
    out.zero(a.s === bs ? a.s : rc === RC_DOWN ? 1 : 0);
    return flags;
  }
  if (b.k === K_ZERO) { out.set(a); out.den = false; return flags; }
  if (a.k === K_ZERO) { out.set(b); out.s = bs; out.den = false; return flags; }
  let ma = a.m, ea = a.e, mb = b.m, eb = b.e;
  const Ea = ea + bitLen(ma), Eb = eb + bitLen(mb);
  if (Ea - Eb > FAR) { mb = 1n; eb = Ea - FAR; }
  else if (Eb - Ea > FAR) { ma = 1n; ea = Eb - FAR; }
  const e = Math.min(ea, eb);
  let sum = (a.s ? -1n : 1n) * (ma << BigInt(ea - e)) + (bs ? -1n : 1n) * (mb << BigInt(eb - e));
  if (sum === 0n) { out.zero(rc === RC_DOWN ? 1 : 0); return flags; }
  let s = 0;
  if (sum < 0n) { s = 1; sum = -sum; }
  out.fin(s, sum, e);
  return flags;
}

export function mul(a: Unp, b: Unp, out: Unp): number {
  if (isNanish(a) || isNanish(b)) return nan2(a, b, out);
  const s = a.s ^ b.s;
  if (a.k === K_INF || b.k === K_INF) {
    if (a.k === K_ZERO || b.k === K_ZERO) { out.indefinite(); return IE; }
    out.inf(s);
    return 0;
  }
  const flags = denBits(a, b);
  if (a.k === K_ZERO || b.k === K_ZERO) { out.zero(s); return flags; }
  out.fin(s, a.m * b.m, a.e + b.e);
  return flags;
}

/** a / b */
export function div(a: Unp, b: Unp, out: Unp): number {
  if (isNanish(a) || isNanish(b)) return nan2(a, b, out);
  const s = a.s ^ b.s;
  if (a.k === K_INF) {
    if (b.k === K_INF) { out.indefinite(); return IE; }
    out.inf(s);
    return 0;
  }
  if (b.k === K_INF) { out.zero(s); return 0; }
  if (b.k === K_ZERO) {
    if (a.k === K_ZERO) { out.indefinite(); return IE; }
    out.inf(s);
    return ZE | denBits(a, b);
  }
  const flags = denBits(a, b);
  if (a.k === K_ZERO) { out.zero(s); return flags; }
  const k = Math.max(0, 68 + bitLen(b.m) - bitLen(a.m));
  const num = a.m << BigInt(k);
  let q = num / b.m;
  const rem = num - q * b.m;
  q = (q << 1n) | (rem !== 0n ? 1n : 0n); // sticky bit below the 66+ quotient bits
  out.fin(s, q, a.e - k - b.e - 1);
  return flags;
}

export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLen(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sqrt(a: Unp, out: Unp): number {
  if (a.k === K_BAD) { out.indefinite(); return IE; }
  if (a.k === K_NAN) { out.set(a); quiet(out); return isSnan(a) ? IE : 0; }
  if (a.k === K_ZERO) { out.zero(a.s); return 0; }
  if (a.s === 1) { out.indefinite(); return IE; }
  if (a.k === K_INF) { out.inf(0); return 0; }
  // make the exponent even and the radicand wide enough for 66+ result bits
  let k = Math.max(0, 140 - bitLen(a.m));
  if ((a.e - k) & 1) k++;
  const n = a.m << BigInt(k);
  const r = isqrt(n);
  const sticky = r * r !== n ? 1n : 0n;
  out.fin(0, (r << 1n) | sticky, (a.e - k) / 2 - 1);
  return a.den ? DE : 0;
}

/** Compare: -1 (a < b), 0, 1, or 2 (unordered). Flags: IE for SNaN/unsupported (or any NaN when `signalQ`). */
export let cmpFlags = 0;
export function compare(a: Unp, b: Unp, signalQ: boolean): number {
  cmpFlags = denBits(a, b);
  if (isNanish(a) || isNanish(b)) {
    if (signalQ || a.k === K_BAD || b.k === K_BAD || isSnan(a) || isSnan(b)) cmpFlags = IE;
    return 2;
  }
  const va = valueSign(a), vb = valueSign(b);
  if (va !== vb || va === 0) return va < vb ? -1 : va > vb ? 1 : 0;
  // same nonzero sign
  let mag: number;
  if (a.k === K_INF || b.k === K_INF) mag = a.k === b.k ? 0 : a.k === K_INF ? 1 : -1;
  else {
    const e = Math.min(a.e, b.e);
    const ma = a.m << BigInt(a.e - e), mb = b.m << BigInt(b.e - e);
    mag = ma > mb ? 1 : ma < mb ? -1 : 0;
  }
  return va > 0 ? mag : -mag;
}
function valueSign(u: Unp): number { return u.k === K_ZERO ? 0 : u.s ? -1 : 1; }

/** Remainder results: the quotient's low bits and whether the reduction is complete. */
export let remQ = 0, remPartial = false;
/** The last rem() took the NaN or invalid path (no quotient: FPREM/FPREM1 leave C0 and C3 as they were). */
export let remNoQuotient = false;
/**
 * FPREM (round: false, truncating quotient) / FPREM1 (round: true, IEEE nearest-even quotient).
 * When the exponents differ by 64 or more the reduction is partial (C2=1): the SDM leaves the
 * reduction amount N in 32..63 to the implementation; N = 32 | (D & 31) is what Bochs does.
 */
export function rem(a: Unp, b: Unp, round: boolean, out: Unp): number {
  remQ = 0; remPartial = false; remNoQuotient = true;
  if (isNanish(a) || isNanish(b)) return nan2(a, b, out);
  if (a.k === K_INF || b.k === K_ZERO) { out.indefinite(); return IE | (a.k !== K_INF ? denBits(a, b) : 0); }
  remNoQuotient = false;
  const flags = denBits(a, b);
  if (b.k === K_INF || a.k === K_ZERO) { out.set(a); out.den = false; return flags; }
  const Ea = a.e + bitLen(a.m) - 1, Eb = b.e + bitLen(b.m) - 1;
  const D = Ea - Eb;
  if (D < 0) { out.set(a); out.den = false; if (!round || D < -1) return flags; }
  let scale = 0;
  if (D >= 64) { remPartial = true; scale = D - ((D & 31) | 32); }
  // a - b * q * 2^scale, exactly, with q = a / (b * 2^scale) truncated (or rounded)
  const eb = b.e + scale;
  const e = Math.min(a.e, eb);
  const A = a.m << BigInt(a.e - e), B = b.m << BigInt(eb - e);
  let q = A / B, r = A - q * B;
  let s = a.s;
  if (round && !remPartial) {
    const r2 = r << 1n;
    if (r2 > B || (r2 === B && (q & 1n) === 1n)) { q += 1n; r = B - r; s ^= 1; }
  }
  remQ = Number(q & 7n);
  if (r === 0n) out.zero(a.s); else out.fin(s, r, e);
  return flags;
}
