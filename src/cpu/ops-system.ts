/**
 * System instructions: IN/OUT, HLT, CLI/STI, PUSHF/POPF, the 0F 00 and
 * 0F 01 groups (descriptor tables, LMSW/SMSW, INVLPG, VMCALL), LAR/LSL,
 * VERR/VERW, CLTS, INVD/WBINVD, MOV to/from CRn/DRn, RDMSR/WRMSR, RDTSC,
 * CPUID (the x87 escape opcodes and WAIT live in fpu/escape.ts).
 */
import {
  CS, DS, GP, IF, LDTR, NM, TR, UD, VM, type CpuState,
} from './cpu-state.js';
import type { Cpu } from './cpu.js';
import { APIC_BASE_MSR } from './lapic.js';
import { CR4_TSD, FEAT_CX8, FEAT_MSR, FEAT_TSC, signature } from './cpu-model.js';
import { descLimit, readDesc, setCache } from './segments.js';
import { accumulator, portIn, portOut, setAccumulator } from './port-io.js';

function iopl(c: CpuState): number { return (c.flags >> 12) & 3; }
function needCpl0(c: CpuState): void { if (c.pe && c.cpl !== 0) c.raise(GP, 0); }

// ---- port I/O ----
// permission check, clock sync, access and (after OUT) Cpu.portWritten: port-io.ts, shared with compiled blocks
export function inOp(c: Cpu, size: 1 | 2 | 4, viaDx: boolean): void {
  const port = viaDx ? c.r16[4]! : c.fetch8();
  setAccumulator(c, size, portIn(c, port, size, 0));
}
export function outOp(c: Cpu, size: 1 | 2 | 4, viaDx: boolean): void {
  const port = viaDx ? c.r16[4]! : c.fetch8();
  portOut(c, port, accumulator(c, size), size, 0);
}

export function hlt(c: Cpu): void { needCpl0(c); c.hlt(); }
export function cli(c: CpuState): void {
  if (c.pe && c.cpl > iopl(c)) c.raise(GP, 0);
  c.flags &= ~IF;
}
export function sti(c: CpuState): void {
  if (c.pe && c.cpl > iopl(c)) c.raise(GP, 0);
  if ((c.flags & IF) === 0) { c.flags |= IF; c.interruptShadow(); }
}
/** PUSHF/POPF in virtual-8086 mode with IOPL < 3: #GP(0) to the monitor (no VME; Intel SDM §20.2.7). */
function v86Iopl(c: CpuState): void {
  if ((c.flags & VM) !== 0 && iopl(c) < 3) c.raise(GP, 0);
}
export function pushf(c: CpuState): void {
  v86Iopl(c);
  const f = c.getFlags();
  if (c.os) c.push32(f & ~(VM | 0x10000)); else c.push16(f & 0xffff);
}
export function popf(c: CpuState): void {
  v86Iopl(c);
  const v = c.os ? c.peek32(0) : c.peek16(0);
  const old = c.getFlags();
  let mask = c.os ? 0x257fd5 : 0x7fd5;
  if (c.pe && c.cpl > 0) mask &= ~0x3000;
  if (c.pe && c.cpl > iopl(c)) mask &= ~IF;
  c.addSP(c.os ? 4 : 2);
  c.setFlagsRaw((old & ~mask) | (v & mask));
  c.breakLoop = true; // IF may have changed: let the run loop look at INTR
}

