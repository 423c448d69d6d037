// Branches inside a WebAssembly block (jit/wasm/emit.ts labels; wasm-block.ts formBlock's other paths): random
// loops with data-dependent if/then, if/then/else and inner counted loops, each followed by an instruction that reads
// the flags where its paths join, run in slices of 3 to 1,000 instructions, agree with the interpreter after every
// slice (retired count, EIP, registers, EFLAGS) and in memory at the end. A slice ends where the budget does, so a
// branch to a label that leaves for want of budget, and one that goes round, are both exercised.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { le32 } from './bare-machine.js';

const CODE = 0x100000, DATA = 0x200000;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** EAX EBX EDX EBP: free for the bodies (ECX counts the outer loop, EDI the inner ones, ESI points at the data) */
const FREE = [0, 3, 2, 5];

/** One random instruction on the free registers and the data at [esi + disp8]. */
function alu(next: () => number): number[] {
  const r = (): number => FREE[next() % FREE.length]!;
  switch (next() % 8) {
    case 0: return [[0x01, 0x29, 0x31, 0x21, 0x09, 0x11, 0x19][next() % 7]!, 0xc0 | (r() << 3) | r()]; // ADD SUB XOR AND OR ADC SBB
    case 1: return [0x83, 0xc0 | ((next() % 8) << 3) | r(), next() & 0xff];
    case 2: return [0x40 + r() + (next() % 2) * 8]; // INC/DEC
    case 3: return [0xc1, 0xc0 | ([4, 5, 7][next() % 3]! << 3) | r(), 1 + (next() % 31)]; // SHL SHR SAR
    case 4: return [0x8b, 0x46 | (r() << 3), next() & 0x3c]; // mov r, [esi + d]
    case 5: return [0x03, 0x46 | (r() << 3), next() & 0x3c]; // add r, [esi + d]
    case 6: return [0x89, 0x46 | (r() << 3), next() & 0x3c]; // mov [esi + d], r
    default: return [0x0f, 0xaf, 0xc0 | (r() << 3) | r()]; // IMUL r, r
  }
}

/** A flag producer whose result follows the data, then a random condition: the branch goes either way. */
function test(next: () => number): number[] {
  const r = FREE[next() % FREE.length]!;
  return [...(next() % 2 ? [0x85, 0xc0 | (r << 3) | FREE[next() % FREE.length]!] : [0x83, 0xf8 | r, next() & 0xff]), 0x70 + (next() % 16)];
}

function straight(next: () => number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...alu(next));
  return out;
}

/** if/then, if/then/else or an inner counted loop (rel8 branches), nested once now and then (no loop in a loop) */
function structure(next: () => number, depth: number, loops = true): number[] {
  const inner = (): number[] => (depth < 1 && next() % 3 === 0 ? structure(next, depth + 1, loops) : straight(next, 1 + (next() % 4)));
  switch (next() % (loops ? 3 : 2)) {
    case 0: { const then = inner(); return [...test(next), then.length, ...then]; }
    case 1: {
      const then = inner(), other = inner();
      return [...test(next), then.length + 2, ...then, 0xeb, other.length, ...other];
    }
    default: {
      // mov edi, 1..4 / L: body / dec edi / jnz L
      const body = depth < 1 && next() % 3 === 0 ? structure(next, depth + 1, false) : straight(next, 1 + (next() % 4));
      return [0xbf, ...le32(1 + (next() % 4)), ...body, 0x4f, 0x75, -(body.length + 3) & 0xff];
    }
  }
}

/** mov ecx, 40 / mov esi, DATA / random registers / L: structures / add esi, 4 / dec ecx / jnz L / hlt */
function program(next: () => number): number[] {
  const code: number[] = [0xb9, ...le32(40), 0xbe, ...le32(DATA)];
  for (const r of FREE) code.push(0xb8 + r, ...le32(next()));
  const body: number[] = [];
  // after each structure (where its paths join), something that reads the flags: PUSHF / POP, SETcc, ADC or SBB
  const reader = (): number[] => [[0x9c, 0x5d], [0x0f, 0x90 + (next() % 16), 0xc3], [0x11, 0xd8], [0x19, 0xc2]][next() % 4]!;
  for (let k = 0; k < 3; k++) body.push(...structure(next, 0), ...reader(), ...straight(next, next() % 3));
  body.push(0x83, 0xc6, 0x04, 0x49);
  code.push(...body, 0x0f, 0x85, ...le32(-(body.length + 6)), 0xf4);
  return code;
}

