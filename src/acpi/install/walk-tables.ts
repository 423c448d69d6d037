/**
 * The OS side of installTables: find the RSDP in E0000h-FFFFFh, follow the XSDT (or RSDT) to every table,
 * take the FADT's PM blocks (X_ addresses where the 32-bit ones are zero) and the DSDT/SSDT sleep packages,
 * as Linux's acpi_os_get_root_pointer / acpi_tb_parse_root_table / acpi_get_sleep_type_data do. Used to show
 * "the tables found" and to check what a guest will see. Bad pointers or tables give AcpiError.
 */
import { findSleepPackages, type SleepPackage } from '../aml/sleep-states.js';
import { summarizeSleepTypes, type SleepTypeSummary } from '../aml/sleep-types.js';
import type { SleepStateName } from '../aml/sleep-states.js';
import { AcpiError } from '../tables/acpi-error.js';
import { readId } from '../tables/bytes.js';
import { type Fadt, type FadtEffective, fadtEffective, parseFadt } from '../tables/fadt.js';
import { findRsdp, parseRsdp, type Rsdp } from '../tables/rsdp.js';
import { parseRsdt, parseXsdt } from '../tables/root-tables.js';
import { parseSdtHeader } from '../tables/sdt-header.js';

export interface FoundTable {
  signature: string;
  address: number;
  length: number;
  checksumValid: boolean;
}

export interface GuestTables {
  rsdpAddress: number;
  rsdp: Rsdp;
  /** 'XSDT' when the RSDP is revision 2 with a non-zero XSDT address, as Linux prefers it. */
  root: 'RSDT' | 'XSDT';
  tables: FoundTable[];
  fadt: Fadt;
  pm: FadtEffective;
  sleepPackages: SleepPackage[];
  sleepTypes: Partial<Record<SleepStateName, SleepTypeSummary>>;
}

function tableAt(mem: Uint8Array, address: number, what: string): Uint8Array {
  if (!Number.isSafeInteger(address) || address <= 0 || address + 36 > mem.length) {
    throw new AcpiError(`${what} pointer 0x${address.toString(16)} is outside guest memory (0x${mem.length.toString(16)} bytes)`);
  }
  const len = new DataView(mem.buffer, mem.byteOffset, mem.byteLength).getUint32(address + 4, true);
  if (len < 36 || address + len > mem.length) throw new AcpiError(`${what} at 0x${address.toString(16)} has length ${len} past the end of memory`);
  return mem.subarray(address, address + len);
}

export function walkGuestTables(mem: Uint8Array, rsdpAddress = findRsdp(mem)): GuestTables {
  if (rsdpAddress < 0) throw new AcpiError('no RSDP with a valid checksum in E0000h-FFFFFh');
  const rsdp = parseRsdp(mem.subarray(rsdpAddress, Math.min(mem.length, rsdpAddress + 36 + 64)));
  const useX = rsdp.revision >= 2 && (rsdp.xsdtAddress ?? 0n) !== 0n;
  const rootAt = useX ? Number(rsdp.xsdtAddress) : rsdp.rsdtAddress;
  const rootBytes = tableAt(mem, rootAt, useX ? 'XSDT' : 'RSDT');
  const entries = useX ? parseXsdt(rootBytes).entries.map(Number) : parseRsdt(rootBytes).entries;
  const found: FoundTable[] = [{ signature: useX ? 'XSDT' : 'RSDT', address: rootAt, length: rootBytes.length, checksumValid: parseSdtHeader(rootBytes).checksumValid }];
  let fadt: Fadt | undefined;
  const ssdts: Uint8Array[] = [];
  for (const a of entries) {
    const t = tableAt(mem, a, 'table');
    const h = parseSdtHeader(t);
    found.push({ signature: h.header.signature, address: a, length: t.length, checksumValid: h.checksumValid });
    if (h.header.signature === 'FACP' && !fadt) fadt = parseFadt(t);
    if (h.header.signature === 'SSDT') ssdts.push(t);
  }
  if (!fadt) throw new AcpiError(`${useX ? 'XSDT' : 'RSDT'} at 0x${rootAt.toString(16)} lists no FADT (FACP)`);
  const pm = fadtEffective(fadt);
  const dsdt = tableAt(mem, pm.dsdt, 'DSDT');
  const dh = parseSdtHeader(dsdt, { signature: 'DSDT' });
  found.push({ signature: 'DSDT', address: pm.dsdt, length: dsdt.length, checksumValid: dh.checksumValid });
  if (pm.facs) {
    const facsLen = pm.facs + 8 <= mem.length ? new DataView(mem.buffer, mem.byteOffset).getUint32(pm.facs + 4, true) : 0;
    if (pm.facs + 4 <= mem.length && readId(mem, pm.facs, 4) === 'FACS') found.push({ signature: 'FACS', address: pm.facs, length: facsLen, checksumValid: true });
  }
  // The DSDT first, then SSDTs in root-table order (the order ACPICA loads them).
  const sleepPackages = [dsdt, ...ssdts].flatMap((t) => findSleepPackages(t).packages);
  return { rsdpAddress, rsdp, root: useX ? 'XSDT' : 'RSDT', tables: found, fadt, pm, sleepPackages, sleepTypes: summarizeSleepTypes(sleepPackages) };
}
