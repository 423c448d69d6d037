/**
 * A small multi-precision binary float for the transcendental instructions and
 * the FLDPI/FLDL2E/... constants: value = m * 2^e with a signed BigInt m kept at
 * W = 256 bits (results truncated; each operation errs by < 2^-250 relative).
 * Only this file's callers allocate per call; the x87 core does not use it.
 */
import { bitLen } from './f80.js';

export const W = 256;

export class BF {
  constructor(public m: bigint, public e: number) {}
}

export function norm(m: bigint, e: number): BF {
  if (m === 0n) return new BF(0n, 0);
  const n = bitLen(m < 0n ? -m : m);
  if (n > W) { const sh = BigInt(n - W); return new BF(m < 0n ? -((-m) >> sh) : m >> sh, e + n - W); }
  if (n < W) { const sh = BigInt(W - n); return new BF(m << sh, e - (W - n)); }
  return new BF(m, e);
}
export const bf = (m: bigint, e = 0): BF => norm(m, e);
export const ONE = bf(1n);
export const mulBF = (a: BF, b: BF): BF => norm(a.m * b.m, a.e + b.e);
export function addBF(a: BF, b: BF): BF {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  if (a.e - b.e > W + 8) return a;
  if (b.e - a.e > W + 8) return b;
  const e = Math.min(a.e, b.e);
  return norm((a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), e);
}
export const negBF = (a: BF): BF => new BF(-a.m, a.e);
export const subBF = (a: BF, b: BF): BF => addBF(a, negBF(b));
export function divBF(a: BF, b: BF): BF {
  return norm((a.m << BigInt(W + 2)) / b.m, a.e - W - 2 - b.e);
}
export function sqrtBF(a: BF): BF {
  let m = a.m << BigInt(W), e = a.e - W;
  if (e & 1) { m <<= 1n; e -= 1; }
  let x = 1n << BigInt((bitLen(m) >> 1) + 1);
  for (;;) { const y = (x + m / x) >> 1n; if (y >= x) break; x = y; }
  return norm(x, e / 2);
}
export const ldexpBF = (a: BF, k: number): BF => new BF(a.m, a.e + k);
export const isNeg = (a: BF): boolean => a.m < 0n;
export const absBF = (a: BF): BF => (a.m < 0n ? negBF(a) : a);
/** |a| < 2^k */
export const below = (a: BF, k: number): boolean => a.m === 0n || a.e + bitLen(a.m < 0n ? -a.m : a.m) <= k;

/** sum_{n>=1} x^n / n!  (|x| <= 1) */
export function expm1BF(x: BF): BF {
  let term = x, sum = x;
  for (let n = 2; n < 200; n++) {
    term = divBF(mulBF(term, x), bf(BigInt(n)));
    if (term.m === 0n || below(term, sum.e + bitLen(absBF(sum).m) - W - 4)) break;
    sum = addBF(sum, term);
  }
  return sum;
}
/** atanh(z) = z + z^3/3 + z^5/5 ...  (|z| <= 1/2) */
export function atanhBF(z: BF): BF {
  const z2 = mulBF(z, z);
  let p = z, sum = z;
  for (let n = 3; n < 2000; n += 2) {
    p = mulBF(p, z2);
    const t = divBF(p, bf(BigInt(n)));
    if (t.m === 0n || below(t, sum.e + bitLen(absBF(sum).m) - W - 4)) break;
    sum = addBF(sum, t);
  }
  return sum;
}
/** atan(t) = t - t^3/3 + t^5/5 ... (|t| <= 1/4) */
export function atanSeries(t: BF): BF {
  const t2 = mulBF(t, t);
  let p = t, sum = t;
  for (let n = 3; n < 2000; n += 2) {
    p = negBF(mulBF(p, t2));
    const term = divBF(p, bf(BigInt(n)));
    if (term.m === 0n || below(term, sum.e + bitLen(absBF(sum).m) - W - 4)) break;
    sum = addBF(sum, term);
  }
  return sum;
}
/** sin and cos by their series (|x| <= 1) */
export function sinBF(x: BF): BF {
  const x2 = mulBF(x, x);
  let term = x, sum = x;
  for (let n = 2; n < 400; n += 2) {
    term = negBF(divBF(mulBF(term, x2), bf(BigInt(n * (n + 1)))));
    if (term.m === 0n || below(term, sum.e + bitLen(absBF(sum).m) - W - 4)) break;
    sum = addBF(sum, term);
  }
  return sum;
}
export function cosBF(x: BF): BF {
  const x2 = mulBF(x, x);
  let term = ONE, sum = ONE;
  for (let n = 1; n < 400; n += 2) {
    term = negBF(divBF(mulBF(term, x2), bf(BigInt(n * (n + 1)))));
    if (term.m === 0n || below(term, sum.e + bitLen(absBF(sum).m) - W - 4)) break;
    sum = addBF(sum, term);
  }
  return sum;
}

// ---- constants (computed once, on first use) ----
let ln2: BF | null = null, pi: BF | null = null, ln10: BF | null = null;
/** ln 2 = 2 atanh(1/3) */
export function LN2(): BF { return (ln2 ??= ldexpBF(atanhBF(divBF(ONE, bf(3n))), 1)); }
/** ln 10 = 3 ln 2 + ln 1.25 = 3 ln 2 + 2 atanh(1/9) */
export function LN10(): BF { return (ln10 ??= addBF(mulBF(LN2(), bf(3n)), ldexpBF(atanhBF(divBF(ONE, bf(9n))), 1))); }
/** pi = 16 atan(1/5) - 4 atan(1/239) (Machin) */
export function PI(): BF {
  return (pi ??= subBF(ldexpBF(atanSeries(divBF(ONE, bf(5n))), 4), ldexpBF(atanSeries(divBF(ONE, bf(239n))), 2)));
}
