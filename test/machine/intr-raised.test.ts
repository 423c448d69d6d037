// The PC's 8259 tells the CPU when its INTR output goes up (IntrLine.onIntr, which the CPU wires itself to), so an
// interrupt a device raises in the middle of a slice is taken at the next instruction boundary, not when the slice
// ends (as QEMU's cpu_interrupt makes TCG leave its translation block). test/guest-asm/src/intr.asm checks the same
// on the CPU alone; here it is the machine: a device read raising an IRQ line of PcSystem's own 8259.
import { describe, expect, it } from 'vitest';
import { PortRegion } from '../../src/ioports/index.js';
import { PcSystem } from '../../src/machine/pc-system.js';

const CODE = 0x7000, HANDLER = 0x7100, STACK = 0x6000, DEV_PORT = 0x510;
/** sti / mov dx,DEV_PORT / in al,dx / 32 x nop / hlt: the IN raises IRQ 5 */
const PROGRAM = [0xfb, 0xba, DEV_PORT & 0xff, DEV_PORT >> 8, 0xec, ...Array<number>(32).fill(0x90), 0xf4];
const AFTER_IN = CODE + 5;

/** PcSystem with no firmware, running PROGRAM in real mode; IRQ 5's vector goes to a HLT at HANDLER. */
function machine(jit: boolean): { sys: PcSystem; raised: () => number } {
  const sys = new PcSystem({}).powerOn();
  const m = sys.machine, cpu = sys.cpu;
  cpu.jit = jit;
  let raised = 0;
  // a device whose read asserts IRQ 5 (an edge at the master 8259, unmasked after its reset)
  m.bus.map(new PortRegion({ name: 'irq-on-read', size: 1, read: () => { raised++; m.pic.setIrq(5, true); return 0; }, write: () => {} }, {}), DEV_PORT);
  // LINT0 as ExtINT and unmasked, as firmware programs it (SeaBIOS; after reset the local APIC masks the 8259)
  cpu.lapic.write(0x350, 0x700, 4);
  const vec = m.pic.master.irqBase + 5;
  sys.mem.load(vec * 4, new Uint8Array([HANDLER & 0xff, HANDLER >> 8, 0, 0])); // IVT entry 0000:HANDLER
  sys.mem.load(HANDLER, new Uint8Array([0xf4]));
  sys.mem.load(CODE, new Uint8Array(PROGRAM));
  for (const [r, v] of [['cs', 0], ['ip', CODE], ['ss', 0], ['sp', STACK], ['ds', 0]] as const) cpu.setReg(r, v);
  return { sys, raised: () => raised };
}

describe('INTR going up reaches the CPU', () => {
  for (const jit of [false, true]) {
    it(`PcSystem: an IRQ raised by an IN is taken right after it, in the middle of a slice (blocks ${jit ? 'on' : 'off'})`, () => {
      const { sys, raised } = machine(jit);
      const cpu = sys.cpu;
      cpu.run(10_000);
      expect(raised()).toBe(1);
      // the handler's HLT stopped the CPU, with the interrupted IP on the stack: the instruction after the IN,
      // not the HLT at the NOPs' end (where the interrupt would be taken if the CPU only looked at INTR there)
      expect(cpu.getReg('ip')).toBe(HANDLER + 1);
      expect(cpu.getReg('sp')).toBe(STACK - 6);
      const ram = sys.mem.ram;
      expect(ram[STACK - 6]! | (ram[STACK - 5]! << 8)).toBe(AFTER_IN);
    });
  }

  it('PcSystem: the CPU hears the 8259 output rise once; a second IRQ while it is up is no new edge', () => {
    const sys = new PcSystem({}).powerOn();
    const cpu = sys.cpu;
    let raised = 0;
    const own = cpu.intrRaised.bind(cpu);
    cpu.intrRaised = () => { raised++; own(); };
    sys.machine.pic.setIrq(4, true); // COM1's line, unmasked after reset
    expect(raised).toBe(1);
    sys.machine.pic.setIrq(3, true); // INT is already asserted: no new edge at the CPU
    expect(raised).toBe(1);
  });
});
