// Code that keeps writing over its own page invalidates compiled code after every instruction; the compiler
// must not rebuild whole pages every few instructions (issue 15: a random 64 KiB -bios grew to ~740 MB for
// 200 M instructions). Here: a ROM jumps to 1000:0000 in zeroed RAM, where `add [bx+si], al` (00 00) writes
// into the code page it runs from (DS = 0x1000), lap after lap. The compile budget bounds the work.
import { describe, expect, it } from 'vitest';
import { PcSystem } from '../../src/machine/pc-system.js';

function selfInvalidatingBios(): Uint8Array {
  const rom = new Uint8Array(64 * 1024);
  // at the reset vector F000:FFF0: mov ax, 0x1000; mov ds, ax; jmp far 1000:0000
  rom.set([0xb8, 0x00, 0x10, 0x8e, 0xd8, 0xea, 0x00, 0x00, 0x00, 0x10], 0xfff0);
  return rom;
}

describe('compile budget', () => {
  it('self-invalidating code: compiled instructions stay within the budget (1 per 16 retired + 256 K burst)', () => {
    const sys = new PcSystem({ memoryMiB: 2, debugcon: [], bios: selfInvalidatingBios() });
    sys.powerOn();
    sys.mem.ram.set([0xea, 0x00, 0x00, 0x00, 0x10], 0x1ff00); // at 1000:FF00: jmp far 1000:0000 (the next lap)
    sys.cpu.invalidateCode();
    sys.machine.start();
    const N = 600_000;
    expect(sys.run(N).kind).toBe('budget');
    expect(sys.machine.clock.instructions).toBe(N);
    expect(sys.cpu.insnsCompiled).toBeLessThanOrEqual(262_144 + N / 16 + 4096);
  });

  it('a guest loop still compiles (the budget does not switch the compiler off)', () => {
    const rom = new Uint8Array(64 * 1024);
    rom.set([0x49, 0xeb, 0xfd], 0xfff0); // dec cx; jmp short -3 (runs from ROM, never written)
    const sys = new PcSystem({ memoryMiB: 2, debugcon: [], bios: rom });
    sys.powerOn();
    sys.machine.start();
    sys.run(100_000);
    expect(sys.cpu.blocksCompiled).toBeGreaterThan(0);
  });
});
