// Corpus-backed tests (../shared/corpus): by hand, a missing corpus skips with a message naming the folder;
// under CI=true it is a failure, as a missing Debian tool is. ACPIDM_CORPUS points elsewhere (the gate's own
// test uses it to prove a missing corpus fails under CI=true).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

export const CI = process.env.CI === 'true';
/** The shared corpus root: $ACPIDM_CORPUS or the repo's ../shared/corpus. */
export const CORPUS_ROOT = process.env.ACPIDM_CORPUS
  ? path.resolve(process.env.ACPIDM_CORPUS)
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/corpus');

/** `dir` when `dir/marker` exists, else undefined. */
export function corpusPath(rel: string, marker = 'expected.json'): string | undefined {
  const d = path.join(CORPUS_ROOT, rel);
  return existsSync(path.join(d, marker)) ? d : undefined;
}

/**
 * Registers one test saying whether the corpus `rel` is there: a skip naming the folder when it is absent
 * and run by hand, a failure when absent under CI=true. Call it at the top of a corpus-backed test file;
 * the file's other tests keep their `skipIf(!dir)`.
 */
export function requireCorpus(rel: string, dir: string | undefined): void {
  const where = path.join(CORPUS_ROOT, rel);
  describe(`corpus ${rel}`, () => {
    if (dir) it(`is present at ${where}`, () => expect(existsSync(dir)).toBe(true));
    else if (CI) it(`is present at ${where} (required under CI=true)`, () => expect.fail(`corpus missing: ${where} (CI=true requires it)`));
    else it.skip(`corpus absent at ${where}: its tests are skipped (they fail under CI=true)`, () => {});
  });
}
