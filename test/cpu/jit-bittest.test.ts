// BT/BTS/BTR/BTC, PUSH Ev, group 2 on memory and by CL inside compiled blocks (src/cpu/jit/compile.ts) against the
// interpreter: the same registers, EFLAGS, memory, stack and retired count, for register and memory operands, an
// immediate and a register bit offset (which with a memory operand addresses below or above the operand), 16- and
// 32-bit operand and address sizes, and a fault on a memory operand half-way through a compiled loop.
import { describe, expect, it } from 'vitest';
import type { Cpu } from '../../src/cpu/cpu.js';
import type { PhysMemory } from '../../src/memory/phys-memory.js';
import { le16, le32, runBare } from './bare-machine.js';

function run(code: number[], jit: boolean, real: boolean, setup?: (m: PhysMemory, c: Cpu) => void) {
  const { exit, insns, inBlocks, cpu, mem } = runBare(code, { jit, real, dataBytes: 0x1000, ...(setup ? { setup } : {}) });
  return {
    exit, insns, inBlocks,
    regs: ['eax', 'ebx', 'ecx', 'edx', 'ebp', 'esi', 'edi', 'esp', 'eip', 'eflags'].map((r) => cpu.getReg(r)),
    data: Array.from(mem.ram.subarray(real ? 0x4000 : 0x200000, real ? 0x5000 : 0x201000)),
    stack: Array.from(mem.ram.subarray(real ? 0x7f00 : 0x7ff00, real ? 0x8000 : 0x80000)),
  };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/**
 * A loop of 40 iterations over a random body of bit tests and pushes, with flag producers (ADD, which sets all
 * six arithmetic flags, and SETcc, which reads them) around them. Registers: EAX/EBX/EDI random operands, EDX a
 * small signed bit offset for the memory forms, ESI the data pointer (moved a little each iteration), ECX the count.
 */
function program(next: () => number, real: boolean): number[] {
  const pick = <T>(a: T[]): T => a[next() % a.length]!;
  const imm = (v: number): number[] => (real ? le16(v) : le32(v));
  const code: number[] = [0xb9, ...imm(40)];                                       // mov (e)cx, 40
  for (const r of [0, 3, 7]) code.push(0xb8 + r, ...imm(next()));                  // mov eax/ebx/edi, random
  code.push(0xbe, ...imm(real ? 0x4400 : 0x200400));                              // mov (e)si, data + 0x400
  const REGS = [0, 3, 7];
  const mem = (reg: number): number[] => (real ? [0x44 | (reg << 3), next() & 0x7e] : [0x46 | (reg << 3), next() & 0x7c]); // [(e)si+disp8]
  const body: number[] = [];
  for (let i = 0; i < 16; i++) {
    const op = pick([0xa3, 0xab, 0xb3, 0xbb]);
    switch (next() % 8) {
      case 0: body.push(0x0f, op, 0xc0 | (pick(REGS) << 3) | pick(REGS)); break;                   // BTx r, r
      case 1: body.push(0x0f, 0xba, 0xc0 | ((4 + (next() & 3)) << 3) | pick(REGS), next() & 0xff); break; // BTx r, imm8
      case 2: body.push(0x0f, 0xba, ...mem(4 + (next() & 3)), next() & 0xff); break;              // BTx m, imm8
      case 3: // BTx m, (e)dx with a small signed offset: the operand addressed is up to 64 bytes either side
        body.push(0xba, ...imm(((next() % 1024) - 512) & (real ? 0xffff : 0xffffffff)), 0x0f, op, ...mem(2));
        break;
      case 4: body.push(0x01, 0xc0 | (pick(REGS) << 3) | pick(REGS)); break;                       // ADD r, r
      case 5: body.push(0x0f, 0x90 + (next() % 16), 0xc0 | pick([0, 3])); break;                   // SETcc al/bl
      case 6: // PUSH r (FF /6) and POP r, or a shift/rotate of a memory operand by imm8, 1 or CL
        if (next() & 1) body.push(0xff, 0xf0 | pick(REGS), 0x58 + pick(REGS));
        else {
          body.push(...pick([[0xc1, ...mem(next() % 8), next() & 0x3f], [0xd1, ...mem(next() % 8)], [0xd3, ...mem(next() % 8)],
            [0xd3, 0xc0 | ((next() % 8) << 3) | pick(REGS)]])); // and by CL on a register (CL: the loop count, 0 at 32)
          body.push(0x0f, 0x92, 0xc3, 0x0f, 0x90, 0xc0); // setb bl / seto al: CF and OF of the shift
        }
        break;
      default: body.push(0xff, ...mem(6), 0xff, real ? 0x74 : 0x74, ...(real ? [] : [0x24]), next() & 0x0e, // PUSH m, PUSH [(e)sp+d]
        0x58 + pick(REGS), 0x58 + pick(REGS));                                                      // POP, POP
    }
  }
  body.push(0x46); // inc (e)si: a different word each iteration
  code.push(...body, 0xe2, (-(body.length + 2)) & 0xff); // loop
  code.push(0x9c, 0x5a, 0xf4); // pushf / pop (e)dx / hlt
  return code;
}

describe('block compiler: BT/BTS/BTR/BTC, PUSH Ev and memory shifts match the interpreter', () => {
  it.each([1, 2, 3, 4, 5, 6])('32-bit, seed %i', (seed) => {
    const next = rng(seed * 7919);
    for (let k = 0; k < 20; k++) {
      const code = program(next, false);
      const on = run(code, true, false), off = run(code, false, false);
      expect(on.exit).toBe('halted-cli');
      expect(on.inBlocks).toBeGreaterThan(on.insns / 2); // the loop ran compiled
      expect({ ...on, inBlocks: 0 }).toEqual({ ...off, inBlocks: 0 });
    }
  });

  it.each([1, 2, 3])('16-bit (real mode), seed %i', (seed) => {
    const next = rng(seed * 104729);
    for (let k = 0; k < 20; k++) {
      const code = program(next, true);
      const on = run(code, true, true), off = run(code, false, true);
      expect(on.exit).toBe('halted-cli');
      expect(on.inBlocks).toBeGreaterThan(on.insns / 2);
      expect({ ...on, inBlocks: 0 }).toEqual({ ...off, inBlocks: 0 });
    }
  });

  it('BTS on a word past the DS limit raises #GP with CF, the word and the retired count as the interpreter', () => {
    // real mode: mov si,0xfff0 / stc / l: bts word [si],3 / inc si / jmp l   -- the word at DS:FFFF crosses the limit
    const code = [0xbe, ...le16(0xfff0), 0xf9, 0x0f, 0xba, 0x2c, 0x03, 0x46, 0xeb, 0xf9];
    const ivt = (m: PhysMemory): void => { m.load(13 * 4, new Uint8Array([0x00, 0x20, 0x00, 0x00])); m.load(0x2000, new Uint8Array([0xf4])); };
    const on = run(code, true, true, ivt), off = run(code, false, true, ivt);
    expect(on.exit).toBe('halted-cli');
    expect(on.inBlocks).toBeGreaterThan(0);
    expect(on.regs[5]! & 0xffff).toBe(0xffff);                          // SI at the fault
    expect(on.stack.slice(0xfa, 0xfc)).toEqual(le16(0x1004));            // pushed IP: the faulting BTS
    expect(on.insns).toBe(2 + 15 * 3 + 1 + 1);                          // mov, stc, 15 loops, the fault, hlt
    expect({ ...on, inBlocks: 0 }).toEqual({ ...off, inBlocks: 0 });
  });

  it('a block that stops at an instruction it cannot compile marks that address as no block start at once', () => {
    // mov ecx,3000 / l: add eax,ecx / pushf / pop ebx / dec ecx / jnz l / hlt
    // The block at l ends at PUSHF (not compiled); the instruction after it starts the next block, which compiles
    // after jitThreshold visits instead of only after PUSHF's own address had been counted that often as well.
    const code = [0xb9, ...le32(3000), 0x01, 0xc8, 0x9c, 0x5b, 0x49, 0x75, 0xf9, 0xf4];
    const on = run(code, true, false), off = run(code, false, false);
    expect({ ...on, inBlocks: 0 }).toEqual({ ...off, inBlocks: 0 });
    // l compiles at its 5th visit and POP at its 5th, counted from the first run of l's block: 11,964 instructions
    // in blocks. Counting PUSHF's address up to the threshold first (before the mark) made it 11,952.
    expect(on.inBlocks).toBe(11964);
  });
});
