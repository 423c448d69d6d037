/**
 * FADT, signature "FACP" (ACPI 6.5 §5.2.9, Table 5.9). One declarative field list drives parse and build:
 * fields are contiguous from offset 36, and a table has every field that fits completely in its length
 * (116 bytes = revision 1, 244 = revisions 3/4, 268 = 5, 276 = 6). Bytes past the last known field are kept
 * in `tail`, so any real FADT re-serialises byte for byte.
 */
import { AcpiError } from './acpi-error.js';
import { getU64, setU64 } from './bytes.js';
import { type Gas, readGas, writeGas } from './gas.js';
import { finishSdt, parseSdtHeader, SDT_HEADER_SIZE, type SdtHeader, type SdtParseOptions, writeSdtHeader } from './sdt-header.js';

/** Fixed feature flags (offset 112), ACPI 6.5 Table 5.10. */
export const FADT_FLAGS = {
  WBINVD: 1 << 0,
  WBINVD_FLUSH: 1 << 1,
  PROC_C1: 1 << 2,
  P_LVL2_UP: 1 << 3,
  PWR_BUTTON: 1 << 4,
  SLP_BUTTON: 1 << 5,
  FIX_RTC: 1 << 6,
  RTC_S4: 1 << 7,
  TMR_VAL_EXT: 1 << 8,
  DCK_CAP: 1 << 9,
  RESET_REG_SUP: 1 << 10,
  SEALED_CASE: 1 << 11,
  HEADLESS: 1 << 12,
  CPU_SW_SLP: 1 << 13,
  PCI_EXP_WAK: 1 << 14,
  USE_PLATFORM_CLOCK: 1 << 15,
  S4_RTC_STS_VALID: 1 << 16,
  REMOTE_POWER_ON_CAPABLE: 1 << 17,
  FORCE_APIC_CLUSTER_MODEL: 1 << 18,
  FORCE_APIC_PHYSICAL_DESTINATION_MODE: 1 << 19,
  HW_REDUCED_ACPI: 1 << 20,
  LOW_POWER_S0_IDLE_CAPABLE: 1 << 21,
} as const;

/** IA-PC boot architecture flags (offset 109), ACPI 6.5 Table 5.11. */
export const IAPC_BOOT_ARCH = { LEGACY_DEVICES: 1 << 0, I8042: 1 << 1, NO_VGA: 1 << 2, MSI_NOT_SUPPORTED: 1 << 3, PCIE_ASPM_CONTROLS: 1 << 4, NO_CMOS_RTC: 1 << 5 } as const;

export const FADT_V1_SIZE = 116; //  ACPI 1.0
export const FADT_V3_SIZE = 244; //  ACPI 2.0 .. 4.0 (revision 3/4)
export const FADT_V5_SIZE = 268; //  ACPI 5.0 (sleep control/status)
export const FADT_V6_SIZE = 276; //  ACPI 6.0 (hypervisor vendor identity)

/** Fields present in every FADT (the ACPI 1.0 layout, offsets 36..115). */
export interface FadtV1Fields {
  firmwareCtrl: number; //       +36 u32 FACS address
  dsdt: number; //               +40 u32
  reserved0: number; //          +44 u8 (INT_MODEL in ACPI 1.0)
  preferredPmProfile: number; // +45 u8
  sciInt: number; //             +46 u16
  smiCmd: number; //             +48 u32 (0: no SMI command port, SCI_EN is already set)
  acpiEnable: number; //         +52 u8
  acpiDisable: number; //        +53 u8
  s4biosReq: number; //          +54 u8
  pstateCnt: number; //          +55 u8
  pm1aEvtBlk: number; //         +56 u32
  pm1bEvtBlk: number; //         +60 u32
  pm1aCntBlk: number; //         +64 u32
  pm1bCntBlk: number; //         +68 u32
  pm2CntBlk: number; //          +72 u32
  pmTmrBlk: number; //           +76 u32
  gpe0Blk: number; //            +80 u32
  gpe1Blk: number; //            +84 u32
  pm1EvtLen: number; //          +88 u8
  pm1CntLen: number; //          +89 u8
  pm2CntLen: number; //          +90 u8
  pmTmrLen: number; //           +91 u8
  gpe0BlkLen: number; //         +92 u8
  gpe1BlkLen: number; //         +93 u8
  gpe1Base: number; //           +94 u8
  cstCnt: number; //             +95 u8
  pLvl2Lat: number; //           +96 u16
  pLvl3Lat: number; //           +98 u16
  flushSize: number; //          +100 u16
  flushStride: number; //        +102 u16
  dutyOffset: number; //         +104 u8
  dutyWidth: number; //          +105 u8
  dayAlrm: number; //            +106 u8
  monAlrm: number; //            +107 u8
  century: number; //            +108 u8
  iapcBootArch: number; //       +109 u16 (reserved in ACPI 1.0)
  reserved1: number; //          +111 u8
  flags: number; //              +112 u32 (FADT_FLAGS)
}

