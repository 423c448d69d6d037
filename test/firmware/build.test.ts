// firmware/build.sh reproduces every committed guest binary byte for byte from its NASM source.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const guests = join(root, 'firmware/guests');
const haveNasm = spawnSync('nasm', ['-v']).status === 0;
const ci = process.env.CI === 'true';

describe('firmware/build.sh', () => {
  if (!haveNasm && !ci) {
    it.skip('skipped: nasm not found (apt-get install nasm); required when CI=true', () => {});
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'acpidm-fw-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('assembles every kernel and matches the committed binaries', () => {
    if (!haveNasm) throw new Error('nasm is required when CI=true (Debian package nasm)');
    const r = spawnSync('bash', [join(root, 'firmware/build.sh'), out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const committed = readdirSync(guests).filter((f) => f.endsWith('.bin')).sort();
    expect(readdirSync(out).filter((f) => f.endsWith('.bin')).sort()).toEqual(committed);
    for (const f of committed) {
      expect(Buffer.compare(readFileSync(join(out, f)), readFileSync(join(guests, f))), f).toBe(0);
    }
    // BIOS images for -bios
    const roms = join(root, 'firmware/roms');
    const committedRoms = readdirSync(roms).filter((f) => f.endsWith('.bin')).sort();
    expect(committedRoms.length).toBeGreaterThan(0);
    for (const f of committedRoms) {
      expect(Buffer.compare(readFileSync(join(out, 'roms', f)), readFileSync(join(roms, f))), f).toBe(0);
    }
  });
});
