// The WebAssembly tier (src/cpu/jit/wasm/) against the interpreter: random loops over every form the tier compiles
// (8-, 16- and 32-bit ALU with register, memory and immediate operands, ADC/SBB, INC/DEC, NEG/NOT, TEST, shifts and
// rotates by 1, imm8 and CL, IMUL, MOVZX/MOVSX, SETcc, CMOVcc, PUSH/POP/PUSHF, LEA, XCHG, BT*, MOVS/STOS/LODS, CDQ,
// moffs, CALL/RET and JMP followed inside a block, Jcc side exits; RDTSC) end with the same registers, EFLAGS, memory,
// stack and retired count; a page fault inside a chained block is precise; a store into the running block's own
// code takes effect at the next instruction; blocks chain without returning to the run loop.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { clearModuleCache } from '../../src/cpu/jit/wasm/module-cache.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { setCache } from '../../src/cpu/segments.js';
import { le16, le32, runBare } from './bare-machine.js';
import { runPaged } from './paged-machine.js';
import { enterRandomFlat, fillRandom } from './random-flat-machine.js';

const DATA = 0x200000;

function run(code: number[], tier: 'interp' | 'wasm', setup?: (m: PhysMemory, c: Cpu) => void) {
  const { exit, insns, inBlocks, cpu, mem } = runBare(code, {
    jit: tier === 'wasm', wasm: tier === 'wasm', real: false, dataBytes: 0x1000, jitThreshold: 2, ...(setup ? { setup } : {}),
  });
  return {
    exit, insns, inBlocks, wasmBlocks: cpu.wasmBlocks, entries: cpu.blockEntries, wasmError: cpu.wasmTier?.error ?? null,
    regs: ['eax', 'ebx', 'ecx', 'edx', 'ebp', 'esi', 'edi', 'esp', 'eip', 'eflags'].map((r) => cpu.getReg(r)),
    data: Array.from(mem.ram.subarray(DATA, DATA + 0x1000)),
    stack: Array.from(mem.ram.subarray(0x7fe00, 0x80000)),
  };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/**
 * A loop of 30 iterations (ECX) over a random body; EAX, EBX, EDX, EDI random, ESI the data pointer (moved a little
 * each iteration), EBP a second pointer into the data for the string forms. Memory operands are [esi+disp8],
 * [esi+ebx*0+disp8] (a SIB byte), [disp32] and moffs, all inside the data window.
 */
function program(next: () => number): number[] {
  const pick = <T>(a: readonly T[]): T => a[next() % a.length]!;
  const R = [0, 2, 3, 7]; // EAX EDX EBX EDI: free for the body
  const code: number[] = [0xb9, ...le32(30)]; // mov ecx, 30
  for (const r of R) code.push(0xb8 + r, ...le32(next()));
  code.push(0xbe, ...le32(DATA + 0x400), 0xbd, ...le32(DATA + 0x800)); // mov esi / mov ebp
  const modrmMem = (reg: number): number[] => {
    switch (next() % 3) {
      case 0: return [0x46 | (reg << 3), next() & 0x7c]; // [esi+disp8]
      case 1: return [0x44 | (reg << 3), 0x26, next() & 0x7c]; // [esi+disp8] through a SIB byte (no index)
      default: return [0x05 | (reg << 3), ...le32(DATA + 0x100 + (next() & 0x3fc))]; // [disp32]
    }
  };
  const rm = (reg: number): number[] => (next() % 2 ? [0xc0 | (reg << 3) | pick(R)] : modrmMem(reg));
  const body: number[] = [];
  for (let i = 0; i < 24; i++) {
    switch (next() % 24) {
      case 0: body.push(pick([0x01, 0x03, 0x09, 0x0b, 0x11, 0x13, 0x19, 0x1b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b]), ...rm(pick(R))); break;
      case 1: body.push(pick([0x00, 0x02, 0x10, 0x12, 0x28, 0x2a, 0x38, 0x3a]), ...rm(pick([0, 2, 3, 4, 6, 7]))); break; // 8-bit incl. AH DH BH
      case 2: body.push(0x66, pick([0x01, 0x03, 0x29, 0x2b, 0x39, 0x3b, 0x11, 0x19, 0x89, 0x8b]), ...rm(pick(R))); break; // 16-bit
      case 3: body.push(0x83, ...rm(next() % 8), next() & 0xff); break;
      case 4: body.push(0x81, ...rm(next() % 8), ...le32(next())); break;
      case 5: body.push(pick([0x40, 0x48]) + pick(R)); break; // INC/DEC r32
      case 6: body.push(0xf7, ...rm(pick([2, 3]))); break; // NOT / NEG
      case 7: { const op = pick([0xc1, 0xd1, 0xd3]); body.push(op, ...rm(pick([0, 1, 4, 5, 7]))); if (op === 0xc1) body.push(next() & 0xff); break; }
      case 8: body.push(0x0f, 0xaf, 0xc0 | (pick(R) << 3) | pick(R)); break; // IMUL r, r
      case 9: body.push(0x6b, ...rm(pick(R)), next() & 0xff); break; // IMUL r, r/m, imm8
      case 10: body.push(0x0f, pick([0xb6, 0xb7, 0xbe, 0xbf]), ...rm(pick(R))); break;
      case 11: body.push(0x0f, 0x90 + (next() % 16), 0xc0 | pick([0, 3])); break; // SETcc al/bl
      case 12: body.push(0x0f, 0x40 + (next() % 16), ...rm(pick(R))); break; // CMOVcc
      case 13: body.push(0x50 + pick(R), 0x58 + pick(R)); break; // PUSH r / POP r
      case 14: body.push(0x9c, 0x58 + pick(R)); break; // PUSHF / POP r
      case 15: body.push(0x8d, ...modrmMem(pick(R))); break; // LEA
      case 16: body.push(0x87, ...rm(pick(R))); break; // XCHG
      case 17: body.push(0x0f, 0xba, 0xc0 | ((4 + (next() & 3)) << 3) | pick(R), next() & 0xff); break; // BTx r, imm8
      case 18: body.push(0x56, 0x57, 0x89, 0xee, 0x8d, 0x7e, 0x40, ...(next() % 3 === 0 ? [0x66] : []), pick([0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad]), 0x5f, 0x5e); break; // string forms (and 16-bit ones) on EBP's area
      case 19: body.push(...(next() % 2 ? [0x99] : [0xf3, 0x90])); break; // CDQ, PAUSE
      case 20: body.push(pick([0xa0, 0xa1, 0xa2, 0xa3]), ...le32(DATA + 0x200 + (next() & 0x3fc))); break; // moffs
      case 21: // more 16-bit forms: group 1, INC/DEC r16, NOT/NEG, MOV r16/m16 imm16, TEST, SHL/SHR/SAR by 1 and imm8
        switch (next() % 6) {
          case 5: { const op = pick([0xc1, 0xd1]); body.push(0x66, op, ...rm(pick([4, 5, 7]))); if (op === 0xc1) body.push(pick([1, 5, 15, 16, 17, 31, next() & 0xff])); break; }
          case 0: body.push(0x66, 0x83, ...rm(next() % 8), next() & 0xff); break;
          case 1: body.push(0x66, pick([0x40, 0x48]) + pick(R)); break;
          case 2: body.push(0x66, 0xf7, ...rm(pick([2, 3]))); break;
          case 3: if (next() % 2) body.push(0x66, 0xb8 + pick(R), ...le16(next())); else body.push(0x66, 0x81, ...rm(next() % 8), ...le16(next())); break;
          default: body.push(0x66, 0x85, ...rm(pick(R))); break;
        }
        break;
      case 22: // BTx r, r; BTx m, edx with EDX a bit offset of -256..255 (the dword it falls in, around ESI's)
        if (next() % 2) body.push(0x0f, pick([0xa3, 0xab, 0xb3, 0xbb]), 0xc0 | (pick(R) << 3) | pick(R));
        else body.push(0xba, ...le32((next() & 0x1ff) - 0x100), 0x0f, pick([0xa3, 0xab, 0xb3, 0xbb]), 0x46 | (2 << 3), next() & 0x7c);
        break;
      default: body.push(0x85, ...rm(pick(R))); break; // TEST
    }
    // a Jcc over the next instruction now and then: a side exit on one path
    if (next() % 6 === 0) body.push(0x70 + (next() % 16), 1, 0x90);
  }
  // a bit string in memory in every body: BTC [esi+disp8], edx, EDX a bit offset of -256..255
  body.push(0xba, ...le32((next() & 0x1ff) - 0x100), 0x0f, 0xbb, 0x46 | (2 << 3), next() & 0x7c);
  // CALL a subroutine in the same page and come back (the block follows both), then the loop's back edge
  const sub = [0x83, 0xc6, 0x04, 0xc3]; // add esi, 4 / ret
  const loop = [...body, 0xe8, ...le32(5), 0xe9, ...le32(sub.length), ...sub];
  const back = -(loop.length + 2);
  code.push(...loop, 0x49, 0x0f, 0x85, ...le32(back - 5)); // dec ecx / jnz rel32 back
  code.push(0xf4);
  return code;
}

describe('the WebAssembly tier agrees with the interpreter', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`random 32-bit loop, seed ${seed}`, () => {
      const code = program(rng(seed * 7919));
      const interp = run(code, 'interp');
      const wasm = run(code, 'wasm');
      expect(wasm.exit).toBe(interp.exit);
      expect(wasm.regs).toEqual(interp.regs);
      expect(wasm.data).toEqual(interp.data);
      expect(wasm.stack).toEqual(interp.stack);
      expect(wasm.insns).toBe(interp.insns);
      expect(interp.exit).toBe('halted-cli');
      expect(wasm.wasmBlocks).toBeGreaterThan(0);
      expect(wasm.wasmError).toBeNull(); // every module compiled
      expect(wasm.inBlocks).toBeGreaterThan(wasm.insns / 4);
    });
  }

});

