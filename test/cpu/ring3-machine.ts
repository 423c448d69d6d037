// A paged flat machine that can drop to CPL 3, for tests of what a compiled block may do at another privilege: GDT
// (0x08/0x10 ring-0 code/data, 0x1b/0x23 ring-3 code/data, 0x28 a 32-bit TSS with ESP0 0x9000), the IDTR
// pseudo-descriptor at 0x700, one interrupt gate (`vector` → 0x5000), 4 MiB identity-mapped through PD 0x10000.
// The test's code starts at 0x1000 at CPL 0 and loads IDTR, CR3, CR0.PG and TR itself.
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

const GDT = 0x800, IDT = 0x900, TSS = 0x600, PD = 0x10000, PT = 0x11000;

export interface Ring3Machine {
  jit: boolean;
  /** Code at 0x1000 (CPL 0). */
  main: number[];
  /** More code or data: [physical address, bytes]. */
  load: [number, number[]][];
  /** The vector whose gate points at 0x5000 (load the handler there). */
  vector: number;
  /** Flags of the PTE for page i (default 7: present, writable, user). */
  pteFlags?: (page: number) => number;
  /** the TSS's limit (default 0x67: no I/O bitmap; the bitmap's offset is the word at 0x666) */
  tssLimit?: number;
  /** the WebAssembly interpreter (default off) and the visit threshold (default 4: blocks at once) */
  wasmInterp?: boolean;
  jitThreshold?: number;
}

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/**
 * Code for 0x1000 (CPL 0) that loads IDTR, CR3, CR0.PG and TR, then IRETDs to `eip` at CPL 3 with ESP `esp3` and
 * EFLAGS `flags` (bytes from NASM, bits 32: lidt [0x700] / mov eax,0x10000 / mov cr3,eax / mov eax,cr0 /
 * or eax,0x80000000 / mov cr0,eax / mov ax,0x28 / ltr ax / push 0x23 / push esp3 / push flags / push 0x1b /
 * push eip / iretd). IRET nulls DS and ES (their DPL is 0).
 */
export function toRing3(eip: number, esp3: number, flags = 2): number[] {
  return [0x0f, 0x01, 0x1d, 0x00, 0x07, 0x00, 0x00, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0,
    0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8, 0x6a, 0x23,
    0x68, ...le32(esp3), 0x68, ...le32(flags), 0x6a, 0x1b, 0x68, ...le32(eip), 0xcf];
}

/** Build the machine and run it for up to 100,000 instructions. */
export function runRing3Machine(m: Ring3Machine): { cpu: Cpu; exit: string } {
  const mem = new PhysMemory(1 << 22);
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit: m.jit, jitThreshold: m.jitThreshold ?? 4, wasmInterp: m.wasmInterp ?? false });
  const dv = new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength);
  const gdt = [[0, 0], [0x0000ffff, 0x00cf9a00], [0x0000ffff, 0x00cf9200], [0x0000ffff, 0x00cffa00], [0x0000ffff, 0x00cff200],
    [(TSS << 16) | (m.tssLimit ?? 0x67), 0x00008900]]; // 0x28: 32-bit TSS, available
  gdt.forEach(([lo, hi], i) => { dv.setUint32(GDT + i * 8, lo!, true); dv.setUint32(GDT + i * 8 + 4, hi!, true); });
  dv.setUint16(0x700, 15 * 8 - 1, true); dv.setUint32(0x702, IDT, true);
  dv.setUint32(IDT + m.vector * 8, 0x00085000, true); dv.setUint32(IDT + m.vector * 8 + 4, 0x00008e00, true);
  dv.setUint32(TSS + 4, 0x9000, true); dv.setUint32(TSS + 8, 0x10, true); // ESP0, SS0
  dv.setUint32(PD, PT | 7, true);
  for (let i = 0; i < 1024; i++) dv.setUint32(PT + i * 4, (i << 12) | (m.pteFlags?.(i) ?? 7), true);
  mem.load(0x1000, new Uint8Array(m.main));
  for (const [at, bytes] of m.load) mem.load(at, new Uint8Array(bytes));
  cpu.setFlatProtectedMode(0x1000, { esp: 0x8000 }, { cs: 0x08, ds: 0x10, gdtBase: GDT, gdtLimit: 6 * 8 - 1 });
  return { cpu, exit: cpu.run(100_000) };
}
