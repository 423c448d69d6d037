/**
 * REP STOS and REP MOVS with DF = 0 (memset, memcpy, clearing pages), many elements in one step where none of them
 * could fault or be seen by anything in between: every byte inside the segment limit (and, with 16-bit addressing,
 * below the 64 KiB wrap), each side inside one page that the TLB already holds for RAM (a held entry is RAM with its
 * accessed and, for writes, dirty bits set; code pages are never held for writes, so a store over code still goes
 * element by element through Tlb.writeSlow). The registers end as the per-element loop leaves them.
 */
import { ES, LE, type CpuState } from './cpu-state.js';

/** Elements a segment allows from offset `off` on: each of `size` bytes at or below the limit, no offset wrap. */
function room(c: CpuState, seg: number, off: number, size: number, write: boolean): number {
  if ((write ? c.segWchk[seg] : c.segRchk[seg]) !== 0) return 0; // expand-down, unusable, denied: per element
  const top = Math.min(c.segLimit[seg]!, c.as32 ? 0xffffffff : 0xffff);
  return top < off ? 0 : Math.floor((top - off + 1) / size);
}

/**
 * Up to `max` elements of REP STOS (`store`) or REP MOVS, forward, at once: returns how many were done, 0 when the
 * next element needs the per-element path (a page or limit edge, a page not held, an overlapping copy).
 */
export function repBulk(c: CpuState, store: boolean, size: number, src: number, max: number): number {
  const as32 = c.as32;
  const di = as32 ? c.regs[7]! >>> 0 : c.r16[14]!;
  let n = Math.min(max, room(c, ES, di, size, true));
  if (n <= 1) return 0;
  const dLin = (c.segBase[ES]! + di) | 0;
  const de = c.tlb.w[dLin >>> 12]!;
  if ((de & c.tlb.acc) === 0) return 0;
  n = Math.min(n, ((0x1000 - (dLin & 0xfff)) / size) | 0);
  if (n <= 1) return 0;
  const dp = (de & ~0xfff) | (dLin & 0xfff);
  const ram = c.ram;
  if (store) {
    const v = c.regs[0]!;
    if (size === 1) ram.fill(v, dp, dp + n);
    else if (size === 4 && LE && (dp & 3) === 0) c.ram32.fill(v, dp >> 2, (dp >> 2) + n);
    else if (size === 2 && LE && (dp & 1) === 0) c.ram16.fill(v, dp >> 1, (dp >> 1) + n);
    else for (let p = dp, e = dp + n * size; p < e; p += size) {
      ram[p] = v; ram[p + 1] = v >> 8;
      if (size === 4) { ram[p + 2] = v >> 16; ram[p + 3] = v >> 24; }
    }
  } else {
    const si = as32 ? c.regs[6]! >>> 0 : c.r16[12]!;
    n = Math.min(n, room(c, src, si, size, false));
    if (n <= 1) return 0;
    const sLin = (c.segBase[src]! + si) | 0;
    const se = c.tlb.r[sLin >>> 12]!;
    if ((se & c.tlb.acc) === 0) return 0;
    n = Math.min(n, ((0x1000 - (sLin & 0xfff)) / size) | 0);
    if (n <= 1) return 0;
    const sp = (se & ~0xfff) | (sLin & 0xfff);
    // a destination just above the source repeats the first bytes (a forward copy reads what it wrote): per element
    if (dp > sp && dp < sp + n * size) return 0;
    ram.copyWithin(dp, sp, sp + n * size);
    if (as32) c.regs[6] = c.regs[6]! + n * size; else c.r16[12] = c.r16[12]! + n * size;
  }
  if (as32) c.regs[7] = c.regs[7]! + n * size; else c.r16[14] = c.r16[14]! + n * size;
  return n;
}
