// Temporary folders for tests, removed after each test file (test/setup-tmp.ts), so `npm test` leaves no
// /tmp/acpidm-* behind even when an assertion fails half-way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A fresh folder under the OS temp dir, named PREFIX-XXXXXX; removed when the test file ends. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix.endsWith('-') ? prefix : `${prefix}-`));
  made.add(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  made.clear();
}
