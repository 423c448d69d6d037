/**
 * Root System Description Pointer (ACPI 6.5 §5.2.5.3, Table 5.3). Revision 0 is the 20-byte ACPI 1.0
 * structure with one checksum; revision 2 adds length, the XSDT address and an extended checksum (36 bytes).
 */
import { AcpiError } from './acpi-error.js';
import { getU64, need, readId, setChecksum, setU64, sum8, writeId } from './bytes.js';

export const RSDP_SIGNATURE = 'RSD PTR ';
export const RSDP_V1_SIZE = 20;
export const RSDP_V2_SIZE = 36;

export interface Rsdp {
  //                   +0  8 "RSD PTR "
  checksum?: number; //  +8  u8 over bytes 0..19 (recomputed on build)
  oemId: string; //      +9  6 bytes
  revision: number; //   +15 u8: 0 = ACPI 1.0, 2 = ACPI 2.0+
  rsdtAddress: number; // +16 u32
  // Revision >= 2 only:
  length?: number; //    +20 u32 (36; recomputed on build)
  xsdtAddress?: bigint; // +24 u64
  extendedChecksum?: number; // +32 u8 over all `length` bytes
  reserved?: Uint8Array; // +33 3 bytes
  checksumValid?: boolean;
}

export function parseRsdp(bytes: Uint8Array, opts: { strictChecksum?: boolean } = {}): Rsdp {
  need(bytes, RSDP_V1_SIZE, 'RSDP', 'RSDP');
  if (readId(bytes, 0, 8) !== RSDP_SIGNATURE) throw new AcpiError(`signature is not '${RSDP_SIGNATURE}'`, 0, 'RSDP');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r: Rsdp = { checksum: bytes[8]!, oemId: readId(bytes, 9, 6), revision: bytes[15]!, rsdtAddress: v.getUint32(16, true) };
  let ok = sum8(bytes, 0, RSDP_V1_SIZE) === 0;
  if (r.revision >= 2) {
    need(bytes, RSDP_V2_SIZE, 'RSDP revision 2', 'RSDP');
    const length = v.getUint32(20, true);
    if (length < RSDP_V2_SIZE || length > bytes.length) throw new AcpiError(`length field ${length} is not within 36..${bytes.length}`, 20, 'RSDP');
    r.length = length;
    r.xsdtAddress = getU64(v, 24);
    r.extendedChecksum = bytes[32]!;
    r.reserved = bytes.slice(33, length);
    ok = ok && sum8(bytes, 0, length) === 0;
  }
  r.checksumValid = ok;
  if (!ok && opts.strictChecksum) throw new AcpiError('checksum mismatch', 8, 'RSDP');
  return r;
}

export function buildRsdp(r: Rsdp): Uint8Array {
  const v2 = r.revision >= 2;
  const reserved = r.reserved ?? new Uint8Array(3);
  const len = v2 ? 33 + reserved.length : RSDP_V1_SIZE;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  writeId(b, 0, 8, RSDP_SIGNATURE);
  writeId(b, 9, 6, r.oemId);
  b[15] = r.revision;
  v.setUint32(16, r.rsdtAddress >>> 0, true);
  if (v2) {
    v.setUint32(20, len, true);
    setU64(v, 24, r.xsdtAddress ?? 0n);
    b.set(reserved, 33);
  }
  // Order matters: the ACPI 1.0 checksum covers bytes 0..19 only, the extended one covers all of them
  // including the first checksum, so the first is set before the second (Xen build.c does the same).
  setChecksum(b, 0, RSDP_V1_SIZE, 8);
  if (v2) setChecksum(b, 0, len, 32);
  return b;
}

/**
 * Scans `mem` for a valid RSDP on 16-byte boundaries in [start, end) as an OS does in the BIOS area
 * E0000h-FFFFFh (ACPI 6.5 §5.2.5.1). Returns the physical address or -1.
 */
export function findRsdp(mem: Uint8Array, start = 0xe0000, end = 0x100000): number {
  const stop = Math.min(end, mem.length) - RSDP_V1_SIZE;
  for (let a = (start + 15) & ~15; a <= stop; a += 16) {
    if (mem[a] !== 0x52 || mem[a + 1] !== 0x53 || mem[a + 2] !== 0x44 || readId(mem, a, 8) !== RSDP_SIGNATURE) continue;
    if (sum8(mem, a, RSDP_V1_SIZE) !== 0) continue;
    if (mem[a + 15]! >= 2) {
      const len = new DataView(mem.buffer, mem.byteOffset).getUint32(a + 20, true);
      if (len < RSDP_V2_SIZE || a + len > mem.length || sum8(mem, a, len) !== 0) continue;
    }
    return a;
  }
  return -1;
}
