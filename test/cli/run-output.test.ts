// Output a person reads (issue 15): no "(1 handlers)" / "1 instructions", the PM block is not reported unmapped
// before it is first mapped, debug-console lines appear once with -debugcon stdio, and a line says where the
// guest's console goes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';

const poweroff = join(import.meta.dirname, '../../firmware/guests/poweroff.bin');
async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(['run', ...argv], io);
  return { code, out: io.out };
}

describe('acpidm run output', () => {
  it('singular counts read as singular', async () => {
    const r = await run('-kernel', poweroff, '--max-insns', '1');
    expect(r.code).toBe(4);
    expect(r.out).toContain('devices reset (1 handler)');
    expect(r.out).toContain('the instruction budget of 1 instruction (--max-insns)');
    expect(r.out).not.toMatch(/\b1 (handlers|instructions)\b/);
  });

  it('the PM block appears once, mapped at 0x600, with no "unmapped" before it', async () => {
    const r = await run();
    const pm = r.out.split('\n').filter((l) => l.includes('piix4_pm_io_space_update'));
    expect(pm[0]).toContain('PM block at 0x0600');
    expect(r.out.indexOf('PM block unmapped')).toBe(-1);
  });

  it('-debugcon stdio: each guest line once, and the console destination is said', async () => {
    const r = await run('-kernel', poweroff, '-debugcon', 'stdio');
    expect(r.code).toBe(0);
    expect(r.out.match(/multiboot: magic 0x2BADB002/g)).toHaveLength(1);
    expect(r.out).toContain('guest debug console (port 0xe9) -> standard output');
    const f = await run('-kernel', poweroff, '-debugcon', 'null');
    expect(f.out).toContain('guest debug console (port 0xe9) -> the timeline only');
  });
});
