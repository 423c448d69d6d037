// The interpreter's loop runs its commonest forms inline, fetching their bytes from the code-fetch window (one
// linear page). When a form's ModRM byte, immediate or branch displacement lies on the next page, the form gives up
// before changing anything and the instruction runs in its handler (src/cpu/fast-paths.ts, fetchOrBail). Each form
// here straddles a page boundary, in real mode and in flat protected mode, interpreted and with compiled blocks on.
import { describe, expect, it } from 'vitest';
import { runBare } from './bare-machine.js';

const BASE_REAL = 0x1000, BASE_PROT = 0x100000;

/** Code whose bytes `parts` start at the given offsets from the load address, NOP-filled in between. */
function layout(parts: [number, number[]][]): number[] {
  const code: number[] = [];
  for (const [at, bytes] of parts) {
    if (code.length > at) throw new Error(`layout: offset ${at.toString(16)} overlaps`);
    while (code.length < at) code.push(0x90);
    code.push(...bytes);
  }
  return code;
}

function straddling(real: boolean): number[] {
  // the 66 prefix makes the 32-bit forms 16-bit in real mode and the other way round: here the forms use the default
  // operand size, EAX/AX = 1 and EBX/BX = 2 set by B8/BB with an immediate of that size
  const imm = (v: number): number[] => (real ? [v, 0] : [v, 0, 0, 0]);
  return layout([
    [0, [0xb8, ...imm(1), 0xbb, ...imm(2), 0x31, 0xc9]], // mov ax,1 / mov bx,2 / xor cx,cx
    [0xfff, [0x01, 0xd8]], // add ax,bx: ModRM on the next page
    [0x1ffe, [0x83, 0xc0, 0x05]], // add ax,5: the immediate on the next page
    [0x2fff, [0x75, 0x01]], // jnz +1 (ZF = 0): the displacement on the next page
    [0x3001, [0x41]], // inc cx (skipped)
    [0x3002, [0x89, 0xc2]], // mov dx,ax
    [0x3fff, [0x88, 0xc7, 0xf4]], // mov bh,al: ModRM on the next page / hlt
  ]);
}

describe('inline interpreter forms whose later bytes lie on the next page', () => {
  for (const real of [true, false]) {
    for (const jit of [false, true]) {
      it(`${real ? 'real' : 'protected'} mode, compiled blocks ${jit ? 'on' : 'off'}`, () => {
        const { exit, cpu } = runBare(straddling(real), { jit, real, dataBytes: 0, jitThreshold: 1 });
        expect(exit).toBe('halted-cli');
        expect(cpu.getReg('eax') & 0xffff).toBe(8); // 1 + 2 + 5
        expect(cpu.getReg('ecx')).toBe(0); // the JNZ jumped over INC CX
        expect(cpu.getReg('edx') & 0xffff).toBe(8);
        expect((cpu.getReg('ebx') >> 8) & 0xff).toBe(8);
        expect(cpu.getReg('eip') >>> 0).toBe((real ? BASE_REAL : BASE_PROT) + 0x4002); // after the HLT
      });
    }
  }
});
