import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ENGINE_FLAGS, engineFlags } from '../../src/cli/engine-tuning-node.js';

const BUDGET = ENGINE_FLAGS.find((f) => f.startsWith('--interrupt-budget='))!;

describe('V8 tuning of the Node entry points (src/cli/engine-tuning-node.ts)', () => {
  it('raises the interrupt budget above V8\'s default unless node was given one', () => {
    expect(BUDGET).toBeDefined();
    // Node 20's V8 defaults to 66 KiB (`node --v8-options`); the tuning is the point of the file
    const defaultBudget = /--interrupt-budget=(\d+)/.exec(spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout);
    expect(Number(BUDGET.split('=')[1])).toBeGreaterThan(Number(defaultBudget?.[1]));
    expect(engineFlags([])).toEqual([...ENGINE_FLAGS]);
    expect(engineFlags(['--interrupt-budget=1000'])).not.toContain(BUDGET);
    expect(engineFlags(['--interrupt_budget=1000'])).not.toContain(BUDGET); // V8 reads either spelling
    expect(engineFlags(['--max-old-space-size=512'])).toEqual([...ENGINE_FLAGS]);
  });

  it('sets what the process was not given, in a real node process', () => {
    const code = "import('./dist/cli/engine-tuning-node.js').then((m) => console.log(JSON.stringify(m.tuneEngine())))";
    const run = (pre: string[]) => JSON.parse(spawnSync(process.execPath, [...pre, '-e', code], { encoding: 'utf8' }).stdout);
    expect(run([])).toEqual([...ENGINE_FLAGS]);
    expect(run(['--interrupt-budget=90000'])).toEqual(ENGINE_FLAGS.filter((f) => f !== BUDGET));
  });
});
