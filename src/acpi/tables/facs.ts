/** Firmware ACPI Control Structure (ACPI 6.5 §5.2.10, Table 5.14): 64 bytes, 64-byte aligned, no checksum. */
import { AcpiError } from './acpi-error.js';
import { getU64, need, readId, setU64, writeId } from './bytes.js';

export const FACS_SIZE = 64;
/** FACS flags (+20) and global-lock bits. */
export const FACS_FLAGS = { S4BIOS_F: 1 << 0, WAKE_64BIT_SUPPORTED_F: 1 << 1 } as const;

export interface Facs {
  //                              +0 "FACS"
  length?: number; //              +4 u32 (64; recomputed on build from `reserved`)
  hardwareSignature: number; //    +8 u32
  firmwareWakingVector: number; // +12 u32
  globalLock: number; //           +16 u32
  flags: number; //                +20 u32
  xFirmwareWakingVector: bigint; // +24 u64
  version: number; //              +32 u8 (0 in QEMU's FACS, 1 in Xen's, 2 for ACPI 4.0+)
  reserved1?: Uint8Array; //       +33 3 bytes
  ospmFlags: number; //            +36 u32
  reserved2?: Uint8Array; //       +40 up to length (24 bytes)
}

export function parseFacs(bytes: Uint8Array): Facs {
  need(bytes, FACS_SIZE, 'FACS', 'FACS');
  if (readId(bytes, 0, 4) !== 'FACS') throw new AcpiError('signature is not FACS', 0, 'FACS');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = v.getUint32(4, true);
  if (length < FACS_SIZE || length > bytes.length) throw new AcpiError(`length field ${length} is not within 64..${bytes.length}`, 4, 'FACS');
  return {
    length,
    hardwareSignature: v.getUint32(8, true),
    firmwareWakingVector: v.getUint32(12, true),
    globalLock: v.getUint32(16, true),
    flags: v.getUint32(20, true),
    xFirmwareWakingVector: getU64(v, 24),
    version: bytes[32]!,
    reserved1: bytes.slice(33, 36),
    ospmFlags: v.getUint32(36, true),
    reserved2: bytes.slice(40, length),
  };
}

export function buildFacs(f: Facs): Uint8Array {
  const r2 = f.reserved2 ?? new Uint8Array(FACS_SIZE - 40);
  const b = new Uint8Array(40 + r2.length);
  const v = new DataView(b.buffer);
  writeId(b, 0, 4, 'FACS');
  v.setUint32(4, b.length, true);
  v.setUint32(8, f.hardwareSignature >>> 0, true);
  v.setUint32(12, f.firmwareWakingVector >>> 0, true);
  v.setUint32(16, f.globalLock >>> 0, true);
  v.setUint32(20, f.flags >>> 0, true);
  setU64(v, 24, f.xFirmwareWakingVector);
  b[32] = f.version;
  b.set((f.reserved1 ?? new Uint8Array(3)).subarray(0, 3), 33);
  v.setUint32(36, f.ospmFlags >>> 0, true);
  b.set(r2, 40);
  return b;
}
