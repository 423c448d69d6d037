/**
 * Reads the text that `acpidump` (ACPICA) prints and linux-hardware.org stores: blocks of
 *   DSDT @ 0x00000000bff7b000
 *       0000: 44 53 44 54 ...  DSDT....
 * Each block becomes the table's bytes. Malformed lines give AcpiError with the line number.
 */
import { AcpiError } from './acpi-error.js';

export interface DumpedTable {
  /** As in the dump header ("DSDT", "SSDT", "FACP", "RSDP"...). */
  signature: string;
  address: bigint;
  bytes: Uint8Array;
}

const HEADER = /^([A-Za-z0-9_ !]{4}|RSD PTR) @ 0x([0-9A-Fa-f]+)\s*$/;
const DATA = /^\s*([0-9A-Fa-f]{4,8}):((?: [0-9A-Fa-f]{2}){1,16})/;

/** True when `text` starts like acpidump output. */
export const looksLikeAcpidump = (text: string): boolean => HEADER.test(text.split('\n', 1)[0]!.trim()) || /^\s*[A-Z0-9_]{4} @ 0x[0-9A-Fa-f]+\s*$/m.test(text.slice(0, 4096));

export function parseAcpidumpText(text: string): DumpedTable[] {
  const out: DumpedTable[] = [];
  let cur: { signature: string; address: bigint; parts: number[] } | undefined;
  const flush = (): void => {
    if (cur) out.push({ signature: cur.signature, address: cur.address, bytes: Uint8Array.from(cur.parts) });
    cur = undefined;
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = HEADER.exec(line.trim());
    if (h) {
      flush();
      cur = { signature: h[1] === 'RSD PTR' ? 'RSDP' : h[1]!, address: BigInt(`0x${h[2]}`), parts: [] };
      continue;
    }
    const d = DATA.exec(line);
    if (d) {
      if (!cur) throw new AcpiError(`acpidump text line ${i + 1}: data before any "XXXX @ 0x..." header`);
      const off = parseInt(d[1]!, 16);
      if (off !== cur.parts.length) throw new AcpiError(`acpidump text line ${i + 1}: offset 0x${d[1]} but 0x${cur.parts.length.toString(16)} bytes read so far`);
      for (const x of d[2]!.trim().split(' ')) cur.parts.push(parseInt(x, 16));
      continue;
    }
    if (line.trim() !== '' && cur && cur.parts.length > 0 && /^\s*[0-9A-Fa-f]{4,8}:/.test(line)) {
      throw new AcpiError(`acpidump text line ${i + 1}: malformed data line`);
    }
  }
  flush();
  if (out.length === 0) throw new AcpiError('no "XXXX @ 0x..." table blocks found (not acpidump output)');
  return out;
}
