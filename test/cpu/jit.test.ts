// The block compiler against the interpreter: the same guest code must give the same registers, memory, retired
// instruction count and exceptions with compiled blocks on and off (differential test), including code that
// patches itself after its block was compiled and a fault in the middle of a compiled loop.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { runBare } from './bare-machine.js';

function runReal(code: number[], jit: boolean, setup?: (m: PhysMemory) => void) {
  const mem = new PhysMemory(1 << 20);
  const clock = new VirtualClock();
  const cpu = new Cpu({ mem, io: new PortBus(), clock, jit, jitThreshold: 4 });
  mem.load(0x1000, new Uint8Array(code));
  setup?.(mem);
  cpu.setReg('cs', 0);
  cpu.setReg('ip', 0x1000);
  cpu.setReg('ss', 0);
  cpu.setReg('sp', 0x8000);
  const exit = cpu.run(1_000_000);
  const regs = ['eax', 'ebx', 'ecx', 'edx', 'esp', 'esi', 'eip', 'flags'].map((r) => cpu.getReg(r));
  return { exit, regs, insns: clock.instructions, compiled: cpu.blocksCompiled, inBlocks: cpu.insnsInBlocks, ram: mem.ram.slice(0x7ff0, 0x8000) };
}

describe('block compiler', () => {
  it('self-modifying code: patching an immediate inside a compiled loop takes effect', () => {
    //       mov si,2 / pass: mov cx,50 / l1: mov ax,1 / add bx,ax / dec cx / jnz l1
    //       mov byte [l1+1],5 / dec si / jnz pass / hlt
    const code = [0xbe, 0x02, 0x00, 0xb9, 0x32, 0x00, 0xb8, 0x01, 0x00, 0x01, 0xc3, 0x49,
      0x75, 0xf8, 0xc6, 0x06, 0x07, 0x10, 0x05, 0x4e, 0x75, 0xed, 0xf4];
    const on = runReal(code, true), off = runReal(code, false);
    expect(on.compiled).toBeGreaterThan(0);
    expect(on.regs[1]! & 0xffff).toBe(50 * 1 + 50 * 5);
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
  });

  it('a loop with an instruction across a page boundary, patched in the second page, runs as interpreted', () => {
    // 1000: mov si,2 / pass: mov cx,50 / jmp l
    // 1ffc: l: inc ax / add bx,0x1234 (its last byte at 2000) / dec cx / jnz l
    //       mov byte [0x2000],0x01 (the immediate becomes 0x0134) / dec si / jnz near pass / hlt
    const code = [0xbe, 0x02, 0x00, 0xb9, 0x32, 0x00, 0xe9, 0xf3, 0x0f];
    const loop = [0x40, 0x81, 0xc3, 0x34, 0x12, 0x49, 0x75, 0xf8, 0xc6, 0x06, 0x00, 0x20, 0x01, 0x4e, 0x0f, 0x85, 0xf5, 0xef, 0xf4];
    const setup = (m: PhysMemory): void => m.load(0x1ffc, new Uint8Array(loop));
    const on = runReal(code, true, setup), off = runReal(code, false, setup);
    expect(on.exit).toBe('halted-cli');
    expect(on.regs[1]! & 0xffff).toBe((50 * 0x1234 + 50 * 0x0134) & 0xffff);
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
    expect(on.inBlocks).toBeGreaterThan(0);
  });

  it('RDTSC in a compiled loop reads the same virtual time as the interpreter (Linux delay_tsc polls it)', () => {
    //       mov cx,300 / l: rdtsc / add bx,ax / xor si,dx / dec cx / jnz l / hlt
    const code = [0xb9, 0x2c, 0x01, 0x0f, 0x31, 0x01, 0xc3, 0x31, 0xd6, 0x49, 0x75, 0xf7, 0xf4];
    const on = runReal(code, true), off = runReal(code, false);
    expect(on.exit).toBe('halted-cli');
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
    expect(on.inBlocks).toBeGreaterThan(1300); // 1470 of 1502; 1160 when the block stops at RDTSC
  });

  it('16-bit registers held in locals wrap like the registers (LOOP with CX=0 runs 65536 times)', () => {
    //       xor cx,cx / l: inc ax / loop l / hlt
    const code = [0x31, 0xc9, 0x40, 0xe2, 0xfd, 0xf4];
    const on = runReal(code, true), off = runReal(code, false);
    expect(on.compiled).toBeGreaterThan(0);
    expect(on.exit).toBe('halted-cli');
    expect(on.insns).toBe(1 + 65536 * 2 + 1);
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
  });

  it('a RET followed back into its CALL site leaves the block when the return address was replaced', () => {
    //       mov cx,40 / l: call f / dec cx / jnz l / hlt
    //       other: inc dx / dec cx / jnz l / hlt
    //       f: add ax,bx / inc bx / mov si,cx / and si,3 / jnz r / pop di / push other / r: ret
    const code = [0xb9, 0x28, 0x00, 0xe8, 0x09, 0x00, 0x49, 0x75, 0xfa, 0xf4,
      0x42, 0x49, 0x75, 0xf5, 0xf4,
      0x01, 0xd8, 0x43, 0x89, 0xce, 0x83, 0xe6, 0x03, 0x75, 0x04, 0x5f, 0x68, 0x0a, 0x10, 0xc3];
    const on = runReal(code, true), off = runReal(code, false);
    expect(on.compiled).toBeGreaterThan(0);
    expect(on.exit).toBe('halted-cli');
    expect(on.regs[3]! & 0xffff).toBe(0x0610 + 10); // DX from reset (the CPU signature) + 1 for each CX = 40, 36, ..., 4
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
    expect(Array.from(on.ram)).toEqual(Array.from(off.ram));
  });

  it('a block that follows a CALL into another page goes stale when that page is written', () => {
    //       mov si,2 / pass: mov cx,50 / l1: call f / dec cx / jnz l1 / mov byte [f+2],5 / dec si / jnz pass / hlt
    // 0x2000 f: add bx,1 / ret       (the loop compiles into one block reading both pages; without the second
    // page's generation check it would keep adding 1)
    const code = [0xbe, 0x02, 0x00, 0xb9, 0x32, 0x00, 0xe8, 0xf7, 0x0f, 0x49, 0x75, 0xfa,
      0xc6, 0x06, 0x02, 0x20, 0x05, 0x4e, 0x75, 0xef, 0xf4];
    const f = (m: PhysMemory) => m.load(0x2000, new Uint8Array([0x83, 0xc3, 0x01, 0xc3]));
    const on = runReal(code, true, f), off = runReal(code, false, f);
    expect(on.regs[1]! & 0xffff).toBe(50 * 1 + 50 * 5);
    expect(on.compiled).toBeGreaterThan(0);
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
  });

  it('a block that mostly leaves through a Jcc is formed again along the taken path, exiting on the other', () => {
    //       mov cx,5000 / xor bx,bx / l: mov ax,cx / and ax,15 / jnz skip / inc bx / skip: inc dx / dec cx / jnz l / hlt
    const code = [0xb9, 0x88, 0x13, 0x31, 0xdb, 0x89, 0xc8, 0x83, 0xe0, 0x0f, 0x75, 0x01, 0x43, 0x42, 0x49, 0x75, 0xf4, 0xf4];
    const on = runReal(code, true), off = runReal(code, false);
    expect(on.exit).toBe('halted-cli');
    expect(on.regs[1]! & 0xffff).toBe(312);        // BX: the CX values that are multiples of 16
    expect(on.compiled).toBeGreaterThanOrEqual(4);  // the loop, its side-exit target, ... and the loop formed again (3 without)
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
  });

  it('a #GP in the middle of a compiled loop is precise (saved IP, retired count)', () => {
    //       mov si,0xfff0 / l: mov ax,[si] / inc si / jmp l      ; the word at DS:FFFF crosses the limit
    const code = [0xbe, 0xf0, 0xff, 0x8b, 0x04, 0x46, 0xeb, 0xfb];
    const ivt = (m: PhysMemory) => { m.load(13 * 4, new Uint8Array([0x00, 0x20, 0x00, 0x00])); m.load(0x2000, new Uint8Array([0xf4])); };
    const on = runReal(code, true, ivt), off = runReal(code, false, ivt);
    expect(on.compiled).toBeGreaterThan(0);
    expect(on.exit).toBe('halted-cli');
    expect(on.regs[5]! & 0xffff).toBe(0xffff);                         // SI at the fault
    expect(on.ram[0xa] | (on.ram[0xb]! << 8)).toBe(0x1003);             // pushed IP = the faulting MOV
    expect(on.insns).toBe(1 + 15 * 3 + 1 + 1);                          // mov, 15 loops, the fault, hlt
    expect(on).toMatchObject({ exit: off.exit, regs: off.regs, insns: off.insns });
    expect(Array.from(on.ram)).toEqual(Array.from(off.ram));
  });
});

