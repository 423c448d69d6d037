/**
 * Software TLB and the two-level 386 page walk: 4 KiB pages, and 4 MiB pages
 * (PDE.PS) when CR4.PSE is set; with CR4.PGE, pages marked global (G, bit 8
 * of the PTE or of a 4 MiB PDE) survive a CR3 load (Intel SDM Vol. 3A §4.3,
 * §4.10.2.4). A 4 MiB page is cached as its 4 KiB pieces; INVLPG anywhere in
 * it drops all of them.
 *
 * One Int32Array entry per linear page, separately for reads and writes:
 * the RAM address of the physical page | 1 (supervisor may) | 2 (user may).
 * 0 means "not cached": the slow path walks the page tables (or, with paging
 * off, maps linear = physical) and caches the page only if it is plain RAM, so
 * ROM, MMIO and unmapped space always take the slow path through PhysMemory.
 * Filled entries are remembered in a list so a flush touches only those.
 */
import type { CpuState } from './cpu-state.js';
import { A_TLB_R, A_TLB_W } from '../memory/wasm-arena.js';

const PAGES = 1 << 20;
const LIST = 8192;

/** What the TLB tells about its flushes: the CPU's code-fetch window (cpu-state.ts) caches one translation. */
export interface TlbOwner { dropFetchWindow(): void }

export class Tlb {
  readonly r: Int32Array;
  readonly w: Int32Array;
  /** `arena`: the two arrays in a WebAssembly arena (memory/wasm-arena.ts), where compiled WebAssembly blocks read them */
  constructor(private readonly owner: TlbOwner | null = null, arena: ArrayBuffer | null = null) {
    this.r = arena === null ? new Int32Array(PAGES) : new Int32Array(arena, A_TLB_R, PAGES);
    this.w = arena === null ? new Int32Array(PAGES) : new Int32Array(arena, A_TLB_W, PAGES);
  }
  /** 1 at CPL 0-2, 2 at CPL 3: the bit an entry must have (set through setAccess). */
  acc = 1;
  /** bumped on every flush: compiled blocks from an older epoch are stale */
  epoch = 0;
  /** physical pages holding compiled code: never cached for writes, so a write reaches writeSlow */
  readonly codePage = new Uint8Array(PAGES);
  /** bumped when every compiled block goes stale (the host changed guest RAM: Cpu.invalidateCode) */
  codeGen = 0;
  /**
   * Per physical page: bumped by a guest write to a page holding compiled code, which makes only that page's
   * blocks stale (a block never leaves its 4 KiB page). A global counter made one write to a code page (Linux
   * frees its init sections, busybox pages get reused) drop every block, and each had to warm up again.
   */
  readonly pageGen = new Int32Array(PAGES);
  /** The pages in codeList (a page written and compiled again is listed once, so the list fills with distinct pages) */
  private readonly listed = new Uint8Array(PAGES);
  private readonly codeList = new Int32Array(LIST);
  private codeCount = 0;

  /**
   * The privilege the CPU now accesses memory with (segments.ts setCpl). A change moves the epoch: a compiled block
   * was checked against its code pages at the old privilege, so the run loop checks them again before entering it
   * (CPL 3 must not run a block compiled at CPL 0 from a supervisor-only page).
   */
  setAccess(acc: number): void {
    if (acc !== this.acc) { this.acc = acc; this.epoch++; }
  }

  /** Mark a physical page as holding compiled code. */
  markCode(physPage: number): void {
    this.codePage[physPage] = 1;
    if (this.listed[physPage] !== 0) return;
    if (this.codeCount === LIST) {
      // too many code pages to track: forget them all, and with them every block (their pages are unprotected now).
      // The epoch moves too, as in clearCode: the WebAssembly dispatcher's chaining table and interpreter enter a
      // block by its epoch alone, and went on running blocks from pages a store could now change unseen.
      this.codePage.fill(0); this.listed.fill(0); this.codeCount = 0; this.codeGen++; this.epoch++;
      this.codePage[physPage] = 1;
    }
    this.listed[physPage] = 1;
    this.codeList[this.codeCount++] = physPage;
  }

  /**
   * A guest store hit a page holding compiled code: its blocks go stale (pageGen), and the page is no longer
   * protected until code is compiled from it again. The epoch moves too, so a looping block that wrote to its own
   * page stops at the end of its iteration (the run loop then finds it stale).
   */
  codeWritten(physPage: number): void {
    this.codePage[physPage] = 0;
    this.pageGen[physPage] = (this.pageGen[physPage]! + 1) | 0;
    this.epoch++;
  }

