// `acpidm acpi ...` through the real dispatcher (src/cli/main.ts), output captured.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { findSleepPackages, summarizeSleepTypes } from '../../src/acpi/aml/index.js';
import { parseFadt, parseRsdp, sum8 } from '../../src/acpi/tables/index.js';
import { corpusDir, readJson } from './corpus-helpers.js';

const real = corpusDir('real');
const tmp = mkdtempSync(path.join(tmpdir(), 'acpidm-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['acpi', ...argv], io);
  return { code, out: io.out, err: io.err };
}

describe('acpidm acpi sleep-types', () => {
  it.skipIf(!real)('prints the states present with values and conditional, as iasl saw them (real corpus)', async () => {
    const exp = readJson(path.join(real!, 'expected.json'));
    for (const m of exp.machines.slice(0, 6)) {
      const r = await run('sleep-types', path.join(real!, m.dsdt_file));
      expect(r.code).toBe(0);
      const want: Record<string, unknown> = {};
      for (const s of ['S3', 'S4', 'S5']) {
        const defs = m.sleep_states[`_${s}_`];
        if (defs) want[s] = { values: defs[0].values, conditional: defs[0].conditional };
      }
      const got = JSON.parse(r.out);
      expect(Object.fromEntries(Object.entries(got).filter(([k]) => k >= 'S3')), m.id).toEqual(want);
    }
  });
  it('--all lists every definition with its path and context', async () => {
    const dir = path.join(tmp, 'pc');
    expect((await run('dump', dir)).code).toBe(0);
    const r = await run('sleep-types', '--all', path.join(dir, 'DSDT'));
    expect(JSON.parse(r.out).map((p: any) => [p.state, p.path, p.context])).toEqual([
      ['S3', '\\_S3_', ['Scope (\\)']], ['S4', '\\_S4_', ['Scope (\\)']], ['S5', '\\_S5_', ['Scope (\\)']],
    ]);
  });
  it('a missing file, a non-DSDT file and truncated AML give a clear error and a non-zero status', async () => {
    const missing = await run('sleep-types', path.join(tmp, 'nope.aml'));
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/cannot read .*nope\.aml: ENOENT/);
    const junk = path.join(tmp, 'junk.bin');
    writeFileSync(junk, 'RSD PTR not a table at all, just text');
    const bad = await run('sleep-types', junk);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/expected DSDT or SSDT|exceeds/);
    const dsdt = readFileSync(path.join(tmp, 'pc', 'DSDT'));
    const cut = path.join(tmp, 'cut.aml');
    writeFileSync(cut, new Uint8Array(dsdt.subarray(0, 60)));
    const t = await run('sleep-types', cut);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/offset 0x/);
  });
});

/** Formats tables the way acpidump prints them. */
function acpidumpText(tables: { sig: string; address: number; bytes: Uint8Array }[]): string {
  return tables.map(({ sig, address, bytes }) => {
    const lines = [`${sig} @ 0x${address.toString(16).padStart(16, '0')}`];
    for (let o = 0; o < bytes.length; o += 16) {
      const row = Array.from(bytes.subarray(o, o + 16));
      lines.push(`    ${o.toString(16).toUpperCase().padStart(4, '0')}: ${row.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ').padEnd(47)}  ${row.map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('')}`);
    }
    return lines.join('\n') + '\n';
  }).join('\n');
}

describe('acpidump text input', () => {
  it('sleep-types reads the DSDT and every SSDT of an acpidump file; fadt reads its FACP', async () => {
    const dir = path.join(tmp, 'xen-for-dump');
    expect((await run('dump', '--profile', 'xen', dir)).code).toBe(0);
    const t = (sig: string, file: string, address: number) => ({ sig, address, bytes: new Uint8Array(readFileSync(path.join(dir, file))) });
    const txt = path.join(tmp, 'acpidump.txt');
    writeFileSync(txt, acpidumpText([t('FACP', 'FACP', 0x7fff0a0), t('DSDT', 'DSDT', 0x7fff040), t('SSDT', 'SSDT', 0x7fff220), t('SSDT', 'SSDT.2', 0x7fff250), t('RSDP', 'RSDP', 0xf5a00)]));
    const r = await run('sleep-types', txt);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ S3: { values: [1, 1, 0, 0], conditional: false }, S4: { values: [0, 0, 0, 0], conditional: false }, S5: { values: [0, 0, 0, 0], conditional: false } });
    const f = await run('fadt', '--json', txt);
    expect(JSON.parse(f.out)).toMatchObject({ revision: 4, pm1aCntBlk: 0xb004 });
  });
  it('a data line out of sequence is an error naming the line', async () => {
    const txt = path.join(tmp, 'broken.txt');
    writeFileSync(txt, 'DSDT @ 0x0000000000001000\n    0000: 44 53 44 54 24 00 00 00\n    0020: 00 00\n');
    const r = await run('sleep-types', txt);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 3: offset 0x0020/);
  });
});