describe('16-bit shifts by a constant in WebAssembly blocks', () => {
  it('SHL, SHR and SAR of a 16-bit register and word by 1, 5, 15, 16, 17 and 31: the interpreter\'s results and flags', () => {
    // ecx = 40 / eax, edx seeds / L: per shift and count: 66 C1 /op ax (or [esi+0x10]), cnt; pushfd; pop ebx;
    // add edi, ebx (every EFLAGS folded into EDI); add eax, edx; rol edx, 5 (AX of either sign) / dec ecx / jnz L / hlt
    const body: number[] = [];
    for (const op of [4, 5, 7]) {
      for (const cnt of [1, 5, 15, 16, 17, 31]) {
        body.push(0x66, 0xc1, 0xc0 | (op << 3), cnt, 0x9c, 0x5b, 0x01, 0xdf, 0x01, 0xd0, 0xc1, 0xc2, 0x05); // ... rol edx, 5
        body.push(0x66, 0xc1, 0x46 | (op << 3), 0x10, cnt, 0x9c, 0x5b, 0x01, 0xdf, 0x66, 0x01, 0x56, 0x10);
      }
      body.push(0x66, 0xd1, 0xc0 | (op << 3), 0x9c, 0x5b, 0x01, 0xdf);
    }
    const code = [0xb9, ...le32(40), 0xb8, ...le32(0x12348765), 0xba, ...le32(0x9abc4321), 0xbe, ...le32(DATA), 0x31, 0xff,
      ...body, 0x49, 0x0f, 0x85, ...le32(-(body.length + 7)), 0xf4];
    const interp = run(code, 'interp'), wasm = run(code, 'wasm');
    expect(wasm.regs).toEqual(interp.regs);
    expect(wasm.data).toEqual(interp.data);
    expect(wasm.insns).toBe(interp.insns);
    expect(wasm.inBlocks).toBeGreaterThan(wasm.insns / 2);
  });
});

