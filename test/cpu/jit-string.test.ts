// MOVS/STOS/LODS (no REP), MOV moffs and PAUSE inside compiled blocks (src/cpu/jit/emit-string.ts,
// emit-moffs.ts) against the interpreter: the same registers, memory, retired count and faults, with DF clear and
// set, byte/word/dword elements, 16- and 32-bit addressing, ES apart from DS, and a #GP on the source half-way.
import { describe, expect, it } from 'vitest';
import type { Cpu } from '../../src/cpu/cpu.js';
import type { PhysMemory } from '../../src/memory/phys-memory.js';
import { le16, le32, runBare } from './bare-machine.js';

function run(code: number[], jit: boolean, real: boolean, setup?: (m: PhysMemory, c: Cpu) => void) {
  const { exit, insns, inBlocks, cpu, mem } = runBare(code, {
    jit, real, dataBytes: 0x3000,
    setup: (m, c) => {
      if (real) c.setReg('es', 0x100); // ES base 0x1000 above DS: a destination through DS would land elsewhere
      setup?.(m, c);
    },
  });
  return {
    exit, insns, inBlocks,
    regs: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'eip', 'eflags'].map((r) => cpu.getReg(r)),
    data: Array.from(mem.ram.subarray(real ? 0x4000 : 0x200000, real ? 0x7000 : 0x203000)),
    stack: Array.from(mem.ram.subarray(0x7ff0, 0x8000)),
  };
}

/** The loop body: LODS, ADD, STOS, MOVSB, MOVSW (66), MOVSD, the four MOV moffs forms, PAUSE. */
function body(moffs: (v: number) => number[]): number[] {
  return [
    0xad,             // lods eAX
    0x01, 0xc8,       // add eAX, eCX
    0xab,             // stos eAX
    0xa4,             // movsb
    0x66, 0xa5,       // movs (other size)
    0xa5,             // movs eAX-size
    0xaa,             // stosb
    0x66, 0xad,       // lods (other size)
    0xa3, ...moffs(0x2800), // mov [moffs], eAX
    0x01, 0xc3,       // add eBX, eAX
    0xa1, ...moffs(0x2804), // mov eAX, [moffs]
    0xa0, ...moffs(0x2809), // mov al, [moffs]
    0xa2, ...moffs(0x280e), // mov [moffs], al
    0xf3, 0x90,       // pause
  ];
}

describe('block compiler: string instructions, MOV moffs, PAUSE', () => {
  it('32-bit flat: DF clear then set, every element size; compiled like the interpreter', () => {
    const b = body((v) => le32(0x200000 + v));
    const loop = (n: number): number[] => [0xb9, ...le32(n), ...b, 0xe2, (-(b.length + 2)) & 0xff];
    const code = [0xbe, ...le32(0x200100), 0xbf, ...le32(0x201000), ...loop(200), 0xfd /* std */, ...loop(150), 0xfc, 0xf4];
    const on = run(code, true, false), off = run(code, false, false);
    expect(on.exit).toBe('halted-cli');
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns, data: off.data });
    expect(on.inBlocks).toBeGreaterThan(on.insns * 0.8); // the loops ran compiled
    expect(off.inBlocks).toBe(0);
  });

  it('16-bit real mode: SI/DI wrap, ES is the destination', () => {
    const b = body((v) => le16(0x4000 + v));
    const loop = (n: number): number[] => [0xb9, ...le16(n), ...b, 0xe2, (-(b.length + 2)) & 0xff];
    const code = [0xbe, ...le16(0x4100), 0xbf, ...le16(0x3f00), ...loop(120), 0xfd, ...loop(100), 0xfc, 0xf4];
    const on = run(code, true, true), off = run(code, false, true);
    expect(on.exit).toBe('halted-cli');
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns, data: off.data });
    expect(on.inBlocks).toBeGreaterThan(on.insns * 0.8);
  });

  it('a MOVSW whose source crosses DS:FFFF faults precisely: SI/DI unchanged, IP of the MOVSW, same count', () => {
    //       mov si,0xffc2 / mov di,0x3000 / l: movsb / movsw / jmp l   (SI steps by 3: FFFF is reached by the MOVSW)
    const code = [0xbe, ...le16(0xffc2), 0xbf, ...le16(0x3000), 0xa4, 0xa5, 0xeb, 0xfc];
    const ivt = (m: PhysMemory) => { m.load(13 * 4, new Uint8Array([0x00, 0x20, 0x00, 0x00])); m.load(0x2000, new Uint8Array([0xf4])); };
    const on = run(code, true, true, ivt), off = run(code, false, true, ivt);
    expect(on.exit).toBe('halted-cli');
    expect(on.regs[4]! & 0xffff).toBe(0xffff);                                // SI at the fault
    expect(on.stack[0xa]! | (on.stack[0xb]! << 8)).toBe(0x1007);             // pushed IP = the MOVSW
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns, data: off.data, stack: off.stack });
    expect(on.inBlocks).toBeGreaterThan(0);
  });
});
