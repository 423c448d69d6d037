/**
 * REP STOS and REP MOVS (memset, memcpy, clearing pages; with DF = 1 a backward move), many elements in one step
 * where none of them could fault or be seen by anything in between: every byte inside the segment limit (and, with
 * 16-bit addressing, clear of the offset's wrap), each side inside one page that the TLB already holds for RAM (a
 * held entry is RAM with its accessed and, for writes, dirty bits set; code pages are never held for writes, so a
 * store over code still goes element by element through Tlb.writeSlow). The registers end as the per-element loop
 * leaves them (Intel SDM Vol. 2B "REP": ECX, ESI and EDI are updated per iteration).
 */
import { ES, LE, type CpuState } from './cpu-state.js';

/** Elements a segment allows from offset `off` on: each of `size` bytes at or below the limit, no offset wrap. */
function room(c: CpuState, seg: number, off: number, size: number, write: boolean): number {
  if ((write ? c.segWchk[seg] : c.segRchk[seg]) !== 0) return 0; // expand-down, unusable, denied: per element
  const top = Math.min(c.segLimit[seg]!, c.as32 ? 0xffffffff : 0xffff);
  return top < off ? 0 : Math.floor((top - off + 1) / size);
}

/**
 * Elements a segment allows from offset `off` down: the first's `size` bytes at or below the limit (the later ones lie
 * below it), no offset wrap below 0.
 */
function roomDown(c: CpuState, seg: number, off: number, size: number, write: boolean): number {
  if ((write ? c.segWchk[seg] : c.segRchk[seg]) !== 0) return 0;
  const top = Math.min(c.segLimit[seg]!, c.as32 ? 0xffffffff : 0xffff);
  return off + size - 1 > top ? 0 : Math.floor(off / size) + 1;
}

/**
 * Up to `max` elements of REP STOS (`store`) or REP MOVS at once, forward (`back` false: DF = 0) or backward (DF = 1):
 * returns how many were done, 0 when the next element needs the per-element path (a page or limit edge, an offset
 * about to wrap, a page not held, an overlapping copy that reads what it wrote).
 */
export function repBulk(c: CpuState, store: boolean, size: number, src: number, max: number, back = false): number {
  const as32 = c.as32;
  const di = as32 ? c.regs[7]! >>> 0 : c.r16[14]!;
  let n = Math.min(max, back ? roomDown(c, ES, di, size, true) : room(c, ES, di, size, true));
  if (n <= 1) return 0;
  const dLin = (c.segBase[ES]! + di) | 0;
  const de = c.tlb.w[dLin >>> 12]!;
  if ((de & c.tlb.acc) === 0) return 0;
  n = Math.min(n, inPage(dLin, size, back));
  if (n <= 1) return 0;
  const dp = (de & ~0xfff) | (dLin & 0xfff);
  // the lowest byte the elements cover: the first element's going forward, the last one's going backward
  const span = n * size, dLo = back ? dp - span + size : dp;
  const ram = c.ram;
  if (store) {
    const v = c.regs[0]!;
    if (size === 1) ram.fill(v, dLo, dLo + span);
    else if (size === 4 && LE && (dLo & 3) === 0) c.ram32.fill(v, dLo >> 2, (dLo >> 2) + n);
    else if (size === 2 && LE && (dLo & 1) === 0) c.ram16.fill(v, dLo >> 1, (dLo >> 1) + n);
    else for (let p = dLo, e = dLo + span; p < e; p += size) {
      ram[p] = v; ram[p + 1] = v >> 8;
      if (size === 4) { ram[p + 2] = v >> 16; ram[p + 3] = v >> 24; }
    }
  } else {
    const si = as32 ? c.regs[6]! >>> 0 : c.r16[12]!;
    n = Math.min(n, back ? roomDown(c, src, si, size, false) : room(c, src, si, size, false));
    if (n <= 1) return 0;
    const sLin = (c.segBase[src]! + si) | 0;
    const se = c.tlb.r[sLin >>> 12]!;
    if ((se & c.tlb.acc) === 0) return 0;
    n = Math.min(n, inPage(sLin, size, back));
    if (n <= 1) return 0;
    const sp = (se & ~0xfff) | (sLin & 0xfff);
    const bytes = n * size;
    // an element that reads what an earlier one wrote repeats the first bytes, which a block move does not: per
    // element. Forward that is a destination just above the source; backward (Linux's decompressor moving the
    // compressed kernel up, `std; rep movsl`, reads above what it writes) one just below it.
    if (back ? sp > dp && sp < dp + bytes : dp > sp && dp < sp + bytes) return 0;
    if (back) ram.copyWithin(dp - bytes + size, sp - bytes + size, sp + size);
    else ram.copyWithin(dp, sp, sp + bytes);
    const ds = back ? -bytes : bytes;
    if (as32) c.regs[6] = c.regs[6]! + ds; else c.r16[12] = c.r16[12]! + ds;
  }
  const dd = back ? -n * size : n * size;
  if (as32) c.regs[7] = c.regs[7]! + dd; else c.r16[14] = c.r16[14]! + dd;
  return n;
}

/** Elements from linear address `lin` on (down from it when `back`) whose bytes all lie in its page. */
function inPage(lin: number, size: number, back: boolean): number {
  const o = lin & 0xfff;
  if (o + size > 0x1000) return 0; // the first element straddles the page's end
  return back ? ((o / size) | 0) + 1 : ((0x1000 - o) / size) | 0;
}
