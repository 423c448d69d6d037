/**
 * Far control transfers: JMP/CALL far (direct and through call gates),
 * RET far, IRET, and interrupt/exception delivery through the IVT (real
 * mode) or IDT gates (protected mode), with the TSS stack switch for inner
 * privilege levels. Checks follow the Intel SDM pseudo-code of each
 * instruction. Virtual-8086 mode (no VME): IRETD from CPL 0 with VM=1 enters
 * it, interrupts and exceptions leave it for a ring-0 handler with GS/FS/DS/ES
 * saved and cleared, IRET/INT n are IOPL-sensitive (Intel SDM Vol. 3A ch. 20).
 */
import {
  AC, CS, ESP, GP, IF, IOPL, NP, NT, RF, SS, SSF, TF, TR, TS, VM, type CpuState,
} from './cpu-state.js';
import { invalidateOuter, loadReal, loadSeg, markAccessed, readDesc, setCache, setCpl, descLimit } from './segments.js';
import { DS, ES, FS, GS, SEG_UNUSABLE } from './cpu-state.js';
import { checkTss, taskGateTarget, taskSwitch, TaskSource } from './task-switch.js';

/** A segment register as virtual-8086 mode loads it: base sel << 4, limit 64 KiB, DPL 3 (Intel SDM §20.1.1). */
function v86Seg(c: CpuState, seg: number, sel: number): void {
  sel &= 0xffff;
  c.segSel[seg] = sel; c.segBase[seg] = sel << 4; c.segLimit[seg] = 0xffff;
  c.segAr[seg] = seg === CS ? 0xfb : 0xf3; c.segRchk[seg] = 0; c.segWchk[seg] = 0;
  if (seg === SS) c.ssBig = false;
  if (seg === CS) { c.fetchLimit = 0xffff; c.defOs = 0; c.defAs = false; c.os = 0; c.as32 = false; }
}

/**
 * IRETD from CPL 0 to virtual-8086 mode (Intel SDM IRET "RETURN-TO-VIRTUAL-8086-MODE"): the stack holds EIP, CS,
 * EFLAGS (VM=1), ESP, SS, ES, DS, FS, GS as dwords; all of EFLAGS is loaded, CPL becomes 3.
 */
function iretToV86(c: CpuState, eip: number, fl: number): void {
  const esp = c.peek32(12);
  const v = [c.peek32(4), c.peek32(16), c.peek32(20), c.peek32(24), c.peek32(28), c.peek32(32)];
  c.setFlagsRaw(fl & ~RF);
  v86Seg(c, CS, v[0]!); v86Seg(c, SS, v[1]!); v86Seg(c, ES, v[2]!); v86Seg(c, DS, v[3]!); v86Seg(c, FS, v[4]!); v86Seg(c, GS, v[5]!);
  c.regs[ESP] = esp;
  c.eip = eip & 0xffff;
  setCpl(c, 3);
}

// ---- stack writes through an explicit (base, esp, big) not yet committed ----
// (nsDown: an expand-down segment, valid offsets above the limit; nsErr: the #SS error code, 0 for the current stack,
// the new SS selector for an inner one: SDM CALL "#SS(SS selector)", INT n "#SS(error_code(NewSS, 0, EXT))")
let nsBase = 0, nsEsp = 0, nsBig = false, nsLimit = 0, nsDown = false, nsErr = 0;
function nsPush(c: CpuState, v: number, size: number): void {
  nsEsp = nsBig ? (nsEsp - size) | 0 : (nsEsp - size) & 0xffff;
  const off = nsBig ? nsEsp >>> 0 : nsEsp;
  if (nsDown ? off <= nsLimit || off + size - 1 > (nsBig ? 0xffffffff : 0xffff) : off + size - 1 > nsLimit) c.raise(SSF, nsErr);
  const lin = (nsBase + off) | 0;
  const acc = c.tlb.acc; c.tlb.acc = 1;
  try { if (size === 4) c.wr32L(lin, v); else c.wr16L(lin, v); } finally { c.tlb.acc = acc; }
}
function nsFromCurrent(c: CpuState): void {
  nsBase = c.segBase[SS]!; nsBig = c.ssBig; nsLimit = c.segLimit[SS]!; nsDown = (c.segAr[SS]! & 0x1c) === 0x14; nsErr = 0;
  nsEsp = c.ssBig ? c.regs[ESP]! : c.r16[8]!;
}
function nsCommitEsp(c: CpuState): void {
  if (nsBig) c.regs[ESP] = nsEsp; else c.r16[8] = nsEsp;
}