/** Fields of later revisions; present when the table is long enough to hold them. */
export interface FadtLaterFields {
  resetReg: Gas; //              +116 GAS
  resetValue: number; //         +128 u8
  armBootArch: number; //        +129 u16 (ACPI 5.1)
  minorVersion: number; //       +131 u8 (ACPI 5.1)
  xFirmwareCtrl: bigint; //      +132 u64
  xDsdt: bigint; //              +140 u64
  xPm1aEvtBlk: Gas; //           +148
  xPm1bEvtBlk: Gas; //           +160
  xPm1aCntBlk: Gas; //           +172
  xPm1bCntBlk: Gas; //           +184
  xPm2CntBlk: Gas; //            +196
  xPmTmrBlk: Gas; //             +208
  xGpe0Blk: Gas; //              +220
  xGpe1Blk: Gas; //              +232 (ends at 244)
  sleepControlReg: Gas; //       +244 (ACPI 5.0)
  sleepStatusReg: Gas; //        +256 (ends at 268)
  hypervisorVendorId: bigint; // +268 u64 (ACPI 6.0, ends at 276)
}

export interface Fadt extends FadtV1Fields, Partial<FadtLaterFields> {
  header: Omit<SdtHeader, 'length' | 'checksum'> & Partial<Pick<SdtHeader, 'length' | 'checksum'>>;
  /** Bytes after the last complete known field (kept for byte-exact round trips). */
  tail?: Uint8Array;
  checksumValid?: boolean;
}

type Kind = 'u8' | 'u16' | 'u32' | 'u64' | 'gas';
const SIZE: Record<Kind, number> = { u8: 1, u16: 2, u32: 4, u64: 8, gas: 12 };

/** [name, offset, kind] in table order; the offsets are the spec's and are checked at load below. */
export const FADT_FIELDS: readonly (readonly [keyof FadtV1Fields | keyof FadtLaterFields, number, Kind])[] = [
  ['firmwareCtrl', 36, 'u32'], ['dsdt', 40, 'u32'], ['reserved0', 44, 'u8'], ['preferredPmProfile', 45, 'u8'],
  ['sciInt', 46, 'u16'], ['smiCmd', 48, 'u32'], ['acpiEnable', 52, 'u8'], ['acpiDisable', 53, 'u8'],
  ['s4biosReq', 54, 'u8'], ['pstateCnt', 55, 'u8'], ['pm1aEvtBlk', 56, 'u32'], ['pm1bEvtBlk', 60, 'u32'],
  ['pm1aCntBlk', 64, 'u32'], ['pm1bCntBlk', 68, 'u32'], ['pm2CntBlk', 72, 'u32'], ['pmTmrBlk', 76, 'u32'],
  ['gpe0Blk', 80, 'u32'], ['gpe1Blk', 84, 'u32'], ['pm1EvtLen', 88, 'u8'], ['pm1CntLen', 89, 'u8'],
  ['pm2CntLen', 90, 'u8'], ['pmTmrLen', 91, 'u8'], ['gpe0BlkLen', 92, 'u8'], ['gpe1BlkLen', 93, 'u8'],
  ['gpe1Base', 94, 'u8'], ['cstCnt', 95, 'u8'], ['pLvl2Lat', 96, 'u16'], ['pLvl3Lat', 98, 'u16'],
  ['flushSize', 100, 'u16'], ['flushStride', 102, 'u16'], ['dutyOffset', 104, 'u8'], ['dutyWidth', 105, 'u8'],
  ['dayAlrm', 106, 'u8'], ['monAlrm', 107, 'u8'], ['century', 108, 'u8'], ['iapcBootArch', 109, 'u16'],
  ['reserved1', 111, 'u8'], ['flags', 112, 'u32'],
  ['resetReg', 116, 'gas'], ['resetValue', 128, 'u8'], ['armBootArch', 129, 'u16'], ['minorVersion', 131, 'u8'],
  ['xFirmwareCtrl', 132, 'u64'], ['xDsdt', 140, 'u64'], ['xPm1aEvtBlk', 148, 'gas'], ['xPm1bEvtBlk', 160, 'gas'],
  ['xPm1aCntBlk', 172, 'gas'], ['xPm1bCntBlk', 184, 'gas'], ['xPm2CntBlk', 196, 'gas'], ['xPmTmrBlk', 208, 'gas'],
  ['xGpe0Blk', 220, 'gas'], ['xGpe1Blk', 232, 'gas'], ['sleepControlReg', 244, 'gas'], ['sleepStatusReg', 256, 'gas'],
  ['hypervisorVendorId', 268, 'u64'],
];
{
  let at = SDT_HEADER_SIZE;
  for (const [name, off, kind] of FADT_FIELDS) {
    if (off !== at) throw new Error(`FADT field table: ${name} at ${off}, expected ${at}`);
    at += SIZE[kind];
  }
}