  /** Forget all code pages (the host changed guest RAM: every block is stale). */
  clearCode(): void {
    for (let i = 0; i < this.codeCount; i++) { const p = this.codeList[i]!; this.codePage[p] = 0; this.listed[p] = 0; }
    this.codeCount = 0;
    this.codeGen++;
    this.epoch++;
  }

  /**
   * Drop the cached write translations into a page that now holds compiled code, so writes to it reach
   * writeSlow. Only those entries go: a full flush would make every compiled block revalidate its page.
   */
  protectCode(physPage: number): void {
    if (this.overflow) { this.flush(); return; }
    const base = physPage << 12;
    for (let i = 0; i < this.count; i++) {
      const p = this.list[i]!;
      if (this.w[p] !== 0 && (this.w[p]! & ~0xfff) === base) this.w[p] = 0;
    }
  }
  private readonly list = new Int32Array(LIST);
  private count = 0;
  private overflow = false;
  /** 1 for a cached page that came from a global translation (G with CR4.PGE) */
  private readonly global = new Uint8Array(PAGES);
  /** 1 for a 4 MiB region some cached page of which came from a 4 MiB page */
  private readonly large = new Uint8Array(1024);

  /** Drop every entry, global ones too (CR0.PG/CR4 changes, reset). */
  flush(): void {
    this.epoch++;
    this.owner?.dropFetchWindow();
    if (this.overflow) {
      this.r.fill(0);
      this.w.fill(0);
      this.global.fill(0);
    } else {
      for (let i = 0; i < this.count; i++) { const p = this.list[i]!; this.r[p] = 0; this.w[p] = 0; this.global[p] = 0; }
    }
    this.large.fill(0);
    this.count = 0;
    this.overflow = false;
  }

  /** A CR3 load: drop every entry except the global ones (Intel SDM Vol. 3A §4.10.4.1). */
  flushNonGlobal(): void {
    if (this.overflow) { this.flush(); return; }
    this.epoch++;
    this.owner?.dropFetchWindow();
    let keep = 0;
    for (let i = 0; i < this.count; i++) {
      const p = this.list[i]!;
      if (this.global[p] === 1 && this.r[p] !== 0) this.list[keep++] = p;
      else { this.r[p] = 0; this.w[p] = 0; this.global[p] = 0; }
    }
    this.count = keep;
  }

  /** INVLPG: the page holding `lin`, all of it when it came from a 4 MiB page, global or not. */
  flushPage(lin: number): void {
    this.epoch++;
    this.owner?.dropFetchWindow();
    const big = lin >>> 22;
    if (this.large[big] === 1) {
      for (let p = big << 10, e = p + 1024; p < e; p++) { this.r[p] = 0; this.w[p] = 0; this.global[p] = 0; }
      return;
    }
    this.r[lin >>> 12] = 0;
    this.w[lin >>> 12] = 0;
    this.global[lin >>> 12] = 0;
  }

  private remember(page: number): void {
    if (this.count < LIST) this.list[this.count++] = page; else this.overflow = true;
  }