describe('RDTSC in WebAssembly blocks', () => {
  // The TSC set far past 2^32, 2 ns an instruction; ecx = 60 / L: add ebx, 3 / rdtsc / mov [esi], eax / mov [esi+4], edx /
  // add esi, 8 / cmp eax, edi / ja over (a side exit now and then: the next block reached through the chain) / nop /
  // over: xor edi, eax / dec ecx / jnz L / hlt. Every value the interpreter stores, the blocks store.
  const code = [0xb9, ...le32(60), 0xbe, ...le32(DATA), 0x31, 0xff, 0x83, 0xc3, 0x03, 0x0f, 0x31, 0x89, 0x06, 0x89, 0x56, 0x04,
    0x83, 0xc6, 0x08, 0x39, 0xf8, 0x77, 0x01, 0x90, 0x31, 0xc7, 0x49, 0x75, 0xe9, 0xf4];
  const setup = (_m: PhysMemory, c: Cpu): void => { c.clock.setShift(1); c.tsc = 0x5_0000_0000 - 500; };
  it('reads the TSC the interpreter reads, at the block\'s and the chain\'s instruction counts', () => {
    const interp = run(code, 'interp', setup), wasm = run(code, 'wasm', setup);
    expect(wasm.regs).toEqual(interp.regs);
    expect(wasm.data).toEqual(interp.data);
    expect(wasm.insns).toBe(interp.insns);
    expect(wasm.wasmBlocks).toBeGreaterThan(0);
    expect(wasm.inBlocks).toBeGreaterThan(wasm.insns / 2);
    // the high dword passed 5 during the loop (the low one wrapped)
    expect(new Set(wasm.data.filter((_, i) => i % 8 === 4 && i < 60 * 8))).toEqual(new Set([4, 5]));
  });
});

