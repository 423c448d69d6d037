// No merge-conflict markers in tracked text files (one reached main in src/machine/README.md: a README that
// shows `<<<<<<< HEAD` tells nobody the truth).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const TEXT = /\.(ts|js|mjs|md|json|asm|asl|cfg|sh|html|css)$|(^|\/)(run|Makefile)$/;

describe('merge-conflict markers', () => {
  it('no tracked text file has a line starting with <<<<<<<, ======= alone, or >>>>>>>', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => TEXT.test(f));
    expect(files.length).toBeGreaterThan(100);
    const bad: string[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(path.join(root, f), 'utf8');
      } catch {
        continue; // listed but not in this checkout (a deleted file not yet committed)
      }
      text.split('\n').forEach((l, i) => {
        if (/^(<{7}|>{7})( |$)|^={7}$/.test(l)) bad.push(`${f}:${i + 1}: ${l}`);
      });
    }
    expect(bad).toEqual([]);
  });
});
