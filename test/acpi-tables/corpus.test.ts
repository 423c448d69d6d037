// Conformance: QEMU's expected tables (tests/data/acpi) and real-machine dumps (linuxhw/ACPI), against the
// values iasl printed for them (expected.json). Every file is decoded; every value must agree.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSleepPackages, type SleepPackage, jsonValue } from '../../src/acpi/aml/index.js';
import { buildDefinitionBlock, buildFacs, buildFadt, parseDefinitionBlock, parseFacs, parseFadt, parseSdtHeader } from '../../src/acpi/tables/index.js';
import { corpusDir, iaslContext, iaslFadtField, kindClass, readBytes, readJson, UNMAPPED } from './corpus-helpers.js';

const qemu = corpusDir('qemu');
const real = corpusDir('real');
const STATES = ['_S3_', '_S4_', '_S5_'] as const;

interface ExpectedDef { package_count: number; values: number[]; context: string[]; conditional: boolean }

/** Compares our packages for one name with iasl's list (same order: table order). */
function compareSleep(found: SleepPackage[], name: string, exp: ExpectedDef[] | null | undefined, present: boolean | undefined): number {
  // Method-local Names are not namespace objects; they count only if iasl's listing includes them.
  const withMethods = (exp ?? []).some((e) => e.context.some((c) => c.startsWith('Method')));
  const mine = found.filter((p) => `_${p.state}_` === name && (withMethods || !p.context.some((c) => c.kind === 'Method')));
  let checked = 0;
  if (present !== undefined) {
    expect(mine.length > 0, `${name} presence`).toBe(present);
    checked++;
  }
  if (!exp) return checked;
  expect(mine.map((p) => p.offset).length, `${name} definitions`).toBe(exp.length);
  exp.forEach((e, i) => {
    const p = mine[i]!;
    expect(p.packageCount, `${name}[${i}] package_count`).toBe(e.package_count);
    expect(p.values.map(jsonValue), `${name}[${i}] values`).toEqual(e.values);
    expect(p.conditional, `${name}[${i}] conditional`).toBe(e.conditional);
    expect(p.context.map((c) => ({ kind: kindClass(c.kind), ...(c.name !== undefined ? { name: c.name } : {}) })), `${name}[${i}] context`).toEqual(e.context.map(iaslContext));
    checked += 4 + e.values.length;
  });
  return checked;
}

function compareFadt(bytes: Uint8Array, exp: Record<string, unknown>): number {
  const f = parseFadt(bytes);
  for (const [k, v] of Object.entries(exp)) {
    const mine = iaslFadtField(f, k);
    expect(mine, `FADT field '${k}' has no mapping`).not.toBe(UNMAPPED);
    expect(mine, `FADT ${k}`).toEqual(v);
  }
  expect(buildFadt(f), 'FADT re-serialises byte for byte').toEqual(bytes);
  return Object.keys(exp).length;
}

describe.skipIf(!qemu)('QEMU tests/data/acpi corpus (expected.json from iasl)', () => {
  const exp = qemu ? readJson(path.join(qemu, 'expected.json')) : { tables: {} };
  const entries = Object.entries(exp.tables as Record<string, any>);
  it('has files to check', () => expect(entries.length).toBeGreaterThan(10));
  it.each(entries)('%s decodes to the expected values', (file, t) => {
    const bytes = readBytes(path.join(qemu!, file));
    expect(bytes.length).toBe(t.size);
    const sig = t.header.signature as string;
    if (sig === 'FACS') {
      const f = parseFacs(bytes);
      expect(f.length).toBe(t.header.length);
      expect(buildFacs(f)).toEqual(bytes);
      return;
    }
    const { header, checksumValid } = parseSdtHeader(bytes);
    expect({ signature: header.signature, length: header.length, revision: header.revision, oem_id: header.oemId, oem_table_id: header.oemTableId, checksum_ok: checksumValid }).toEqual(t.header);
    if (sig === 'FACP') compareFadt(bytes, t.fadt);
    if (sig === 'DSDT' || sig === 'SSDT') {
      const scan = findSleepPackages(bytes, { strict: true, includeMethods: true });
      for (const n of STATES) compareSleep(scan.packages, n, t.sleep_states?.[n], t.present?.[n]);
      if (!t.present) expect(scan.packages).toEqual([]);
      const d = parseDefinitionBlock(bytes);
      expect(buildDefinitionBlock(d.header, d.aml)).toEqual(bytes);
    }
  });
});

describe.skipIf(!real)('real-machine corpus (linuxhw/ACPI, expected.json from iasl)', () => {
  const exp = real ? readJson(path.join(real, 'expected.json')) : { machines: [] };
  const machines = exp.machines as any[];
  it('has machines to check', () => expect(machines.length).toBeGreaterThan(10));
  it.each(machines.map((m) => [m.id, m]))('%s: FADT fields and sleep packages agree', (_id, m) => {
    const facp = readBytes(path.join(real!, m.facp_file));
    compareFadt(facp, m.fadt);
    const dsdt = readBytes(path.join(real!, m.dsdt_file));
    expect(dsdt.length).toBe(m.dsdt_size);
    const scan = findSleepPackages(dsdt, { includeMethods: true });
    for (const n of STATES) compareSleep(scan.packages, n, m.sleep_states?.[n], m.present?.[n]);
    const d = parseDefinitionBlock(dsdt);
    expect(buildDefinitionBlock(d.header, d.aml)).toEqual(dsdt);
  });
});

// The walker's opcode table against real code: every corpus DSDT/SSDT, method bodies included, must walk
// strictly (no skipped block, no unknown opcode) — about 2 MB of real AML.
describe.skipIf(!qemu && !real)('every corpus AML walks strictly, method bodies included', () => {
  const files = [
    ...(real ? readdirSync(real).filter((f) => f.endsWith('.DSDT.aml')).map((f) => path.join(real, f)) : []),
    ...(qemu ? ['pc', 'q35'].flatMap((m) => readdirSync(path.join(qemu, m)).filter((f) => /^(DSDT|SSDT)/.test(f)).map((f) => path.join(qemu, m, f))) : []),
  ];
  it.each(files.map((f) => [path.relative(path.dirname(qemu ?? real!), f), f]))('%s', (_n, f) => {
    const scan = findSleepPackages(readBytes(f), { strict: true, includeMethods: true });
    expect(scan.warnings).toEqual([]);
  });
});
