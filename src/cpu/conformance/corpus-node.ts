/**
 * Node-only loader for a SingleStepTests folder: reads metadata.json (in the
 * folder or its parent), revocation_list.txt, and every <stem>.json.gz.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DIFF_286 } from './diff-286.js';
import { SstRunner, type SstMetadata, type SstResult, type SstTest } from './runner.js';

export class CorpusError extends Error {
  override name = 'CorpusError';
}

function findUp(folder: string, file: string): string | null {
  for (const dir of [folder, dirname(folder)]) if (existsSync(join(dir, file))) return join(dir, file);
  return null;
}

export function runCorpusFolder(folder: string, opts: { only?: string[]; jit?: 'off' | 'eager' } = {}): SstResult {
  if (!existsSync(folder)) throw new CorpusError(`corpus folder ${folder} does not exist`);
  const metaPath = findUp(folder, 'metadata.json');
  if (metaPath === null) throw new CorpusError(`no metadata.json in ${folder} or its parent`);
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as SstMetadata;
  const revPath = findUp(folder, 'revocation_list.txt');
  const revoked = new Set(revPath ? readFileSync(revPath, 'utf8').split(/\s+/).filter(Boolean) : []);
  const files = readdirSync(folder).filter((f) => f.endsWith('.json.gz') || f.endsWith('.json')).sort();
  if (files.length === 0) throw new CorpusError(`no .json.gz test files in ${folder}`);
  const runner = new SstRunner(meta, revoked, opts.jit ?? 'off');
  const result: SstResult = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const f of files) {
    const stem = f.replace(/\.json(\.gz)?$/, '');
    if (opts.only && !opts.only.includes(stem)) continue;
    const raw = readFileSync(join(folder, f));
    let tests: SstTest[];
    try {
      tests = JSON.parse(new TextDecoder().decode(f.endsWith(".gz") ? gunzipSync(new Uint8Array(raw)) : new Uint8Array(raw))) as SstTest[];
    } catch (e) {
      throw new CorpusError(`${f}: not a gzip JSON test file (${(e as Error).message})`);
    }
    if (!Array.isArray(tests)) throw new CorpusError(`${f}: expected a JSON array of tests`);
    runner.runFile(stem, tests, result);
  }
  return result;
}

/** Human-readable report: failures grouped by opcode, then `N passed, M failed`. */
export function formatReport(r: SstResult, perOpcode = 5): string {
  const lines: string[] = [];
  const byStem = new Map<string, typeof r.failures>();
  for (const f of r.failures) {
    const l = byStem.get(f.stem) ?? [];
    l.push(f);
    byStem.set(f.stem, l);
  }
  for (const [stem, fs] of byStem) {
    lines.push(`${stem}: ${fs.length} failed`);
    for (const f of fs.slice(0, perOpcode)) lines.push(`  #${f.idx} ${f.name}: ${f.diffs.join('; ')}`);
  }
  // what each documented 286-vs-386 difference (diff-286.ts) hid: skipped, or passing only through its adjustment
  for (const d of DIFF_286) {
    const n = r.hidden?.[d.id] ?? 0;
    lines.push(`${d.id}: ${n} vectors ${d.action.kind === 'skip' || d.action.kind === 'skip-if-raised' ? 'skipped' : `adjusted (${d.action.kind})`} (${d.forms === '*' ? 'all forms' : d.forms.join(' ')}: ${d.condition})`);
  }
  if (r.skipped) lines.push(`(${r.skipped} skipped in all: the skip entries above, and revoked vectors)`);
  lines.push(`${r.passed} passed, ${r.failed} failed`);
  return lines.join('\n');
}
