/**
 * `acpidm acpi fadt FILE` for a person: `Field Name : Value` lines with iasl's field names and its hex
 * widths (ACPICA's table disassembler, `iasl -d`: a 4-byte field as 8 hex digits, a 2-byte one as 4, a byte
 * as 2), so the output can be read side by side with a `.dsl`. A port or address that comes from an X_ field
 * (the 32-bit one being zero) is the 64-bit value, 16 hex digits, and says so. `--json` gives the numbers.
 */
import { type Fadt, FADT_FLAGS, fadtEffective, type FadtEffective } from '../../acpi/tables/index.js';

const hex = (v: number, digits: number): string => (v >>> 0).toString(16).toUpperCase().padStart(digits, '0');
const hex64 = (v: number): string => (Number.isFinite(v) ? BigInt(v).toString(16).toUpperCase().padStart(16, '0') : '(beyond 2^53)');

/** An ID string as iasl shows it: up to its first NUL (Xen pads with NULs, QEMU with spaces). */
const id = (s: string): string => `"${s.split('\0')[0]}"`;

/** iasl right-aligns the names so that the colons line up (at column 30 of the name). */
const line = (name: string, value: string): string => `${name.padStart(30)} : ${value}`;

/** [iasl name, 32-bit field, effective key, its X_ name] for the blocks a guest's ACPI code uses. */
const ADDRESSES: readonly (readonly [string, keyof Fadt, keyof FadtEffective, string])[] = [
  ['FACS Address', 'firmwareCtrl', 'facs', 'X_FIRMWARE_CTRL'],
  ['DSDT Address', 'dsdt', 'dsdt', 'X_DSDT'],
];
const BLOCKS: readonly (readonly [string, keyof Fadt, keyof FadtEffective, string])[] = [
  ['PM1A Event Block Address', 'pm1aEvtBlk', 'pm1aEvtBlk', 'X_PM1a_EVT_BLK'],
  ['PM1B Event Block Address', 'pm1bEvtBlk', 'pm1bEvtBlk', 'X_PM1b_EVT_BLK'],
  ['PM1A Control Block Address', 'pm1aCntBlk', 'pm1aCntBlk', 'X_PM1a_CNT_BLK'],
  ['PM1B Control Block Address', 'pm1bCntBlk', 'pm1bCntBlk', 'X_PM1b_CNT_BLK'],
  ['PM2 Control Block Address', 'pm2CntBlk', 'pm2CntBlk', 'X_PM2_CNT_BLK'],
  ['PM Timer Block Address', 'pmTmrBlk', 'pmTmrBlk', 'X_PM_TMR_BLK'],
  ['GPE0 Block Address', 'gpe0Blk', 'gpe0Blk', 'X_GPE0_BLK'],
  ['GPE1 Block Address', 'gpe1Blk', 'gpe1Blk', 'X_GPE1_BLK'],
];

export function fadtTextLines(f: Fadt): string[] {
  const e = fadtEffective(f);
  const address = ([name, field, key, xName]: (typeof BLOCKS)[number]): string => {
    const own = f[field] as number;
    return own === 0 && e[key] !== 0 ? line(name, `${hex64(e[key] as number)} (from ${xName}; the 32-bit field is 0)`) : line(name, hex(own, 8));
  };
  const out = [
    line('Signature', `"${f.header.signature}"`),
    ...(f.header.length !== undefined ? [line('Table Length', hex(f.header.length, 8))] : []),
    line('Revision', hex(f.header.revision, 2)),
    ...(f.header.checksum !== undefined ? [line('Checksum', `${hex(f.header.checksum, 2)}${f.checksumValid === false ? ' (does not add up: the table may be corrupt)' : ''}`)] : []),
    line('Oem ID', id(f.header.oemId)),
    line('Oem Table ID', id(f.header.oemTableId)),
    '',
    ...ADDRESSES.map(address),
    line('SCI Interrupt', hex(f.sciInt, 4)),
    line('SMI Command Port', hex(f.smiCmd, 8)),
    line('ACPI Enable Value', hex(f.acpiEnable, 2)),
    line('ACPI Disable Value', hex(f.acpiDisable, 2)),
    ...BLOCKS.map(address),
    line('PM1 Event Block Length', hex(f.pm1EvtLen, 2)),
    line('PM1 Control Block Length', hex(f.pm1CntLen, 2)),
    line('PM2 Control Block Length', hex(f.pm2CntLen, 2)),
    line('PM Timer Block Length', hex(f.pmTmrLen, 2)),
    line('GPE0 Block Length', hex(f.gpe0BlkLen, 2)),
    line('GPE1 Block Length', hex(f.gpe1BlkLen, 2)),
    line('Boot Flags (decoded below)', hex(f.iapcBootArch, 4)),
    line('Flags (decoded below)', hex(f.flags, 8)),
  ];
  const set = Object.entries(FADT_FLAGS).filter(([, bit]) => (f.flags & bit) !== 0).map(([n]) => n);
  out.push(`${''.padStart(30)}   ${set.length ? set.join(' ') : '(no flags set)'}`);
  if (f.resetReg && e.resetRegSupported) {
    out.push(line('Reset Register', `space ${f.resetReg.spaceId}, address ${hex64(Number(f.resetReg.address))}`));
    out.push(line('Value to cause reset', hex(f.resetValue ?? 0, 2)));
  }
  return out;
}
