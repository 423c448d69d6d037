/**
 * Hardware task switching (Intel SDM Vol. 3A §7.3, Table 7-1): JMP/CALL to a
 * TSS or through a task gate, INT n / exceptions / interrupts through a task
 * gate, IRET with NT=1. 32-bit (type 9/11) and 16-bit (type 1/3) TSS formats.
 *
 * Order (Bochs cpu/tasking.cc task_switch and QEMU target/i386/tcg/seg_helper.c
 * switch_tss_ra agree on it): the new TSS is read whole first, then the
 * current state is written to the old TSS, so a page fault on either leaves
 * the old task untouched. Then busy bits, the back link and NT, TR, CR0.TS,
 * CR3 (32-bit TSS with paging on), general registers, EFLAGS, EIP and the
 * selectors are loaded; from that point on a fault belongs to the new task
 * (insnStart is moved to its EIP). Last the LDT, CS, SS, DS, ES, FS, GS
 * descriptors are checked and loaded (#TS/#NP/#SS with the selector).
 * A 16-bit TSS loads 0xFFFF into the upper halves of the general registers and
 * null FS/GS (Bochs tasking.cc; QEMU zero-extends instead, the SDM leaves the
 * upper halves undefined). With the new TSS's T bit set, #DB (DR6.BT)
 * is raised before the first instruction of the new task.
 */
import { CS, DB, DS, ES, FS, GP, GS, LDTR, NP, NT, RF, SEG_UNUSABLE, SS, SSF, TR, TS, VM, type CpuState } from './cpu-state.js';
import { descLimit, markAccessed, readDesc, setCache, setCpl } from './segments.js';

export const enum TaskSource { Jmp, Call, Iret, Int }

function wr16(c: CpuState, lin: number, v: number): void {
  const acc = c.tlb.acc; c.tlb.acc = 1;
  try { c.wr16L(lin, v); } finally { c.tlb.acc = acc; }
}
function wr32(c: CpuState, lin: number, v: number): void {
  const acc = c.tlb.acc; c.tlb.acc = 1;
  try { c.wr32L(lin, v); } finally { c.tlb.acc = acc; }
}
/** Set or clear the busy bit (type bit 1) of the TSS descriptor `sel` in the GDT. */
function setBusy(c: CpuState, sel: number, busy: boolean): void {
  const at = (c.gdtBase + (sel & 0xfff8) + 5) | 0;
  const acc = c.tlb.acc; c.tlb.acc = 1;
  try { const t = c.rd8L(at); c.wr8L(at, busy ? t | 2 : t & ~2); } finally { c.tlb.acc = acc; }
}

/**
 * Check a TSS descriptor (read into c.dLo/dHi) as the target of a JMP/CALL/INT (`busy` false) or an IRET (`busy`
 * true): the right type, present, and its limit large enough. `vec`: the fault for a wrong type (#GP for JMP/CALL/INT,
 * #TS for IRET).
 */
export function checkTss(c: CpuState, sel: number, busy: boolean, vec: number, ext: number): void {
  const type = (c.dHi >> 8) & 0x1f;
  const want = busy ? [0x03, 0x0b] : [0x01, 0x09];
  if (type !== want[0] && type !== want[1]) c.raise(vec, (sel & 0xfffc) | ext);
  if ((c.dHi & 0x8000) === 0) c.raise(NP, (sel & 0xfffc) | ext);
  if (descLimit(c.dHi, c.dLo) < (type & 8 ? 0x67 : 0x2b)) c.raise(TS, (sel & 0xfffc) | ext);
}

/** The TSS selector of the task gate in c.dLo/dHi, checked: in the GDT, an available TSS; leaves its descriptor in c.dLo/dHi. */
export function taskGateTarget(c: CpuState, ext: number): number {
  const tss = c.dLo >>> 16;
  if ((tss & 4) !== 0 || (tss & 0xfffc) === 0) c.raise(GP, (tss & 0xfffc) | ext);
  readDesc(c, tss, GP, ext);
  checkTss(c, tss, false, GP, ext);
  return tss;
}

// the new task's state, read before anything changes (no allocation per switch)
const nr = new Int32Array(8);
const nseg = new Uint16Array(6);

/**
 * Switch to the task whose TSS descriptor (selector `sel`) is in c.dLo/dHi and has been checked. `ret` is the EIP
 * saved for the old task. For an exception with an error code, `err` >= 0 is pushed on the new task's stack.
 */