// ---- 0F 00: SLDT STR LLDT LTR VERR VERW ----
export function group6(c: Cpu): void {
  if (!c.pe || (c.flags & VM)) c.raise(UD); // not recognised in real or virtual-8086 mode

  c.modrm();
  switch (c.mReg) {
    case 0: case 1: {
      const v = c.segSel[c.mReg === 0 ? LDTR : TR]!;
      if (c.mMem) c.wr16(c.mSeg, c.mOff, v); else if (c.os) c.regs[c.mRm] = v; else c.r16[c.mRm << 1] = v;
      return;
    }
    case 2: { // LLDT
      needCpl0(c);
      const sel = c.rE16();
      if ((sel & 0xfffc) === 0) { c.segSel[LDTR] = 0; c.segRchk[LDTR] = 1; return; }
      if (sel & 4) c.raise(GP, sel & 0xfffc);
      readDesc(c, sel);
      if (((c.dHi >> 8) & 0x1f) !== 0x02) c.raise(GP, sel & 0xfffc);
      if ((c.dHi & 0x8000) === 0) c.raise(11, sel & 0xfffc);
      setCache(c, LDTR, sel, c.dLo, c.dHi);
      c.segRchk[LDTR] = 0;
      return;
    }
    case 3: { // LTR: available TSS, marked busy
      needCpl0(c);
      const sel = c.rE16();
      if ((sel & 0xfffc) === 0 || (sel & 4)) c.raise(GP, sel & 0xfffc);
      readDesc(c, sel);
      const type = (c.dHi >> 8) & 0x1f;
      if (type !== 0x01 && type !== 0x09) c.raise(GP, sel & 0xfffc);
      if ((c.dHi & 0x8000) === 0) c.raise(11, sel & 0xfffc);
      c.dHi |= 0x200;
      c.sysWr8((c.gdtBase + (sel & 0xfff8) + 5) | 0, (c.dHi >>> 8) & 0xff);
      setCache(c, TR, sel, c.dLo, c.dHi);
      c.segRchk[TR] = 0;
      return;
    }
    case 4: case 5: { // VERR / VERW
      const sel = c.rE16();
      c.setFlagBits(0x40, accessible(c, sel, c.mReg === 5 ? 'w' : 'r') ? 0x40 : 0);
      return;
    }
    default: c.raise(UD);
  }
}

function accessible(c: Cpu, sel: number, what: 'r' | 'w' | 'lar' | 'lsl'): boolean {
  if ((sel & 0xfffc) === 0) return false;
  try { readDesc(c, sel); } catch { return false; }
  const hi = c.dHi, type = (hi >> 8) & 0xf, s = (hi & 0x1000) !== 0, dpl = (hi >> 13) & 3;
  const conforming = s && (type & 0xc) === 0xc;
  if (!conforming && (dpl < c.cpl || dpl < (sel & 3))) return false;
  if (s) {
    if (what === 'r') return (type & 8) === 0 || (type & 2) !== 0;
    if (what === 'w') return (type & 8) === 0 && (type & 2) !== 0;
    return true;
  }
  const sysType = type;
  if (what === 'r' || what === 'w') return false;
  const okLsl = [1, 2, 3, 9, 11];
  const okLar = [1, 2, 3, 4, 5, 9, 11, 12];
  return (what === 'lsl' ? okLsl : okLar).includes(sysType);
}

/** LAR / LSL Gv, Ew */
export function larLsl(c: Cpu, lsl: boolean): void {
  if (!c.pe || (c.flags & VM)) c.raise(UD);
  c.modrm();
  const sel = c.rE16();
  if (!accessible(c, sel, lsl ? 'lsl' : 'lar')) { c.setFlagBits(0x40, 0); return; }
  const v = lsl ? descLimit(c.dHi, c.dLo) : c.dHi & 0x00f0ff00;
  if (c.os) c.regs[c.mReg] = v; else c.r16[c.mReg << 1] = v;
  c.setFlagBits(0x40, 0x40);
}

// ---- 0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG, VMCALL ----
export function group7(c: Cpu): void {
  c.modrm();
  const r = c.mReg;
  if (!c.mMem) {
    if (r === 0 && c.mRm === 1) { // 0F 01 C1 VMCALL
      if (c.onVmcall === null) c.raise(UD);
      c.onVmcall(c);
      return;
    }
    if (r === 4) { const v = c.cr0; if (c.os) c.regs[c.mRm] = v; else c.r16[c.mRm << 1] = v; return; }
    if (r === 6) { needCpl0(c); lmsw(c, c.r16[c.mRm << 1]!); return; }
    c.raise(UD);
  }
  const seg = c.mSeg, off = c.mOff;
  const off2 = c.as32 ? (off + 2) >>> 0 : (off + 2) & 0xffff;
  switch (r) {
    case 0: case 1: {
      const base = r === 0 ? c.gdtBase : c.idtBase, limit = r === 0 ? c.gdtLimit : c.idtLimit;
      c.segW(seg, off, 2); c.segW(seg, off2, 4);
      c.wr16(seg, off, limit);
      c.wr32(seg, off2, c.os ? base : base & 0x00ffffff);
      return;
    }
    case 2: case 3: {
      needCpl0(c);
      const limit = c.rd16(seg, off);
      let base = c.rd32(seg, off2);
      if (!c.os) base &= 0x00ffffff;
      if (r === 2) { c.gdtBase = base; c.gdtLimit = limit; } else { c.idtBase = base; c.idtLimit = limit; }
      return;
    }
    case 4: c.wr16(seg, off, c.cr0 & 0xffff); return;
    case 6: needCpl0(c); lmsw(c, c.rd16(seg, off)); return;
    case 7: needCpl0(c); c.tlb.flushPage((c.segBase[seg]! + off) | 0); return;
    default: c.raise(UD);
  }
}