export function parseFadt(bytes: Uint8Array, opts: SdtParseOptions = {}): Fadt {
  const { header, checksumValid } = parseSdtHeader(bytes, { ...opts, signature: opts.signature ?? 'FACP' });
  if (header.length < FADT_V1_SIZE) throw new AcpiError(`length ${header.length} is shorter than the 116-byte ACPI 1.0 FADT`, 4, 'FACP');
  const v = new DataView(bytes.buffer, bytes.byteOffset, header.length);
  const f: Record<string, unknown> = { header, checksumValid };
  let end = SDT_HEADER_SIZE;
  for (const [name, off, kind] of FADT_FIELDS) {
    if (off + SIZE[kind] > header.length) break;
    f[name] = kind === 'u8' ? v.getUint8(off) : kind === 'u16' ? v.getUint16(off, true) : kind === 'u32' ? v.getUint32(off, true) : kind === 'u64' ? getU64(v, off) : readGas(v, off);
    end = off + SIZE[kind];
  }
  if (end < header.length) f['tail'] = bytes.slice(end, header.length);
  return f as unknown as Fadt;
}

/** Serialises every field that is set, in order, up to the first missing one; then `tail`. */
export function buildFadt(f: Fadt): Uint8Array {
  const rec = f as unknown as Record<string, unknown>;
  let end = SDT_HEADER_SIZE;
  for (const [name, off, kind] of FADT_FIELDS) {
    if (rec[name] === undefined) break;
    end = off + SIZE[kind];
  }
  if (end < FADT_V1_SIZE) throw new AcpiError(`field ${FADT_FIELDS.find(([, o]) => o === end)?.[0]} is missing: an FADT has at least the 116-byte ACPI 1.0 fields`, end, 'FACP');
  const tail = f.tail ?? new Uint8Array(0);
  const b = new Uint8Array(end + tail.length);
  const v = new DataView(b.buffer);
  writeSdtHeader(b, f.header, b.length);
  for (const [name, off, kind] of FADT_FIELDS) {
    if (off >= end) break;
    const x = rec[name];
    if (kind === 'gas') writeGas(v, off, x as Gas);
    else if (kind === 'u64') setU64(v, off, x as bigint);
    else if (kind === 'u32') v.setUint32(off, (x as number) >>> 0, true);
    else if (kind === 'u16') v.setUint16(off, x as number, true);
    else v.setUint8(off, x as number);
  }
  b.set(tail, end);
  return finishSdt(b);
}

/** The addresses a guest OS would use: the 32-bit field, or the X_ field where the 32-bit one is zero. */
export interface FadtEffective {
  facs: number; dsdt: number;
  pm1aEvtBlk: number; pm1bEvtBlk: number; pm1aCntBlk: number; pm1bCntBlk: number;
  pm2CntBlk: number; pmTmrBlk: number; gpe0Blk: number; gpe1Blk: number;
  hardwareReduced: boolean; resetRegSupported: boolean;
}

const pick = (a: number, x: bigint | Gas | undefined): number => {
  if (a !== 0 || x === undefined) return a;
  const big = typeof x === 'bigint' ? x : x.address;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : Number.NaN;
};

export function fadtEffective(f: Fadt): FadtEffective {
  return {
    facs: pick(f.firmwareCtrl, f.xFirmwareCtrl), dsdt: pick(f.dsdt, f.xDsdt),
    pm1aEvtBlk: pick(f.pm1aEvtBlk, f.xPm1aEvtBlk), pm1bEvtBlk: pick(f.pm1bEvtBlk, f.xPm1bEvtBlk),
    pm1aCntBlk: pick(f.pm1aCntBlk, f.xPm1aCntBlk), pm1bCntBlk: pick(f.pm1bCntBlk, f.xPm1bCntBlk),
    pm2CntBlk: pick(f.pm2CntBlk, f.xPm2CntBlk), pmTmrBlk: pick(f.pmTmrBlk, f.xPmTmrBlk),
    gpe0Blk: pick(f.gpe0Blk, f.xGpe0Blk), gpe1Blk: pick(f.gpe1Blk, f.xGpe1Blk),
    hardwareReduced: (f.flags & FADT_FLAGS.HW_REDUCED_ACPI) !== 0,
    resetRegSupported: (f.flags & FADT_FLAGS.RESET_REG_SUP) !== 0,
  };
}
