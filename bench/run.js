#!/usr/bin/env node
// `npm run bench` prints a table; `npm run bench -- --json` prints a JSON array
// of {name, value, unit, floor?} (npm prints its own "> acpidm bench" banner
// first: `npm run --silent bench -- --json` or `--out FILE` give the bare JSON). `npm run bench -- FILTER` runs bench files
// whose name contains FILTER. Benchmarks import the compiled dist/ build.
import { readdirSync, existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Harness } from './harness.js';

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
for (const f of files) {
  const mod = await import(new URL(f, dir).href);
  await mod.default(h);
}
const plain = h.results.map(({ name, value, unit, floor }) => ({ name, value, unit, ...(floor !== undefined ? { floor } : {}) }));
if (outFile) writeFileSync(outFile, JSON.stringify(plain, null, 1) + '\n');
if (json) {
  process.stdout.write(JSON.stringify(plain, null, 1) + '\n');
} else {
  const fmt = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} k` : v.toFixed(2) + ' ');
  console.log(`node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`);
  const rows = h.results.map((r) => [r.name, `${fmt(r.value)}${r.unit}`, r.floor !== undefined ? `${fmt(r.floor)}${r.unit}` : '', r.floor ? `${((r.value / r.floor) * 100).toFixed(1)}%` : '', r.rme !== undefined ? `±${r.rme.toFixed(1)}% (${r.samples})` : '', r.note ?? '']);
  const head = ['benchmark', 'value', 'floor', 'of floor', 'margin (samples)', 'note'];
  const w = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}