function lmsw(c: Cpu, v: number): void {
  // LMSW sets PE but cannot clear it; only MP, EM, TS change otherwise
  setCr0(c, (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & 1));
}

export function setCr0(c: Cpu, v: number): void {
  if ((v & 0x80000000) && !(v & 1)) c.raise(GP, 0);
  const old = c.cr0;
  c.cr0 = (v | 0x10) | 0;
  c.pe = (v & 1) !== 0;
  c.pg = (v & 0x80000000) !== 0;
  if ((old ^ v) & 0x80010001) c.tlb.flush();
  if (!c.pe) { c.cpl = 0; c.tlb.setAccess(1); }
  c.breakLoop = true;
}

/** 0F 20/22: MOV r32, CRn / MOV CRn, r32 (ModRM register form; mod is ignored) */
export function movCr(c: Cpu, toCr: boolean): void {
  needCpl0(c);
  const b = c.fetch8();
  const cr = (b >> 3) & 7, r = b & 7;
  if (!toCr) {
    const v = cr === 0 ? c.cr0 : cr === 2 ? c.cr2 : cr === 3 ? c.cr3 : cr === 4 ? c.cr4 : c.ud();
    c.regs[r] = v;
    return;
  }
  const v = c.regs[r]!;
  switch (cr) {
    case 0: setCr0(c, v); return;
    case 2: c.cr2 = v; return;
    case 3: c.cr3 = v; c.tlb.flushNonGlobal(); return; // global pages stay (CR4.PGE)
    case 4: {
      // only the bits the model implements (cpu-model.ts); the rest are #GP(0) (Intel SDM MOV CRn)
      if (v & ~c.cr4Mask) c.raise(GP, 0);
      const old = c.cr4;
      c.cr4 = v;
      if ((old ^ v) & 0x90) c.tlb.flush(); // PSE or PGE changed: every entry, global ones too (SDM §4.10.4.1)
      c.breakLoop = true;
      return;
    }
    default: c.ud();
  }
}
export function movDr(c: Cpu, toDr: boolean): void {
  needCpl0(c);
  const b = c.fetch8();
  const dr = (b >> 3) & 7, r = b & 7;
  if (toDr) c.dr[dr] = c.regs[r]!; else c.regs[r] = dr === 6 ? c.dr[6]! | 0xffff0ff0 : dr === 7 ? c.dr[7]! | 0x400 : c.dr[dr]!;
}
export function clts(c: Cpu): void { needCpl0(c); c.cr0 &= ~8; }
export function wbinvd(c: Cpu): void { needCpl0(c); }

