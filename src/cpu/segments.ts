/**
 * Segment descriptor caches: real-mode loads (base = sel << 4, the cached
 * limit and rights are kept, which is what makes "unreal mode" work) and
 * protected-mode loads with the Intel SDM checks (MOV/POP Sreg, LDS...).
 */
import {
  CS, GP, LDTR, NP, SEG_DENIED, SEG_EXPDOWN, SEG_UNUSABLE, SS, SSF, type CpuState,
} from './cpu-state.js';

/** Read the 8-byte descriptor for `sel` into c.dLo/c.dHi. Raises `vec`(sel) if it lies outside the GDT/LDT. */
export function readDesc(c: CpuState, sel: number, vec = GP, errExtra = 0): void {
  const ti = sel & 4;
  let base: number, limit: number;
  if (ti) {
    if (c.segRchk[LDTR]! & SEG_UNUSABLE) c.raise(vec, (sel & 0xfffc) | errExtra);
    base = c.segBase[LDTR]!; limit = c.segLimit[LDTR]!;
  } else { base = c.gdtBase; limit = c.gdtLimit; }
  const off = sel & 0xfff8;
  if (off + 7 > limit) c.raise(vec, (sel & 0xfffc) | errExtra);
  c.dLo = c.sysRd32((base + off) | 0);
  c.dHi = c.sysRd32((base + off + 4) | 0);
}

/** Set the accessed bit of the descriptor last read (if clear). */
export function markAccessed(c: CpuState, sel: number): void {
  if (c.dHi & 0x100) return;
  c.dHi |= 0x100;
  const base = sel & 4 ? c.segBase[LDTR]! : c.gdtBase;
  c.sysWr8((base + (sel & 0xfff8) + 5) | 0, (c.dHi >>> 8) & 0xff);
}

export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
}
export function descLimit(hi: number, lo: number): number {
  const l = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? ((l << 12) | 0xfff) >>> 0 : l;
}

/** Load a descriptor cache from (lo, hi). */
export function setCache(c: CpuState, seg: number, sel: number, lo: number, hi: number): void {
  c.segSel[seg] = sel;
  c.segBase[seg] = descBase(lo, hi);
  c.segLimit[seg] = descLimit(hi, lo);
  c.segAr[seg] = (hi >> 8) & 0xf0ff;
  const type = (hi >> 8) & 0xf;
  const code = (type & 8) !== 0;
  c.segRchk[seg] = code && (type & 2) === 0 ? SEG_DENIED : !code && (type & 4) ? SEG_EXPDOWN : 0;
  c.segWchk[seg] = code || (type & 2) === 0 ? SEG_DENIED : type & 4 ? SEG_EXPDOWN : 0;
  if (seg === SS) c.ssBig = (hi & 0x400000) !== 0;
  if (seg === CS) {
    c.fetchLimit = c.segLimit[CS]!;
    c.defOs = hi & 0x400000 ? 0x200 : 0; c.defAs = (hi & 0x400000) !== 0;
    c.os = c.defOs; c.as32 = c.defAs; // the run loop resets decode state only after prefixes
  }
}

/** Real-mode (and virtual-8086) load: base = sel << 4; limit kept (unreal mode), rights become RW data. */
export function loadReal(c: CpuState, seg: number, sel: number): void {
  c.segSel[seg] = sel;
  c.segBase[seg] = sel << 4;
  c.segRchk[seg] = 0;
  c.segWchk[seg] = 0;
  if (seg === CS) c.dropFetchWindow();
}

/** MOV/POP/LxS to a data segment register or SS (Intel SDM "MOV—Move", protected-mode checks). */
export function loadSeg(c: CpuState, seg: number, sel: number): void {
  sel &= 0xffff;
  if (!c.pe || (c.flags & 0x20000)) { loadReal(c, seg, sel); return; }
  if ((sel & 0xfffc) === 0) {
    if (seg === SS) c.raise(GP, 0);
    c.segSel[seg] = sel;
    c.segRchk[seg] = SEG_UNUSABLE;
    c.segWchk[seg] = SEG_UNUSABLE;
    c.segAr[seg] = 0;
    return;
  }
  readDesc(c, sel);
  const hi = c.dHi;
  const type = (hi >> 8) & 0xf, s = (hi & 0x1000) !== 0, dpl = (hi >> 13) & 3, rpl = sel & 3;
  const err = sel & 0xfffc;
  if (seg === SS) {
    if (rpl !== c.cpl || dpl !== c.cpl || !s || (type & 0xa) !== 2) c.raise(GP, err);
    if ((hi & 0x8000) === 0) c.raise(SSF, err);
  } else {
    const code = (type & 8) !== 0;
    if (!s || (code && (type & 2) === 0)) c.raise(GP, err);
    if ((!code || (type & 4) === 0) && (rpl > dpl || c.cpl > dpl)) c.raise(GP, err);
    if ((hi & 0x8000) === 0) c.raise(NP, err);
  }
  markAccessed(c, sel);
  setCache(c, seg, sel, c.dLo, c.dHi);
}

/** Set CPL (CS.RPL) and the TLB privilege. */
export function setCpl(c: CpuState, cpl: number): void {
  c.cpl = cpl;
  c.tlb.setAccess(cpl === 3 ? 2 : 1);
  c.dropFetchWindow();
}

/**
 * After a return to an outer level: data segment registers the new CPL may
 * not use become null (Intel SDM RET/IRET "validate segment registers").
 */
export function invalidateOuter(c: CpuState): void {
  for (const seg of [0, 3, 4, 5]) {
    if (c.segRchk[seg]! & SEG_UNUSABLE) continue;
    const ar = c.segAr[seg]!;
    const dpl = (ar >> 5) & 3;
    const conformingCode = (ar & 0xc) === 0xc;
    if (!conformingCode && dpl < c.cpl) {
      c.segSel[seg] = 0;
      c.segRchk[seg] = SEG_UNUSABLE;
      c.segWchk[seg] = SEG_UNUSABLE;
    }
  }
}
