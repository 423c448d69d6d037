// The memory forms of the interpreter loop's ALU and MOV cases (src/cpu/fast-paths.ts makeInterpLoop: ALU r/m,r and
// r,r/m, MOV 88-8B, through the fast entries' memory forms) against the generic handlers: each random instruction runs
// once as it is and once behind a segment prefix naming its default segment, which sends it through the prefix
// handler to the generic handler (fast-paths.ts genericEntry swapped into the dispatch table). Both must leave the
// same registers, EFLAGS, EIP (past the prefix), RAM and exit. The operands (never the code's own bytes, which the
// prefix moves) sit at page edges (a word or dword across a page), at segment limits (#GP, a triple fault here: no
// IDT), above 2 GiB, outside RAM, in read-only and expand-down data segments, with 32- and 16-bit code, and the TLB
// warm or cold. (Written for an inline version of these forms in the loop, measured and dropped: its checks, the
// limit, the wrap past 2^32, the TLB's write entry, alignment, each failed this test when broken.)
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { HANDLERS } from '../../src/cpu/opcode-table.js';
import { genericEntry } from '../../src/cpu/fast-paths.js';
import { setCache } from '../../src/cpu/segments.js';
import { le32, runPaged } from './paged-machine.js';

const CODE = 0x1f0800, MEM = 2 << 20, CS = 1, SS = 2, DS = 3;
const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

/** xorshift32: a reproducible sequence */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

/** the forms: ALU Eb,Gb .. Gv,Ev for ADD OR AND SUB XOR CMP (ADC/SBB too: the generic handler in the loop as well), MOV */
const OPS = [...Array.from({ length: 8 }, (_, a) => [0, 1, 2, 3].map((f) => (a << 3) | f)).flat(), 0x88, 0x89, 0x8a, 0x8b];

interface Trial { code: number[]; seg: number; regs: number[]; cs16: boolean; ds: number; warm: boolean }

/**
 * data segment kinds: flat, limit 0xFFFFF, read-only, expand-down above 0xFFFFF, (16-bit code) limit 0x7FFF, flat
 * with base 0x10001 (an offset near 2^32 wraps to RAM, an operand there aligned: the last byte's offset past 2^32 is
 * #GP)
 */
const DS_HI = [0x00cf9300, 0x004f9300, 0x00cf9100, 0x004f9700, 0x00009300, 0x00cf9301];
const DS_LO = [0xffff, 0xffff, 0xffff, 0xffff, 0x7fff, 0x0001ffff];

function makeTrial(r: () => number): Trial {
  const pick = <T>(a: readonly T[]): T => a[r() % a.length]!;
  const b = (): number => r() & 0xff;
  const cs16 = r() % 3 === 0;
  const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);
  // offsets: a page's last bytes, a segment limit's neighbourhood, above 2 GiB, past RAM, anywhere
  const near = (v: number): number => (v + (r() % 9) - 4) | 0;
  const val = (): number => pick([
    () => near(((r() % 0x1ff) << 12) + 0x1000), () => near(0xfffff), () => near(0x100000), () => near(0x8000),
    () => near(0x10000), () => near(0), () => r() | 0x80000000, () => near(MEM), () => r() % 0x1f0000, () => r() % 0x10000,
  ])() | 0;
  const regs = Array.from({ length: 8 }, val);
  const op = pick(OPS);
  const m = b() % 0xc0; // a memory operand
  const mod = m >> 6, rm = m & 7;
  const tail: number[] = [];
  let seg = DS;
  if (cs16) {
    if (rm === 2 || rm === 3 || (rm === 6 && mod !== 0)) seg = SS;
    if (mod === 1) tail.push(b()); else if (mod === 2 || (mod === 0 && rm === 6)) tail.push(...le(val(), 2));
  } else {
    if (rm === 4) {
      const sib = b(), base = sib & 7;
      tail.push(sib);
      if (base === 4 || (base === 5 && mod !== 0)) seg = SS;
      if (base === 5 && mod === 0) tail.push(...le(val(), 4));
    } else if (rm === 5 && mod !== 0) seg = SS;
    if (mod === 1) tail.push(b()); else if (mod === 2 || (mod === 0 && rm === 5)) tail.push(...le(val(), 4));
  }
  const ds = cs16 ? pick([0, 2, 4]) : pick([0, 0, 1, 2, 3, 5]);
  return { code: [op, m, ...tail], seg, regs, cs16, ds, warm: r() % 4 !== 0 };
}

const FILL = new Uint8Array(MEM);
{ const r = rng(0x5eed); for (let i = 0; i < MEM; i += 4) new DataView(FILL.buffer).setUint32(i, r(), true); }

/** one machine for each run of a trial, reused (a Cpu's TLB tables are megabytes) */
function machine(): { mem: PhysMemory; cpu: Cpu } {
  const mem = new PhysMemory(MEM);
  return { mem, cpu: new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit: false }) };
}
const A = machine(), B = machine();