describe('acpidm acpi fadt', () => {
  it.skipIf(!real)('uses X_PM1a_CNT where the 32-bit PM1a_CNT_BLK is zero (HUAWEI BOD-WXX9)', async () => {
    const r = await run('fadt', '--json', path.join(real!, 'Notebook_HUAWEI_BOD-WXX9_2052EC1EF02F.FACP.aml'));
    expect(r.code).toBe(0);
    const f = JSON.parse(r.out);
    expect(f.pm1aCntBlk).toBe(0x1804);
    expect(f.fromXFields).toContain('pm1aCntBlk');
  });
  it('prints the pc profile FADT values', async () => {
    const r = await run('fadt', '--json', path.join(tmp, 'pc', 'FACP'));
    expect(JSON.parse(r.out)).toMatchObject({ revision: 1, pm1aCntBlk: 0x604, pm1aEvtBlk: 0x600, pmTmrBlk: 0x608, gpe0Blk: 0xafe0, sciInt: 9, smiCmd: 0xb2, flags: 0x80a5, fromXFields: [] });
  });
});

describe('acpidm acpi dump', () => {
  it('-global PIIX4_PM.disable_s3=1 drops \\_S3_ from the DSDT; files are named like QEMU test data', async () => {
    const dir = path.join(tmp, 'pc-nos3');
    const r = await run('dump', '--profile', 'pc', '-global', 'PIIX4_PM.disable_s3=1', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/S3 disabled/);
    const dsdt = new Uint8Array(readFileSync(path.join(dir, 'DSDT')));
    expect(Object.keys(summarizeSleepTypes(findSleepPackages(dsdt).packages))).toEqual(['S4', 'S5']);
    const rsdp = new Uint8Array(readFileSync(path.join(dir, 'RSDP')));
    expect(parseRsdp(rsdp, { strictChecksum: true }).revision).toBe(0);
    for (const n of ['FACP', 'FACS', 'RSDT', 'DSDT']) expect(readFileSync(path.join(dir, n)).length).toBeGreaterThan(0);
  });
  it('--profile xen writes XSDT, both FADTs and the S3/S4 SSDTs', async () => {
    const dir = path.join(tmp, 'xen');
    expect((await run('dump', '--profile', 'xen', dir)).code).toBe(0);
    const f = parseFadt(new Uint8Array(readFileSync(path.join(dir, 'FACP'))), { strictChecksum: true });
    expect([f.header.revision, f.pm1aCntBlk]).toEqual([4, 0xb004]);
    const ssdt = new Uint8Array(readFileSync(path.join(dir, 'SSDT')));
    expect(sum8(ssdt, 0, ssdt.length)).toBe(0);
    expect(summarizeSleepTypes(findSleepPackages(ssdt).packages).S3?.values).toEqual([1, 1, 0, 0]);
    const noS3 = path.join(tmp, 'xen-nos3');
    expect((await run('dump', '--profile', 'xen', '-global', 'xen.acpi_s3=0', noS3)).code).toBe(0);
    expect(summarizeSleepTypes(findSleepPackages(new Uint8Array(readFileSync(path.join(noS3, 'SSDT')))).packages).S4?.values).toEqual([0, 0, 0, 0]);
  });
  it.each([
    [['dump', '--profile', 'q35', 'x'], /unknown profile/],
    [['dump', '-global', 'PIIX4_PM.s4_val=12', 'x'], /0..7/],
    [['dump'], /one output DIR/],
    [['frobnicate'], /unknown subcommand/],
    [['fadt'], /one FILE/],
  ])('%j is rejected with a clear message', async (argv, msg) => {
    const r = await run(...(argv as string[]));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(msg);
  });
});