/** Read SS:ESP for privilege level `dpl` from the current TSS. */
let tssSs = 0, tssEsp = 0;
function tssStack(c: CpuState, dpl: number, ext: number): void {
  const type = (c.segAr[TR]! >> 0) & 0xf;
  const base = c.segBase[TR]!;
  if (type & 8) {
    const at = 4 + dpl * 8;
    if (at + 5 > c.segLimit[TR]!) c.raise(TS, (c.segSel[TR]! & 0xfffc) | ext);
    tssEsp = c.sysRd32((base + at) | 0);
    tssSs = c.sysRd16((base + at + 4) | 0);
  } else {
    const at = 2 + dpl * 4;
    if (at + 3 > c.segLimit[TR]!) c.raise(TS, (c.segSel[TR]! & 0xfffc) | ext);
    tssEsp = c.sysRd16((base + at) | 0);
    tssSs = c.sysRd16((base + at + 2) | 0);
  }
}

/** Validate the inner stack selector from the TSS; leaves its descriptor in c.dLo/dHi. */
function checkInnerSs(c: CpuState, ss: number, dpl: number, ext: number): void {
  if ((ss & 0xfffc) === 0) c.raise(TS, ext);
  readDesc(c, ss, TS, ext);
  const hi = c.dHi, type = (hi >> 8) & 0xf;
  if ((ss & 3) !== dpl || ((hi >> 13) & 3) !== dpl || (hi & 0x1000) === 0 || (type & 0xa) !== 2) c.raise(TS, (ss & 0xfffc) | ext);
  if ((hi & 0x8000) === 0) c.raise(SSF, (ss & 0xfffc) | ext);
}

/** Check a code segment descriptor (c.dLo/dHi) as a far-transfer target. */
function isCode(hi: number): boolean {
  return (hi & 0x1800) === 0x1800;
}

