/** DSDT and SSDT: an SDT header followed by an AML byte stream (ACPI 6.5 §5.2.11.1, §5.2.11.2). */
import { AcpiError } from './acpi-error.js';
import { buildSdt, parseSdt, printable, type SdtHeader, type SdtParseOptions } from './sdt-header.js';

export interface DefinitionBlock {
  header: SdtHeader;
  /** The AML that follows the header; AML offset 0 is table offset 36. */
  aml: Uint8Array;
  checksumValid: boolean;
}

export function parseDefinitionBlock(bytes: Uint8Array, opts: SdtParseOptions = {}): DefinitionBlock {
  const t = parseSdt(bytes, opts);
  const sig = t.header.signature;
  if (sig !== 'DSDT' && sig !== 'SSDT') throw new AcpiError(`signature is '${printable(sig)}', expected DSDT or SSDT`, 0);
  return { header: t.header, aml: t.body, checksumValid: t.checksumValid };
}

export function buildDefinitionBlock(header: Omit<SdtHeader, 'length' | 'checksum'>, aml: Uint8Array): Uint8Array {
  return buildSdt(header, aml);
}
