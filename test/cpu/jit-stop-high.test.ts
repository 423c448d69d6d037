// A compiled block above 2 GiB (a kernel's addresses) that stops at an instruction no tier compiles (CLTS): the
// block records where it stopped as EIP's 32 bits in an int32 (Block.stopAt), like CpuState.eipI32. Stored unsigned,
// a kernel's EIPs made that field a double and V8 gave every compiled block a new shape, which deoptimised the run
// loop (src/cpu/jit/block.ts). The loop itself runs to the same result interpreted and compiled.
import { describe, expect, it } from 'vitest';
import { le32, runPaged } from './paged-machine.js';

const PD = 0x10000, PT = 0x11000;
/** runPaged's code starts after its 26-byte preamble at 0x100000 */
const CODE = 0x100000 + 26;

// xor eax, eax / mov ecx, 20 / jmp +0xC0000000 (to the next instruction's alias at 0xC0100000 + ...) /
// L: inc eax / clts / dec ecx / jnz L / hlt
const code = [0x31, 0xc0, 0xb9, ...le32(20), 0xe9, ...le32(0xc0000000), 0x40, 0x0f, 0x06, 0x49, 0x75, 0xfa, 0xf4];
const L = 0xc0000000 + CODE + 12, CLTS = L + 1, HLT = L + 6;

function run(jit: boolean) {
  // the same page table at 0xC0000000 (page directory entry 0x300)
  return runPaged(code, { notPresent: [], jit, setup: (ram) => ram.set(le32(PT | 3), PD + 4 * 0x300) });
}

describe('a compiled block that stops at an uncompilable instruction above 2 GiB', () => {
  it('runs the loop at 0xC01xxxxx to the same end, interpreted and compiled', () => {
    for (const jit of [false, true]) {
      const r = run(jit);
      expect(r.exit).toBe('halted-cli');
      expect(r.vector).toBe(-1);
      expect(r.cpu.getReg('eax') >>> 0).toBe(20);
      expect(r.cpu.getReg('eip') >>> 0).toBe(HLT + 1);
    }
  });

  it('records the stop as an int32 EIP', () => {
    const r = run(true);
    const stops = r.cpu.blocks.filter((b) => b !== undefined && b.stopAt !== -1).map((b) => b!.stopAt);
    expect(stops).toContain(CLTS | 0);
    for (const s of stops) expect(s).toBe(s | 0);
  });
});
