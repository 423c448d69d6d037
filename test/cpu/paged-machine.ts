// A flat protected-mode machine with paging on, for tests that need a page fault: GDT (flat code 0x08, data 0x10),
// an IDT whose vector v is a HLT at HANDLERS + 16v, the first 4 MiB identity-mapped with 4 KiB pages except the
// pages the test leaves out. `code` runs right after the preamble that loads the IDT and turns paging on.
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const CODE = 0x100000, GDT = 0x1000, IDT = 0x2000, IDTR = 0x3000, PD = 0x10000, PT = 0x11000, HANDLERS = 0x100800;

export interface PagedRun { cpu: Cpu; ram: Uint8Array; exit: string; vector: number }

/**
 * Build the machine, let `setup` fill RAM, run `code` (which should end in HLT) to its exit (interpreted unless
 * `jit`), and report the exception vector whose handler halted (-1 when none did).
 */
export function runPaged(
  code: number[],
  o: { notPresent: number[]; setup?: (ram: Uint8Array) => void; jit?: boolean; jitThreshold?: number; wasmInterp?: boolean },
): PagedRun {
  const mem = new PhysMemory(4 << 20);
  // jit: every block start compiles at its first visit (and runs compiled from the second), unless jitThreshold says
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit: o.jit ?? false, jitThreshold: o.jitThreshold ?? 0, wasmInterp: o.wasmInterp ?? false });
  const ram = mem.ram;
  ram.set([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0], GDT);
  for (let v = 0; v < 32; v++) {
    const h = HANDLERS + 16 * v;
    ram.set([h & 0xff, (h >>> 8) & 0xff, 0x08, 0, 0, 0x8e, (h >>> 16) & 0xff, h >>> 24], IDT + 8 * v);
    ram[h] = 0xf4;
  }
  ram.set([0xff, 0, ...le32(IDT)], IDTR);
  ram.set(le32(PT | 3), PD);
  for (let p = 0; p < 1024; p++) ram.set(le32(o.notPresent.includes(p * 0x1000) ? 0 : (p * 0x1000) | 3), PT + 4 * p);
  o.setup?.(ram);
  const preamble = [
    0x0f, 0x01, 0x1d, ...le32(IDTR),                                // lidt [IDTR]
    0xb8, ...le32(PD), 0x0f, 0x22, 0xd8,                            // mov eax, PD / mov cr3, eax
    0x0f, 0x20, 0xc0, 0x0d, ...le32(0x80000000), 0x0f, 0x22, 0xc0, // cr0.PG = 1
  ];
  mem.load(CODE, new Uint8Array([...preamble, ...code]));
  cpu.setFlatProtectedMode(CODE, { esp: 0x80000 }, { cs: 0x08, ds: 0x10, gdtBase: GDT, gdtLimit: 23 });
  const exit = cpu.run(10_000_000);
  const eip = cpu.getReg('eip');
  const vector = eip > HANDLERS && eip <= HANDLERS + 16 * 32 ? (eip - 1 - HANDLERS) / 16 : -1;
  return { cpu, ram, exit, vector };
}
