// Shared by the corpus tests: where the shared corpora live and how iasl names map to our fields.
import { readFileSync } from 'node:fs';
import { type Fadt, type Gas, FADT_FLAGS } from '../../src/acpi/tables/index.js';
import { corpusPath, requireCorpus } from '../corpus-gate.js';

/** ../shared/corpus/acpi/NAME when it holds expected.json; also registers the corpus-present test (fails under CI=true). */
export const corpusDir = (name: 'qemu' | 'real'): string | undefined => {
  const d = corpusPath(`acpi/${name}`);
  requireCorpus(`acpi/${name}`, d);
  return d;
};
export const readJson = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));
export const readBytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

const gasJson = (g: Gas | undefined): Record<string, number> | undefined =>
  g && { 'Space ID': g.spaceId, 'Bit Width': g.bitWidth, 'Bit Offset': g.bitOffset, 'Encoded Access Width': g.accessSize, Address: Number(g.address) };

/** iasl's FADT field names (as in expected.json) → our value. Unknown names return the symbol below. */
export const UNMAPPED = Symbol('unmapped');
export function iaslFadtField(f: Fadt, name: string): unknown {
  switch (name) {
    case 'Revision': return f.header.revision;
    case 'FACS Address': return f.firmwareCtrl;
    case 'DSDT Address': return f.dsdt;
    case 'SCI Interrupt': return f.sciInt;
    case 'SMI Command Port': return f.smiCmd;
    case 'ACPI Enable Value': return f.acpiEnable;
    case 'ACPI Disable Value': return f.acpiDisable;
    case 'PM1A Event Block Address': return f.pm1aEvtBlk;
    case 'PM1B Event Block Address': return f.pm1bEvtBlk;
    case 'PM1A Control Block Address': return f.pm1aCntBlk;
    case 'PM1B Control Block Address': return f.pm1bCntBlk;
    case 'PM Timer Block Address': return f.pmTmrBlk;
    case 'PM1 Event Block Length': return f.pm1EvtLen;
    case 'PM1 Control Block Length': return f.pm1CntLen;
    case 'Reset Register Supported (V2)': return (f.flags & FADT_FLAGS.RESET_REG_SUP) ? 1 : 0;
    case 'Hardware Reduced (V5)': return (f.flags & FADT_FLAGS.HW_REDUCED_ACPI) ? 1 : 0;
    case 'Value to cause reset': return f.resetValue;
    case 'X_Reset Register': return gasJson(f.resetReg);
    case 'X_PM1A Event Block': return gasJson(f.xPm1aEvtBlk);
    case 'X_PM1A Control Block': return gasJson(f.xPm1aCntBlk);
    // Further iasl names, in case an expected.json lists them.
    case 'Model': return f.reserved0;
    case 'PM Profile': return f.preferredPmProfile;
    case 'S4BIOS Command': return f.s4biosReq;
    case 'P-State Control': return f.pstateCnt;
    case 'PM2 Control Block Address': return f.pm2CntBlk;
    case 'GPE0 Block Address': return f.gpe0Blk;
    case 'GPE1 Block Address': return f.gpe1Blk;
    case 'PM2 Control Block Length': return f.pm2CntLen;
    case 'PM Timer Block Length': return f.pmTmrLen;
    case 'GPE0 Block Length': return f.gpe0BlkLen;
    case 'GPE1 Block Length': return f.gpe1BlkLen;
    case 'GPE1 Base Offset': return f.gpe1Base;
    case 'RTC Century Index': return f.century;
    case 'Flags': case 'Flags (decoded below)': return f.flags;
    case 'Boot Flags': case 'Boot Flags (decoded below)': return f.iapcBootArch;
    case '32-bit PM Timer (V1)': return (f.flags & FADT_FLAGS.TMR_VAL_EXT) ? 1 : 0;
    case 'X_PM1B Event Block': return gasJson(f.xPm1bEvtBlk);
    case 'X_PM1B Control Block': return gasJson(f.xPm1bCntBlk);
    case 'X_PM2 Control Block': return gasJson(f.xPm2CntBlk);
    case 'X_PM Timer Block': return gasJson(f.xPmTmrBlk);
    case 'X_GPE0 Block': return gasJson(f.xGpe0Blk);
    case 'X_GPE1 Block': return gasJson(f.xGpe1Blk);
    case 'X_FACS Address': return f.xFirmwareCtrl === undefined ? undefined : Number(f.xFirmwareCtrl);
    case 'X_DSDT Address': return f.xDsdt === undefined ? undefined : Number(f.xDsdt);
    default: return UNMAPPED;
  }
}

/**
 * iasl context strings → block kinds: 'Scope (\\)' → {Scope, '\\'}; 'If ((A == B))' → {If};
 * 'Processor (CPU0, 0x00, ...)' → {Processor, CPU0}. The ASL+ disassembler also rebuilds Switch/Case/Default
 * from While/If/Else, so kinds are compared by class (kindClass).
 */
export function iaslContext(s: string): { kind: string; name?: string } {
  const m = /^(\w+)(?: \((.*)\))?$/.exec(s.trim());
  if (!m) return { kind: s };
  const kind = kindClass(m[1]!);
  if (kind === 'If' || kind === 'Else' || kind === 'While' || kind === 'Method' || m[2] === undefined) return { kind };
  return { kind, name: m[2].split(',')[0]!.trim() };
}

/** Switch ≈ While, Case ≈ If/ElseIf, Default ≈ Else. */
export function kindClass(kind: string): string {
  if (kind === 'ElseIf' || kind === 'Case') return 'If';
  if (kind === 'Default') return 'Else';
  if (kind === 'Switch') return 'While';
  return kind;
}
