// `npm test` leaves no temporary folders behind (issue 15: ~35 /tmp/acpidm-* after a run).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const testFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : /\.ts$/.test(e.name) ? [path.join(dir, e.name)] : []));

describe('temporary folders', () => {
  it('every test file that makes a folder with mkdtempSync also removes it (or uses tempDir())', () => {
    const leaky = testFiles(path.join(root, 'test'))
      .filter((f) => !f.endsWith('tmp-dir.ts') && !f.endsWith('tmp-cleanup.test.ts'))
      .filter((f) => { const s = readFileSync(f, 'utf8'); return s.includes('mkdtempSync(') && !s.includes('rmSync('); });
    expect(leaky.map((f) => path.relative(root, f))).toEqual([]);
  });

  it('running test files that make folders leaves TMPDIR as it found it', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'acpidm-tmpcheck-'));
    try {
      const files = ['test/cli/run-bios.test.ts', 'test/cli/run.test.ts', 'test/xenstore/malformed.test.ts', 'test/xen/cli.test.ts'];
      const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], {
        cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});
