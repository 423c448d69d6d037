/**
 * PkgLength (ACPI 6.5 §20.2.4): bits 7-6 of the lead byte give the number of following bytes (0-3). With none,
 * bits 5-0 are the length (0..63). Otherwise bits 3-0 of the lead byte are the low nibble and each following
 * byte adds 8 bits; bits 5-4 must be zero. The length counts the PkgLength bytes themselves.
 */
import { AmlError } from './aml-error.js';

export const PKG_LENGTH_MAX = 0x0fff_ffff;

/** Encodes a PkgLength for `contentLength` bytes following it (the encoded value includes its own size). */
export function encodePkgLength(contentLength: number): Uint8Array {
  for (let n = 1; n <= 4; n++) {
    const total = contentLength + n;
    const limit = n === 1 ? 0x3f : (1 << (4 + 8 * (n - 1))) - 1;
    if (total > limit) continue;
    if (n === 1) return Uint8Array.of(total);
    const out = new Uint8Array(n);
    out[0] = ((n - 1) << 6) | (total & 0x0f);
    for (let i = 1; i < n; i++) out[i] = (total >>> (4 + 8 * (i - 1))) & 0xff;
    return out;
  }
  throw new RangeError(`AML package of ${contentLength} bytes exceeds the 28-bit PkgLength`);
}

/**
 * Decodes the PkgLength at b[p]; `base` is added to offsets in errors. Returns the end offset of the
 * package (p + length) and where its contents start. Out-of-range ends are the caller's to check.
 */
export function decodePkgLength(b: Uint8Array, p: number, limit: number, base = 0): { end: number; next: number } {
  if (p >= limit) throw new AmlError('truncated: PkgLength expected', base + p);
  const lead = b[p]!;
  const follow = lead >>> 6;
  if (follow === 0) return { end: p + (lead & 0x3f), next: p + 1 };
  if (lead & 0x30) throw new AmlError(`bad PkgLength lead byte 0x${lead.toString(16)} (bits 5-4 must be 0)`, base + p);
  if (p + follow >= limit) throw new AmlError('truncated: PkgLength runs past the end', base + p);
  let len = lead & 0x0f;
  for (let i = 1; i <= follow; i++) len |= b[p + i]! << (4 + 8 * (i - 1));
  return { end: p + (len >>> 0), next: p + 1 + follow };
}