function runTrial(t: Trial, prefixed: boolean): { exit: string; regs: number[]; eflags: number; eip: number; ram: Uint8Array } {
  const { mem, cpu } = prefixed ? B : A;
  mem.load(0, FILL);
  const code = [...(prefixed ? [t.seg === SS ? 0x36 : 0x3e] : []), ...t.code, 0xf4];
  mem.load(CODE, new Uint8Array(code));
  cpu.setFlatProtectedMode(CODE, {}); // every register and segment the trial uses set afresh, the TLB flushed
  if (t.cs16) {
    setCache(cpu, CS, 0x08, 0x0800ffff, 0x00009b1f); // 16-bit code at CODE (base 0x1F0800), IP 0
    cpu.eip = 0;
  }
  const hi = DS_HI[t.ds]!, lo = DS_LO[t.ds]!;
  setCache(cpu, DS, 0x10, lo, hi);
  if (t.ds === 4) setCache(cpu, SS, 0x10, lo, hi);
  t.regs.forEach((v, i) => cpu.setReg(NAMES[i]!, v >>> 0));
  // the TLB as a running guest has it (mostly): every RAM page's read and write entries filled, or (a quarter of
  // the trials) empty, so the access takes the slow path
  if (t.warm) for (let a = 0; a < MEM; a += 0x1000) cpu.rdW8L(a);
  const exit = cpu.run(2);
  const ram = mem.store.slice(0, MEM);
  ram.fill(0, CODE, CODE + 16); // the code itself (one byte longer with the prefix)
  return { exit, regs: Array.from(cpu.regs), eflags: cpu.getReg('eflags'), eip: cpu.eip - (prefixed && exit !== 'triple-fault' ? 1 : 0), ram };
}

const INDEXES = OPS.flatMap((op) => [op, op | 0x200]);

function withGeneric<T>(f: () => T): T {
  const saved = INDEXES.map((i) => HANDLERS[i]!);
  INDEXES.forEach((i) => { const g = genericEntry(i); if (g) HANDLERS[i] = g; });
  try { return f(); } finally { INDEXES.forEach((i, k) => { HANDLERS[i] = saved[k]!; }); }
}

describe("the interpreter loop's memory forms match the generic handlers", () => {
  it('3,000 random ALU/MOV memory instructions: same registers, EFLAGS, EIP, RAM and exit', () => {
    const r = rng(0x3e3e1234);
    const exits = new Map<string, number>();
    for (let n = 0; n < 3000; n++) {
      const t = makeTrial(r);
      const loop = runTrial(t, false);
      const gen = withGeneric(() => runTrial(t, true));
      const what = `code ${t.code.map((v) => v.toString(16)).join(' ')} regs ${t.regs.map((v) => (v >>> 0).toString(16))} cs16 ${t.cs16} ds ${t.ds}`;
      expect({ ...loop, ram: undefined }, what).toEqual({ ...gen, ram: undefined });
      expect(Buffer.compare(loop.ram, gen.ram), what).toBe(0);
      exits.set(loop.exit, (exits.get(loop.exit) ?? 0) + 1);
    }
    // both ends reached: instructions that completed (HLT after them) and faults (#GP, #SS: a triple fault here)
    expect(exits.get('halted-cli') ?? 0).toBeGreaterThan(1000);
    expect(exits.get('triple-fault') ?? 0).toBeGreaterThan(300);
  });
  it('an operand whose offset wraps past 2^32 is #GP even where the linear address is aligned RAM', () => {
    // MOV EAX,[EBX] / ADD [EBX],EAX with EBX = 0xFFFFFFFF and DS base 0x10001: linear 0x10000, but bytes at
    // offsets 0x1_0000_0000.. are past the 4 GiB limit
    for (const op of [0x8b, 0x01]) {
      const t: Trial = { code: [op, 0x03], seg: DS, regs: [0, 0, 0, -1, 0x8000, 0, 0, 0], cs16: false, ds: 5, warm: true };
      expect(runTrial(t, false).exit).toBe('triple-fault');
      expect(withGeneric(() => runTrial(t, true)).exit).toBe('triple-fault');
    }
  });
});

describe('a store through the loop\'s memory forms uses the write translation', () => {
  // a read-only page (CR0.WP) whose read entry the TLB holds (MOV EAX,[ESI] first): MOV [ESI],EBX and ADD [ESI],EBX
  // (the loop's store and read-modify-write) take #PF with the page unchanged
  const RO = 0x201000;
  for (const [name, insn] of [['mov [esi], ebx', [0x89, 0x1e]], ['add [esi], ebx', [0x01, 0x1e]]] as const) {
    it(name, () => {
      const code = [
        0x0f, 0x20, 0xc0, 0x0d, ...le32(0x10000), 0x0f, 0x22, 0xc0, // CR0.WP = 1
        0xbe, ...le32(RO), 0xbb, ...le32(0x11111111), // mov esi, RO / mov ebx, 0x11111111
        0x8b, 0x06, ...insn, 0xf4, //                   mov eax, [esi] / the store / hlt
      ];
      const r = runPaged(code, {
        notPresent: [],
        setup: (ram) => { ram.set(le32(0x5a5a5a5a), RO); ram.set(le32(RO | 1), 0x11000 + 4 * (RO >>> 12)); },
      });
      expect([r.vector, r.cpu.getReg('eax'), r.cpu.getReg('cr2')]).toEqual([14, 0x5a5a5a5a, RO]);
      expect(Array.from(r.ram.subarray(RO, RO + 4))).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
    });
  }
});