describe('FS- and GS-relative operands in WebAssembly blocks', () => {
  // ecx = 40 / L: mov eax, fs:[esi+0x10] / inc dword fs:[esi+0x14] / add fs:[esi+0x18], edx / mov ebx, fs:[moffs] /
  // add eax, gs:[esi+0x1c] / add edi, eax / add edi, ebx / rol edx, 3 / dec ecx / jnz L / hlt
  const body = [0x64, 0x8b, 0x46, 0x10, 0x64, 0xff, 0x46, 0x14, 0x64, 0x01, 0x56, 0x18, 0x64, 0x8b, 0x1d, ...le32(DATA + 0x20),
    0x65, 0x03, 0x46, 0x1c, 0x01, 0xc7, 0x01, 0xdf, 0xc1, 0xc2, 0x03];
  // (first a DS read of the page past DATA's, so that the TLB holds it when an FS operand reaches it)
  const loop = (b: number[]): number[] => [0xa1, ...le32(DATA + 0x1010), 0xb9, ...le32(40), 0xba, ...le32(0x9abcc321),
    0xbe, ...le32(DATA), 0x31, 0xff, ...b, 0x49, 0x0f, 0x85, ...le32(-(b.length + 7)), 0xf4];
  for (const [what, fs, gs, runs] of [
    ['a flat FS at base 0x100 and GS at 0x200: their bases added inline', [0x0100ffff, 0x00cf9300], [0x0200ffff, 0x00cf9300], true],
    // (a block leaves before each operand of an FS that is not flat but for its base: the interpreter checks FS)
    ['an FS at base 0x100 with a 4 MiB limit: the interpreter checks FS', [0x010003ff, 0x00c09300], [0x0000ffff, 0x00cf9300], false],
    ['an FS with a 4 KiB limit: #GP at its first access, as interpreted', [0x00000fff, 0x00409300], [0x0000ffff, 0x00cf9300], false],
    // ESI moves up 0x80 a pass: the 32nd pass's FS operands (in a block by then) cross FS's limit, 0x200FFF: #GP
    ['an FS whose limit a compiled access crosses: #GP there, as interpreted', [0x00000200, 0x00c09300], [0x0000ffff, 0x00cf9300], false],
  ] as const) {
    it(what, () => {
      const setup = (m: PhysMemory, c: Cpu): void => {
        for (let i = 0; i < 0x1000; i++) m.ram[DATA + i] = (i * 13 + (i >> 8) * 101 + 7) & 0xff;
        setCache(c, 4, 0x10, fs[0], fs[1]); setCache(c, 5, 0x10, gs[0], gs[1]);
      };
      const code = loop(runs ? body : [...body, 0x81, 0xc6, ...le32(0x80)]); // (add esi, 0x80)
      const interp = run(code, 'interp', setup), wasm = run(code, 'wasm', setup);
      expect(wasm.exit).toBe(interp.exit);
      expect(wasm.regs).toEqual(interp.regs);
      expect(wasm.data).toEqual(interp.data);
      expect(wasm.insns).toBe(interp.insns);
      if (runs) expect(wasm.inBlocks).toBeGreaterThan(wasm.insns / 2);
    });
  }
});

