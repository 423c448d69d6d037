// Block-start visits: a block is compiled on the visit after `jitThreshold` visits of its address (counted where a
// block may start: after a branch), and two addresses that share a slot of the block table reset each other's count.
// The interpreter's loop counts most visits itself (fast-paths.ts makeInterpLoop), Cpu.runChunk the rest: the
// counts, and so which instructions run compiled, must be exactly the same either way.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

const BASE = 0x100000;

/** Run code placed at the given addresses from BASE (32-bit flat, IF=0) to its HLT, block compiler on. */
function run(...parts: [number, number[]][]) {
  const mem = new PhysMemory(4 << 20);
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jitThreshold: 4, wasm: false });
  for (const [at, code] of parts) mem.load(at, new Uint8Array(code));
  cpu.setFlatProtectedMode(BASE, { esp: 0x80000 });
  const exit = cpu.run(1_000_000);
  return { exit, ecx: cpu.getReg('ecx'), compiled: cpu.blocksCompiled, inBlocks: cpu.insnsInBlocks, retired: cpu.retired };
}

/** Cpu.runChunk's slot of a linear address (JIT_SLOTS = 1 << 16) */
const slot = (lin: number): number => (lin ^ (lin >>> 14)) & 0xffff;

const rel32 = (from: number, to: number): number[] => {
  const d = (to - from) | 0;
  return [d & 0xff, (d >>> 8) & 0xff, (d >>> 16) & 0xff, d >>> 24];
};

describe('block-start visits', () => {
  it('a loop compiles on the visit after the threshold, and the rest of its iterations run compiled', () => {
    // mov ecx,100 / l: inc eax / dec ecx / jnz l / hlt
    const r = run([BASE, [0xb9, 100, 0, 0, 0, 0x40, 0x49, 0x75, 0xfc, 0xf4]]);
    // iteration 1 falls into l; the JNZ of iterations 1-4 visits l 4 times; the fifth visit (iteration 6) compiles
    // the loop and is interpreted; iterations 7-100 run in the block: 94 * 3 instructions
    expect(r).toEqual({ exit: 'halted-cli', ecx: 0, compiled: 1, inBlocks: 94 * 3, retired: 1 + 300 + 1 });
  });

  it('two addresses in one slot, visited in turn, never reach the threshold; in different slots both compile', () => {
    // A: dec ecx / jz out / jmp B ... out: hlt      B: jmp A   (ECX = 100 from a MOV before A)
    const prog = (b: number): number[] => {
      const code = [0xb9, 100, 0, 0, 0];
      const a = BASE + code.length;
      code.push(0x49, 0x74, 0x05, 0xe9, ...rel32(a + 8, b), 0xf4);
      return code;
    };
    const a = BASE + 5;
    let b = a + 0x10000;
    while (slot(b) !== slot(a)) b++;
    const shared = run([BASE, prog(b)], [b, [0xe9, ...rel32(b + 5, a)]]);
    expect(shared).toEqual({ exit: 'halted-cli', ecx: 0, compiled: 0, inBlocks: 0, retired: 1 + 99 * 4 + 3 });
    const apart = run([BASE, prog(b + 1)], [b + 1, [0xe9, ...rel32(b + 6, a)]]);
    expect(apart.compiled).toBe(2);
    expect(apart.retired).toBe(shared.retired);
  });
});