  /**
   * Translate `lin` for an access; raises #PF on a miss. Caches RAM pages.
   * Returns the physical address (unsigned).
   */
  translate(c: CpuState, lin: number, write: boolean): number {
    const page = lin >>> 12;
    const user = this.acc === 2;
    let phys: number, uOk = true, wOk = true, dirty = true, glob = false;
    if (!c.pg) {
      phys = (lin & ~0xfff) >>> 0;
    } else {
      const mem = c.mem;
      const pdeAddr = ((c.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0;
      const pde = mem.read32(pdeAddr);
      if ((pde & 1) === 0) this.pageFault(c, lin, write, user, false);
      if ((pde & 0x80) !== 0 && (c.cr4 & 0x10) !== 0) {
        // 4 MiB page (CR4.PSE, PDE.PS): the PDE maps it; A and D on the PDE (Intel SDM §4.3, Table 4-4).
        // No PSE-36: PDE bits 13-20 are not address bits here.
        uOk = (pde & 4) !== 0;
        const writable = (pde & 2) !== 0;
        if (user && (!uOk || (write && !writable))) this.pageFault(c, lin, write, user, true);
        if (!user && write && !writable && (c.cr0 & 0x10000) !== 0) this.pageFault(c, lin, write, user, true);
        if ((pde & 0x20) === 0 || (write && (pde & 0x40) === 0)) mem.write32(pdeAddr, pde | 0x20 | (write ? 0x40 : 0));
        dirty = write || (pde & 0x40) !== 0;
        wOk = writable;
        glob = (pde & 0x100) !== 0 && (c.cr4 & 0x80) !== 0;
        phys = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
        this.large[lin >>> 22] = 1;
        return this.fill(c, page, lin, phys, uOk, wOk, dirty, glob);
      }
      const pteAddr = ((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
      const pte = mem.read32(pteAddr);
      if ((pte & 1) === 0) this.pageFault(c, lin, write, user, false);
      uOk = (pde & pte & 4) !== 0;
      const writable = (pde & pte & 2) !== 0;
      const wp = (c.cr0 & 0x10000) !== 0;
      if (user && (!uOk || (write && !writable))) this.pageFault(c, lin, write, user, true);
      if (!user && write && !writable && wp) this.pageFault(c, lin, write, user, true);
      // Intel SDM 4.8: accessed bits on both levels, dirty on the PTE for writes
      if ((pde & 0x20) === 0) mem.write32(pdeAddr, pde | 0x20);
      if ((pte & 0x20) === 0 || (write && (pte & 0x40) === 0)) mem.write32(pteAddr, pte | 0x20 | (write ? 0x40 : 0));
      dirty = write || (pte & 0x40) !== 0;
      wOk = writable;
      glob = (pte & 0x100) !== 0 && (c.cr4 & 0x80) !== 0;
      phys = (pte & ~0xfff) >>> 0;
    }
    return this.fill(c, page, lin, phys, uOk, wOk, dirty, glob);
  }

  /** Cache the translation of `page` if it is plain RAM; returns the physical address of `lin`. */
  private fill(c: CpuState, page: number, lin: number, phys: number, uOk: boolean, wOk: boolean, dirty: boolean, glob: boolean): number {
    const off = c.mem.directOffset(phys);
    if (off >= 0) {
      this.r[page] = off | 1 | (uOk ? 2 : 0);
      if (dirty && off === phys && this.codePage[phys >>> 12] === 0 && c.mem.directWrite(phys)) {
        const supW = !c.pg || wOk || (c.cr0 & 0x10000) === 0;
        const bits = (supW ? 1 : 0) | (uOk && wOk ? 2 : 0);
        this.w[page] = bits ? phys | bits : 0;
      }
      this.global[page] = glob ? 1 : 0;
      this.remember(page);
    }
    return (phys | (lin & 0xfff)) >>> 0;
  }

  private pageFault(c: CpuState, lin: number, write: boolean, user: boolean, present: boolean): never {
    c.cr2 = lin | 0;
    return c.raise(14, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
  }

  /** Translate both pages of a `size`-byte write at `lin` (in address order) without writing: CpuState.rdW*L. */
  probeWrite(c: CpuState, lin: number, size: 1 | 2 | 4): void {
    this.translate(c, lin, true);
    if ((lin & 0xfff) + size > 0x1000) this.translate(c, ((lin | 0xfff) + 1) | 0, true);
  }

  readSlow(c: CpuState, lin: number, size: 1 | 2 | 4): number {
    if ((lin & 0xfff) + size > 0x1000) {
      // crosses a page: translate both pages before reading
      // fault on the first byte of a page (CR2), in address order
      this.translate(c, lin, false);
      this.translate(c, ((lin | 0xfff) + 1) | 0, false);
      let v = 0;
      for (let i = 0; i < size; i++) v |= c.rd8L((lin + i) | 0) << (8 * i);
      return size === 4 ? v | 0 : v;
    }
    const phys = this.translate(c, lin, false);
    const v = c.mem.read(phys, size);
    return size === 4 ? v | 0 : v;
  }

  writeSlow(c: CpuState, lin: number, v: number, size: 1 | 2 | 4): void {
    if ((lin & 0xfff) + size > 0x1000) {
      const p0 = this.translate(c, lin, true);
      const p1 = this.translate(c, ((lin | 0xfff) + 1) | 0, true);
      const n0 = 0x1000 - (lin & 0xfff);
      for (let i = 0; i < size; i++) {
        const p = i < n0 ? p0 + i : p1 + (i - n0);
        c.mem.write8(p, v >>> (8 * i));
      }
      if (this.codePage[p0 >>> 12]) this.codeWritten(p0 >>> 12);
      if (this.codePage[p1 >>> 12]) this.codeWritten(p1 >>> 12);
      return;
    }
    const phys = this.translate(c, lin, true);
    c.mem.write(phys, v, size);
    if (this.codePage[phys >>> 12]) this.codeWritten(phys >>> 12);
  }
}
