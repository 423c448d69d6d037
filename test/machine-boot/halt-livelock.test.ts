// A halted CPU whose local APIC masks LINT0 cannot take the 8259's INTR (qemu-pm.md §13): the machine must
// report it idle instead of spinning on an interrupt that can never be delivered. The guest runs in a child
// process with a time limit (the compiled dist/), so a returning livelock fails this test instead of hanging it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const SCRIPT = `
import { PcSystem } from './dist/machine/pc-system.js';
const sys = new PcSystem({ memoryMiB: 2, debugcon: [] });
sys.powerOn();
sys.mem.ram.set([0xfb, 0xf4, 0xeb, 0xfd], 0x7c00); // sti; hlt; jmp $-1
sys.cpu.setReg('cs', 0);
sys.cpu.setReg('eip', 0x7c00);
sys.cpu.invalidateCode();
sys.machine.start();
// IRQ 1 raised on the master 8259: INTR is asserted, but LINT0 is still masked from reset.
sys.machine.pic.setIrq(1, true);
const before = { intr: sys.machine.pic.intr(), canTake: sys.cpu.canTakeInterrupt() };
const out = sys.run(1_000_000);
console.log(JSON.stringify({ ...before, out, insns: sys.machine.clock.instructions }));
`;

describe('halted CPU with an undeliverable PIC interrupt', () => {
  it('is idle (waiting for the host), not a livelock (child process, 20 s limit)', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(r.error?.message ?? '', 'the guest run did not finish within 20 s: livelock').not.toMatch(/ETIMEDOUT/);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim());
    expect(res.intr).toBe(true);
    expect(res.canTake).toBe(false);
    expect(res.out).toEqual({ kind: 'halted' });
    expect(res.insns).toBeLessThan(10);
  }, 30_000);
});
