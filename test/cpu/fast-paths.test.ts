// The interpreter's fast entries (src/cpu/fast-paths.ts) for PUSH/POP r32, PUSH imm, CALL rel32, RET (imm16), TEST,
// group 2 and group 3, LEA and MOVZX/MOVSX against the generic handlers they replaced: random instructions after a
// random flag-setting ALU op, run once with the fast entries and once with the generic ones swapped into the
// dispatch table, must leave the same registers, EIP, EFLAGS, raw lazy-flag fields, stack memory and exit (faults
// included: ESP near 0 or 2^32 pushes and pops past the flat stack's limit, a #SS that escalates to a triple fault
// here, since no IDT is set up).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { HANDLERS } from '../../src/cpu/opcode-table.js';
import { genericEntry } from '../../src/cpu/fast-paths.js';
import { setCache } from '../../src/cpu/segments.js';

const CODE = 0x100000, STACK = 0x80000, MEM = 2 << 20;

/** xorshift32: a reproducible sequence */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

interface Trial { code: number[]; regs: number[]; stack16: boolean }

function makeTrial(r: () => number): Trial {
  const pick = <T>(a: readonly T[]): T => a[r() % a.length]!;
  const b = (): number => r() & 0xff;
  const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  // registers: in RAM (memory operands, stack) or anything; ESP also at the edges of the 4 GiB flat stack
  const regs = Array.from({ length: 8 }, () => (r() & 1 ? 0x10000 + (r() % 0x1e0000) : r()) | 0);
  regs[4] = pick([STACK + (r() % 64) - 32, STACK, 0, 2, 4, 0xfffffffc, 0xfffffffe, 0x10000 + (r() % 0x1e0000)]) | 0;
  const modrm = (): number[] => {
    const m = b();
    if (m >= 0xc0) return [m];
    const out = [m];
    if ((m & 7) === 4) out.push(b());
    const mod = m >> 6;
    if (mod === 1) out.push(b()); else if (mod === 2 || (mod === 0 && ((m & 7) === 5 || ((m & 7) === 4 && (out[1]! & 7) === 5)))) out.push(...le32(r()));
    return out;
  };
  const regForm = (): number[] => [0xc0 | (b() & 0x3f)];
  const os = r() % 8 === 0 ? [0x66] : []; // operand-size prefix: the 16-bit forms (the generic handlers)
  const insn = pick<() => number[]>([
    () => [0x50 + (b() & 7)], () => [0x58 + (b() & 7)],
    () => [0x68, ...le32(r())], () => [0x6a, b()],
    () => [0xe8, ...le32(pick([0, 1, 5, -6, -11, r() & 0xfff, r()]))],
    () => [0xc3], () => [0xc2, b(), b()],
    () => [pick([0x84, 0x85]), ...(r() & 1 ? regForm() : modrm())],
    () => [0xa8, b()], () => [0xa9, ...le32(r())],
    () => { const op = pick([0xf6, 0xf7]); const m = r() & 1 ? regForm() : modrm(); return [op, ...m, ...(op === 0xf6 ? [b()] : le32(r()))]; },
    // group 2 on registers (every /r: ROL..SAR, the fast ones and those it hands back), by imm8, 1 and CL
    () => { const op = pick([0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]); return [op, ...regForm(), ...(op < 0xd0 ? [b()] : [])]; },
    () => [0x8d, ...modrm()], // LEA (a register form is #UD)
    () => [0x0f, pick([0xb6, 0xb7, 0xbe, 0xbf]), ...(r() & 1 ? regForm() : modrm())], // MOVZX/MOVSX
  ])();
  // before it: an ALU, INC/DEC or shift op on registers, so the instruction starts from varied lazy-flag states
  const pre = pick<() => number[]>([
    () => [pick([0x01, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x00, 0x28]), ...regForm()],
    () => [0x40 + (b() & 15)], () => [0xc1, 0xe0 | (b() & 0x1f), b()], () => [0xf8], () => [0xf9],
  ])();
  return { code: [...pre, ...os, ...insn, 0xf4], regs, stack16: r() % 10 === 0 };
}