export function taskSwitch(c: CpuState, sel: number, src: TaskSource, ret: number, ext: number, err = -1): void {
  const nLo = c.dLo, nHi = c.dHi;
  const nBase = ((nLo >>> 16) | ((nHi & 0xff) << 16) | (nHi & 0xff000000)) | 0;
  const n32 = (nHi & 0x800) !== 0;
  // ---- 1. read the new TSS
  let nEip: number, nFlags: number, nLdt: number, nCr3 = 0, tBit = false;
  if (n32) {
    nCr3 = c.sysRd32((nBase + 0x1c) | 0);
    nEip = c.sysRd32((nBase + 0x20) | 0);
    nFlags = c.sysRd32((nBase + 0x24) | 0);
    for (let i = 0; i < 8; i++) nr[i] = c.sysRd32((nBase + 0x28 + i * 4) | 0);
    for (let i = 0; i < 6; i++) nseg[i] = c.sysRd16((nBase + 0x48 + i * 4) | 0);
    nLdt = c.sysRd16((nBase + 0x60) | 0);
    tBit = (c.sysRd16((nBase + 0x64) | 0) & 1) !== 0;
  } else {
    nEip = c.sysRd16((nBase + 0x0e) | 0);
    nFlags = c.sysRd16((nBase + 0x10) | 0);
    for (let i = 0; i < 8; i++) nr[i] = c.sysRd16((nBase + 0x12 + i * 2) | 0) | 0xffff0000;
    for (let i = 0; i < 4; i++) nseg[i] = c.sysRd16((nBase + 0x22 + i * 2) | 0);
    nseg[FS] = 0; nseg[GS] = 0;
    nLdt = c.sysRd16((nBase + 0x2a) | 0);
  }
  // ---- 2. save the current task in its TSS
  const oSel = c.segSel[TR]!, oBase = c.segBase[TR]!, o32 = (c.segAr[TR]! & 8) !== 0;
  let oFlags = c.getFlags();
  if (src === TaskSource.Iret) oFlags &= ~NT;
  if (o32) {
    wr32(c, (oBase + 0x20) | 0, ret);
    wr32(c, (oBase + 0x24) | 0, oFlags);
    for (let i = 0; i < 8; i++) wr32(c, (oBase + 0x28 + i * 4) | 0, c.regs[i]!);
    for (let i = 0; i < 6; i++) wr16(c, (oBase + 0x48 + i * 4) | 0, c.segSel[i]!);
  } else {
    wr16(c, (oBase + 0x0e) | 0, ret);
    wr16(c, (oBase + 0x10) | 0, oFlags);
    for (let i = 0; i < 8; i++) wr16(c, (oBase + 0x12 + i * 2) | 0, c.regs[i]!);
    for (let i = 0; i < 4; i++) wr16(c, (oBase + 0x22 + i * 2) | 0, c.segSel[i]!);
  }
  // ---- 3. busy bits, back link, TR, CR0.TS
  if (src === TaskSource.Jmp || src === TaskSource.Iret) setBusy(c, oSel, false);
  if (src !== TaskSource.Iret) setBusy(c, sel, true);
  if (src === TaskSource.Call || src === TaskSource.Int) { wr16(c, nBase, oSel); nFlags |= NT; }
  setCache(c, TR, sel, nLo, nHi | 0x200);
  c.segRchk[TR] = 0;
  c.cr0 |= 8;
  // DR7 L0-L3 are cleared by every task switch (SDM Vol. 3B 17.2.4; Bochs tasking.cc at the commit point, which
  // also clears LE; QEMU switch_tss_ra at its end). Breakpoints themselves are not modelled.
  c.dr[7] = c.dr[7]! & ~0x55;
  // ---- 4. the new task's registers; from here a fault is the new task's
  if (n32 && c.pg && (nCr3 >>> 0) !== (c.cr3 >>> 0)) { c.cr3 = nCr3; c.tlb.flushNonGlobal(); }
  else if (n32 && c.pg) c.tlb.flushNonGlobal();
  c.regs.set(nr);
  c.setFlagsRaw((n32 ? nFlags : nFlags & 0xffff) & ~RF); // RF: cleared at once, as after IRET (transfers.ts)
  c.eip = n32 ? nEip >>> 0 : nEip & 0xffff;
  c.insnStart = c.eip;
  c.breakLoop = true;
  for (let s = 0; s < 6; s++) { c.segSel[s] = nseg[s]!; c.segRchk[s] = SEG_UNUSABLE; c.segWchk[s] = SEG_UNUSABLE; }
  c.segSel[LDTR] = nLdt;
  c.segRchk[LDTR] = SEG_UNUSABLE;
  const xe = ext;
  // ---- 5. LDT, then the segment descriptors (Table 7-1 order)
  if ((nLdt & 0xfffc) !== 0) {
    if (nLdt & 4) c.raise(TS, (nLdt & 0xfffc) | xe);
    readDesc(c, nLdt, TS, xe);
    if (((c.dHi >> 8) & 0x1f) !== 0x02) c.raise(TS, (nLdt & 0xfffc) | xe);
    if ((c.dHi & 0x8000) === 0) c.raise(TS, (nLdt & 0xfffc) | xe);
    setCache(c, LDTR, nLdt, c.dLo, c.dHi);
    c.segRchk[LDTR] = 0;
  }
  if (c.flags & VM) {
    // a task switch into virtual-8086 mode: real-mode style segments, CPL 3
    for (let s = 0; s < 6; s++) {
      c.segBase[s] = nseg[s]! << 4; c.segLimit[s] = 0xffff; c.segAr[s] = s === CS ? 0xfb : 0xf3;
      c.segRchk[s] = 0; c.segWchk[s] = 0;
    }
    c.ssBig = false; c.fetchLimit = 0xffff; c.defOs = 0; c.defAs = false; c.os = 0; c.as32 = false;
    setCpl(c, 3);
  } else {
    loadTaskCs(c, nseg[CS]!, xe);
    loadTaskSs(c, nseg[SS]!, xe);
    for (const s of [DS, ES, FS, GS]) loadTaskData(c, s, nseg[s]!, xe);
  }
  if (c.eip > c.segLimit[CS]!) c.raise(GP, 0);
  // ---- 6. an exception's error code goes on the new task's stack
  if (err >= 0) { if (n32) c.push32(err); else c.push16(err); }
  if (tBit) { c.dr[6] = c.dr[6]! | 0x8000; c.raise(DB); } // T bit: #DB before the first instruction (DR6.BT)
}

