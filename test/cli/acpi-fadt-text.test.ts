// `acpidm acpi fadt FILE` prints ports in hex like iasl (issue 15): every `Name : Value` line it prints for a
// field iasl also shows reads the same in `iasl -d` of the same table (Debian's acpica-tools; skipped by hand
// without it, required under CI=true). An X_ address stands in for a zero 32-bit one and says so.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFadt, buildFadt, ioGas } from '../../src/acpi/tables/index.js';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../tmp-dir.js';

const hasIasl = spawnSync('iasl', ['-v'], { encoding: 'utf8' }).status === 0;
const CI = process.env.CI === 'true';
const dir = tempDir('acpidm-fadt-text-');

async function fadt(file: string, ...flags: string[]) {
  const io = captureIo();
  const code = await main(['acpi', 'fadt', file, ...flags], io);
  return { code, out: io.out, err: io.err };
}

/** `Name : VALUE` pairs of our output (the flag-name line has no colon). */
const pairs = (text: string) => text.split('\n').filter((l) => l.includes(' : ')).map((l) => {
  const [k, v] = l.split(' : ');
  return [k!.trim(), v!.trim()] as const;
});

describe('acpidm acpi fadt (text)', () => {
  it.each(['pc', 'xen'])('%s profile: the fields read as iasl -d reads them (hex, same widths)', async (profile) => {
    if (!hasIasl) {
      if (CI) expect.fail('iasl (acpica-tools) is required under CI=true');
      console.warn('skipping: iasl (Debian acpica-tools) is not installed');
      return;
    }
    const d = path.join(dir, profile);
    expect(await main(['acpi', 'dump', '--profile', profile, d], captureIo())).toBe(0);
    const ours = await fadt(path.join(d, 'FACP'));
    expect(ours.code).toBe(0);
    writeFileSync(path.join(d, 'facp.dat'), readFileSync(path.join(d, 'FACP')));
    const r = spawnSync('iasl', ['-d', 'facp.dat'], { cwd: d, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const dsl = readFileSync(path.join(d, 'facp.dsl'), 'utf8');
    // the first line of each name: the 32-bit field (a revision 3+ table repeats some names for its X_ fields)
    const theirs = new Map<string, string>();
    for (const m of dsl.matchAll(/^\[[0-9A-F]+h \d+ +\d+\]\s+(.+?) : (.+)$/gm)) if (!theirs.has(m[1]!.trim())) theirs.set(m[1]!.trim(), m[2]!.trim());
    const checked = pairs(ours.out).filter(([k]) => theirs.has(k));
    expect(checked.map(([k]) => k)).toEqual(expect.arrayContaining(['PM1A Event Block Address', 'PM1A Control Block Address', 'PM Timer Block Address', 'GPE0 Block Address', 'SMI Command Port', 'SCI Interrupt']));
    for (const [k, v] of checked) expect(theirs.get(k)!.startsWith(v), `${k}: ours ${v}, iasl ${theirs.get(k)}`).toBe(true);
  });

  it('pc: PM1a_CNT at 0x604 printed as 00000604; --json keeps numbers', async () => {
    const d = path.join(dir, 'pc-own');
    expect(await main(['acpi', 'dump', d], captureIo())).toBe(0);
    const t = await fadt(path.join(d, 'FACP'));
    expect(t.out).toMatch(/^ +PM1A Control Block Address : 00000604$/m);
    expect(t.out).not.toMatch(/\b1540\b/); // 0x604 in decimal
    expect(JSON.parse((await fadt(path.join(d, 'FACP'), '--json')).out)).toMatchObject({ pm1aCntBlk: 0x604 });
  });

  it('an X_ address where the 32-bit field is zero: 16 hex digits and where it came from', async () => {
    const d = path.join(dir, 'xen-x');
    expect(await main(['acpi', 'dump', '--profile', 'xen', d], captureIo())).toBe(0);
    const f = parseFadt(new Uint8Array(readFileSync(path.join(d, 'FACP'))));
    const x = { ...f, pm1aCntBlk: 0, xPm1aCntBlk: ioGas(0x1804, 16) };
    writeFileSync(path.join(d, 'FACP.x'), buildFadt(x));
    const t = await fadt(path.join(d, 'FACP.x'));
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/PM1A Control Block Address : 0000000000001804 \(from X_PM1a_CNT_BLK; the 32-bit field is 0\)/);
  });
});
