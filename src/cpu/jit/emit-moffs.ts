/**
 * MOV AL/eAX, moffs and MOV moffs, AL/eAX (A0-A3) inside compiled blocks: a load or store of a global at a fixed
 * address (Linux reads `io_delay_type` this way in native_io_delay, once per port delay). The offset is an
 * address-size immediate in DS (a segment override ends the block before the instruction), as ops-data.ts
 * movMoffs reads it.
 */
import type { MemEmit } from './emit-string.js';

const DS = 3;

/** Code for one A0-A3 whose offset `off` the compiler has read; `vb` is the operand size (16/32). */
export function emitMoffs(op: number, vb: number, off: number, m: MemEmit): string {
  const bits = (op & 1) === 0 ? 8 : vb, size = bits >> 3;
  const acc = bits === 8 ? 'b[0]' : bits === 16 ? 'w[0]' : 'r[0]';
  return op < 0xa2 ? `${acc}=${m.rd(size, DS, String(off))};` : m.wr(size, DS, String(off), acc);
}