// Each segment a task switch loads gets its descriptor's accessed bit set, as any segment load does (SDM Vol. 3A
// 3.4.5.1; Bochs tasking.cc touch_segment; QEMU 7.2 TCG's tss_load_seg does not: a row of the difftest's table).
function loadTaskCs(c: CpuState, sel: number, ext: number): void {
  if ((sel & 0xfffc) === 0) c.raise(TS, ext);
  readDesc(c, sel, TS, ext);
  const hi = c.dHi, dpl = (hi >> 13) & 3, rpl = sel & 3, err = (sel & 0xfffc) | ext;
  if ((hi & 0x1800) !== 0x1800) c.raise(TS, err);
  if (hi & 0x400 ? dpl > rpl : dpl !== rpl) c.raise(TS, err);
  if ((hi & 0x8000) === 0) c.raise(NP, err);
  markAccessed(c, sel);
  setCpl(c, rpl);
  setCache(c, CS, sel, c.dLo, c.dHi);
}

function loadTaskSs(c: CpuState, sel: number, ext: number): void {
  if ((sel & 0xfffc) === 0) c.raise(TS, ext);
  readDesc(c, sel, TS, ext);
  const hi = c.dHi, err = (sel & 0xfffc) | ext;
  if ((sel & 3) !== c.cpl || ((hi >> 13) & 3) !== c.cpl || (hi & 0x1a00) !== 0x1200) c.raise(TS, err);
  if ((hi & 0x8000) === 0) c.raise(SSF, err);
  markAccessed(c, sel);
  setCache(c, SS, sel, c.dLo, c.dHi);
}

function loadTaskData(c: CpuState, seg: number, sel: number, ext: number): void {
  if ((sel & 0xfffc) === 0) { c.segAr[seg] = 0; return; } // null: stays unusable
  readDesc(c, sel, TS, ext);
  const hi = c.dHi, type = (hi >> 8) & 0xf, dpl = (hi >> 13) & 3, err = (sel & 0xfffc) | ext;
  const code = (type & 8) !== 0;
  if ((hi & 0x1000) === 0 || (code && (type & 2) === 0)) c.raise(TS, err);
  if ((!code || (type & 4) === 0) && (dpl < c.cpl || dpl < (sel & 3))) c.raise(TS, err);
  if ((hi & 0x8000) === 0) c.raise(NP, err);
  markAccessed(c, sel);
  setCache(c, seg, sel, c.dLo, c.dHi);
}

