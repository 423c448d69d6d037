/**
 * Lays a profile's ACPI tables into guest physical memory the way SeaBIOS does with QEMU's tables: the
 * RSDP in the BIOS read-only area E0000h-FFFFFh on a 16-byte boundary (SeaBIOS puts it in the F-segment),
 * everything else in one block at the top of RAM: FACS (64-byte aligned, ACPI 6.5 §5.2.10), DSDT, FADT(s),
 * SSDTs, RSDT, XSDT (16-byte aligned). Deterministic: same profile and memory size, same addresses.
 */
import type { MachineProfile } from '../profiles/types.js';
import { AcpiError } from '../tables/acpi-error.js';
import { buildFacs } from '../tables/facs.js';
import { buildFadt, type Fadt } from '../tables/fadt.js';
import { buildRsdp } from '../tables/rsdp.js';
import { buildRsdt, buildXsdt } from '../tables/root-tables.js';
import { SDT_HEADER_SIZE } from '../tables/sdt-header.js';

export interface InstallOptions {
  /** Where the RSDP goes (16-byte aligned, inside E0000h-FFFFFh). Default 0xF5A00. */
  rsdpAddress?: number;
  /** End of the RAM the tables may use (exclusive). Default: min(mem.length, 4 GiB). */
  ramTop?: number;
}

export interface PlacedTable {
  /** File name as in QEMU tests/data/acpi: RSDP, RSDT, XSDT, FACP, FACS, DSDT, SSDT, SSDT.2 ... */
  name: string;
  address: number;
  bytes: Uint8Array;
}

export interface InstalledTables {
  rsdp: number;
  rsdt: number;
  /** Present when the RSDP is revision 2. */
  xsdt?: number;
  /** The FADT the OS uses (from the XSDT when there is one). */
  fadt: number;
  /** The revision-1 FADT the RSDT points to, when it differs from `fadt` (Xen). */
  fadtRsdt?: number;
  facs: number;
  dsdt: number;
  ssdts: number[];
  /** The block at the top of RAM holding every table except the RSDP (for the E820 / Multiboot map: ACPI reclaimable). */
  region: { start: number; end: number };
  tables: PlacedTable[];
}

export const DEFAULT_RSDP_ADDRESS = 0xf5a00;
const align = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Computes addresses and builds every table (no memory touched). */
export function layoutTables(profile: MachineProfile, ramTop: number, rsdpAddress = DEFAULT_RSDP_ADDRESS): InstalledTables {
  const t = profile.tables;
  if (rsdpAddress % 16 !== 0 || rsdpAddress < 0xe0000 || rsdpAddress + 36 > 0x100000) {
    throw new AcpiError(`RSDP address 0x${rsdpAddress.toString(16)} must be 16-byte aligned inside E0000h-FFFFFh`);
  }
  const v2 = t.rsdp.revision >= 2;
  const facsBytes = buildFacs(t.facs);
  const fadtLen = buildFadt(t.fadt).length;
  const fadtRsdtLen = t.fadtForRsdt ? buildFadt(t.fadtForRsdt).length : 0;
  const nEntries = 1 + t.ssdts.length;
  const rsdtLen = SDT_HEADER_SIZE + 4 * nEntries;
  const xsdtLen = SDT_HEADER_SIZE + 8 * nEntries;

  // Relative layout first (FACS at 0 keeps its 64-byte alignment once the base is page aligned).
  let at = 0;
  const place = (len: number, a = 16): number => {
    const off = align(at, a);
    at = off + len;
    return off;
  };
  const oFacs = place(facsBytes.length, 64);
  const oDsdt = place(t.dsdt.length);
  const oFadt = place(fadtLen);
  const oFadtRsdt = t.fadtForRsdt ? place(fadtRsdtLen) : -1;
  const oSsdts = t.ssdts.map((s) => place(s.length));
  const oRsdt = place(rsdtLen);
  const oXsdt = v2 ? place(xsdtLen) : -1;
  const size = align(at, 16);
  const top = Math.min(ramTop, 0x1_0000_0000);
  const base = Math.floor((top - size) / 0x1000) * 0x1000;
  if (base < 0x100000) throw new AcpiError(`RAM top 0x${top.toString(16)} leaves no room for ${size} bytes of ACPI tables above 1 MiB`);

  const facs = base + oFacs;
  const dsdt = base + oDsdt;
  const withPointers = (f: Fadt): Fadt => ({
    ...f,
    firmwareCtrl: facs,
    dsdt,
    ...(f.xFirmwareCtrl !== undefined ? { xFirmwareCtrl: BigInt(facs) } : {}),
    ...(f.xDsdt !== undefined ? { xDsdt: BigInt(dsdt) } : {}),
  });
  const fadt = base + oFadt;
  const fadtRsdt = t.fadtForRsdt ? base + oFadtRsdt : undefined;
  const ssdts = oSsdts.map((o) => base + o);
  const rsdt = base + oRsdt;
  const xsdt = v2 ? base + oXsdt : undefined;
  const hdr = t.rootHeader;
  const tables: PlacedTable[] = [
    { name: 'RSDP', address: rsdpAddress, bytes: buildRsdp({ oemId: t.rsdp.oemId, revision: t.rsdp.revision, rsdtAddress: rsdt, ...(v2 ? { xsdtAddress: BigInt(xsdt!) } : {}) }) },
    { name: 'RSDT', address: rsdt, bytes: buildRsdt({ header: { signature: 'RSDT', ...hdr }, entries: [fadtRsdt ?? fadt, ...ssdts] }) },
    ...(v2 ? [{ name: 'XSDT', address: xsdt!, bytes: buildXsdt({ header: { signature: 'XSDT', ...hdr }, entries: [fadt, ...ssdts].map(BigInt) }) }] : []),
    { name: 'FACP', address: fadt, bytes: buildFadt(withPointers(t.fadt)) },
    ...(t.fadtForRsdt ? [{ name: 'FACP.rev1', address: fadtRsdt!, bytes: buildFadt(withPointers(t.fadtForRsdt)) }] : []),
    { name: 'FACS', address: facs, bytes: facsBytes },
    { name: 'DSDT', address: dsdt, bytes: t.dsdt },
    ...t.ssdts.map((bytes, i) => ({ name: i === 0 ? 'SSDT' : `SSDT.${i + 1}`, address: ssdts[i]!, bytes })),
  ];
  return {
    rsdp: rsdpAddress, rsdt, ...(v2 ? { xsdt } : {}), fadt, ...(fadtRsdt !== undefined ? { fadtRsdt } : {}),
    facs, dsdt, ssdts, region: { start: base, end: base + size }, tables,
  };
}

/**
 * Writes the profile's tables into `mem` (guest physical memory, address = index) and returns where they are.
 * The high-RAM block is zeroed first so the result does not depend on what was there.
 */
export function installTables(mem: Uint8Array, profile: MachineProfile, opts: InstallOptions = {}): InstalledTables {
  if (mem.length < 0x100000) throw new AcpiError(`guest memory of ${mem.length} bytes does not reach the BIOS area (needs >= 1 MiB)`);
  const out = layoutTables(profile, opts.ramTop ?? mem.length, opts.rsdpAddress);
  if (out.region.end > mem.length) throw new AcpiError(`ramTop 0x${out.region.end.toString(16)} is beyond guest memory (0x${mem.length.toString(16)})`);
  mem.fill(0, out.region.start, out.region.end);
  for (const t of out.tables) mem.set(t.bytes, t.address);
  return out;
}
