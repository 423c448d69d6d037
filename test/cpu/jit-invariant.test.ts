// Loop-invariant memory sites (src/cpu/jit/invariant-sites.ts): a looping block translates an address whose
// registers it never writes once, before the loop. The interpreter is the reference: the same registers, memory,
// instruction count and exceptions with compiled blocks on and off, where the hoisting must not apply (a base
// register written through its byte view, a write into the loop's own code) or must fall back (a fault).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu } from '../../src/cpu/cpu.js';

function run(code: number[], jit: boolean) {
  const mem = new PhysMemory(1 << 20);
  const clock = new VirtualClock();
  const cpu = new Cpu({ mem, io: new PortBus(), clock, jit, jitThreshold: 4 });
  mem.load(0x1000, new Uint8Array(code));
  cpu.setReg('cs', 0); cpu.setReg('ip', 0x1000); cpu.setReg('ss', 0); cpu.setReg('sp', 0x8000);
  // #GP/#SS land on a HLT at 0x500 (real-mode IVT entries 12 and 13)
  mem.load(0x500, new Uint8Array([0xf4]));
  for (const v of [12, 13]) mem.load(v * 4, new Uint8Array([0x00, 0x05, 0x00, 0x00]));
  const exit = cpu.run(2_000_000);
  const regs = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'eip', 'flags'].map((r) => cpu.getReg(r));
  return { exit, regs, insns: clock.instructions, compiled: cpu.blocksCompiled, ram: Array.from(mem.ram.slice(0x1000, 0x1100)), data: Array.from(mem.ram.slice(0x7000, 0x7100)) };
}

function same(code: number[]) {
  const on = run(code, true), off = run(code, false);
  expect(on.compiled).toBeGreaterThan(0);
  expect(on).toEqual({ ...off, compiled: on.compiled });
  return on;
}

describe('block compiler: loop-invariant memory sites', () => {
  it('an address whose base register the loop writes through its byte view is not hoisted', () => {
    //       mov bx,0x7000 / mov cx,300 / l: mov [bx],al / inc al / inc bl / add dx,[bx] / dec cx / jnz l / hlt
    const on = same([0xbb, 0x00, 0x70, 0xb9, 0x2c, 0x01, 0x88, 0x07, 0xfe, 0xc0, 0xfe, 0xc3, 0x03, 0x17, 0x49, 0x75, 0xf5, 0xf4]);
    expect(on.data.slice(0, 4)).toEqual([0x00, 0x01, 0x02, 0x03]);
  });

  it('hoisted sites read and write the same words every iteration (disp16 and [si+4])', () => {
    //       mov si,0x7010 / mov cx,500 / l: add ax,[si+4] / mov [0x7000],ax / inc word [0x7002] / adc dx,[0x7000] / dec cx / jnz l / hlt
    const on = same([0xbe, 0x10, 0x70, 0xb9, 0xf4, 0x01, 0x03, 0x44, 0x04, 0xa3, 0x00, 0x70, 0xff, 0x06, 0x02, 0x70,
      0x13, 0x16, 0x00, 0x70, 0x49, 0x75, 0xef, 0xf4]);
    expect(on.data[2]! | (on.data[3]! << 8)).toBe(500);
  });

  it('a loop that writes its own code through an invariant address sees the new code', () => {
    //       mov cx,200 / l: mov [l+1... ] patches the imm8 of "add bl,imm8" inside the loop
    //       l: add bl,1 / mov byte [0x1007],2 / dec cx / jnz l / hlt      (0x1007 = the imm8 of add bl,1)
    const on = same([0xb9, 0xc8, 0x00, 0x90, 0x90, 0x80, 0xc3, 0x01, 0xc6, 0x06, 0x07, 0x10, 0x02, 0x49, 0x75, 0xf4, 0xf4]);
    expect(on.regs[1]! & 0xff).toBe((1 + 199 * 2) & 0xff);
  });

  it('a hoisted site that faults (word at offset 0xFFFF) faults in the same place as the interpreter', () => {
    //       mov si,0x7010 / mov cx,100 / l: inc dx / add ax,[si+4] / dec cx / jnz l
    //       mov si,0xfffb / mov cx,100 / jmp l          (the compiled loop entered again: #GP on its first read)
    const on = same([0xbe, 0x10, 0x70, 0xb9, 0x64, 0x00, 0x42, 0x03, 0x44, 0x04, 0x49, 0x75, 0xf9,
      0xbe, 0xfb, 0xff, 0xb9, 0x64, 0x00, 0xeb, 0xf1]);
    expect(on.exit).toBe('halted-cli');
    expect(on.regs[3]! & 0xffff).toBe(0x0610 + 101); // DX from reset (the CPU signature), + 100 iterations + the one that faulted
  });
});

describe('block compiler: flags across IN/OUT (no flag barrier)', () => {
  it('a carry set before an OUT and an IN is the carry ADC reads after them', () => {
    //       mov cx,3000 / l: add si,0x7001 / out 0x80,al / in al,0x71 / adc bx,0 / sbb dx,di / dec cx / jnz l / hlt
    const on = same([0xb9, 0xb8, 0x0b, 0x81, 0xc6, 0x01, 0x70, 0xe6, 0x80, 0xe4, 0x71, 0x83, 0xd3, 0x00, 0x19, 0xfa,
      0x49, 0x75, 0xf0, 0xf4]);
    expect(on.regs[1]! & 0xffff).toBeGreaterThan(1000); // BX counted the carries
  });
});
