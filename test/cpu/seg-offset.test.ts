// Offsets of 2 GiB and more against a segment limit. The interpreter passes offsets to CpuState.segR/segW as int32s
// (an offset of 0xFFFFFFF0 is -16 there) or unsigned, and both must be checked as the unsigned offset: against a DS
// limit of 0xFFFFF, [EBX] with EBX = 0xFFFFFFF0 is #GP (a triple fault here: no IDT), with EBX = 0xFFFF0 a read.
// The forms: MOV and ADD r32,m32 (the interpreter loop's memory forms), ADC (the generic handler through the
// E-operand accessors), LODSD (the string instructions), MOV m32,r32 (a write), PUSH on a 32-bit stack whose
// ESP wraps below 0 (#SS), and JMP/CALL/RET to targets of 2 GiB and more past a CS limit of 0xFFFFF (#GP).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { setCache } from '../../src/cpu/segments.js';

const CODE = 0x1000, MEM = 2 << 20, DS = 3;
/** a 32-bit read/write data segment, base 0, byte-granular limit 0xFFFFF */
const DATA_1M = [0x0000ffff, 0x004f9300] as const;

function run(code: number[], regs: Record<string, number>, dsLimited: boolean, csLimited = false): { exit: string; eax: number; at: number; eip: number; esp: number } {
  const mem = new PhysMemory(MEM);
  mem.load(CODE, new Uint8Array([...code, 0xf4]));
  mem.load(0xffff0, new Uint8Array([0x78, 0x56, 0x34, 0x12]));
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock(), jit: false });
  cpu.setFlatProtectedMode(CODE, { esp: 0x8000, ...regs });
  if (dsLimited) setCache(cpu, DS, 0x10, DATA_1M[0], DATA_1M[1]);
  if (csLimited) setCache(cpu, 1, 0x08, 0x0000ffff, 0x004f9b00); // 32-bit code, limit 0xFFFFF
  mem.write32(0x8000, 0xfffffff0); // a return address above the CS limit (RET)
  const exit = cpu.run(3);
  return { exit, eax: cpu.getReg('eax'), at: mem.read32(0xffff0), eip: cpu.eip, esp: cpu.getReg('esp') };
}

describe('memory offsets of 2 GiB and more are checked unsigned against the segment limit', () => {
  const reads: [string, number[], string][] = [
    ['MOV EAX,[EBX]', [0x8b, 0x03], 'ebx'], ['ADD EAX,[EBX]', [0x03, 0x03], 'ebx'],
    ['ADC EAX,[EBX]', [0x13, 0x03], 'ebx'], ['LODSD', [0xad], 'esi'],
  ];
  for (const [name, code, r] of reads) {
    it(`${name}: #GP above the limit, a read below it`, () => {
      expect(run(code, { [r]: 0xfffffff0 }, true).exit).toBe('triple-fault');
      expect(run(code, { [r]: 0x80000000 }, true).exit).toBe('triple-fault');
      const ok = run(code, { [r]: 0xffff0, eax: 0 }, true);
      expect(ok.exit).toBe('halted-cli');
      expect(ok.eax).toBe(0x12345678);
    });
  }
  it('MOV [EBX],EAX: #GP above the limit with nothing written, a write below it', () => {
    const bad = run([0x89, 0x03], { ebx: 0xfffffff0, eax: 0xcafe }, true);
    expect(bad.exit).toBe('triple-fault');
    const ok = run([0x89, 0x03], { ebx: 0xffff0, eax: 0xcafe }, true);
    expect([ok.exit, ok.at]).toEqual(['halted-cli', 0xcafe]);
  });
  it('PUSH with ESP 2 on a flat 32-bit stack: #SS (ESP - 4 wraps to 0xFFFFFFFE, past the 4 GiB limit)', () => {
    expect(run([0x50], { esp: 2 }, false).exit).toBe('triple-fault');
    expect(run([0x50], { esp: 0x8000 }, false).exit).toBe('halted-cli');
  });
  it('JMP/CALL rel32 and RET to 0x80001005 / 0xFFFFFFF0 past a CS limit of 0xFFFFF: #GP at the instruction, ESP kept', () => {
    // (a jump taken without the check would fault at the target's fetch instead: EIP there, and ESP moved)
    const far = [0x00, 0x00, 0x00, 0x80]; // rel32 0x80000000 from 0x1005
    const at = (r: { exit: string; eip: number; esp: number }): unknown[] => [r.exit, r.eip, r.esp];
    expect(at(run([0xe9, ...far], {}, false, true))).toEqual(['triple-fault', CODE, 0x8000]);
    expect(at(run([0xe8, ...far], {}, false, true))).toEqual(['triple-fault', CODE, 0x8000]);
    expect(at(run([0xc3], {}, false, true))).toEqual(['triple-fault', CODE, 0x8000]);
    // rel32 0 (the next instruction, HLT), inside the limit
    expect(run([0xe9, 0, 0, 0, 0], {}, false, true).exit).toBe('halted-cli');
    expect(run([0xe8, 0, 0, 0, 0], {}, false, true).exit).toBe('halted-cli');
  });
});
