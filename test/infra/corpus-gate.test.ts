// Corpus-backed tests must fail under CI=true when ../shared/corpus is missing (issue 15), and skip with a
// message naming the folder when run by hand. Runs vitest on those files with ACPIDM_CORPUS pointing nowhere.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const FILES = [
  'test/acpi-tables/corpus.test.ts', 'test/acpi-tables/fuzz.test.ts', 'test/acpi-tables/profiles-install.test.ts',
  'test/acpi-tables/cli.test.ts', 'test/firmware/guest-aml-corpus.test.ts',
];

function vitest(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=verbose', ...FILES], {
    cwd: root, encoding: 'utf8', timeout: 240_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ACPIDM_CORPUS: '/nonexistent/acpidm-corpus', ...env },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('corpus gate', () => {
  it('with the corpus missing, CI=true fails every corpus-backed file', () => {
    const r = vitest({ CI: 'true' });
    expect(r.status).not.toBe(0);
      for (const f of FILES) expect(r.out.split('\n').some((l) => l.includes(f) && l.includes('required under CI=true')), f).toBe(true);
    expect(r.out).toContain('corpus missing: /nonexistent/acpidm-corpus/acpi/');
  }, 300_000);

  it('with the corpus missing, a run by hand passes and names the missing folder', () => {
    const r = vitest({ CI: 'false' });
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('corpus absent at /nonexistent/acpidm-corpus/acpi/real');
  }, 300_000);
});
