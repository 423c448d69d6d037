// PUSH and CALL at CPL 3 whose stack write lands in a not-present page (the interpreter's fast entries for a 32-bit
// stack): a fault-class #PF with no effect (SDM Vol. 3A 6.5), delivered on the ring-0 stack from the TSS, so the
// frame shows the user ESP as it was before the instruction. Error code 6 (not present, write, user), CR2 the first
// byte of the access in the missing page, the saved EIP the instruction's own. At CPL 0 the same fault would push
// its frame onto the missing page too; stack-page-fault.test.ts covers the reads (POP, RET) there.
import { describe, expect, it } from 'vitest';
import { runRing3Machine } from './ring3-machine.js';

const HOLE = 0x1f000; // not present: the user stack grows down into it from 0x20000

// 0x1000, at CPL 0 (bytes from NASM, bits 32):
//   lidt [0x700] / mov eax,0x10000 / mov cr3,eax / mov eax,cr0 / or eax,0x80000000 / mov cr0,eax / mov ax,0x28 / ltr ax
//   push 0x23 / push ESP3 / push 2 / push 0x1b / push 0x4000 / iretd       (to CPL 3 at 0x4000, ESP = ESP3)
const main = (esp3: number): number[] => [0x0f, 0x01, 0x1d, 0x00, 0x07, 0x00, 0x00, 0xb8, 0x00, 0x00, 0x01, 0x00,
  0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x66, 0xb8, 0x28, 0x00, 0x0f,
  0x00, 0xd8, 0x6a, 0x23, 0x68, esp3 & 0xff, (esp3 >>> 8) & 0xff, (esp3 >>> 16) & 0xff, esp3 >>> 24, 0x6a, 0x02,
  0x6a, 0x1b, 0x68, 0x00, 0x40, 0x00, 0x00, 0xcf];
// 0x5000, the #PF handler (interrupt gate, CPL 0): pop eax (error code) / pop ebx (EIP) / mov ecx,[esp+8] (user ESP) / hlt
const PF = [0x58, 0x5b, 0x8b, 0x4c, 0x24, 0x08, 0xf4];

const FORMS: Record<string, number[]> = {
  'push ebp': [0x55],
  'push imm32': [0x68, 0x78, 0x56, 0x34, 0x12],
  'push imm8': [0x6a, 0x80],
  'call rel32': [0xe8, 0x10, 0x00, 0x00, 0x00],
};

describe('PUSH and CALL at CPL 3 into a not-present stack page fault with no effect', () => {
  for (const [name, insn] of Object.entries(FORMS)) {
    it(`${name}: the dword below the missing page's top, and one straddling its top`, () => {
      for (const esp3 of [HOLE + 0x1000, HOLE + 0x1002]) {
        const { cpu, exit } = runRing3Machine({
          jit: false, main: main(esp3), load: [[0x4000, [...insn, 0xf4]], [0x5000, PF]], vector: 14,
          pteFlags: (i) => (i === HOLE >>> 12 ? 0 : 7),
        });
        expect(exit).toBe('halted-cli');
        expect({ err: cpu.getReg('eax'), eip: cpu.getReg('ebx'), esp3: cpu.getReg('ecx'), cr2: cpu.getReg('cr2') })
          .toEqual({ err: 6, eip: 0x4000, esp3, cr2: esp3 - 4 });
      }
    });
  }
});
