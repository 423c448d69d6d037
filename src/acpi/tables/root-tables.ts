/** RSDT (32-bit entries, ACPI 6.5 §5.2.7) and XSDT (64-bit entries, §5.2.8): a header plus table addresses. */
import { getU64, setU64 } from './bytes.js';
import { finishSdt, parseSdtHeader, SDT_HEADER_SIZE, type SdtHeader, type SdtParseOptions, writeSdtHeader } from './sdt-header.js';

export interface RootTable<E> {
  header: Omit<SdtHeader, 'length' | 'checksum'> & Partial<Pick<SdtHeader, 'length' | 'checksum'>>;
  entries: E[]; // +36: u32 (RSDT) or u64 (XSDT) each
  /** Bytes after the last whole entry, when the length is not a multiple of the entry size. */
  tail?: Uint8Array;
  checksumValid?: boolean;
}
export type Rsdt = RootTable<number>;
export type Xsdt = RootTable<bigint>;

function parseRoot(bytes: Uint8Array, sig: 'RSDT' | 'XSDT', opts: SdtParseOptions): RootTable<number | bigint> {
  const { header, checksumValid } = parseSdtHeader(bytes, { ...opts, signature: sig });
  const size = sig === 'RSDT' ? 4 : 8;
  const v = new DataView(bytes.buffer, bytes.byteOffset, header.length);
  const n = Math.floor((header.length - SDT_HEADER_SIZE) / size);
  const entries: (number | bigint)[] = [];
  for (let i = 0; i < n; i++) entries.push(size === 4 ? v.getUint32(SDT_HEADER_SIZE + 4 * i, true) : getU64(v, SDT_HEADER_SIZE + 8 * i));
  const end = SDT_HEADER_SIZE + n * size;
  return { header, entries, checksumValid, ...(end < header.length ? { tail: bytes.slice(end, header.length) } : {}) };
}

function buildRoot(t: RootTable<number | bigint>, size: 4 | 8): Uint8Array {
  const tail = t.tail ?? new Uint8Array(0);
  const b = new Uint8Array(SDT_HEADER_SIZE + t.entries.length * size + tail.length);
  const v = new DataView(b.buffer);
  writeSdtHeader(b, t.header, b.length);
  t.entries.forEach((e, i) => (size === 4 ? v.setUint32(SDT_HEADER_SIZE + 4 * i, Number(e) >>> 0, true) : setU64(v, SDT_HEADER_SIZE + 8 * i, e)));
  b.set(tail, b.length - tail.length);
  return finishSdt(b);
}

export const parseRsdt = (bytes: Uint8Array, opts: SdtParseOptions = {}): Rsdt => parseRoot(bytes, 'RSDT', opts) as Rsdt;
export const parseXsdt = (bytes: Uint8Array, opts: SdtParseOptions = {}): Xsdt => parseRoot(bytes, 'XSDT', opts) as Xsdt;
export const buildRsdt = (t: Rsdt): Uint8Array => buildRoot(t, 4);
export const buildXsdt = (t: Xsdt): Uint8Array => buildRoot(t, 8);
