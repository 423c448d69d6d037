export { AcpiError } from './acpi-error.js';
export { sum8, setChecksum, readId, writeId, toSafe } from './bytes.js';
export {
  SDT_HEADER_SIZE, parseSdtHeader, writeSdtHeader, finishSdt, parseSdt, buildSdt,
  type SdtHeader, type SdtParseOptions, type GenericSdt,
} from './sdt-header.js';
export { RSDP_SIGNATURE, RSDP_V1_SIZE, RSDP_V2_SIZE, parseRsdp, buildRsdp, findRsdp, type Rsdp } from './rsdp.js';
export { parseRsdt, parseXsdt, buildRsdt, buildXsdt, type Rsdt, type Xsdt, type RootTable } from './root-tables.js';
export {
  FADT_FLAGS, IAPC_BOOT_ARCH, FADT_FIELDS, FADT_V1_SIZE, FADT_V3_SIZE, FADT_V5_SIZE, FADT_V6_SIZE,
  parseFadt, buildFadt, fadtEffective, type Fadt, type FadtV1Fields, type FadtLaterFields, type FadtEffective,
} from './fadt.js';
export { FACS_SIZE, FACS_FLAGS, parseFacs, buildFacs, type Facs } from './facs.js';
export { parseDefinitionBlock, buildDefinitionBlock, type DefinitionBlock } from './definition-block.js';
export { GAS_SIZE, ADDRESS_SPACE, readGas, writeGas, ioGas, zeroGas, type Gas } from './gas.js';
export { parseAcpidumpText, looksLikeAcpidump, type DumpedTable } from './acpidump-text.js';
