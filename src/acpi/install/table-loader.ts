/**
 * A profile's ACPI tables as QEMU hands them to firmware through fw_cfg (hw/i386/acpi-build.c
 * `acpi_build` + hw/acpi/bios-linker-loader.c): `etc/acpi/tables` (every table but the RSDP, FACS first,
 * padded to 128 KiB as ACPI_BUILD_TABLE_SIZE for the pc machine), `etc/acpi/rsdp`, and the
 * `etc/table-loader` script (padded to 4 KiB) that makes the firmware allocate both, add the blob's address
 * to every table pointer and recompute every checksum. Pointer fields hold offsets into the blob.
 */
import type { MachineProfile } from '../profiles/types.js';
import { AcpiError } from '../tables/acpi-error.js';
import { encodeLoader, type LoaderEntry } from '../tables/bios-linker-loader.js';
import { layoutTables } from './install-tables.js';

export const ACPI_TABLES_FILE = 'etc/acpi/tables';
export const ACPI_RSDP_FILE = 'etc/acpi/rsdp';
export const TABLE_LOADER_FILE = 'etc/table-loader';
/** ACPI_BUILD_TABLE_SIZE for QEMU's legacy pc machine types, and ACPI_BUILD_ALIGN_SIZE for the script. */
export const ACPI_BUILD_TABLE_SIZE = 0x20000;
export const ACPI_BUILD_ALIGN_SIZE = 0x1000;

export interface LoaderBlobs {
  tables: Uint8Array;
  rsdp: Uint8Array;
  loader: Uint8Array;
  entries: LoaderEntry[];
}

const pad = (b: Uint8Array, to: number): Uint8Array => {
  if (b.length % to === 0 && b.length > 0) return b;
  const out = new Uint8Array(Math.ceil(Math.max(b.length, 1) / to) * to);
  out.set(b);
  return out;
};

export function buildTableLoader(profile: MachineProfile): LoaderBlobs {
  // Lay the tables out at an arbitrary page-aligned base, then turn every absolute pointer into an offset.
  const l = layoutTables(profile, 0x1000_0000);
  const base = l.region.start;
  const size = l.region.end - base;
  if (size > ACPI_BUILD_TABLE_SIZE) throw new AcpiError(`ACPI tables of ${size} bytes do not fit QEMU's ${ACPI_BUILD_TABLE_SIZE}-byte blob`);
  const blob = new Uint8Array(ACPI_BUILD_TABLE_SIZE);
  const v = new DataView(blob.buffer);
  const entries: LoaderEntry[] = [
    { command: 'allocate', file: ACPI_TABLES_FILE, align: 64, zone: 'high' },
  ];
  const sums: LoaderEntry[] = [];
  const ptr32 = (at: number): void => {
    const a = v.getUint32(at, true);
    if (a === 0) return;
    v.setUint32(at, a - base, true);
    entries.push({ command: 'add-pointer', destFile: ACPI_TABLES_FILE, srcFile: ACPI_TABLES_FILE, offset: at, size: 4 });
  };
  const ptr64 = (at: number): void => {
    const a = Number(v.getBigUint64(at, true));
    if (a === 0) return;
    v.setBigUint64(at, BigInt(a - base), true);
    entries.push({ command: 'add-pointer', destFile: ACPI_TABLES_FILE, srcFile: ACPI_TABLES_FILE, offset: at, size: 8 });
  };
  let rsdp: Uint8Array | null = null;
  for (const t of l.tables) {
    if (t.name === 'RSDP') { rsdp = t.bytes.slice(); continue; }
    const o = t.address - base;
    blob.set(t.bytes, o);
    if (t.name.startsWith('FACP')) {
      ptr32(o + 36); // FIRMWARE_CTRL
      ptr32(o + 40); // DSDT
      if (t.bytes.length >= 148) { ptr64(o + 132); ptr64(o + 140); } // X_FIRMWARE_CTRL, X_DSDT
    } else if (t.name === 'RSDT') {
      for (let e = 36; e + 4 <= t.bytes.length; e += 4) ptr32(o + e);
    } else if (t.name === 'XSDT') {
      for (let e = 36; e + 8 <= t.bytes.length; e += 8) ptr64(o + e);
    }
    if (t.name !== 'FACS') { // the FACS has no checksum
      blob[o + 9] = 0;
      sums.push({ command: 'add-checksum', file: ACPI_TABLES_FILE, offset: o + 9, start: o, length: t.bytes.length });
    }
  }
  if (rsdp === null) throw new AcpiError('the profile has no RSDP');
  // The RSDP lives in the F-segment (16-byte aligned) and points at the RSDT (and XSDT) inside the blob.
  const rv = new DataView(rsdp.buffer);
  const rsdpEntries: LoaderEntry[] = [{ command: 'allocate', file: ACPI_RSDP_FILE, align: 16, zone: 'fseg' }];
  rv.setUint32(16, l.rsdt - base, true);
  rsdpEntries.push({ command: 'add-pointer', destFile: ACPI_RSDP_FILE, srcFile: ACPI_TABLES_FILE, offset: 16, size: 4 });
  rsdp[8] = 0;
  const rsdpSums: LoaderEntry[] = [{ command: 'add-checksum', file: ACPI_RSDP_FILE, offset: 8, start: 0, length: 20 }];
  if (rsdp[15]! >= 2 && l.xsdt !== undefined) {
    rv.setBigUint64(24, BigInt(l.xsdt - base), true);
    rsdpEntries.push({ command: 'add-pointer', destFile: ACPI_RSDP_FILE, srcFile: ACPI_TABLES_FILE, offset: 24, size: 8 });
    rsdp[32] = 0;
    rsdpSums.push({ command: 'add-checksum', file: ACPI_RSDP_FILE, offset: 32, start: 0, length: rsdp.length });
  }
  // Order as QEMU: allocate the blob, patch and sum the tables, then the RSDP (its extended sum last).
  const all = [...entries, ...sums, ...rsdpEntries, ...rsdpSums];
  return { tables: blob, rsdp, loader: pad(encodeLoader(all), ACPI_BUILD_ALIGN_SIZE), entries: all };
}
