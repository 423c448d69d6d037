/**
 * The layering of src/README.md, enforced: each top-level folder of src/
 * imports only the folders below it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../../src');
const ALLOWED: Record<string, string[]> = {
  trace: [],
  clock: [],
  memory: [],
  ioports: ['trace'],
  acpi: ['ioports', 'trace', 'clock'],
  cpu: ['ioports', 'memory', 'trace', 'clock'],
  piix4: ['acpi', 'ioports', 'trace', 'clock'],
  machine: ['cpu', 'piix4', 'acpi', 'ioports', 'memory', 'trace', 'clock'],
  ioreq: ['ioports', 'memory', 'trace', 'clock'],
  qmp: ['machine', 'cpu', 'piix4', 'acpi', 'ioports', 'memory', 'trace', 'clock'],
  lifecycle: ['qmp', 'machine', 'cpu', 'piix4', 'acpi', 'ioports', 'memory', 'trace', 'clock'],
  'xen-hvm': ['ioreq', 'machine', 'cpu', 'piix4', 'acpi', 'ioports', 'memory', 'trace', 'clock'],
  diagram: ['machine', 'cpu', 'piix4', 'acpi', 'ioports', 'memory', 'trace', 'clock'],
};

function* files(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

describe('src/ layering (src/README.md)', () => {
  it.each(Object.keys(ALLOWED))('%s imports only the layers below it', (top) => {
    const bad: string[] = [];
    for (const f of files(join(SRC, top))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = relative(SRC, join(f, '..', m[1]!)).split('/')[0]!;
        if (target !== top && !ALLOWED[top]!.includes(target)) bad.push(`${relative(SRC, f)} -> ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every top-level folder of src/ has a README and a layering rule', () => {
    const tops = readdirSync(SRC).filter((d) => statSync(join(SRC, d)).isDirectory());
    for (const t of tops) {
      expect(statSync(join(SRC, t, 'README.md')).isFile(), `${t}/README.md`).toBe(true);
      if (t !== 'cli') expect(ALLOWED[t], `layering rule for ${t}`).toBeDefined();
    }
  });
});