const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

const FILL = new Uint8Array(MEM);
{ const r = rng(0x5eed); for (let i = 0; i < MEM; i += 4) new DataView(FILL.buffer).setUint32(i, r(), true); }

function runTrial(t: Trial): unknown {
  const mem = new PhysMemory(MEM, { wasm: false }); // interpreted only: 4,000 machines, no WebAssembly memory each
  // RAM filled with a pattern (the stack's contents, RET targets), the code at CODE
  mem.load(0, FILL);
  mem.load(CODE, new Uint8Array(t.code));
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit: false });
  cpu.setFlatProtectedMode(CODE, {});
  t.regs.forEach((v, i) => cpu.setReg(NAMES[i]!, v >>> 0));
  if (t.stack16) setCache(cpu, 2, 0x10, 0xffff, 0x00009300); // 16-bit stack: SS.B = 0, limit 0xffff
  const exit = cpu.run(2);
  const esp = cpu.regs[4]! >>> 0;
  const around = (a: number): number[] => Array.from({ length: 48 }, (_, i) => mem.read8((a - 24 + i) >>> 0 & (MEM - 1)));
  return {
    exit, regs: Array.from(cpu.regs), eip: cpu.eip, eflags: cpu.getReg('eflags'),
    lazy: [cpu.lfKind, cpu.lfMask, cpu.lfBits, cpu.lfResI32, cpu.lfDstI32, cpu.lfSrcI32, cpu.flags],
    stack: [around(t.regs[4]! >>> 0), around(esp)],
  };
}

const FAST = [...Array.from({ length: 16 }, (_, i) => 0x250 + i), 0x268, 0x26a, 0x2e8, 0x2c2, 0x2c3,
  ...[0x84, 0x85, 0xa8, 0xa9, 0xf6, 0xf7, 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0x8d, 0x1b6, 0x1b7, 0x1be, 0x1bf]
    .flatMap((op) => [op, op | 0x200])];

function withGeneric<T>(f: () => T): T {
  const saved = FAST.map((i) => HANDLERS[i]!);
  FAST.forEach((i) => { const g = genericEntry(i); if (!g) throw new Error(`no generic entry for 0x${i.toString(16)}`); HANDLERS[i] = g; });
  try { return f(); } finally { FAST.forEach((i, k) => { HANDLERS[i] = saved[k]!; }); }
}

describe('fast PUSH/POP/CALL/RET/TEST/group 2/group 3/LEA/MOVZX entries match the generic handlers', () => {
  it('each fast index replaced a generic entry', () => {
    for (const i of FAST) { expect(genericEntry(i)).toBeTypeOf('function'); expect(HANDLERS[i]).not.toBe(genericEntry(i)); }
  });
  it('2,000 random instructions: same registers, EIP, flags (lazy fields too), stack memory and exit', () => {
    const r = rng(0x13c0ffee);
    const exits = new Map<string, number>();
    for (let n = 0; n < 2000; n++) {
      const t = makeTrial(r);
      const fast = runTrial(t) as { exit: string };
      const gen = withGeneric(() => runTrial(t));
      expect(fast, `code ${t.code.map((v) => v.toString(16)).join(' ')} regs ${t.regs.map((v) => (v >>> 0).toString(16))} stack16 ${t.stack16}`).toEqual(gen);
      exits.set(fast.exit, (exits.get(fast.exit) ?? 0) + 1);
    }
    // the trials reached both ends: instructions that completed, and faults (#SS at the stack's edges, #DE, ...)
    expect(exits.get('budget') ?? 0).toBeGreaterThan(700);
    expect(exits.get('triple-fault') ?? 0).toBeGreaterThan(20);
  });
});
