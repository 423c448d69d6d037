/**
 * MOVS, STOS and LODS without a REP prefix inside compiled blocks (A4/A5, AA/AB, AC/AD; A5/AB/AD also with the
 * operand-size prefix). Kept apart from compile.ts, which calls `emitString` with its inline memory accessors.
 *
 * The interpreter's order (ops-string.ts stringOne): read the source (DS:eSI; a segment override ends the block
 * before this instruction, so the source is always DS), write the destination (ES:eDI, never overridden: SDM
 * Vol. 2B MOVS), then step eSI/eDI by the element size, down when EFLAGS.DF is set. The index registers move only
 * after both accesses, so a fault restarts the instruction with them unchanged (compile.ts stores insnStart
 * before any instruction that calls the CPU's memory helpers). REP forms stay interpreted.
 */
import { DF } from '../cpu-state.js';

/** compile.ts's accessors: an expression reading `size` bytes at seg:ea, a statement writing `v` there. */
export interface MemEmit {
  rd(size: number, seg: number, ea: string): string;
  wr(size: number, seg: number, ea: string, v: string): string;
}

const ES = 0, DS = 3;

/**
 * Code for one MOVS/STOS/LODS, or null for other opcodes. `vb` is the operand size (16/32), `as32` the address
 * size (32: ESI/EDI, else SI/DI wrapping at 64 KiB).
 */
export function emitString(op: number, vb: number, as32: boolean, m: MemEmit): string | null {
  const bits = (op & 1) === 0 ? 8 : vb, size = bits >> 3;
  const acc = bits === 8 ? 'b[0]' : bits === 16 ? 'w[0]' : 'r[0]';
  // index registers: the offset expression, and the statement that steps one by the element size
  const si = as32 ? '(r[6]>>>0)' : 'w[12]', di = as32 ? '(r[7]>>>0)' : 'w[14]';
  const step = (i: number): string => (as32 ? `r[${i}]=(r[${i}]+d)|0;` : `w[${i << 1}]=(w[${i << 1}]+d)&0xffff;`);
  const d = `const d=(c.flags&${DF})!==0?${-size}:${size};`;
  switch (op) {
    case 0xa4: case 0xa5: return `{${d}const sv=${m.rd(size, DS, si)};${m.wr(size, ES, di, 'sv')}${step(6)}${step(7)}}`;
    case 0xaa: case 0xab: return `{${d}${m.wr(size, ES, di, acc)}${step(7)}}`;
    case 0xac: case 0xad: return `{${d}const sv=${m.rd(size, DS, si)};${acc}=sv;${step(6)}}`;
    default: return null;
  }
}