describe('WebAssembly blocks: faults, self-modifying code and chaining', () => {
  // the test's code jumps to A at 0x102000; A jumps to B at 0x103000, whose Jcc goes back to A's loop
  function twoPages(b: number[], jit: boolean, notPresent: number[]) {
    const aAt = 0x102000, bAt = 0x103000;
    const a = [0xbe, ...le32(0x202f00), 0xb9, ...le32(1000), 0x31, 0xc0]; // mov esi, 0x202f00 / mov ecx, 1000 / xor eax, eax
    const loopAt = aAt + a.length;
    a.push(0x01, 0xc8, 0xe9, ...le32(bAt - (loopAt + 7))); // L: add eax, ecx / jmp B
    const bCode = [...b, 0x49, 0x0f, 0x85, ...le32(loopAt - (bAt + b.length + 7)), 0xf4]; // dec ecx / jnz L / hlt
    return runPaged([0xba, ...le32(aAt), 0xff, 0xe2], { jit, notPresent, setup: (ram) => { ram.set(a, aAt); ram.set(bCode, bAt); } });
  }
  const state = (r: ReturnType<typeof runPaged>) => ({
    exit: r.exit, vector: r.vector, cr2: r.cpu.getReg('cr2'), insns: r.cpu.clock.instructions,
    regs: ['eax', 'ebx', 'ecx', 'esi', 'esp', 'eflags'].map((x) => r.cpu.getReg(x)),
    frame: Array.from(r.ram.subarray(r.cpu.getReg('esp'), r.cpu.getReg('esp') + 16)),
  });

  it('a #PF on a memory operand in a chained block is precise (frame EIP, registers, flags, CR2, retired count)', () => {
    const B = [0x8b, 0x1e, 0x83, 0xc6, 0x10, 0x31, 0xd8]; // mov ebx, [esi] / add esi, 16 / xor eax, ebx
    const interp = state(twoPages(B, false, [0x203000]));
    const wasm = state(twoPages(B, true, [0x203000]));
    expect(interp.vector).toBe(14);
    expect(interp.cr2).toBe(0x203000);
    expect(wasm).toEqual(interp);
  });

  it('blocks chain: a loop through two pages enters the run loop\'s blocks a few times, not once per iteration', () => {
    const B = [0x8b, 0x1e, 0x83, 0xc6, 0x00, 0x31, 0xd8]; // the same, without moving ESI: no fault
    const r = twoPages(B, true, []);
    const i = twoPages(B, false, []);
    expect(state(r)).toEqual(state(i));
    expect(r.cpu.wasmBlocks).toBeGreaterThanOrEqual(2);
    expect(r.cpu.insnsInBlocks).toBeGreaterThan(5000);
    expect(r.cpu.blockEntries).toBeLessThan(100); // 1000 iterations of two blocks: chained inside the dispatcher
  });

  it('a store into the running block\'s own code takes effect at the next instruction, as interpreted', () => {
    // L: mov byte [P+1], cl / P: mov al, 0 / add ebx, eax / dec ecx / jnz L / hlt -- the store patches P's imm8
    const code = (base: number): number[] => {
      const L = base + 9, P = L + 6;
      return [0xb9, ...le32(200), 0x31, 0xc0, 0x31, 0xdb, // mov ecx, 200 / xor eax, eax / xor ebx, ebx
        0x88, 0x0d, ...le32(P + 1), 0xb0, 0x00, 0x01, 0xc3, 0x49, 0x75, 0xf3, 0xf4];
    };
    const go = (jit: boolean) => {
      const r = runBare(code(0x100000), { jit, wasm: true, real: false, dataBytes: 0, jitThreshold: 2 });
      return { exit: r.exit, ebx: r.cpu.getReg('ebx'), insns: r.insns };
    };
    const i = go(false), w = go(true);
    expect(i.ebx).toBe((200 * 201) / 2);
    expect(w).toEqual(i);
  });
});