// ---- MSRs, TSC, CPUID ----
const MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_BIOS_SIGN_ID = 0x8b;
export function rdmsr(c: Cpu): void {
  if ((c.features & FEAT_MSR) === 0) c.raise(UD);
  needCpl0(c);
  const msr = c.regs[1]! >>> 0;
  let lo: number, hi = 0;
  if (msr === APIC_BASE_MSR) lo = c.lapic.baseMsr;
  else if (msr === MSR_TSC) { c.syncClock(); lo = c.tsc % 4294967296; hi = Math.floor(c.tsc / 4294967296); }
  // P6 family: platform ID 0 and microcode revision 0 (what Linux reads in intel_get_microcode_revision)
  else if ((msr === MSR_PLATFORM_ID || msr === MSR_BIOS_SIGN_ID) && c.model.family === 6) lo = 0;
  else {
    const v = c.msrHook?.read(msr) ?? null;
    if (v === null) c.raise(GP, 0);
    lo = v % 4294967296; hi = Math.floor(v / 4294967296);
  }
  c.regs[0] = lo; c.regs[2] = hi;
}
export function wrmsr(c: Cpu): void {
  if ((c.features & FEAT_MSR) === 0) c.raise(UD);
  needCpl0(c);
  const msr = c.regs[1]! >>> 0;
  const lo = c.regs[0]! >>> 0, hi = c.regs[2]! >>> 0;
  // disabling the APIC lets the 8259's INTR straight through (lapic.ts acceptsPicIntr): look at it after this instruction
  if (msr === APIC_BASE_MSR) { c.lapic.baseMsr = (lo & 0xfffff900) >>> 0; c.breakLoop = true; return; }
  if (msr === MSR_BIOS_SIGN_ID && c.model.family === 6) return; // writing 0 before CPUID 1 is how the revision is read
  if (msr === MSR_TSC) { c.syncClock(); c.tsc = hi * 4294967296 + lo; return; }
  if (c.msrHook === null || !c.msrHook.write(msr, hi * 4294967296 + lo)) c.raise(GP, 0);
}
/**
 * The exception RDTSC raises now, or 0: #UD on a model without a TSC, #GP in protected mode at CPL > 0 with CR4.TSD
 * (Intel SDM Vol. 2B RDTSC). The WebAssembly interpreter and blocks read it from the arena (jit/wasm/wasm-block.ts).
 */
export function rdtscFault(c: Cpu): number {
  if ((c.features & FEAT_TSC) === 0) return UD;
  // CR4 before CPL: read after the CPL test, CR4 was first read when a guest reached user mode, with no type
  // feedback, and V8 recompiled every caller then (the WebAssembly tier calls this on every entry)
  return c.pe && (c.cr4 & CR4_TSD) !== 0 && c.cpl > 0 ? GP : 0;
}

export function rdtsc(c: Cpu): void {
  const f = rdtscFault(c);
  if (f === UD) c.raise(UD);
  if (f === GP) c.raise(GP, 0);
  c.syncClock();
  // the TSC counts retired instructions (the virtual clock's base unit)
  const t = c.tsc;
  c.regs[0] = t % 4294967296; c.regs[2] = Math.floor(t / 4294967296);
}

/** CPUID: leaves 0 and 1 from the CPU model (cpu-model.ts); 0x40000000+ from cpuidHook; others all zero. */
export function cpuid(c: Cpu): void {
  const leaf = c.regs[0]! >>> 0, sub = c.regs[1]! >>> 0;
  let a = 0, b = 0, cx = 0, d = 0;
  if (leaf >= 0x40000000 && leaf < 0x50000000) {
    const r = c.cpuidHook?.(leaf, sub) ?? null;
    if (r !== null) [a, b, cx, d] = r;
  } else if (leaf === 0) {
    a = 1; b = 0x756e6547; d = 0x49656e69; cx = 0x6c65746e; // "GenuineIntel"
  } else if (leaf === 1) {
    a = signature(c.model);
    d = c.features;
  }
  c.regs[0] = a; c.regs[3] = b; c.regs[1] = cx; c.regs[2] = d;
}

/** CMPXCHG8B m64 (0F C7 /1) */
export function cmpxchg8b(c: Cpu): void {
  if ((c.features & FEAT_CX8) === 0) c.raise(UD);
  c.modrm();
  if (!c.mMem || c.mReg !== 1) c.raise(UD);
  const off2 = c.as32 ? (c.mOff + 4) >>> 0 : (c.mOff + 4) & 0xffff;
  c.segW(c.mSeg, c.mOff, 4); c.segW(c.mSeg, off2, 4);
  const lo = c.rd32(c.mSeg, c.mOff), hi = c.rd32(c.mSeg, off2);
  if (lo === c.regs[0] && hi === c.regs[2]) {
    c.wr32(c.mSeg, c.mOff, c.regs[3]!); c.wr32(c.mSeg, off2, c.regs[1]!);
    c.setFlagBits(0x40, 0x40);
  } else {
    c.wr32(c.mSeg, c.mOff, lo); c.wr32(c.mSeg, off2, hi);
    c.regs[0] = lo; c.regs[2] = hi;
    c.setFlagBits(0x40, 0);
  }
}

export { CS, DS };
