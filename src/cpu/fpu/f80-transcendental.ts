/**
 * FSIN/FCOS/FSINCOS/FPTAN/FPATAN/F2XM1/FYL2X/FYL2XP1 on unpacked values,
 * through the 256-bit floats of bigfloat.ts. The special-operand results
 * follow the tables of each instruction in SDM vol. 2. The finite results
 * carry a sticky bit, so round() gives the correctly rounded value (error
 * <= 0.5 ulp; the SDM allows < 1 ulp). Unlike the hardware, arguments of
 * FSIN/FCOS/FPTAN are reduced with a 256-bit pi, not the 66-bit one.
 */
import {
  absBF, addBF, atanhBF, atanSeries, BF, bf, cosBF, divBF, expm1BF, isNeg, ldexpBF, LN2, mulBF, ONE, PI, sinBF, sqrtBF, subBF,
} from './bigfloat.js';
import { mul } from './f80-arith.js';
import { bitLen, DE, IE, K_BAD, K_FIN, K_INF, K_NAN, K_ZERO, quiet, isSnan, ZE, Unp } from './f80.js';
import { nan2 } from './f80-arith.js';

const toBF = (u: Unp): BF => bf(u.s ? -u.m : u.m, u.e);
/** an inexact BF result into `out` with a sticky bit under its 256 bits */
function fromBF(x: BF, out: Unp): Unp {
  if (x.m === 0n) return out.zero(0);
  const neg = x.m < 0n, m = neg ? -x.m : x.m;
  return out.fin(neg ? 1 : 0, (m << 1n) | 1n, x.e - 1);
}
const den = (u: Unp): number => (u.den ? DE : 0);

function nan1(a: Unp, out: Unp): number {
  if (a.k === K_BAD) { out.indefinite(); return IE; }
  out.set(a); quiet(out);
  return isSnan(a) ? IE : 0;
}

/** true if |x| >= 2^63: the argument is out of range for FSIN/FCOS/FSINCOS/FPTAN (C2 = 1, ST0 unchanged) */
export function outOfRange(x: Unp): boolean { return x.k === K_FIN && x.e + bitLen(x.m) > 63; }

/** sin and cos of a finite x, |x| < 2^63: reduce by pi/2 and pick the quadrant */
function sinCos(x: Unp, wantSin: boolean): BF {
  const X = toBF(x), halfPi = ldexpBF(PI(), -1);
  let k = 0n, r = X;
  if (!(absBF(X).e + bitLen(absBF(X).m) <= 0)) { // |x| >= 1: reduce
    const q = divBF(X, halfPi);
    // k = nearest integer of q
    const sh = -q.e;
    k = sh <= 0 ? q.m << BigInt(-sh) : (q.m + (1n << BigInt(sh - 1))) >> BigInt(sh);
    r = subBF(X, mulBF(bf(k), halfPi));
  }
  const quad = Number(((k % 4n) + 4n) % 4n);
  const n = wantSin ? quad : (quad + 1) & 3;
  // sin(r + n pi/2): n=0 sin, 1 cos, 2 -sin, 3 -cos
  const v = n & 1 ? cosBF(r) : sinBF(r);
  return n & 2 ? new BF(-v.m, v.e) : v;
}

/** FSIN / FCOS of x (not out of range) */
export function fsin(x: Unp, cos: boolean, out: Unp): number {
  if (x.k === K_NAN || x.k === K_BAD) return nan1(x, out);
  if (x.k === K_INF) { out.indefinite(); return IE; }
  if (x.k === K_ZERO) { if (cos) out.fin(0, 1n, 0); else out.zero(x.s); return 0; }
  fromBF(sinCos(x, !cos), out);
  return den(x);
}

/** FPTAN: tan x */
export function ftan(x: Unp, out: Unp): number {
  if (x.k === K_NAN || x.k === K_BAD) return nan1(x, out);
  if (x.k === K_INF) { out.indefinite(); return IE; }
  if (x.k === K_ZERO) { out.zero(x.s); return 0; }
  fromBF(divBF(sinCos(x, true), sinCos(x, false)), out);
  return den(x);
}

/** atan(t) for 0 <= t <= 1 */
function atan01(t: BF): BF {
  // two halvings of the angle: t / (1 + sqrt(1 + t^2)) brings t under tan(pi/16)
  for (let i = 0; i < 2; i++) t = divBF(t, addBF(ONE, sqrtBF(addBF(ONE, mulBF(t, t)))));
  return ldexpBF(atanSeries(t), 2);
}

