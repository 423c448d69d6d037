/**
 * Finds the \_S0_ .. \_S5_ sleep-type packages in a DSDT or SSDT, as an OS reads them before writing
 * SLP_TYP to PM1a_CNT (ACPI 6.5 §7.4.2). Each definition is reported with its path, the enclosing blocks,
 * and whether it sits inside If/Else/While (then it only exists when that code runs at table load).
 */
import { parseDefinitionBlock } from '../tables/definition-block.js';
import { SDT_HEADER_SIZE } from '../tables/sdt-header.js';
import { AmlError } from './aml-error.js';
import { type AmlContext, type AmlWarning, AmlWalker, type NameVisit } from './aml-walker.js';
import { formatNameString, pathString, readNameString, resolvePath } from './name-string.js';
import { BUFFER_OP, BYTE_PREFIX, DWORD_PREFIX, ONE_OP, ONES_OP, PACKAGE_OP, QWORD_PREFIX, STRING_PREFIX, VAR_PACKAGE_OP, WORD_PREFIX, ZERO_OP } from './opcodes.js';
import { decodePkgLength } from './pkg-length.js';

export type SleepStateName = 'S0' | 'S1' | 'S2' | 'S3' | 'S4' | 'S5';
export const SLEEP_STATES: readonly SleepStateName[] = ['S0', 'S1', 'S2', 'S3', 'S4', 'S5'];

/** An integer element; a name reference `{ ref }`; or another object `{ type }` (Package, Buffer, String...). */
export type SleepValue = number | bigint | { ref: string } | { type: string };

export interface SleepPackage {
  state: SleepStateName;
  /** Absolute path, e.g. `\_S5_`. */
  path: string;
  /** NumElements as declared (Package (0x04) → 4); `values` holds the initialisers actually present. */
  packageCount: number;
  values: SleepValue[];
  conditional: boolean;
  context: AmlContext[];
  /** Table offset of the NameOp. */
  offset: number;
  /** Found by the byte-pattern rescue inside a block the walker could not parse (see warnings). */
  heuristic?: boolean;
}

export interface SleepScan {
  packages: SleepPackage[];
  warnings: AmlWarning[];
}

export interface SleepScanOptions {
  /** Throw AmlError on anything the walker does not understand (default: skip that block with a warning). */
  strict?: boolean;
  /** Integer width for OnesOp: 64 unless the DSDT revision is below 2 (ACPI 6.5 §19.6.28). */
  integerWidth?: 32 | 64;
  /** Offset added to reported positions (36 when `aml` is the body of a table). */
  base?: number;
  /** Also report method-local `Name (_Sn_, ...)` (context 'Method'); they are not namespace objects. */
  includeMethods?: boolean;
}

const SLEEP_SEG = /^_S([0-5])_$/;

/** Scans a whole DSDT/SSDT (header included). Header problems throw AcpiError, AML problems AmlError. */
export function findSleepPackages(table: Uint8Array, opts: Omit<SleepScanOptions, 'base' | 'integerWidth'> = {}): SleepScan {
  // ACPICA sets the integer width for all tables from the DSDT revision; a lone SSDT uses its own.
  const t = parseDefinitionBlock(table);
  return findSleepPackagesInAml(t.aml, { ...opts, base: SDT_HEADER_SIZE, integerWidth: t.header.revision < 2 ? 32 : 64 });
}

/** Scans a bare AML byte stream (a DefinitionBlock body). */
export function findSleepPackagesInAml(aml: Uint8Array, opts: SleepScanOptions = {}): SleepScan {
  const base = opts.base ?? 0;
  const width = opts.integerWidth ?? 64;
  // Pass 1 collects Method/External argument counts so pass 2 can size method calls in If predicates.
  const collector = new AmlWalker(aml, () => {}, { base, strict: false, includeMethods: opts.includeMethods ?? false });
  try {
    collector.run();
  } catch (e) {
    if (!(e instanceof AmlError) || opts.strict) throw e;
  }
  const packages: SleepPackage[] = [];
  const seen = new Set<number>();
  const add = (pkg: SleepPackage | undefined): void => {
    if (pkg && !seen.has(pkg.offset)) {
      seen.add(pkg.offset);
      packages.push(pkg);
    }
  };
  const walker = new AmlWalker(
    aml,
    (v) => add(sleepFromName(aml, v, base, width)),
    { base, strict: opts.strict ?? false, methods: collector.methods, includeMethods: opts.includeMethods ?? false, collect: false },
    (from, end, scope, ctx, cond) => {
      for (const p of rescue(aml, from, end, scope, ctx, cond, base, width)) add(p);
    },
  );
  walker.run();
  packages.sort((a, b) => a.offset - b.offset);
  return { packages, warnings: walker.warnings };
}

