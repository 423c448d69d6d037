// POP and RET whose stack read touches a not-present page (the interpreter's fast entries for a 32-bit stack): a
// fault-class #PF, so the instruction has no effect (SDM Vol. 3A 6.5: a fault reports the state
// before the instruction): ESP and the destination unchanged, the saved EIP the instruction's own, CR2 the first
// byte of the access that lies in the missing page, error code 0 (supervisor read of a not-present page).
// A dword that straddles the page boundary faults too. The handler's frame lands below the old ESP, in the present
// page, so the frame itself shows what ESP was.
import { describe, expect, it } from 'vitest';
import { le32, runPaged } from './paged-machine.js';

const HOLE = 0x90000; // not present; the page below it (the handler's stack) is
const MARK = 0x11111111, DATA = 0xcafef00d;

const FORMS: Record<string, number[]> = {
  'pop eax': [0x58],
  'pop ebx': [0x5b],
  'ret': [0xc3],
  'ret 8': [0xc2, 8, 0],
};

function run(insn: number[], esp: number) {
  const code = [
    0xb8, ...le32(MARK), 0xbb, ...le32(MARK), // mov eax/ebx, MARK
    0xbc, ...le32(esp),                       // mov esp, esp
    ...insn,
    0xf4,                                     // hlt (RET lands on the HLT at its return address)
  ];
  const r = runPaged(code, {
    notPresent: [HOLE],
    setup: (ram) => { for (let a = HOLE - 16; a < HOLE; a += 4) ram.set(le32(DATA), a); },
  });
  const esp1 = r.cpu.getReg('esp');
  const rd = (a: number): number => (r.ram[a]! | (r.ram[a + 1]! << 8) | (r.ram[a + 2]! << 16) | (r.ram[a + 3]! << 24)) >>> 0;
  return {
    vector: r.vector, exit: r.exit, eax: r.cpu.getReg('eax'), ebx: r.cpu.getReg('ebx'), cr2: r.cpu.getReg('cr2'),
    frame: r.vector >= 0 ? { err: rd(esp1), eip: rd(esp1 + 4), oldEsp: (esp1 + 16) >>> 0 } : null,
  };
}

describe('POP and RET that read a not-present stack page fault with no effect', () => {
  const insnAt = 0x100000 + 26 + 15; // paged-machine.ts preamble (26 bytes) + the three MOVs
  for (const [name, insn] of Object.entries(FORMS)) {
    it(`${name}: ESP at the missing page, and straddling into it`, () => {
      for (const esp of [HOLE, HOLE - 2, HOLE - 1]) {
        const got = run(insn, esp);
        expect(got.exit).toBe('halted-cli');
        expect(got.vector).toBe(14);
        expect(got.frame).toEqual({ err: 0, eip: insnAt, oldEsp: esp });
        expect(got.cr2).toBe(HOLE);
        expect([got.eax, got.ebx]).toEqual([MARK, MARK]);
      }
    });
  }

  it('the same POP one dword lower reads the present page (the control case)', () => {
    const got = run(FORMS['pop ebx']!, HOLE - 4);
    expect(got.vector).toBe(-1);
    expect(got.ebx).toBe(DATA);
  });
});
