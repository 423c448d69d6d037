// PUSH and CALL at CPL 3 whose stack write lands in a not-present page (the interpreter's fast entries for a 32-bit
// stack): a fault-class #PF with no effect (SDM Vol. 3A 6.5), delivered on the ring-0 stack from the TSS, so the
// frame shows the user ESP as it was before the instruction. Error code 6 (not present, write, user), CR2 the first
// byte of the access in the missing page, the saved EIP the instruction's own. At CPL 0 the same fault would push
// its frame onto the missing page too; stack-page-fault.test.ts covers the reads (POP, RET) there.
import { describe, expect, it } from 'vitest';
import { runRing3Machine, toRing3 } from './ring3-machine.js';

const HOLE = 0x1f000; // not present: the user stack grows down into it from 0x20000

// 0x1000, at CPL 0: ring3-machine.ts toRing3 (to CPL 3 at 0x4000, ESP = ESP3)
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
          jit: false, main: toRing3(0x4000, esp3), load: [[0x4000, [...insn, 0xf4]], [0x5000, PF]], vector: 14,
          pteFlags: (i) => (i === HOLE >>> 12 ? 0 : 7),
        });
        expect(exit).toBe('halted-cli');
        expect({ err: cpu.getReg('eax'), eip: cpu.getReg('ebx'), esp3: cpu.getReg('ecx'), cr2: cpu.getReg('cr2') })
          .toEqual({ err: 6, eip: 0x4000, esp3, cr2: esp3 - 4 });
      }
    });
  }
});
