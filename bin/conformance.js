#!/usr/bin/env node
// npm run conformance -- <folder> [stem...]: run SingleStepTests-format vectors on the acpidm CPU.
// The runner lives in src/cpu/conformance (built into dist/ by `npm run build`).
import { formatReport, runCorpusFolder } from '../dist/cpu/conformance/corpus-node.js';

const [folder, ...only] = process.argv.slice(2);
if (!folder) {
  process.stderr.write('usage: npm run conformance -- <folder of SingleStepTests .json.gz files> [opcode stems...]\n');
  process.exit(2);
}
try {
  const r = runCorpusFolder(folder, only.length ? { only } : {});
  process.stdout.write(formatReport(r) + '\n');
  process.exit(r.failed === 0 ? 0 : 1);
} catch (e) {
  process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