describe('WebAssembly blocks where the host refuses a synchronous compile (a browser main thread)', () => {
  it('the modules are compiled in the background and the blocks run compiled once they arrive, agreeing with the interpreter', async () => {
    const code = program(rng(4242));
    code.splice(1, 4, ...le32(600)); // mov ecx, 600: a longer loop
    const interp = run(code, 'interp');
    clearModuleCache(); // no module kept from earlier tests: every batch goes to the host's compiler
    const Module = WebAssembly.Module;
    let refused = 0;
    // as Chrome's main thread refuses a synchronous compile above 4 KB (here above 1 KB: the dispatcher compiles, the batches do not)
    const Limited = function (bytes: BufferSource) {
      if ((bytes as Uint8Array).byteLength > 1024) { refused++; throw new RangeError('WebAssembly.Module(): Buffer size is over the limit'); }
      return new Module(bytes);
    } as unknown as typeof WebAssembly.Module;
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Limited;
    try {
      const mem = new PhysMemory(4 << 20);
      const clock = new VirtualClock();
      const cpu = new Cpu({ mem, io: new PortBus(), clock, jit: true, jitThreshold: 2 });
      for (let i = 0; i < 0x1000; i++) mem.ram[DATA + i] = (i * 37 + 11) & 0xff;
      mem.load(0x100000, new Uint8Array(code));
      cpu.setFlatProtectedMode(0x100000, { esp: 0x80000 });
      expect(cpu.run(5000)).toBe('budget');
      expect(refused).toBeGreaterThan(0);
      const early = cpu.insnsInBlocks;
      // the host compiles in the background meanwhile; then slices with the event loop between them, as a page runs
      // (a batch formed during a slice arrives at a later one)
      let exit;
      do { await new Promise((r) => setTimeout(r, 20)); exit = cpu.run(2000); } while (exit === 'budget');
      expect(exit).toBe('halted-cli');
      expect(cpu.wasmTier?.error ?? null).toBeNull();
      expect(cpu.insnsInBlocks - early).toBeGreaterThan(clock.instructions / 2);
      expect(clock.instructions).toBe(interp.insns);
      expect(['eax', 'ebx', 'ecx', 'edx', 'ebp', 'esi', 'edi', 'esp', 'eip', 'eflags'].map((r) => cpu.getReg(r))).toEqual(interp.regs);
      expect(Array.from(mem.ram.subarray(DATA, DATA + 0x1000))).toEqual(interp.data);
    } finally {
      (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Module;
    }
  });
});

describe('random bytes as flat 32-bit code: the WebAssembly tier compiling at first sight agrees with the interpreter', () => {
  // Random code and data below 1 MiB (the code writes over itself, faults, jumps anywhere), a flat GDT and gates to
  // more random code: every round run interpreted and with every block compiled at its first visit. The registers,
  // EFLAGS, EIP, the exit, the retired count and all of RAM agree; no module fails to compile.
  function round(seed: number, tier: 'interp' | 'wasm') {
    const next = rng(seed);
    const mem = new PhysMemory(4 << 20);
    const clock = new VirtualClock();
    const cpu = new Cpu({ mem, io: new PortBus(), clock, jit: tier === 'wasm', jitThreshold: 0, wasm: true });
    cpu.onTripleFault = () => {};
    const ram = mem.ram;
    fillRandom(ram, next);
    // bias towards the forms the tier compiles: every 8th dword an ALU/MOV with a memory operand near ESI
    for (let i = 0; i < 0x100000; i += 32) ram.set([pickOp(next), 0x46 | ((next() & 7) << 3), next() & 0x7c], i);
    enterRandomFlat(cpu, ram, next, { esp: 0x80000, esi: 0x40000 });
    const exit = cpu.run(20_000);
    let sum = 0;
    for (let i = 0; i < 0x100000; i++) sum = (Math.imul(sum, 31) + ram[i]!) | 0;
    return {
      exit, insns: clock.instructions, sum, error: cpu.wasmTier?.error ?? null,
      regs: ['eax', 'ebx', 'ecx', 'edx', 'ebp', 'esi', 'edi', 'esp', 'eip', 'eflags', 'cr2'].map((r) => cpu.getReg(r)),
      inBlocks: cpu.insnsInBlocks,
    };
  }
  const pickOp = (next: () => number): number => [0x01, 0x03, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x89, 0x8b, 0x85, 0x21][next() % 12]!;
  it('24 rounds of 20,000 instructions', () => {
    let compiled = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const i = round(seed * 104729, 'interp'), w = round(seed * 104729, 'wasm');
      expect({ seed, ...w, inBlocks: 0 }).toEqual({ seed, ...i, inBlocks: 0 });
      compiled += w.inBlocks;
    }
    expect(compiled).toBeGreaterThan(1000);
  });
});

describe('warm-up with the default thresholds: long straight-line code after a REP string instruction compiles', () => {
  // top: mov ecx, 4 / mov esi, DATA / mov edi, DATA+0x100 / rep movsb / 300 x add eax, ebx / dec edx / jnz top
  // (EDX = 6000). The block at `top` is 4 instructions long and stops at REP MOVSB, which neither compiler starts a
  // block with: the run loop must look for a block right after it (fast-paths.ts: after a REP string instruction),
  // and the 300-instruction block there compiles at its first try, 2,048 visits, because its length makes it worth
  // it (cpu.ts WASM_WORK), not after the 16,384 visits a short block waits.
  const code = [0xba, ...le32(6000), 0xbb, ...le32(3),
    0xb9, ...le32(4), 0xbe, ...le32(DATA), 0xbf, ...le32(DATA + 0x100), 0xf3, 0xa4,
    ...Array.from({ length: 300 }, () => [0x01, 0xd8]).flat(), 0x4a];
  code.push(0x0f, 0x85, ...le32(10 - (code.length + 6)), 0xf4); // jnz top (top = offset 10)
  it('runs the loop compiled from a few thousand iterations on, agreeing with the interpreter', () => {
    const go = (jit: boolean) => runBare(code, { jit, wasm: true, real: false, dataBytes: 0x200, jitThreshold: 16384, budget: 4_000_000 });
    const i = go(false), w = go(true);
    expect(w.exit).toBe('halted-cli');
    expect(w.cpu.getReg('eax')).toBe(i.cpu.getReg('eax'));
    expect(w.cpu.getReg('eax')).toBe(6000 * 300 * 3);
    expect(w.insns).toBe(i.insns);
    // compiled from ~3,000 iterations on (2,048 visits, then its batch waits up to 262,144 instructions), not 16,384
    expect(w.inBlocks).toBeGreaterThan(6000 * 300 / 3);
  });
});

