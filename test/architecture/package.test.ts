// The package's own entry points (package.json "exports" and "bin") resolve to the build `npm test` makes first.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');

describe('package entry points', () => {
  it('`import("acpidm")` gives the public API from dist/', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e',
      'const m = await import("acpidm"); console.log(JSON.stringify({ sys: typeof m.PcSystem, decode: m.decodeSleep(0x2000, m.qemuPcPolicy()) }))'],
      { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.sys).toBe('function');
    expect(out.decode).toMatchObject({ kind: 'sleep', state: 'S5', typ: 0 });
  });

  it('the `acpidm` bin prints usage and exits 2 without a command', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/acpidm.js')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('usage: acpidm <command>');
  });
});