function machine(code: number[], data: Uint8Array, wasm: boolean) {
  const mem = new PhysMemory(4 << 20);
  const clock = new VirtualClock();
  const cpu = new Cpu({ mem, io: new PortBus(), clock, jit: wasm, wasm, jitThreshold: 2 });
  mem.load(CODE, new Uint8Array(code));
  mem.load(DATA, data);
  cpu.setFlatProtectedMode(CODE, { esp: 0x80000 });
  return { mem, clock, cpu };
}

/** After each slice: the retired count, EIP, the registers and EFLAGS */
function slices(m: ReturnType<typeof machine>, sizes: readonly number[]): number[][] {
  const out: number[][] = [];
  for (let k = 0; !m.cpu.halted && k < 100_000; k++) {
    m.cpu.run(sizes[k % sizes.length]!);
    out.push([m.clock.instructions, ...['eip', 'eax', 'ebx', 'ecx', 'edx', 'ebp', 'esi', 'edi', 'eflags'].map((r) => m.cpu.getReg(r))]);
  }
  return out;
}

describe('branches inside a WebAssembly block agree with the interpreter', () => {
  for (let seed = 1; seed <= 16; seed++) {
    it(`random branchy loop, seed ${seed}`, () => {
      const next = rng(seed * 104_729);
      const code = program(next);
      const data = new Uint8Array(0x400).map(() => next() & 0xff);
      const sizes = [7, 64, 3, 211, 65, 1000, 29];
      const a = machine(code, data, false), b = machine(code, data, true);
      const sa = slices(a, sizes), sb = slices(b, sizes);
      expect(sb).toEqual(sa);
      expect(a.cpu.halted).toBe(true);
      expect(Array.from(b.mem.ram.subarray(DATA, DATA + 0x400))).toEqual(Array.from(a.mem.ram.subarray(DATA, DATA + 0x400)));
      expect(b.cpu.wasmTier?.error ?? null).toBeNull();
      expect(b.cpu.insnsInBlocks).toBeGreaterThan(a.clock.instructions / 2);
    });
  }
});

describe('a loop head that reads CF', () => {
  // L: adc eax, ebx / sbb edx, eax / inc ebp / sub ecx, 1 / jnz L / hlt (ecx = 5000): the back edge leaves CF lazy
  // (from SUB), and the loop head, compiled to take CF from EFLAGS, needs it made complete on the way round
  it('ADC after a back edge with a lazy CF agrees with the interpreter', () => {
    const code = [0xb9, ...le32(5000), 0xb8, ...le32(0x89abcdef), 0xbb, ...le32(0xdeadbeef), 0xba, ...le32(7),
      0x11, 0xd8, 0x19, 0xc2, 0x45, 0x83, 0xe9, 0x01, 0x75, 0xf6, 0xf4];
    const a = machine(code, new Uint8Array(4), false), b = machine(code, new Uint8Array(4), true);
    const sizes = [5, 100, 37];
    expect(slices(b, sizes)).toEqual(slices(a, sizes));
    expect(b.cpu.insnsInBlocks).toBeGreaterThan(10_000);
  });
});

describe('a loop whose branches follow the data stays in one block', () => {
  it('if/then/else: the else arm, first taken after the block compiled, is in the loop\'s block, not a block of its own', () => {
    // L: mov eax, [esi] / test al, 1 / jnz ELSE / add ebx, eax / jmp JOIN / ELSE: sub edx, eax / JOIN: add esi, 4 /
    // dec ecx / jnz L / hlt, over 64 words: 8 even ones, then odd and even by turns
    const body = [0x8b, 0x06, 0xa8, 0x01, 0x75, 0x04, 0x01, 0xc3, 0xeb, 0x02, 0x29, 0xc2, 0x83, 0xc6, 0x04, 0x49];
    const code = [0xb9, ...le32(64), 0xbe, ...le32(DATA), ...body, 0x0f, 0x85, ...le32(-(body.length + 6)), 0xf4];
    const data = new Uint8Array(256);
    for (let k = 8; k < 64; k++) data[4 * k] = k;
    const a = machine(code, data, false), b = machine(code, data, true);
    a.cpu.run(100_000); b.cpu.run(100_000);
    expect(['eax', 'ebx', 'edx', 'esi'].map((r) => b.cpu.getReg(r))).toEqual(['eax', 'ebx', 'edx', 'esi'].map((r) => a.cpu.getReg(r)));
    expect(b.clock.instructions).toBe(a.clock.instructions);
    // the block at L (compiled at its second visit) holds both arms: neither ELSE nor JOIN becomes a block start
    expect(b.cpu.wasmBlocks).toBe(1);
    // ...and the run loop entered it once: it went round, through both arms, to the end of the data
    expect(b.cpu.blockEntries).toBe(1);
    expect(b.cpu.insnsInBlocks).toBeGreaterThan(0.8 * b.clock.instructions);
  });
});