/** JMP/CALL ptr16:16/32 or m16:16/32. `ret` is the return EIP for CALL. */
export function farTransfer(c: CpuState, sel: number, off: number, isCall: boolean, ret: number): void {
  const big = c.os !== 0;
  if (!c.pe || (c.flags & VM)) {
    if (isCall) {
      nsFromCurrent(c);
      nsPush(c, c.segSel[CS]!, big ? 4 : 2);
      nsPush(c, ret, big ? 4 : 2);
      nsCommitEsp(c);
    }
    loadReal(c, CS, sel);
    c.eip = big ? off >>> 0 : off & 0xffff;
    return;
  }
  if ((sel & 0xfffc) === 0) c.raise(GP, 0);
  readDesc(c, sel);
  let lo = c.dLo, hi = c.dHi;
  const dpl = (hi >> 13) & 3, rpl = sel & 3;
  if (isCode(hi)) {
    if (hi & 0x400) { if (dpl > c.cpl) c.raise(GP, sel & 0xfffc); }
    else if (rpl > c.cpl || dpl !== c.cpl) c.raise(GP, sel & 0xfffc);
    if ((hi & 0x8000) === 0) c.raise(NP, sel & 0xfffc);
    const target = big ? off >>> 0 : off & 0xffff;
    if (target > descLimit(hi, lo)) c.raise(GP, 0);
    if (isCall) {
      nsFromCurrent(c);
      nsPush(c, c.segSel[CS]!, big ? 4 : 2);
      nsPush(c, ret, big ? 4 : 2);
      nsCommitEsp(c);
    }
    markAccessed(c, sel);
    setCache(c, CS, (sel & 0xfffc) | c.cpl, lo, hi);
    c.eip = target;
    return;
  }
  const type = (hi >> 8) & 0x1f;
  if (type === 0x01 || type === 0x09 || type === 0x05 || type === 0x03 || type === 0x0b) {
    // JMP/CALL to a TSS or through a task gate (Intel SDM JMP/CALL "TASK-GATE", "TASK-STATE-SEGMENT")
    if (dpl < c.cpl || dpl < rpl) c.raise(GP, sel & 0xfffc);
    let tss = sel;
    if (type === 0x05) {
      if ((hi & 0x8000) === 0) c.raise(NP, sel & 0xfffc);
      tss = taskGateTarget(c, 0);
    } else checkTss(c, sel, false, GP, 0);
    taskSwitch(c, tss, isCall ? TaskSource.Call : TaskSource.Jmp, ret, 0);
    return;
  }
  if (type !== 0x04 && type !== 0x0c) c.raise(GP, sel & 0xfffc);
  // call gate (Intel SDM CALL "CALL-GATE")
  if (dpl < c.cpl || dpl < rpl) c.raise(GP, sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(NP, sel & 0xfffc);
  const gate32 = type === 0x0c;
  const tsel = lo >>> 16;
  const toff = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  const params = hi & 0x1f;
  if ((tsel & 0xfffc) === 0) c.raise(GP, 0);
  readDesc(c, tsel);
  lo = c.dLo; hi = c.dHi;
  const tdpl = (hi >> 13) & 3;
  if (!isCode(hi) || tdpl > c.cpl) c.raise(GP, tsel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(NP, tsel & 0xfffc);
  if (toff > descLimit(hi, lo)) c.raise(GP, 0);
  const size = gate32 ? 4 : 2;
  if (!isCall) {
    if ((hi & 0x400) === 0 && tdpl !== c.cpl) c.raise(GP, tsel & 0xfffc);
    markAccessed(c, tsel);
    setCache(c, CS, (tsel & 0xfffc) | c.cpl, lo, hi);
    c.eip = toff;
    return;
  }
  const tlo = lo, thi = hi;
  if ((hi & 0x400) === 0 && tdpl < c.cpl) {
    // more privileged: switch to the TSS stack, copy the parameters
    tssStack(c, tdpl, 0);
    const newSs = tssSs, newEsp = tssEsp;
    checkInnerSs(c, newSs, tdpl, 0);
    const sLo = c.dLo, sHi = c.dHi;
    nsBase = ((sLo >>> 16) | ((sHi & 0xff) << 16) | (sHi & 0xff000000)) | 0;
    nsBig = (sHi & 0x400000) !== 0; nsLimit = descLimit(sHi, sLo); nsEsp = nsBig ? newEsp : newEsp & 0xffff;
    nsDown = (sHi & 0x1c00) === 0x1400; nsErr = newSs & 0xfffc;
    const oldSs = c.segSel[SS]!, oldEsp = c.regs[ESP]!;
    nsPush(c, oldSs, size);
    nsPush(c, oldEsp, size);
    for (let i = params - 1; i >= 0; i--) nsPush(c, size === 4 ? c.peek32(i * 4) : c.peek16(i * 2), size);
    nsPush(c, c.segSel[CS]!, size);
    nsPush(c, ret, size);
    markAccessed(c, newSs);
    setCache(c, SS, newSs, sLo, sHi);
    nsCommitEsp(c);
    setCpl(c, tdpl);
  } else {
    nsFromCurrent(c);
    nsPush(c, c.segSel[CS]!, size);
    nsPush(c, ret, size);
    nsCommitEsp(c);
  }
  setCache(c, CS, (tsel & 0xfffc) | c.cpl, tlo, thi);
  c.eip = toff;
}

/**
 * The checks RET far and IRET make on the code segment they return to (Intel SDM RET/IRET, protected mode):
 * null → #GP(0); RPL below CPL, not code, or DPL wrong for a (non-)conforming segment → #GP(sel);
 * not present → #NP(sel); EIP past the limit → #GP(0). Leaves the descriptor in c.dLo/c.dHi.
 */
function checkReturnCs(c: CpuState, sel: number, eip: number): void {
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) c.raise(GP, 0);
  if (rpl < c.cpl) c.raise(GP, sel & 0xfffc);
  readDesc(c, sel);
  const lo = c.dLo, hi = c.dHi, dpl = (hi >> 13) & 3;
  if (!isCode(hi)) c.raise(GP, sel & 0xfffc);
  if (hi & 0x400 ? dpl > rpl : dpl !== rpl) c.raise(GP, sel & 0xfffc);
  if ((hi & 0x8000) === 0) c.raise(NP, sel & 0xfffc);
  if (eip > descLimit(hi, lo)) c.raise(GP, 0);
}

/** RET far (imm bytes released after the pop). */
export function retFar(c: CpuState, imm: number): void {
  const big = c.os !== 0, sz = big ? 4 : 2;
  const eip = big ? c.peek32(0) >>> 0 : c.peek16(0);
  const sel = (big ? c.peek32(4) : c.peek16(2)) & 0xffff;
  if (!c.pe || (c.flags & VM)) {
    loadReal(c, CS, sel);
    c.eip = eip;
    c.addSP(2 * sz + imm);
    return;
  }
  const rpl = sel & 3;
  checkReturnCs(c, sel, eip);
  const lo = c.dLo, hi = c.dHi;
  if (rpl === c.cpl) {
    markAccessed(c, sel);
    setCache(c, CS, sel, lo, hi);
    c.eip = eip;
    c.addSP(2 * sz + imm);
    return;
  }
  const newEsp = big ? c.peek32(2 * sz + imm) : c.peek16(2 * sz + imm);
  const newSs = (big ? c.peek32(3 * sz + imm) : c.peek16(3 * sz + imm)) & 0xffff;
  toOuter(c, sel, lo, hi, eip, newSs, newEsp, imm);
}

function toOuter(c: CpuState, sel: number, lo: number, hi: number, eip: number, newSs: number, newEsp: number, imm: number): void {
  const rpl = sel & 3;
  const cpl = c.cpl;
  setCpl(c, rpl);
  try {
    loadSeg(c, SS, newSs);
  } catch (e) { setCpl(c, cpl); throw e; }
  markAccessed(c, sel);
  setCache(c, CS, sel, lo, hi);
  c.eip = eip;
  if (c.ssBig) c.regs[ESP] = newEsp + imm; else c.r16[8] = newEsp + imm;
  invalidateOuter(c);
}

/** IRET / IRETD. */
export function iret(c: CpuState): void {
  const big = c.os !== 0, sz = big ? 4 : 2;
  const eip = big ? c.peek32(0) >>> 0 : c.peek16(0);
  const sel = (big ? c.peek32(4) : c.peek16(2)) & 0xffff;
  const fl = big ? c.peek32(8) : c.peek16(4);
  const old = c.getFlags();
  if (!c.pe) {
    loadReal(c, CS, sel);
    c.eip = eip;
    c.addSP(3 * sz);
    c.setFlagsRaw(big ? (fl & 0x257fd5) | (old & 0x1a0000) : (old & 0xffff0000) | (fl & 0xffff));
    return;
  }
  if (c.flags & VM) {
    // IRET in virtual-8086 mode (Intel SDM IRET): IOPL-sensitive; with IOPL 3 it works as in real mode,
    // keeping VM and IOPL (and VIF/VIP) as they are
    if ((old & IOPL) !== IOPL) c.raise(GP, 0);
    if (eip > 0xffff) c.raise(GP, 0);
    v86Seg(c, CS, sel);
    c.eip = eip;
    c.addSP(3 * sz);
    c.setFlagsRaw(big ? (fl & 0x254fd5) | (old & 0x1a3000) : (old & 0xffff3000) | (fl & 0x4fd5));
    return;
  }
  if (c.flags & NT) {
    // return to the task in the back link (Intel SDM IRET "TASK-RETURN"): a busy TSS in the GDT
    const link = c.sysRd16(c.segBase[TR]!);
    if ((link & 4) !== 0 || (link & 0xfffc) === 0) c.raise(TS, link & 0xfffc);
    readDesc(c, link, TS);
    checkTss(c, link, true, TS, 0);
    taskSwitch(c, link, TaskSource.Iret, c.eip, 0);
    return;
  }
  if (big && (fl & VM) && c.cpl === 0) { iretToV86(c, eip, fl); return; }
  const rpl = sel & 3;
  checkReturnCs(c, sel, eip);
  const lo = c.dLo, hi = c.dHi;
  // which flags the old CPL may change (Intel SDM IRET)
  let mask = big ? 0x257fd5 : 0x7fd5;
  const iopl = (old >> 12) & 3;
  if (c.cpl > 0) mask &= ~0x3000;
  if (c.cpl > iopl) mask &= ~IF;
  mask &= ~VM;
  // RF: loaded by IRET and cleared when the next instruction completes (SDM 17.3.1.1); with no instruction
  // breakpoints modelled, acpidm clears it at once (only an interrupt taken at the IRET's target would show it)
  const newFlags = ((old & ~mask) | (fl & mask)) & ~RF;
  if (rpl === c.cpl) {
    markAccessed(c, sel);
    setCache(c, CS, sel, lo, hi);
    c.eip = eip;
    c.addSP(3 * sz);
  } else {
    const newEsp = big ? c.peek32(3 * sz) : c.peek16(3 * sz);
    const newSs = (big ? c.peek32(4 * sz) : c.peek16(4 * sz)) & 0xffff;
    toOuter(c, sel, lo, hi, eip, newSs, newEsp, 0);
  }
  c.setFlagsRaw(newFlags);
}

/**
 * Deliver interrupt `vec`. soft: INT n/INT3/INTO (gate DPL checked); ext: 1
 * for hardware interrupts and exceptions (the EXT bit of error codes).
 */
export function interrupt(c: CpuState, vec: number, soft: boolean, ext: number, hasErr: boolean, err: number, ret: number): void {
  const flags = c.getFlags();
  if (!c.pe) {
    if (vec * 4 + 3 > c.idtLimit) c.raise(GP, vec * 8 + 2);
    const off = c.sysRd16((c.idtBase + vec * 4) | 0), seg = c.sysRd16((c.idtBase + vec * 4 + 2) | 0);
    nsFromCurrent(c);
    nsPush(c, flags, 2);
    nsPush(c, c.segSel[CS]!, 2);
    nsPush(c, ret, 2);
    nsCommitEsp(c);
    loadReal(c, CS, seg);
    c.eip = off;
    c.setFlagsRaw(flags & ~(IF | TF | AC));
    return;
  }
  const gerr = vec * 8 + 2 + ext;
  if (vec * 8 + 7 > c.idtLimit) c.raise(GP, gerr);
  const glo = c.sysRd32((c.idtBase + vec * 8) | 0), ghi = c.sysRd32((c.idtBase + vec * 8 + 4) | 0);
  const type = (ghi >> 8) & 0x1f, gdpl = (ghi >> 13) & 3;
  if (type !== 0x05 && type !== 0x06 && type !== 0x07 && type !== 0x0e && type !== 0x0f) c.raise(GP, gerr);
  if (soft && gdpl < c.cpl) c.raise(GP, vec * 8 + 2);
  if ((ghi & 0x8000) === 0) c.raise(NP, gerr);
  if (type === 0x05) {
    // task gate: switch tasks, nesting (NT, back link); an error code goes on the new task's stack
    c.dLo = glo; c.dHi = ghi;
    const tss = taskGateTarget(c, ext);
    taskSwitch(c, tss, TaskSource.Int, ret, ext, hasErr ? err : -1);
    return;
  }
  const gate32 = (type & 8) !== 0, size = gate32 ? 4 : 2;
  const sel = glo >>> 16;
  const off = gate32 ? ((glo & 0xffff) | (ghi & 0xffff0000)) >>> 0 : glo & 0xffff;
  if ((sel & 0xfffc) === 0) c.raise(GP, ext);
  readDesc(c, sel, GP, ext);
  const lo = c.dLo, hi = c.dHi, dpl = (hi >> 13) & 3;
  if (!isCode(hi) || dpl > c.cpl) c.raise(GP, (sel & 0xfffc) | ext);
  if ((hi & 0x8000) === 0) c.raise(NP, (sel & 0xfffc) | ext);
  if (off > descLimit(hi, lo)) c.raise(GP, ext);
  const v86 = (flags & VM) !== 0;
  // from virtual-8086 mode only a non-conforming ring-0 handler will do (Intel SDM INT n "INTERRUPT-FROM-VIRTUAL-8086-MODE")
  if (v86 && ((hi & 0x400) !== 0 || dpl !== 0)) c.raise(GP, (sel & 0xfffc) | ext);
  if ((hi & 0x400) === 0 && dpl < c.cpl) {
    tssStack(c, dpl, ext);
    const newSs = tssSs, newEsp = tssEsp;
    checkInnerSs(c, newSs, dpl, ext);
    const sLo = c.dLo, sHi = c.dHi;
    nsBase = ((sLo >>> 16) | ((sHi & 0xff) << 16) | (sHi & 0xff000000)) | 0;
    nsBig = (sHi & 0x400000) !== 0; nsLimit = descLimit(sHi, sLo); nsEsp = nsBig ? newEsp : newEsp & 0xffff;
    nsDown = (sHi & 0x1c00) === 0x1400; nsErr = (newSs & 0xfffc) | ext;
    if (v86) { nsPush(c, c.segSel[GS]!, size); nsPush(c, c.segSel[FS]!, size); nsPush(c, c.segSel[DS]!, size); nsPush(c, c.segSel[ES]!, size); }
    nsPush(c, c.segSel[SS]!, size);
    nsPush(c, c.regs[ESP]!, size);
    nsPush(c, flags, size);
    nsPush(c, c.segSel[CS]!, size);
    nsPush(c, ret, size);
    if (hasErr) nsPush(c, err, size);
    markAccessed(c, newSs);
    setCache(c, SS, newSs, sLo, sHi);
    nsCommitEsp(c);
    setCpl(c, dpl);
    if (v86) for (const s of [ES, DS, FS, GS]) { c.segSel[s] = 0; c.segRchk[s] = SEG_UNUSABLE; c.segWchk[s] = SEG_UNUSABLE; c.segAr[s] = 0; }
  } else {
    nsFromCurrent(c);
    nsPush(c, flags, size);
    nsPush(c, c.segSel[CS]!, size);
    nsPush(c, ret, size);
    if (hasErr) nsPush(c, err, size);
    nsCommitEsp(c);
  }
  setCache(c, CS, (sel & 0xfffc) | c.cpl, lo, hi);
  c.eip = off;
  let nf = flags & ~(TF | NT | RF | VM);
  if ((type & 1) === 0) nf &= ~IF;
  c.setFlagsRaw(nf);
}

/** IN/OUT/INS/OUTS permission: IOPL, then the TSS I/O bitmap (Intel SDM 19.5.2). */
export function ioCheck(c: CpuState, port: number, size: number): void {
  if (!c.pe) return;
  const iopl = (c.flags >> 12) & 3;
  if (c.cpl <= iopl && !(c.flags & VM)) return;
  const type = c.segAr[TR]! & 0xf;
  if ((type !== 9 && type !== 11) || c.segLimit[TR]! < 0x67) c.raise(GP, 0);
  const base = c.segBase[TR]!;
  const bm = c.sysRd16((base + 0x66) | 0);
  const at = bm + (port >>> 3);
  if (at + 1 > c.segLimit[TR]!) c.raise(GP, 0);
  const bits = c.sysRd16((base + at) | 0) >>> (port & 7);
  if (bits & ((1 << size) - 1)) c.raise(GP, 0);
}
