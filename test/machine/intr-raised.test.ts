// The PC's 8259 tells the CPU when its INTR output goes up (Cpu.intrRaised), so an interrupt raised in the middle of
// a slice is looked at after the current instruction, not when the slice ends (test/guest-asm/src/intr.asm checks
// the CPU side: the EIP an interrupt raised by an IN is taken at).
import { describe, expect, it } from 'vitest';
import { PcSystem } from '../../src/machine/pc-system.js';

describe('INTR going up reaches the CPU', () => {
  it('PcSystem: the master 8259 output rising calls Cpu.intrRaised once; a second IRQ while it is up does not', () => {
    const sys = new PcSystem({}).powerOn();
    const cpu = sys.cpu;
    let raised = 0;
    const own = cpu.intrRaised.bind(cpu);
    cpu.intrRaised = () => { raised++; own(); };
    cpu.breakLoop = false;
    sys.machine.pic.setIrq(4, true); // COM1's line, unmasked after reset
    expect(raised).toBe(1);
    expect(cpu.breakLoop).toBe(true);
    sys.machine.pic.setIrq(3, true); // INT is already asserted: no new edge at the CPU
    expect(raised).toBe(1);
  });
});
