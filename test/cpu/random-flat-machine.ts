// Random guest code for the fuzz tests: random bytes below 1 MiB, then a flat GDT at 0x90000 (null, code 0x08,
// data 0x10) and an IDT at 0x91000 whose 256 interrupt gates lead to more random code, so a run goes on after
// faults. `enter` switches the CPU to flat protected mode at a random EIP with these tables.
import type { Cpu } from '../../src/cpu/cpu.js';

export function fillRandom(ram: Uint8Array, next: () => number): void {
  for (let i = 0; i < 0x100000; i += 4) { const v = next(); ram[i] = v; ram[i + 1] = v >>> 8; ram[i + 2] = v >>> 16; ram[i + 3] = v >>> 24; }
}

export function enterRandomFlat(cpu: Cpu, ram: Uint8Array, next: () => number, regs: Record<string, number>): void {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  dv.setUint32(0x90000, 0); dv.setUint32(0x90004, 0);
  dv.setUint32(0x90008, 0x0000ffff, true); dv.setUint32(0x9000c, 0x00cf9a00, true);
  dv.setUint32(0x90010, 0x0000ffff, true); dv.setUint32(0x90014, 0x00cf9200, true);
  for (let v = 0; v < 256; v++) {
    const off = next() & 0xfffff;
    dv.setUint32(0x91000 + v * 8, (8 << 16) | (off & 0xffff), true);
    dv.setUint32(0x91004 + v * 8, (off & 0xffff0000) | 0x8e00, true);
  }
  cpu.setFlatProtectedMode(next() & 0xfffff, regs);
  cpu.gdtBase = 0x90000; cpu.gdtLimit = 23; cpu.idtBase = 0x91000; cpu.idtLimit = 0x7ff;
}
