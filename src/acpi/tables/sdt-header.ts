/**
 * The 36-byte System Description Table header every ACPI table except RSDP and FACS starts with
 * (ACPI 6.5 §5.2.6, Table 5.4), and generic parse/build of "header + body" tables (DSDT, SSDT, ...).
 */
import { AcpiError } from './acpi-error.js';
import { need, readId, setChecksum, sum8, writeId } from './bytes.js';

export const SDT_HEADER_SIZE = 36;

export interface SdtHeader {
  signature: string; //      +0  4 ASCII
  /** Total table length as stored (+4). Builders recompute it. */
  length: number; //         +4  u32
  revision: number; //       +8  u8
  /** As stored (+9). Builders recompute it. */
  checksum: number; //       +9  u8: all `length` bytes sum to 0
  oemId: string; //          +10 6 bytes
  oemTableId: string; //     +16 8 bytes
  oemRevision: number; //    +24 u32
  creatorId: string; //      +28 4 bytes ("ASL compiler vendor ID")
  creatorRevision: number; // +32 u32
}

export interface SdtParseOptions {
  /** Throw AcpiError when the checksum is wrong (default: report it in `checksumValid`). */
  strictChecksum?: boolean;
  /** Expected signature; a mismatch throws. */
  signature?: string;
}

/** Reads and validates the header; the table is `bytes[0, header.length)`. */
export function parseSdtHeader(bytes: Uint8Array, opts: SdtParseOptions = {}): { header: SdtHeader; checksumValid: boolean } {
  need(bytes, SDT_HEADER_SIZE, 'SDT header', opts.signature);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: SdtHeader = {
    signature: readId(bytes, 0, 4),
    length: v.getUint32(4, true),
    revision: bytes[8]!,
    checksum: bytes[9]!,
    oemId: readId(bytes, 10, 6),
    oemTableId: readId(bytes, 16, 8),
    oemRevision: v.getUint32(24, true),
    creatorId: readId(bytes, 28, 4),
    creatorRevision: v.getUint32(32, true),
  };
  const sig = header.signature;
  if (opts.signature !== undefined && sig !== opts.signature) {
    throw new AcpiError(`signature is '${printable(sig)}', expected '${opts.signature}'`, 0, opts.signature);
  }
  if (header.length < SDT_HEADER_SIZE) throw new AcpiError(`length field ${header.length} is shorter than the 36-byte header`, 4, printable(sig));
  if (header.length > bytes.length) {
    throw new AcpiError(`length field ${header.length} exceeds the ${bytes.length} bytes available (truncated table)`, 4, printable(sig));
  }
  const checksumValid = sum8(bytes, 0, header.length) === 0;
  if (!checksumValid && opts.strictChecksum) throw new AcpiError('checksum mismatch', 9, printable(sig));
  return { header, checksumValid };
}

/** Writes the header into b[0..36) with the given total length; call finishSdt after the body is written. */
export function writeSdtHeader(b: Uint8Array, h: Omit<SdtHeader, 'length' | 'checksum'>, length: number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  writeId(b, 0, 4, h.signature);
  v.setUint32(4, length, true);
  b[8] = h.revision;
  b[9] = 0;
  writeId(b, 10, 6, h.oemId);
  writeId(b, 16, 8, h.oemTableId);
  v.setUint32(24, h.oemRevision >>> 0, true);
  writeId(b, 28, 4, h.creatorId);
  v.setUint32(32, h.creatorRevision >>> 0, true);
}

/** Recomputes the checksum byte (+9) over the whole table. */
export function finishSdt(b: Uint8Array): Uint8Array {
  setChecksum(b, 0, b.length, 9);
  return b;
}

/** A table that is a header plus an opaque body: DSDT, SSDT, or any table we do not decode. */
export interface GenericSdt {
  header: SdtHeader;
  body: Uint8Array;
  checksumValid: boolean;
}

export function parseSdt(bytes: Uint8Array, opts: SdtParseOptions = {}): GenericSdt {
  const { header, checksumValid } = parseSdtHeader(bytes, opts);
  return { header, body: bytes.slice(SDT_HEADER_SIZE, header.length), checksumValid };
}

export function buildSdt(header: Omit<SdtHeader, 'length' | 'checksum'>, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(SDT_HEADER_SIZE + body.length);
  writeSdtHeader(b, header, b.length);
  b.set(body, SDT_HEADER_SIZE);
  return finishSdt(b);
}

/** Signature text with non-printable bytes escaped, for error messages. */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
