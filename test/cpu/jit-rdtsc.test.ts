// RDTSC inside a compiled block keeps the interpreter's checks: with CR4.TSD set it is #GP(0) at CPL > 0 (Intel SDM
// Vol. 2B RDTSC, "Protected Mode Exceptions"), also when the block holding it was compiled while CPL 0 ran it.
import { describe, expect, it } from 'vitest';
import { runRing3Machine } from './ring3-machine.js';

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

// The same loop after loading DS and ES with the user data selector (flat, so the WebAssembly block compiled at CPL 0
// still runs at CPL 3, and leaves before its RDTSC there):
// 0x4000:   mov ax,0x23 / mov ds,ax / mov es,ax / l: rdtsc / inc edi / dec ecx / jnz l / ret
const FLAT_LOOP = [0x66, 0xb8, 0x23, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x0f, 0x31, 0x47, 0x49, 0x75, 0xfa, 0xc3];

function run(jit: boolean, loop = LOOP) {
  const { cpu, exit } = runRing3Machine({ jit, main: MAIN, load: [[0x4000, loop], [0x5000, GP]], vector: 13 });
  return { exit, cpl: cpu.getReg('cpl'), err: cpu.getReg('eax'), eip: cpu.getReg('ebx'), edx: cpu.getReg('edx'),
    edi: cpu.getReg('edi'), ecx: cpu.getReg('ecx'), compiled: cpu.blocksCompiled, inBlocks: cpu.insnsInBlocks, wasm: cpu.wasmBlocks };
}

describe('RDTSC in compiled blocks', () => {
  it('CR4.TSD: the RDTSC compiled at CPL 0 is #GP(0) at CPL 3, at its own EIP, as interpreted', () => {
    const on = run(true), off = run(false);
    expect(off).toMatchObject({ exit: 'halted-cli', cpl: 0, err: 0, eip: 0x4000, edi: 640, ecx: 10 });
    // the loop ran compiled during the 64 calls at CPL 0, its RDTSC in the block: 2,839 instructions (2,197 without)
    expect(on.inBlocks).toBeGreaterThan(2500);
    expect({ ...on, compiled: 0, inBlocks: 0, wasm: 0 }).toEqual({ ...off, compiled: 0, inBlocks: 0, wasm: 0 });
  });

  it('CR4.TSD: a WebAssembly block that holds the RDTSC, entered at CPL 3 with flat segments, leaves before it: #GP(0) there', () => {
    const on = run(true, FLAT_LOOP), off = run(false, FLAT_LOOP);
    expect(off).toMatchObject({ exit: 'halted-cli', cpl: 0, err: 0, eip: 0x4008, edi: 640, ecx: 10 });
    expect(on.wasm).toBeGreaterThan(0);
    expect(on.inBlocks).toBeGreaterThan(2500);
    expect({ ...on, compiled: 0, inBlocks: 0, wasm: 0 }).toEqual({ ...off, compiled: 0, inBlocks: 0, wasm: 0 });
  });
});
