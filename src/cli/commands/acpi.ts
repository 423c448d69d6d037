/**
 * `acpidm acpi ...`: inspect ACPI tables and write the ones a machine gives its guest.
 *   sleep-types FILE [--all] [--strict]   \_Sn_ packages of a DSDT/SSDT as JSON
 *   fadt FILE [--json]                    FADT fields as iasl names them, ports in hex (--json: as JSON numbers)
 *   dump [--profile pc|xen] [-global K=V ...] [--ram MiB] DIR   tables as files named like QEMU's test data
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findSleepPackages, jsonValue, summarizeSleepTypes } from '../../acpi/aml/index.js';
import { layoutTables } from '../../acpi/install/index.js';
import { machineProfile, type MachineProfile } from '../../acpi/profiles/index.js';
import { AcpiError, FADT_FLAGS, parseSdtHeader, type Fadt, fadtEffective, type Gas, looksLikeAcpidump, parseAcpidumpText, parseFadt } from '../../acpi/tables/index.js';
import { CliError, type CliIo } from '../cli-io.js';
import type { CliCommand } from '../main.js';
import { fadtTextLines } from './acpi-fadt-text.js';

const USAGE = `usage: acpidm acpi sleep-types FILE [--all] [--strict]
         --all     every \\_Sx_ package found, with its path and enclosing blocks
         --strict  a bad table checksum or an AML block the walker cannot follow is an error (default: a warning)
       acpidm acpi fadt FILE [--json]
         the FADT's fields with iasl's names and hex widths (X_ addresses where the 32-bit ones are 0);
         --json: the same as JSON (numbers)
         FILE: a binary table (DSDT/SSDT, FACP) or acpidump text output (all its DSDT/SSDTs, its FACP)
       acpidm acpi dump [--profile pc|xen] [-global PIIX4_PM.disable_s3=1 ...] [--ram MiB] DIR
`;

/** Pretty JSON with arrays of numbers/strings kept on one line; bigints as numbers, or hex strings past 2^53. */
const jsonText = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : `0x${x.toString(16)}`) : x), 2)
    .replace(/\[\n\s*((?:(?:-?\d+|"[^"\n]*"),\n\s*)*(?:-?\d+|"[^"\n]*"))\n\s*\]/g, (_m, body: string) => `[${body.replace(/,\n\s*/g, ', ')}]`) + '\n';

function readTable(file: string | undefined): Uint8Array {
  if (!file) throw new CliError(`missing FILE\n${USAGE}`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    // exit 1 like a malformed table: both are bad host-side input (exit 2 is for a bad command line)
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT (no such file)' : (e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
  }
}

/** The tables in FILE with one of `signatures`: the file itself when binary, or the matching acpidump blocks. */
function tablesIn(file: string, bytes: Uint8Array, signatures: string[]): Uint8Array[] {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 4096));
  if (!looksLikeAcpidump(head)) return [bytes];
  const dumped = guard(file, () => parseAcpidumpText(new TextDecoder('latin1').decode(bytes)));
  // DSDT first, then SSDTs in dump order (the order an OS loads them).
  const picked = signatures.flatMap((sig) => dumped.filter((t) => t.signature === sig).map((t) => t.bytes));
  if (picked.length === 0) throw new CliError(`${file}: acpidump text has no ${signatures.join('/')} table`, 1);
  return picked;
}

/** Runs a table operation; an AcpiError (bad table) becomes a CLI error with exit status 1. */
function guard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof AcpiError) throw new CliError(`${file}: ${e.message}`, 1);
    throw e;
  }
}

function sleepTypes(args: string[], io: CliIo): number {
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  for (const f of flags) if (f !== '--all' && f !== '--strict') throw new CliError(`unknown option ${f}\n${USAGE}`);
  const file = args.find((a) => !a.startsWith('--'));
  const bytes = readTable(file);
  const tables = tablesIn(file!, bytes, ['DSDT', 'SSDT']);
  // A table whose checksum does not add up: a warning (Linux's acpi_tb_verify_checksum only warns too); --strict: an error.
  for (const t of tables) {
    if (t.length < 36) continue;
    const { header, checksumValid } = guard(file!, () => parseSdtHeader(t));
    if (checksumValid) continue;
    if (flags.has('--strict')) throw new CliError(`${file}: ${header.signature} checksum mismatch (--strict)`, 1);
    io.stderr(`acpidm acpi: warning: ${file}: ${header.signature} checksum mismatch (the table may be corrupt; --strict makes this an error)\n`);
  }
  const scans = tables.map((t) => guard(file!, () => findSleepPackages(t, { strict: flags.has('--strict') })));
  const scan = { packages: scans.flatMap((x) => x.packages), warnings: scans.flatMap((x) => x.warnings) };
  for (const w of scan.warnings) io.stderr(`acpidm acpi: warning: ${w.message}\n`);
  if (flags.has('--all')) {
    io.stdout(jsonText(scan.packages.map((p) => ({ state: p.state, path: p.path, values: p.values.map(jsonValue), packageCount: p.packageCount, conditional: p.conditional, context: p.context.map((c) => (c.name !== undefined ? `${c.kind} (${c.name})` : c.kind)), offset: p.offset, ...(p.heuristic ? { heuristic: true } : {}) }))));
    return 0;
  }
  const summary = summarizeSleepTypes(scan.packages);
  io.stdout(jsonText(Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, { values: v!.values, conditional: v!.conditional }]))));
  return 0;
}