function sleepFromName(b: Uint8Array, v: NameVisit, base: number, width: 32 | 64): SleepPackage | undefined {
  const last = v.name.segs[v.name.segs.length - 1];
  const m = last ? SLEEP_SEG.exec(last) : null;
  if (!m) return undefined;
  const op = b[v.objectAt];
  if (op !== PACKAGE_OP && op !== VAR_PACKAGE_OP) return undefined;
  const { count, values } = readPackage(b, v.objectAt, v.limit, base, width);
  return {
    state: `S${m[1]}` as SleepStateName,
    path: pathString(v.path),
    packageCount: count,
    values,
    conditional: v.conditional,
    context: [...v.context],
    offset: v.offset,
  };
}

/** Reads Package/VarPackage at b[p]; elements are integers where they are constants. */
export function readPackage(b: Uint8Array, p: number, limit: number, base = 0, width: 32 | 64 = 64): { count: number; values: SleepValue[]; end: number } {
  const err = (msg: string, at: number): AmlError => new AmlError(msg, base + at);
  const pk = decodePkgLength(b, p + 1, limit, base);
  if (pk.end > limit) throw err('Package PkgLength runs past the end of the enclosing block', p + 1);
  if (pk.next >= pk.end) throw err('Package without NumElements', p);
  let q = pk.next;
  let count: number;
  if (b[p] === PACKAGE_OP) count = b[q++]!;
  else {
    const c = readInteger(b, q, pk.end, base, width);
    if (!c) throw err('VarPackage with a computed element count', q);
    count = Number(c.value);
    q = c.next;
  }
  const values: SleepValue[] = [];
  while (q < pk.end) {
    const c = b[q]!;
    const int = readInteger(b, q, pk.end, base, width);
    if (int) {
      values.push(int.value);
      q = int.next;
    } else if (c === PACKAGE_OP || c === VAR_PACKAGE_OP || c === BUFFER_OP) {
      const inner = decodePkgLength(b, q + 1, pk.end, base);
      if (inner.end > pk.end || inner.end <= q + 1) throw err('nested object runs past the end of the Package', q);
      values.push({ type: c === BUFFER_OP ? 'Buffer' : 'Package' });
      q = inner.end;
    } else if (c === STRING_PREFIX) {
      const z = b.indexOf(0, q + 1);
      if (z < 0 || z >= pk.end) throw err('unterminated string in Package', q);
      values.push({ type: 'String' });
      q = z + 1;
    } else {
      const ns = readNameString(b, q, pk.end, base);
      values.push({ ref: formatNameString(ns) });
      q = ns.next;
    }
  }
  return { count, values, end: pk.end };
}

function readInteger(b: Uint8Array, q: number, end: number, base: number, width: 32 | 64): { value: number | bigint; next: number } | undefined {
  const need = (n: number): void => {
    if (q + 1 + n > end) throw new AmlError('truncated integer constant', base + q);
  };
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (b[q]) {
    case ZERO_OP: return { value: 0, next: q + 1 };
    case ONE_OP: return { value: 1, next: q + 1 };
    case ONES_OP: return { value: width === 32 ? 0xffff_ffff : 0xffff_ffff_ffff_ffffn, next: q + 1 };
    case BYTE_PREFIX: need(1); return { value: b[q + 1]!, next: q + 2 };
    case WORD_PREFIX: need(2); return { value: v.getUint16(q + 1, true), next: q + 3 };
    case DWORD_PREFIX: need(4); return { value: v.getUint32(q + 1, true), next: q + 5 };
    case QWORD_PREFIX: {
      need(8);
      const x = v.getBigUint64(q + 1, true);
      return { value: x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x, next: q + 9 };
    }
    default: return undefined;
  }
}

/**
 * Byte-pattern rescue for a block the walker gave up on: NameOp, optional '\', `_Sn_`, PackageOp.
 * Everything found this way is reported as conditional-or-not like its block and flagged `heuristic`.
 */
function rescue(b: Uint8Array, from: number, end: number, scope: string[], ctx: readonly AmlContext[], cond: boolean, base: number, width: 32 | 64): SleepPackage[] {
  const out: SleepPackage[] = [];
  for (let i = from; i + 6 < end; i++) {
    if (b[i] !== 0x08) continue;
    const root = b[i + 1] === 0x5c;
    const s = i + 1 + (root ? 1 : 0);
    if (b[s] !== 0x5f || b[s + 1] !== 0x53 || b[s + 2]! < 0x30 || b[s + 2]! > 0x35 || b[s + 3] !== 0x5f) continue;
    const at = s + 4;
    if (b[at] !== PACKAGE_OP && b[at] !== VAR_PACKAGE_OP) continue;
    try {
      const { count, values } = readPackage(b, at, end, base, width);
      const seg = String.fromCharCode(0x5f, 0x53, b[s + 2]!, 0x5f);
      const path = resolvePath(scope, { root, parents: 0, segs: [seg] });
      out.push({ state: `S${b[s + 2]! - 0x30}` as SleepStateName, path: pathString(path), packageCount: count, values, conditional: cond, context: [...ctx], offset: base + i, heuristic: true });
    } catch (e) {
      if (!(e instanceof AmlError)) throw e;
    }
  }
  return out;
}