describe('block compiler: random straight-line ALU blocks match the interpreter', () => {
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  }
  const REGS = [0, 2, 3, 5, 7]; // never ECX (the LOOP counter), ESP, or ESI (the data pointer)
  const REGS8 = [0, 2, 3, 4, 6, 7]; // AL DL BL AH DH BH
  function program(next: () => number, real = false): number[] {
    const pick = <T>(a: T[]): T => a[next() % a.length]!;
    const code = real ? [0xb9, 0x40, 0x00] : [0xb9, 0x40, 0x00, 0x00, 0x00]; // mov (e)cx, 64
    for (const r of REGS) code.push(0xb8 + r, next() & 0xff, next() & 0xff, ...(real ? [] : [next() & 0xff, next() & 0xff]));
    code.push(...(real ? [0xbe, 0x00, 0x40] : [0xbe, 0x00, 0x00, 0x20, 0x00])); // mov (e)si, data
    const body: number[] = [];
    for (let i = 0; i < 14; i++) {
      switch (next() % 16) {
        case 14: case 15: // IMUL, CMOVcc, NOT/NEG, TEST imm, INC/DEC memory (compiled since the Debian kernel's loops need them)
          body.push(...pick([
            [0x0f, 0xaf, 0xc0 | (pick(REGS) << 3) | pick(REGS)],
            [0x0f, 0xaf, 0x46 | (pick(REGS) << 3), next() & 0x3c],
            [0x6b, 0xc0 | (pick(REGS) << 3) | pick(REGS), next() & 0xff],
            ...(real ? [] : [[0x69, 0x46 | (pick(REGS) << 3), next() & 0x3c, next() & 0xff, next() & 0xff, next() & 0xff, next() & 0xff]]),
            [0x0f, 0x40 + (next() % 16), 0xc0 | (pick(REGS) << 3) | pick(REGS)],
            [0x0f, 0x40 + (next() % 16), 0x46 | (pick(REGS) << 3), next() & 0x3c],
            [0xf7, pick([0xd0, 0xd8]) | pick(REGS)],
            [0xf7, pick([0x56, 0x5e]), next() & 0x3c],
            [0xf6, 0xc0 | pick(REGS8), next() & 0xff],
            [pick([0xfe, 0xff]), pick([0x46, 0x4e]), next() & 0x3f],
          ]));
          break;
        case 13:
        case 11: body.push(0x70 + (next() % 16), 0x01, 0x47); break;                                        // Jcc over INC EDI
        case 12: // memory operands at [esi+disp8]: MOV/ALU both ways, ALU imm, byte and word forms
          body.push(...pick([
            [pick([0x89, 0x8b, 0x01, 0x03, 0x29, 0x2b, 0x31, 0x39, 0x21, 0x09, 0x85]), 0x46 | (pick(REGS) << 3), next() & 0x3f],
            [0x83, 0x46 | ((next() % 8) << 3), next() & 0x3f, next() & 0xff],
            [pick([0x88, 0x8a, 0x00, 0x02, 0x38]), 0x46 | (pick(REGS8) << 3), next() & 0x3f],
            [0x66, pick([0x89, 0x8b, 0x01, 0x2b]), 0x46 | (pick(REGS) << 3), next() & 0x3e],
            [0xc7, 0x46, next() & 0x3c, next() & 0xff, next() & 0xff, next() & 0xff, next() & 0xff],
            [0x0f, pick([0xb6, 0xbe]), 0x46 | (pick(REGS) << 3), next() & 0x3f],
          ]));
          break;
        case 7: body.push(0x66, ((next() % 8) << 3) | 1, 0xc0 | (pick(REGS) << 3) | pick(REGS)); break;     // ALU r16, r16
        case 8: body.push(0x0f, pick([0xb6, 0xb7, 0xbe, 0xbf]), 0xc0 | (pick(REGS) << 3) | pick(REGS8)); break; // MOVZX/MOVSX
        case 9: body.push(0x0f, 0x90 + (next() % 16), 0xc0 | pick(REGS8)); break;                           // SETcc r8
        case 10: body.push(0x66, (next() & 1 ? 0x40 : 0x48) + pick(REGS)); break;                           // INC/DEC r16
        case 0: body.push(((next() % 8) << 3) | 1, 0xc0 | (pick(REGS) << 3) | pick(REGS)); break; // ALU r32, r32
        case 1: body.push(0x83, 0xc0 | ((next() % 8) << 3) | pick(REGS), next() & 0xff); break;   // ALU r32, imm8
        case 2: body.push((next() & 1 ? 0x40 : 0x48) + pick(REGS)); break;                         // INC/DEC
        case 3: body.push(0x85, 0xc0 | (pick(REGS) << 3) | pick(REGS)); break;                      // TEST
        case 4: body.push(0xc1, 0xc0 | ((next() % 8) << 3) | pick(REGS), next() & 31); break;      // shift/rotate imm
        case 5: body.push(((next() % 8) << 3), 0xc0 | (pick(REGS8) << 3) | pick(REGS8)); break;    // ALU r8, r8
        default: body.push(0xd1, 0xc0 | ((next() % 8) << 3) | pick(REGS)); break;                   // shift/rotate 1
      }
    }
    code.push(...body, 0xe2, (-(body.length + 2)) & 0xff); // loop body
    code.push(0x9c, 0x58, 0xf4); // pushfd / pop eax / hlt
    if (!real) {
      // a subroutine after the HLT, called from the body (CALL rel32 / ... / RET), and a JMP over nothing
      const subAt = code.length;
      code.push(0x01, 0xc0 | (pick(REGS) << 3) | pick(REGS), 0x83, 0xc0 | ((next() % 8) << 3) | pick(REGS), next() & 0xff, 0xc3);
      const callAt = 5 + REGS.length * 5 + 5; // start of the body (after mov ecx, the register loads, mov esi)
      // splice "call sub; jmp +0" at the start of the body and fix the LOOP displacement
      const rel = subAt + 7 - (callAt + 5);
      code.splice(callAt, 0, 0xe8, rel & 0xff, (rel >> 8) & 0xff, 0, 0, 0xeb, 0x00);
      const loopAt = callAt + 7 + body.length;
      if (code[loopAt] !== 0xe2) throw new Error('test generator: LOOP not where expected');
      code[loopAt + 1] = (-(body.length + 2 + 7)) & 0xff;
    }
    return code;
  }
  function run(code: number[], jit: boolean, real = false) {
    const { exit, cpu, mem } = runBare(code, { jit, real, dataBytes: 0, jitThreshold: 2 });
    return {
      exit, regs: ['eax', 'ebx', 'ecx', 'edx', 'ebp', 'esi', 'edi'].map((r) => cpu.getReg(r)), compiled: cpu.blocksCompiled,
      data: Array.from(mem.ram.subarray(real ? 0x4000 : 0x200000, real ? 0x4048 : 0x200048)),
    };
  }
  it.each([11, 12, 13, 14])('real mode (16-bit registers in locals), seed %i', (seed) => {
    const next = rng(seed * 7919);
    let compiled = 0;
    for (let k = 0; k < 25; k++) {
      const code = program(next, true); // 32-bit immediates in some forms decode differently here: still deterministic
      const on = run(code, true, true), off = run(code, false, true);
      compiled += on.compiled;
      expect({ exit: on.exit, regs: on.regs, data: on.data }).toEqual({ exit: off.exit, regs: off.regs, data: off.data });
    }
    expect(compiled).toBeGreaterThan(25);
  }, 240_000); // (no timing is asserted: programs that run into and rewrite their own code recompile often, ~20 s alone, more under load)
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    const next = rng(seed * 7919);
    for (let k = 0; k < 25; k++) {
      const code = program(next);
      const on = run(code, true), off = run(code, false);
      expect(on.compiled).toBeGreaterThan(0);
      // EAX holds the final EFLAGS; undefined flags (AF after shifts/logic, OF after multi-bit shifts) are
      // computed identically by both paths, so everything must match exactly
      expect({ exit: on.exit, regs: on.regs, data: on.data }).toEqual({ exit: off.exit, regs: off.regs, data: off.data });
      expect(on.exit).toBe('halted-cli'); // the generated program ran to its HLT
    }
  }, 240_000);
});
