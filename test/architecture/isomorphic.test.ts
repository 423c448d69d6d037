/**
 * src/ is isomorphic (Node and browser): only src/cli and Node adapters
 * (files named *-node.ts) may import node:* modules or Node's Buffer/process.
 * And hot paths use Uint8Array/DataView, never Buffer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../../src');
function* files(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}
const isomorphic = [...files(SRC)].filter((p) => {
  const r = relative(SRC, p);
  return !r.startsWith('cli/') && !r.endsWith('-node.ts');
});

describe('src/ stays isomorphic', () => {
  it('finds the isomorphic sources', () => {
    expect(isomorphic.length).toBeGreaterThan(50);
  });

  it.each(isomorphic.map((p) => [relative(SRC, p), p]))('%s imports no node:* module and uses no Buffer/process', (_r, p) => {
    const text = readFileSync(p, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(text).not.toMatch(/from\s+['"](node:|fs['"]|path['"]|os['"]|net['"]|worker_threads['"]|child_process['"])/);
    expect(text).not.toMatch(/import\(\s*['"]node:/);
    expect(text).not.toMatch(/\bBuffer\./);
    expect(text).not.toMatch(/\bprocess\.(env|argv|exit|stdout|stderr|on)\b/);
  });
});
