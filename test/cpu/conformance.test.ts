// SingleStepTests 80286 real-mode vectors (hardware-captured on a Harris N80C286-12), the shared slice.
// Masks: only those the corpus README documents (see src/cpu/conformance/runner.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatReport, runCorpusFolder } from '../../src/cpu/conformance/corpus-node.js';

const folder = fileURLToPath(new URL('../../../shared/corpus/singlestep/80286/v1_real_mode', import.meta.url));
const present = existsSync(folder);

describe('SingleStepTests 80286 v1_real_mode (shared slice)', () => {
  it.skipIf(!present)('passes every vector', () => {
    const r = runCorpusFolder(folder);
    if (r.failed > 0) console.error(formatReport(r));
    expect(r.passed).toBeGreaterThanOrEqual(16000);
    expect(r.failed).toBe(0);
  });
  it.skipIf(!present)('passes every vector with the block compiler translating each instruction', () => {
    const r = runCorpusFolder(folder, { jit: 'eager' });
    if (r.failed > 0) console.error(formatReport(r));
    expect(r.failed).toBe(0);
  });
  it.runIf(!present)('corpus absent: skipped', () => {
    console.warn(`SKIP: ${folder} not found; the conformance slice lives in the repo's ../shared/corpus`);
  });
});