const gasJson = (g: Gas | undefined): unknown => g && { spaceId: g.spaceId, bitWidth: g.bitWidth, bitOffset: g.bitOffset, accessSize: g.accessSize, address: g.address };

function fadtJson(f: Fadt): Record<string, unknown> {
  const e = fadtEffective(f);
  const fromX: string[] = (['pm1aEvtBlk', 'pm1bEvtBlk', 'pm1aCntBlk', 'pm1bCntBlk', 'pm2CntBlk', 'pmTmrBlk', 'gpe0Blk', 'gpe1Blk', 'dsdt'] as const).filter((k) => f[k] === 0 && e[k] !== 0);
  if (f.firmwareCtrl === 0 && e.facs !== 0) fromX.push('firmwareCtrl');
  return {
    signature: f.header.signature, revision: f.header.revision, length: f.header.length, oemId: f.header.oemId, oemTableId: f.header.oemTableId,
    checksumValid: f.checksumValid,
    facs: e.facs, dsdt: e.dsdt, sciInt: f.sciInt, smiCmd: f.smiCmd, acpiEnable: f.acpiEnable, acpiDisable: f.acpiDisable,
    pm1aEvtBlk: e.pm1aEvtBlk, pm1bEvtBlk: e.pm1bEvtBlk, pm1aCntBlk: e.pm1aCntBlk, pm1bCntBlk: e.pm1bCntBlk, pm2CntBlk: e.pm2CntBlk,
    pmTmrBlk: e.pmTmrBlk, gpe0Blk: e.gpe0Blk, gpe1Blk: e.gpe1Blk,
    pm1EvtLen: f.pm1EvtLen, pm1CntLen: f.pm1CntLen, pm2CntLen: f.pm2CntLen, pmTmrLen: f.pmTmrLen, gpe0BlkLen: f.gpe0BlkLen, gpe1BlkLen: f.gpe1BlkLen,
    iapcBootArch: f.iapcBootArch,
    flags: f.flags,
    flagNames: Object.entries(FADT_FLAGS).filter(([, bit]) => (f.flags & bit) !== 0).map(([n]) => n),
    hardwareReduced: e.hardwareReduced,
    ...(f.resetReg ? { resetReg: gasJson(f.resetReg), resetValue: f.resetValue } : {}),
    ...(f.xPm1aCntBlk ? { xPm1aEvtBlk: gasJson(f.xPm1aEvtBlk), xPm1aCntBlk: gasJson(f.xPm1aCntBlk), xPmTmrBlk: gasJson(f.xPmTmrBlk) } : {}),
    fromXFields: fromX,
  };
}

function fadt(args: string[], io: CliIo): number {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new CliError(`fadt takes one FILE (and --json)\n${USAGE}`);
  const file = rest[0]!;
  const bytes = readTable(file);
  const f = guard(file, () => parseFadt(tablesIn(file, bytes, ['FACP'])[0]!));
  if (!f.checksumValid) io.stderr(`acpidm acpi: warning: ${file}: FADT checksum mismatch\n`);
  io.stdout(json ? jsonText(fadtJson(f)) : fadtTextLines(f).join('\n') + '\n');
  return 0;
}

function dump(args: string[], io: CliIo): number {
  let profile = 'pc';
  let ramMiB = 128;
  const globals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CliError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--profile') profile = val();
    else if (a === '-global' || a === '--global') globals.push(val());
    else if (a === '--ram') ramMiB = Number(val());
    else if (a.startsWith('-')) throw new CliError(`unknown option ${a}\n${USAGE}`);
    else rest.push(a);
  }
  if (rest.length !== 1) throw new CliError(`dump takes one output DIR\n${USAGE}`);
  if (!Number.isInteger(ramMiB) || ramMiB < 2 || ramMiB > 4096) throw new CliError(`--ram must be 2..4096 MiB`);
  let p: MachineProfile;
  try {
    p = machineProfile(profile, globals);
  } catch (e) {
    if (e instanceof RangeError) throw new CliError(e.message);
    throw e;
  }
  const dir = rest[0]!;
  const placed = layoutTables(p, ramMiB * 1024 * 1024);
  try {
    mkdirSync(dir, { recursive: true });
    for (const t of placed.tables) writeFileSync(path.join(dir, t.name), t.bytes);
  } catch (e) {
    throw new CliError(`cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
  }
  io.stdout(`${p.description}\n`);
  for (const t of placed.tables) io.stdout(`  ${t.name.padEnd(10)} 0x${t.address.toString(16).padStart(8, '0')} ${String(t.bytes.length).padStart(5)} bytes\n`);
  return 0;
}

export const command: CliCommand = {
  async run(args, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'sleep-types': return sleepTypes(rest, io);
      case 'fadt': return fadt(rest, io);
      case 'dump': return dump(rest, io);
      case undefined:
      case '-h':
      case '--help':
        io.stdout(USAGE);
        return sub ? 0 : 2;
      default:
        throw new CliError(`unknown subcommand '${sub}'\n${USAGE}`);
    }
  },
};
