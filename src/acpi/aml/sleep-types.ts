/**
 * From sleep packages to what an OS uses: the SLP_TYPa/SLP_TYPb pair per state (Linux
 * drivers/acpi/acpica/hwxface.c: acpi_get_sleep_type_data, see lifecycle.md §5).
 */
import type { SleepPackage, SleepStateName, SleepValue } from './sleep-states.js';

export interface SleepTypeSummary {
  values: (number | string)[];
  conditional: boolean;
  packageCount: number;
  path: string;
  /** Further definitions of the same state (e.g. one per If/Else branch). */
  alternatives?: number;
}

/** JSON-friendly element: integers as numbers (hex string beyond 2^53), other objects by name. */
export const jsonValue = (v: SleepValue): number | string =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? `0x${v.toString(16)}` : 'ref' in v ? v.ref : v.type;

/** One entry per state present at the root (`\_Sn_`); an unconditional definition wins over a conditional one. */
export function summarizeSleepTypes(pkgs: readonly SleepPackage[]): Partial<Record<SleepStateName, SleepTypeSummary>> {
  const out: Partial<Record<SleepStateName, SleepTypeSummary>> = {};
  for (const s of ['S0', 'S1', 'S2', 'S3', 'S4', 'S5'] as const) {
    const defs = pkgs.filter((p) => p.state === s && p.path === `\\_${s}_`);
    const best = defs.find((d) => !d.conditional) ?? defs[0];
    if (!best) continue;
    out[s] = { values: best.values.map(jsonValue), conditional: best.conditional, packageCount: best.packageCount, path: best.path, ...(defs.length > 1 ? { alternatives: defs.length - 1 } : {}) };
  }
  return out;
}

/**
 * SLP_TYPa/b as ACPICA derives them: two or more elements give elem0/elem1; a single integer gives both from
 * its low two bytes; anything else (empty, non-integer) is undefined (the OS then cannot enter the state).
 */
export function slpTyp(p: Pick<SleepPackage, 'values'>): { a: number; b: number } | undefined {
  const [x, y] = p.values;
  const int = (v: SleepValue | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v & 0xffn) : undefined);
  if (p.values.length >= 2) {
    const a = int(x);
    const b = int(y);
    return a === undefined || b === undefined ? undefined : { a: a & 7, b: b & 7 };
  }
  const a = int(x);
  return a === undefined ? undefined : { a: a & 7, b: (a >>> 8) & 7 };
}
