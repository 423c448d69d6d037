// The WebAssembly tier's module cache (src/cpu/jit/wasm/module-cache.ts): a second machine running the same code
// (with the same RAM or more) instantiates the modules the first compiled instead of compiling them again, from each
// block's first try, and runs exactly as the interpreter; the cache gives the same module only for the same bytes and
// keeps at most MODULE_CACHE_BYTES.
import { beforeEach, describe, expect, it } from 'vitest';
import { clearModuleCache, MODULE_CACHE_BYTES, moduleCacheStats, moduleFor } from '../../src/cpu/jit/wasm/module-cache.js';
import { le32, runBare } from './bare-machine.js';

const DATA = 0x200000;
// mov ecx, 100000 / mov esi, DATA / l: add eax,[esi+8] / xor [esi+4],eax / add ebx,eax / rol ebx,3 / dec ecx / jnz l / hlt
const LOOP = [
  0xb9, ...le32(100000), 0xbe, ...le32(DATA),
  0x03, 0x46, 0x08, 0x31, 0x46, 0x04, 0x01, 0xc3, 0xc1, 0xc3, 0x03, 0x49, 0x75, 0xf2, 0xf4,
];

/** `jitThreshold` 8000: the loop's start is first tried after 2,048 visits (cpu.ts WASM_FIRST) and compiled after 8,192 */
function run(tier: 'interp' | 'wasm', memBytes = 4 << 20) {
  const { exit, insns, inBlocks, cpu, mem } = runBare(LOOP, { jit: tier === 'wasm', wasm: tier === 'wasm', real: false, dataBytes: 0x1000, jitThreshold: 8000, memBytes, budget: 2_000_000 });
  return {
    exit, insns, inBlocks, modules: cpu.wasmTier?.modules ?? 0, adopted: cpu.wasmTier?.adopted ?? 0, error: cpu.wasmTier?.error ?? null,
    regs: ['eax', 'ebx', 'ecx', 'esi', 'eip', 'eflags'].map((r) => cpu.getReg(r)),
    data: Array.from(mem.ram.subarray(DATA, DATA + 16)),
  };
}

/** A valid module of `size` bytes: the 8-byte header and a custom section whose payload is `fill`. */
function moduleBytes(size: number, fill: number): Uint8Array<ArrayBuffer> {
  const payload = size - 8 - 1 - 5; // section id, a 5-byte LEB128 length
  const b = new Uint8Array(size);
  b.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00]);
  for (let i = 0, v = payload; i < 5; i++, v >>>= 7) b[9 + i] = (v & 0x7f) | (i < 4 ? 0x80 : 0);
  b[14] = 1; b[15] = 0x61; // name "a"
  b.fill(fill, 16);
  return b;
}

describe('the WebAssembly tier keeps its compiled modules for the process', () => {
  beforeEach(() => clearModuleCache());

  it('a second machine running the same code compiles nothing, takes its blocks at their first try, and agrees with the interpreter', () => {
    const interp = run('interp');
    const first = run('wasm');
    const afterFirst = moduleCacheStats();
    expect(first.modules).toBeGreaterThan(0);
    expect(first.adopted).toBe(0);
    expect(afterFirst.compiles).toBe(first.modules);
    expect(afterFirst.blocks).toBeGreaterThan(0);
    const second = run('wasm');
    const afterSecond = moduleCacheStats();
    expect(afterSecond.compiles).toBe(afterFirst.compiles); // nothing compiled again
    expect(second.modules).toBe(0);
    expect(second.adopted).toBeGreaterThan(0); // modules of the first, instantiated for blocks of theirs
    expect(second.adopted).toBeLessThanOrEqual(first.modules);
    expect(afterSecond.blockHits).toBeGreaterThan(afterFirst.blockHits);
    // the first machine's loop ran interpreted until its batch compiled (8,192 visits and more), the second's only
    // until its first try at the 2,048th visit
    expect(first.insns - first.inBlocks).toBeGreaterThan(8192 * 6);
    expect(second.insns - second.inBlocks).toBeLessThan(2100 * 6);
    for (const r of [first, second]) {
      expect(r.error).toBeNull();
      expect(r.inBlocks).toBeGreaterThan(r.insns / 2);
      expect({ exit: r.exit, insns: r.insns, regs: r.regs, data: r.data }).toEqual({ exit: interp.exit, insns: interp.insns, regs: interp.regs, data: interp.data });
    }
  });

  it('a machine with more RAM takes the modules of one with less (the code reaches RAM through the TLB) and agrees', () => {
    const interp = run('interp', 32 << 20);
    const small = run('wasm', 4 << 20);
    const big = run('wasm', 32 << 20);
    expect(small.modules).toBeGreaterThan(0);
    expect(big.modules).toBe(0);
    expect(big.adopted).toBeGreaterThan(0);
    expect(big.error).toBeNull();
    expect({ exit: big.exit, insns: big.insns, regs: big.regs, data: big.data }).toEqual({ exit: interp.exit, insns: interp.insns, regs: interp.regs, data: interp.data });
  });

  it('the same bytes give the same module, other bytes another; at most MODULE_CACHE_BYTES are kept, the least recently used go first', () => {
    const size = Math.floor(MODULE_CACHE_BYTES / 3) + 16; // two fit, three do not
    const a = moduleBytes(size, 1);
    const ma = moduleFor(a);
    expect(moduleFor(new Uint8Array(a))).toBe(ma); // equal bytes in another array
    const mb = moduleFor(moduleBytes(size, 2));
    expect(mb).not.toBe(ma);
    expect(moduleFor(a)).toBe(ma); // used again: now the most recent
    moduleFor(moduleBytes(size, 3)); // the third: the least recently used (2) goes
    const s = moduleCacheStats();
    expect(s.bytes).toBeLessThanOrEqual(MODULE_CACHE_BYTES);
    expect(s.modules).toBe(2);
    expect(moduleFor(a)).toBe(ma);
    const compiles = moduleCacheStats().compiles;
    expect(moduleFor(moduleBytes(size, 2))).not.toBe(mb);
    expect(moduleCacheStats().compiles).toBe(compiles + 1); // evicted: compiled again
  });
});
