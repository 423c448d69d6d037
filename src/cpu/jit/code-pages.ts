/**
 * The guest pages a compiled block reads its code from: the page it starts in, and at most one more that a direct
 * JMP/CALL inside the block goes to (a call to a small function elsewhere, such as Linux's native_io_delay from a
 * polling loop, and the RET back). Each page is protected like the first (Tlb.markCode/protectCode), and the block
 * records both pages' physical addresses and generations: a guest write to either page makes it stale, and after
 * a TLB flush it is used again only when both linear pages still translate to the same physical pages
 * (Cpu.revalidate).
 */
import type { Cpu } from '../cpu.js';

/** Where the compiler reads code bytes: a RAM offset, and the end of the page it lies in. */
export interface CodeCursor { p: number; end: number }

export class CodePages {
  /** linear page number of the second page, or -1 */
  lin2 = -1;
  /** RAM offset of the second page (page-aligned), or -1 */
  phys2 = -1;
  constructor(private readonly c: Cpu, private readonly lin: number, private readonly phys: number) {}

  /**
   * Point `rd` at linear address `la` if it lies in one of the block's pages, or in a second page that can be
   * added now (cached in the TLB for reads as RAM); false otherwise (the block ends there).
   */
  seek(rd: CodeCursor, la: number): boolean {
    const page = la >>> 12;
    let base: number;
    if (page === this.lin >>> 12) base = this.phys & ~0xfff;
    else if (page === this.lin2) base = this.phys2;
    else if (this.lin2 === -1 && (base = this.addPage(page)) >= 0) { this.lin2 = page; this.phys2 = base; }
    else return false;
    rd.p = base | (la & 0xfff);
    rd.end = base + 0x1000;
    return true;
  }

  /** Protect linear page `page` as code; its RAM offset, or -1 if it is not cached as RAM now. */
  private addPage(page: number): number {
    const t = this.c.tlb;
    const e = t.r[page]!;
    if ((e & t.acc) === 0) return -1;
    const base = e & ~0xfff;
    if (t.codePage[base >>> 12] === 0) {
      t.markCode(base >>> 12);
      t.protectCode(base >>> 12);
      // markCode forgets every code page when its list is full: protect the first page again, without a second
      if (t.codePage[this.phys >>> 12] === 0) {
        t.markCode(this.phys >>> 12);
        t.protectCode(this.phys >>> 12);
        return -1;
      }
      if (t.r[page] === 0) return -1; // protectCode flushed the whole TLB
    }
    return base;
  }
}
