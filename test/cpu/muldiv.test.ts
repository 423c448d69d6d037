// 32-bit MUL/IMUL/DIV/IDIV with operands that have bit 31 set (issue 10: `div ecx` with ECX = 0x88776655 raised
// #DE because the divisor was taken as negative). Expected values are the SDM's definitions computed with BigInt.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

const M32 = (1n << 32n) - 1n;
const s32 = (v: bigint): bigint => (v & (1n << 31n) ? v - (1n << 32n) : v);

/** Run one F7 /r instruction with ECX as operand, then HLT; returns EAX, EDX and whether #DE was taken. */
function run(reg: number, eax: number, edx: number, ecx: number): { eax: number; edx: number; de: boolean } {
  const mem = new PhysMemory(2 << 20);
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock() });
  // IDT at 0x2000 is not set up: a #DE would triple-fault, which we observe as the exit reason.
  mem.load(0x100000, new Uint8Array([0xf7, 0xc1 | (reg << 3), 0xf4])); // op ecx / hlt
  cpu.setFlatProtectedMode(0x100000, { eax, ebx: 0 });
  cpu.setReg('edx', edx); cpu.setReg('ecx', ecx);
  const exit = cpu.run(10);
  return { eax: cpu.getReg('eax') >>> 0, edx: cpu.getReg('edx') >>> 0, de: exit === 'triple-fault' };
}

const cases: [number, number, number][] = [
  [0x12345678, 0x00000001, 0x88776655], // the ROM's case: divisor with bit 31 set
  [0xffffffff, 0x88776654, 0x88776655],
  [0x00000000, 0x80000000, 0xffffffff],
  [0x80000000, 0xffffffff, 0x80000000],
  [0xfedcba98, 0x7fffffff, 0x80000001],
  [0x00000005, 0x00000000, 0xfffffffe],
  [0x00000010, 0xffffffff, 0xfffffffc],
];

describe('32-bit MUL/IMUL/DIV/IDIV with bit 31 set (SDM Vol. 2: DIV, IDIV, MUL, IMUL)', () => {
  const hex = (v: number): string => v.toString(16).padStart(8, '0');
  it.each(cases.map(([a, d, c]) => [`EDX:EAX = ${hex(d)}:${hex(a)}, ECX = ${hex(c)}`, a, d, c] as const))('%s', (_, eax, edx, ecx) => {
    const a = BigInt(eax >>> 0), d = BigInt(edx >>> 0), c = BigInt(ecx >>> 0);
    const mul = run(4, eax, edx, ecx);
    expect([mul.eax, mul.edx]).toEqual([Number((a * c) & M32), Number(((a * c) >> 32n) & M32)]);
    const p = s32(a) * s32(c);
    const imul = run(5, eax, edx, ecx);
    expect([imul.eax, imul.edx]).toEqual([Number(p & M32), Number((p >> 32n) & M32)]);

    const n = (d << 32n) | a;
    const q = n / c;
    const div = run(6, eax, edx, ecx);
    if (q > M32) expect(div.de).toBe(true);
    else expect(div).toEqual({ eax: Number(q), edx: Number(n % c), de: false });

    const sn = s32(d) * (1n << 32n) + a, sc = s32(c);
    const sq = sn / sc; // BigInt division truncates toward zero, as IDIV does
    const idiv = run(7, eax, edx, ecx);
    if (sq > 0x7fffffffn || sq < -0x80000000n) expect(idiv.de).toBe(true);
    else expect(idiv).toEqual({ eax: Number(sq & M32), edx: Number((sn % sc) & M32), de: false });
  });
});
