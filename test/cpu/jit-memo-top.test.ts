// A compiled block's memory site keeps a one-entry cache (the last offset and its RAM index, jit/compile.ts). Its
// empty value was the offset -1, so the first access at offset 0xFFFFFFFF through a site (a byte at the top of a flat
// segment: here unmapped, so all-ones) read RAM byte 0 instead. Found by the random-bytes comparison in
// wasm-tier.test.ts; both tiers must read what the interpreter reads.
import { describe, expect, it } from 'vitest';
import { runBare } from './bare-machine.js';

// l: mov edx, -1 / mov al, [edx] / add bl, al / dec ecx / jnz l / hlt   (ECX = 50)
const CODE = [0xb9, 50, 0, 0, 0, 0x31, 0xdb, 0xba, 0xff, 0xff, 0xff, 0xff, 0x8a, 0x02, 0x00, 0xc3, 0x49, 0x75, 0xf4, 0xf4];

describe('a compiled read at offset 0xFFFFFFFF', () => {
  for (const wasm of [false, true]) {
    it(`reads the top byte of the address space, not RAM byte 0 (${wasm ? 'WebAssembly' : 'JavaScript'} blocks)`, () => {
      const go = (jit: boolean) => runBare(CODE, {
        jit, wasm, real: false, dataBytes: 0, jitThreshold: 2, setup: (m) => { m.ram[0] = 0x21; },
      });
      const i = go(false), c = go(true);
      expect(i.cpu.getReg('ebx') & 0xff).toBe((50 * 0xff) & 0xff); // all-ones where nothing is mapped
      // a WebAssembly block leaves before the read (no TLB entry maps it: emit.ts leaveBefore) and the interpreter
      // makes it, so only the MOV EDX before it runs compiled; a JavaScript block makes it in its slow path
      expect(c.inBlocks).toBeGreaterThan(wasm ? 30 : 100);
      expect(c.cpu.getReg('ebx')).toBe(i.cpu.getReg('ebx'));
    });
  }
});
