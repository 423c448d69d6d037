// RDTSC inside a compiled block keeps the interpreter's checks: with CR4.TSD set it is #GP(0) at CPL > 0 (Intel SDM
// Vol. 2B RDTSC, "Protected Mode Exceptions"), also when the block holding it was compiled while CPL 0 ran it.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

const GDT = 0x800, IDT = 0x900, TSS = 0x600, PD = 0x10000, PT = 0x11000;

// 0x1000, at CPL 0 (bytes from NASM, bits 32):
//   lidt [0x700] / mov eax,0x10000 / mov cr3,eax / mov eax,cr0 / or eax,0x80000000 / mov cr0,eax
//   mov eax,cr4 / or eax,4 / mov cr4,eax (TSD) / mov ax,0x28 / ltr ax
//   mov esi,64 / warm: mov ecx,10 / call 0x4000 / dec esi / jnz warm
//   mov ecx,10 / push 0x23 / push 0x7000 / push 2 / push 0x1b / push 0x4000 / iretd      (to CPL 3 at 0x4000)
const MAIN = [0x0f, 0x01, 0x1d, 0x00, 0x07, 0x00, 0x00, 0xb8, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20,
  0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x04, 0x0f, 0x22, 0xe0, 0x66, 0xb8,
  0x28, 0x00, 0x0f, 0x00, 0xd8, 0xbe, 0x40, 0x00, 0x00, 0x00, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0xe8, 0xc7, 0x2f, 0x00, 0x00,
  0x4e, 0x75, 0xf3, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0x6a, 0x23, 0x68, 0x00, 0x70, 0x00, 0x00, 0x6a, 0x02, 0x6a, 0x1b, 0x68,
  0x00, 0x40, 0x00, 0x00, 0xcf];
// 0x4000:   l: rdtsc / inc edi / dec ecx / jnz l / ret
const LOOP = [0x0f, 0x31, 0x47, 0x49, 0x75, 0xfa, 0xc3];
// 0x5000, the #GP handler (interrupt gate, CPL 0):   pop eax (error code) / pop ebx (EIP) / hlt
const GP = [0x58, 0x5b, 0xf4];

function run(jit: boolean) {
  const mem = new PhysMemory(1 << 22);
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit, jitThreshold: 4 });
  const dv = new DataView(mem.ram.buffer);
  const gdt = [[0, 0], [0x0000ffff, 0x00cf9a00], [0x0000ffff, 0x00cf9200], [0x0000ffff, 0x00cffa00], [0x0000ffff, 0x00cff200],
    [(TSS << 16) | 0x67, 0x00008900]]; // 0x28: 32-bit TSS, available
  gdt.forEach(([lo, hi], i) => { dv.setUint32(GDT + i * 8, lo!, true); dv.setUint32(GDT + i * 8 + 4, hi!, true); });
  dv.setUint16(0x700, 15 * 8 - 1, true); dv.setUint32(0x702, IDT, true);
  dv.setUint32(IDT + 13 * 8, 0x00085000, true); dv.setUint32(IDT + 13 * 8 + 4, 0x00008e00, true);
  dv.setUint32(TSS + 4, 0x9000, true); dv.setUint32(TSS + 8, 0x10, true); // ESP0, SS0
  dv.setUint32(PD, PT | 7, true);
  for (let i = 0; i < 1024; i++) dv.setUint32(PT + i * 4, (i << 12) | 7, true);
  mem.load(0x1000, new Uint8Array(MAIN)); mem.load(0x4000, new Uint8Array(LOOP)); mem.load(0x5000, new Uint8Array(GP));
  cpu.setFlatProtectedMode(0x1000, { esp: 0x8000 }, { cs: 0x08, ds: 0x10, gdtBase: GDT, gdtLimit: 6 * 8 - 1 });
  const exit = cpu.run(100_000);
  return { exit, cpl: cpu.getReg('cpl'), err: cpu.getReg('eax'), eip: cpu.getReg('ebx'), edx: cpu.getReg('edx'),
    edi: cpu.getReg('edi'), ecx: cpu.getReg('ecx'), compiled: cpu.blocksCompiled, inBlocks: cpu.insnsInBlocks };
}

describe('RDTSC in compiled blocks', () => {
  it('CR4.TSD: the RDTSC compiled at CPL 0 is #GP(0) at CPL 3, at its own EIP, as interpreted', () => {
    const on = run(true), off = run(false);
    expect(off).toMatchObject({ exit: 'halted-cli', cpl: 0, err: 0, eip: 0x4000, edi: 640, ecx: 10 });
    // the loop ran compiled during the 64 calls at CPL 0, its RDTSC in the block: 2,839 instructions (2,197 without)
    expect(on.inBlocks).toBeGreaterThan(2500);
    expect({ ...on, compiled: 0, inBlocks: 0 }).toEqual({ ...off, compiled: 0, inBlocks: 0 });
  });
});