/** FPATAN: atan2(y, x) */
export function fpatan(y: Unp, x: Unp, out: Unp): number {
  if (y.k === K_NAN || y.k === K_BAD || x.k === K_NAN || x.k === K_BAD) return nan2(y, x, out);
  const pi = PI(), s = y.s;
  const sign = (v: BF): BF => (s ? new BF(-v.m, v.e) : v);
  if (y.k === K_ZERO) {
    if (x.s === 0) out.zero(s); else fromBF(sign(pi), out);
    return den(x);
  }
  if (y.k === K_INF) {
    const q = x.k === K_INF ? (x.s ? 3 : 1) : 2; // multiples of pi/4
    fromBF(sign(ldexpBF(mulBF(pi, bf(BigInt(q))), -2)), out);
    return 0;
  }
  if (x.k === K_INF) { if (x.s === 0) out.zero(s); else fromBF(sign(pi), out); return den(y); }
  if (x.k === K_ZERO) { fromBF(sign(ldexpBF(pi, -1)), out); return den(y); }
  const Y = absBF(toBF(y)), X = absBF(toBF(x));
  let a: BF;
  if (cmpAbs(y, x) <= 0) a = atan01(divBF(Y, X));
  else a = subBF(ldexpBF(pi, -1), atan01(divBF(X, Y)));
  if (x.s) a = subBF(pi, a);
  fromBF(sign(a), out);
  return den(x) | den(y);
}
function cmpAbs(a: Unp, b: Unp): number {
  const e = Math.min(a.e, b.e);
  const ma = a.m << BigInt(a.e - e), mb = b.m << BigInt(b.e - e);
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

/** F2XM1: 2^x - 1 (the SDM defines it for -1 <= x <= 1; other finite x are computed the same way) */
export function f2xm1(x: Unp, out: Unp): number {
  if (x.k === K_NAN || x.k === K_BAD) return nan1(x, out);
  if (x.k === K_INF) { if (x.s) out.fin(1, 1n, 0); else out.inf(0); return 0; }
  if (x.k === K_ZERO) { out.zero(x.s); return 0; }
  const E = x.e + bitLen(x.m) - 1;
  if (E >= 14) { if (x.s) out.fin(1, 1n, 0); else out.inf(0); return den(x); } // beyond every finite result
  // exact cases: 2^1 - 1 = 1, 2^-1 - 1 = -1/2
  if (x.m === 1n << BigInt(-x.e)) { if (x.s) out.fin(1, 1n, -1); else out.fin(0, 1n, 0); return 0; }
  fromBF(expm1BF(mulBF(toBF(x), LN2())), out);
  return den(x);
}

/** log2 of a finite x > 0 as a BF (exact-power case handled by the caller) */
function log2BF(x: Unp): BF {
  let E = x.e + bitLen(x.m) - 1;
  let m = bf(x.m, x.e - E); // [1, 2)
  // m in [sqrt(1/2), sqrt(2)): log2 near 1 keeps its relative precision
  if (mulBF(m, m).e + bitLen(mulBF(m, m).m) - 1 >= 1) { m = ldexpBF(m, -1); E += 1; }
  const ln = ldexpBF(atanhBF(divBF(subBF(m, ONE), addBF(m, ONE))), 1);
  return addBF(bf(BigInt(E)), divBF(ln, LN2()));
}

/** FYL2X: y * log2(x) */
export function fyl2x(y: Unp, x: Unp, out: Unp): number {
  if (y.k === K_NAN || y.k === K_BAD || x.k === K_NAN || x.k === K_BAD) return nan2(y, x, out);
  if (x.s && x.k !== K_ZERO) { out.indefinite(); return IE; }
  if (x.k === K_ZERO) {
    if (y.k === K_ZERO) { out.indefinite(); return IE; }
    out.inf(y.s ^ 1);
    return y.k === K_INF ? 0 : ZE | den(y);
  }
  const isOne = x.k === K_FIN && x.m === 1n << BigInt(-x.e);
  if (x.k === K_INF) {
    if (y.k === K_ZERO) { out.indefinite(); return IE; }
    out.inf(y.s);
    return den(y);
  }
  if (y.k === K_INF) {
    if (isOne) { out.indefinite(); return IE; }
    const E = x.e + bitLen(x.m) - 1;
    out.inf(y.s ^ (E < 0 ? 1 : 0));
    return den(x);
  }
  // x a power of two: log2 x = E exactly, the product is rounded once
  if (x.m === 1n << BigInt(bitLen(x.m) - 1)) {
    const E = x.e + bitLen(x.m) - 1;
    const L = new Unp();
    if (E === 0) L.zero(0); else L.fin(E < 0 ? 1 : 0, BigInt(Math.abs(E)), 0);
    return mul(y, L, out) | den(x) | den(y);
  }
  if (y.k === K_ZERO) { out.zero(y.s ^ (x.e + bitLen(x.m) - 1 < 0 ? 1 : 0)); return den(x); }
  fromBF(mulBF(toBF(y), log2BF(x)), out);
  return den(x) | den(y);
}

/** FYL2XP1: y * log2(x + 1) */
export function fyl2xp1(y: Unp, x: Unp, out: Unp): number {
  if (y.k === K_NAN || y.k === K_BAD || x.k === K_NAN || x.k === K_BAD) return nan2(y, x, out);
  if (x.k === K_ZERO) {
    if (y.k === K_INF) { out.indefinite(); return IE; }
    out.zero(y.s ^ x.s);
    return den(y);
  }
  if (x.k === K_INF || (x.s && cmpAbs(x, new Unp().fin(0, 1n, 0)) >= 0)) { out.indefinite(); return IE; } // outside the domain
  if (y.k === K_ZERO) { out.zero(y.s ^ x.s); return den(x); }
  if (y.k === K_INF) { out.inf(y.s ^ x.s); return den(x); }
  const X = toBF(x);
  const ln = ldexpBF(atanhBF(divBF(X, addBF(bf(2n), X))), 1);
  fromBF(mulBF(toBF(y), divBF(ln, LN2())), out);
  return den(x) | den(y);
}
export { isNeg, K_ZERO };
