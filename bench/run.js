#!/usr/bin/env node
// `npm run bench` prints a table; `npm run bench -- --json` prints a JSON array
// of {name, value, unit, floor?} (npm prints its own "> acpidm bench" banner
// first: `npm run --silent bench -- --json` or `--out FILE` give the bare JSON). `npm run bench -- FILTER` runs bench files
// whose name contains FILTER. Benchmarks import the compiled dist/ build; each file runs in its own node process.
// A progress line per bench file goes to stderr; the table (bench/format.js: natural units, lines within 120
// columns) or the JSON to stdout.
import { readdirSync, existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Harness } from './harness.js';
import { formatTable, progressDone, progressStart } from './format.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args[outAt + 1] : null;
if (outAt >= 0 && !outFile) {
  console.error('bench: --out needs a file name');
  process.exit(2);
}
const filters = args.filter((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1));
if (!existsSync(new URL('../dist/', import.meta.url))) {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const dir = new URL('./', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js') && (filters.length === 0 || filters.some((x) => f.includes(x)))).sort();
const h = new Harness();
const childAt = args.indexOf('--child');
if (childAt >= 0) {
  // the child half: run one bench file and hand its results (with margins and notes) to the parent on stdout.
  // It runs acpidm as the CLI does, with V8's tiering tuned for an emulator (src/cli/engine-tuning-node.ts).
  (await import('../dist/cli/engine-tuning-node.js')).tuneEngine();
  const mod = await import(new URL(args[childAt + 1], dir).href);
  await mod.default(h);
  process.stdout.write(JSON.stringify(h.results));
  process.exit(0);
}
for (const [i, f] of files.entries()) {
  // Each file runs in a fresh node process: the CPU's code is shared by every machine in one V8 isolate, so type
  // feedback and optimised code left by one file's workloads changed the next file's figures (the interpreter
  // against Bochs read 0.81x after bench/cpu in one process and 1.04-1.17x alone, 2026-12-04).
  // One progress line per file on stderr, so stdout stays the table or the bare JSON.
  process.stderr.write(progressStart(i + 1, files.length, f));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', f], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    process.stderr.write('\n');
    console.error(`bench: ${f} failed (${r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`)})`);
    process.exit(1);
  }
  const results = JSON.parse(r.stdout);
  h.results.push(...results);
  process.stderr.write(progressDone((performance.now() - t0) / 1000, results.length));
}
const plain = h.results.map(({ name, value, unit, floor }) => ({ name, value, unit, ...(floor !== undefined ? { floor } : {}) }));
if (outFile) writeFileSync(outFile, JSON.stringify(plain, null, 1) + '\n');
if (json) {
  process.stdout.write(JSON.stringify(plain, null, 1) + '\n');
} else {
  console.log(`node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`);
  for (const l of formatTable(h.results)) console.log(l);
}