describe('warm-up across a page: the code after an instruction that runs on into the next page is a block start', () => {
  // jmp top; top (0xf00): 127 x add eax, ebx / add eax, 1 (5 bytes from 0xffe: it runs on into the next page) /
  // 300 x add eax, ebx / dec edx / jnz top (EDX = 6000). A block ends at its page's end and never holds the
  // instruction across it, so the 300 instructions after it can only be a block of their own, started there.
  // Before the interpreters looked for a block where the code ran into the next page, that start was counted only
  // once the block at `top` had compiled and fell out before the crossing instruction (Linux's blake2s: the second
  // half of its 1,600 instructions ran interpreted ~4,000 times a boot); now both halves warm up together.
  const TOP = 0xf00;
  const code = [0xba, ...le32(6000), 0xbb, ...le32(3), 0xe9, ...le32(TOP - 15)];
  while (code.length < TOP) code.push(0);
  for (let i = 0; i < 127; i++) code.push(0x01, 0xd8);
  code.push(0x05, ...le32(1));
  for (let i = 0; i < 300; i++) code.push(0x01, 0xd8);
  code.push(0x4a);
  code.push(0x0f, 0x85, ...le32(TOP - (code.length + 6)), 0xf4);
  const go = (jit: boolean, wasmInterp: boolean) => runBare(code, {
    jit, wasm: true, real: false, dataBytes: 0, jitThreshold: 16384, budget: 4_000_000,
    setup: (_m, c) => { c.wasmInterp = wasmInterp; },
  });
  it.each([['the WebAssembly interpreter', true], ['the JavaScript interpreter', false]])('with %s: both halves run compiled from a few thousand iterations on', (_, wi) => {
    const i = go(false, false), w = go(true, wi);
    expect(code[0xffe]).toBe(0x05); // the crossing instruction's first byte is the first page's next-to-last
    expect(w.exit).toBe('halted-cli');
    expect(w.cpu.getReg('eax')).toBe(i.cpu.getReg('eax'));
    expect(w.cpu.getReg('eax')).toBe(6000 * (127 * 3 + 1 + 300 * 3));
    expect(w.insns).toBe(i.insns);
    // the 302-instruction block from ~2,700 iterations on of 6,000 (2,048 visits, then its batch's wait), the
    // 127-instruction one at `top` after twice the visits (cpu.ts WASM_WORK): 1.19 M of the 2.58 M instructions.
    // Before, the second half's start was never counted in these 6,000 iterations: nothing ran compiled.
    expect(w.inBlocks).toBeGreaterThan(1_000_000);
  });
  it('the two interpreters count the same visits: the same instructions run compiled', () => {
    expect(go(true, true).inBlocks).toBe(go(true, false).inBlocks);
  });
});

