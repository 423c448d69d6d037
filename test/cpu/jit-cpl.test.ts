// A compiled block is tied to the privilege it was checked at. Code on a supervisor-only page (PTE.U = 0) that was
// compiled while the CPU ran it at CPL 0 must not run when CPL 3 jumps to the same linear address: the fetch takes a
// #PF with error code 5 (present, read, user; Intel SDM Vol. 3A 4.6 and 4.7), as it does with the compiler off.
import { describe, expect, it } from 'vitest';
import { runRing3Machine } from './ring3-machine.js';

// 0x1000, at CPL 0 (bytes from NASM, bits 32):
//   lidt [0x700] / mov eax,0x10000 / mov cr3,eax / mov eax,cr0 / or eax,0x80000000 / mov cr0,eax / mov ax,0x28 / ltr ax
//   mov esi,64 / warm: mov ecx,10 / call 0x3000 / dec esi / jnz warm
//   mov ecx,10 / push 0x23 / push 0x7000 / push 2 / push 0x1b / push 0x3000 / iretd      (to CPL 3 at 0x3000)
const MAIN = [0x0f, 0x01, 0x1d, 0x00, 0x07, 0x00, 0x00, 0xb8, 0x00, 0x00, 0x01, 0x00,
  0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f,
  0x22, 0xc0, 0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8, 0xbe, 0x40, 0x00,
  0x00, 0x00, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0xe8, 0xd0, 0x1f, 0x00, 0x00,
  0x4e, 0x75, 0xf3, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0x6a, 0x23, 0x68, 0x00,
  0x70, 0x00, 0x00, 0x6a, 0x02, 0x6a, 0x1b, 0x68, 0x00, 0x30, 0x00, 0x00, 0xcf];
// 0x3000, the supervisor-only page:   l: inc edi / dec ecx / jnz l / ret
const LOOP = [0x47, 0x49, 0x75, 0xfc, 0xc3];
// 0x5000, the #PF handler (interrupt gate, CPL 0):   pop eax (error code) / mov ebx,cr2 / hlt
const PF = [0x58, 0x0f, 0x20, 0xd3, 0xf4];

function run(jit: boolean) {
  const { cpu, exit } = runRing3Machine({
    jit, main: MAIN, load: [[0x3000, LOOP], [0x5000, PF]], vector: 14,
    pteFlags: (i) => (i === 3 ? 3 : 7), // page 3: U = 0
  });
  return { exit, cpl: cpu.getReg('cpl'), err: cpu.getReg('eax'), cr2: cpu.getReg('cr2'), edi: cpu.getReg('edi'), compiled: cpu.blocksCompiled };
}

describe('compiled blocks and CPL', () => {
  it('CPL 3 entering code compiled at CPL 0 on a supervisor page takes the #PF the interpreter takes', () => {
    const on = run(true), off = run(false);
    expect(off).toMatchObject({ exit: 'halted-cli', cpl: 0, err: 5, cr2: 0x3000, edi: 640 });
    expect(on.compiled).toBeGreaterThan(0); // the loop at 0x3000 was compiled during the 64 calls at CPL 0
    expect({ ...on, compiled: 0 }).toEqual({ ...off, compiled: 0 });
  });
});
