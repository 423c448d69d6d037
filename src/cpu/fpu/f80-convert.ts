/**
 * Conversions between the register format and the other x87 data types:
 * integers (m16int/m32int/m64int), packed BCD (m80bcd), and the rounding of a
 * register value to an integer (FIST, FBSTP, FRNDINT), with the SDM's
 * invalid-operation responses (integer indefinite, BCD indefinite).
 */
import { bitLen, IE, K_FIN, K_INF, K_ZERO, PE, RC_CHOP, RC_DOWN, RC_NEAR, RC_UP, ROUNDED_UP, type Unp } from './f80.js';

/** Round a finite/zero value to an integer per RC. Returns the magnitude; sets intFlags (PE, ROUNDED_UP). */
export let intFlags = 0;
export function toIntegerMag(u: Unp, rc: number): bigint {
  intFlags = 0;
  if (u.k === K_ZERO) return 0n;
  if (u.e >= 0) return u.m << BigInt(u.e);
  const sh = -u.e;
  let q: bigint, rem: bigint, half: bigint;
  if (sh > bitLen(u.m) + 1) { q = 0n; rem = 1n; half = 2n; }
  else { const b = BigInt(sh); q = u.m >> b; rem = u.m & ((1n << b) - 1n); half = 1n << (b - 1n); }
  if (rem === 0n) return q;
  intFlags = PE;
  let inc = false;
  if (rc === RC_NEAR) inc = rem > half || (rem === half && (q & 1n) === 1n);
  else if (rc === RC_UP) inc = u.s === 0;
  else if (rc === RC_DOWN) inc = u.s === 1;
  else void RC_CHOP;
  if (inc) { q += 1n; intFlags |= ROUNDED_UP; }
  return q;
}

/**
 * A register value as a two's-complement integer of `bits` bits (FIST/FISTP), or the integer
 * indefinite (0x80..0) with IE when it is a NaN, infinite or out of range. Sets intFlags.
 */
export function toInt(u: Unp, bits: number, rc: number): bigint {
  const indef = 1n << BigInt(bits - 1);
  if (u.k !== K_FIN && u.k !== K_ZERO) { intFlags = IE; return indef; }
  const mag = toIntegerMag(u, rc);
  if (u.s ? mag > indef : mag >= indef) { intFlags = IE; return indef; }
  return u.s ? ((1n << BigInt(bits)) - mag) & ((1n << BigInt(bits)) - 1n) : mag;
}

/** A two's-complement integer of `bits` bits as an unpacked value (exact). */
export function fromInt(u: Unp, v: bigint, bits: number): Unp {
  const sign = (v >> BigInt(bits - 1)) & 1n;
  const mag = sign ? (1n << BigInt(bits)) - v : v;
  return sign && mag === 0n ? u.zero(0) : u.fin(Number(sign), mag, 0);
}

/** m80bcd: 18 packed digits in bytes 0-8 (byte 0 holds the two lowest), sign in bit 79. Invalid digits: undefined (taken as is). */
export function fromBcd(u: Unp, bits: bigint): Unp {
  let v = 0n;
  for (let i = 17; i >= 0; i--) v = v * 10n + ((bits >> BigInt(i * 4)) & 0xfn);
  const s = Number((bits >> 79n) & 1n);
  return v === 0n ? u.zero(s) : u.fin(s, v, 0);
}

/** BCD indefinite (SDM FBSTP): FFFF C000 0000 0000 0000 */
export const BCD_INDEFINITE = 0xffffc0000000000000000n;
const BCD_MAX = 999_999_999_999_999_999n;

/** A register value as m80bcd (FBSTP), or the BCD indefinite with IE. Sets intFlags. */
export function toBcd(u: Unp, rc: number): bigint {
  if (u.k !== K_FIN && u.k !== K_ZERO) { intFlags = IE; return BCD_INDEFINITE; }
  let mag = toIntegerMag(u, rc);
  if (mag > BCD_MAX) { intFlags = IE; return BCD_INDEFINITE; }
  let out = 0n;
  for (let i = 0; i < 18; i++) { out |= (mag % 10n) << BigInt(i * 4); mag /= 10n; }
  return out | (BigInt(u.s) << 79n);
}
export { K_INF };