describe('EFLAGS made complete in a block (PUSHF) after each kind of producer', () => {
  // ecx = 40 / L: mov eax, 0x7fffffff / add eax, ebx (EBX = 1 then 2...: OF and AF set, CF clear) / pushf / pop edx /
  // mov [esi], edx / sub eax, ebx (no OF now) / pushf / pop edx / mov [esi+4], edx / or eax, edi (logical: CF AF OF
  // clear whatever they were) / pushf / pop edx / mov [esi+8], edx / sbb edi, 1 / pushf / pop edx / mov [esi+12], edx /
  // inc ebx / add esi, 16 / dec ecx / jnz L / hlt. Each PUSHF materialises the flags from the producer before it.
  const code = [0xb9, ...le32(40), 0xbb, ...le32(1), 0xbf, ...le32(0x80000001), 0xbe, ...le32(DATA),
    0xb8, ...le32(0x7fffffff), 0x01, 0xd8, 0x9c, 0x5a, 0x89, 0x16,
    0x29, 0xd8, 0x9c, 0x5a, 0x89, 0x56, 0x04,
    0x09, 0xf8, 0x9c, 0x5a, 0x89, 0x56, 0x08,
    0x83, 0xdf, 0x01, 0x9c, 0x5a, 0x89, 0x56, 0x0c,
    0x43, 0x83, 0xc6, 0x10, 0x49];
  code.push(0x75, (20 - (code.length + 2)) & 0xff, 0xf4); // jnz L (L = offset 20)
  it('pushes what the interpreter pushes: OF, AF and CF from ADD, SUB, OR and SBB', () => {
    const interp = run(code, 'interp'), wasm = run(code, 'wasm');
    expect(wasm.data).toEqual(interp.data);
    expect(wasm.regs).toEqual(interp.regs);
    expect(wasm.inBlocks).toBeGreaterThan(wasm.insns / 2);
    const flags = (k: number): number => interp.data[k]! | (interp.data[k + 1]! << 8);
    expect(flags(0) & 0x800).toBe(0x800); // the first ADD overflowed
    expect(flags(8) & 0x811).toBe(0); // OR: CF, AF and OF clear
  });
});

describe('ROL, ROR and BT in a block leave the flags they do not set lazy', () => {
  // ecx = 40, ebx = 1, edx and edi random, esi = results, ebp = a page walker / L: mov eax, 0x7fffffff / add eax, ebx
  // (OF and AF set on the first pass) / rol edx, 5 (CF, OF from the rotate; SZAP still the ADD's) / pushf / pop eax /
  // mov [esi], eax / mov eax, ebx / sub eax, 3 / ror edx, 7 / seto, setb, sete, setbe, sets, setp, setl, setle
  // [esi+4..11] / or eax, edi / bt edx, 3 (CF; SZP still the OR's) / pushf / pop eax / mov [esi+16], eax / adc edi,
  // [ebp] (a page not yet in the TLB: the block leaves before it, and the interpreter reads CF and the lazy rest from
  // what the block stored) / pushf / pop eax / mov [esi+12], eax / inc ebx / add esi, 32 / add ebp, 0x1000 / dec ecx /
  // jnz L / hlt
  const code = [0xb9, ...le32(40), 0xbb, ...le32(1), 0xba, ...le32(0x9e3779b9), 0xbf, ...le32(0x7f4a7c15),
    0xbe, ...le32(DATA), 0xbd, ...le32(DATA + 0x2000)];
  const L = code.length;
  code.push(0xb8, ...le32(0x7fffffff), 0x01, 0xd8, 0xc1, 0xc2, 0x05, 0x9c, 0x58, 0x89, 0x06,
    0x89, 0xd8, 0x83, 0xe8, 0x03, 0xc1, 0xca, 0x07);
  for (const [cc, k] of [[0, 4], [2, 5], [4, 6], [6, 7], [8, 8], [0xa, 9], [0xc, 10], [0xe, 11]] as const) code.push(0x0f, 0x90 + cc, 0x46, k);
  code.push(0x09, 0xf8, 0x0f, 0xba, 0xe2, 0x03, 0x9c, 0x58, 0x89, 0x46, 0x10,
    0x13, 0x7d, 0x00, 0x9c, 0x58, 0x89, 0x46, 0x0c,
    0x43, 0x83, 0xc6, 0x20, 0x81, 0xc5, ...le32(0x1000), 0x49);
  code.push(0x75, (L - (code.length + 2)) & 0xff, 0xf4);
  it('PUSHF, SETcc and an ADC the interpreter runs after a block exit see what the interpreter computes', () => {
    const interp = run(code, 'interp'), wasm = run(code, 'wasm');
    expect(wasm.wasmError).toBeNull();
    expect(wasm.data).toEqual(interp.data);
    expect(wasm.regs).toEqual(interp.regs);
    expect(wasm.inBlocks).toBeGreaterThan(wasm.insns * 0.6); // everything before the ADC
    const word = (k: number): number => interp.data[k]! | (interp.data[k + 1]! << 8);
    expect(word(0) & 0x10).toBe(0x10); // the first pass: AF from the ADD (0x7fffffff + 1), kept through the ROL
    expect(new Set(interp.data.slice(0, 40 * 32).filter((_, i) => (i & 31) >= 4 && (i & 31) < 12))).toEqual(new Set([0, 1])); // SETcc
  });
});
