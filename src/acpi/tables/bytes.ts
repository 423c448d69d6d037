/** Small byte helpers shared by the table codecs: latin1 ids, 64-bit fields, checksums. */
import { AcpiError } from './acpi-error.js';

/** Reads `len` bytes as a latin1 string, keeping NULs and spaces so re-encoding is byte-exact. */
export function readId(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(b[off + i]!);
  return s;
}

/** Writes an id padded with `pad` (QEMU pads OEM ids with spaces, Xen's hvmloader with NULs: strncpy). */
export function writeId(b: Uint8Array, off: number, len: number, s: string, pad = 0x20): void {
  for (let i = 0; i < len; i++) b[off + i] = i < s.length ? s.charCodeAt(i) & 0xff : pad;
}

export function getU64(v: DataView, off: number): bigint {
  return v.getBigUint64(off, true);
}

export function setU64(v: DataView, off: number, x: bigint | number): void {
  v.setBigUint64(off, BigInt.asUintN(64, BigInt(x)), true);
}

/** 8-bit sum of `len` bytes from `off` (0 means the block checksums correctly). */
export function sum8(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s = (s + b[off + i]!) & 0xff;
  return s;
}

/** Sets b[at] so that the `len` bytes from `off` sum to zero (Xen tools/libacpi/build.c: set_checksum). */
export function setChecksum(b: Uint8Array, off: number, len: number, at: number): void {
  b[at] = 0;
  b[at] = (0x100 - sum8(b, off, len)) & 0xff;
}

export function need(b: Uint8Array, len: number, what: string, table?: string): void {
  if (b.length < len) throw new AcpiError(`${what} needs ${len} bytes, got ${b.length}`, b.length, table);
}

/** A number from a 64-bit value when it is exact, else the bigint (for JSON callers). */
export function toSafe(x: bigint): number | bigint {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}
