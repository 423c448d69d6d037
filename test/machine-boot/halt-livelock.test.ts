// A halted CPU whose local APIC masks LINT0 cannot take the 8259's INTR (qemu-pm.md §13): the machine must
// report it idle instead of spinning on an interrupt that can never be delivered.
import { describe, expect, it } from 'vitest';
import { PcSystem } from '../../src/machine/pc-system.js';

describe('halted CPU with an undeliverable PIC interrupt', () => {
  it('is idle (waiting for the host), not a livelock', () => {
    const sys = new PcSystem({ memoryMiB: 2, debugcon: [] });
    sys.powerOn();
    sys.mem.ram.set([0xfb, 0xf4, 0xeb, 0xfd], 0x7c00); // sti; hlt; jmp $-1
    sys.cpu.setReg('cs', 0);
    sys.cpu.setReg('eip', 0x7c00);
    sys.cpu.invalidateCode();
    sys.machine.start();
    // IRQ 1 raised on the master 8259: INTR is asserted, but LINT0 is still masked from reset.
    sys.machine.pic.setIrq(1, true);
    expect(sys.machine.pic.intr()).toBe(true);
    expect(sys.cpu.canTakeInterrupt()).toBe(false);
    const out = sys.run(1_000_000);
    expect(out).toEqual({ kind: 'halted' });
    expect(sys.machine.clock.instructions).toBeLessThan(10);
  });
});
