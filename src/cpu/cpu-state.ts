/**
 * CPU state and the hot primitives every handler uses: lazy flags, segment
 * checks, linear memory through the software TLB, instruction fetch, ModRM
 * decode into reused fields, and the stack. Handlers (ops-*.ts) are plain
 * functions `(c: CpuState) => void`; the run loop lives in cpu.ts.
 *
 * Registers live in one Int32Array with 16- and 8-bit views on the same
 * buffer (little-endian: AL is byte 0 of EAX, AH byte 1).
 */
import type { PhysMemory } from '../memory/phys-memory.js';
import { Tlb } from './tlb.js';
import { A_REGS } from '../memory/wasm-arena.js';

// Segment register numbers (Intel sreg encoding), then the system segments.
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400, OF = 0x800;
export const IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000, ID = 0x200000;
export const ARITH = CF | PF | AF | ZF | SF | OF;
export const SZP = SF | ZF | PF;

// Lazy-flag kinds: how CF/OF/AF derive from (dst, src, res).
export const K_ADD = 0, K_SUB = 1, K_LOGIC = 2;

// Exception vectors.
export const DE = 0, DB = 1, BP = 3, OFV = 4, BR = 5, UD = 6, NM = 7, DFV = 8, TS = 10, NP = 11, SSF = 12, GP = 13, PFV = 14;

/** Thrown (always this one object) to unwind a faulting instruction; the details are on the CPU. */
export const FAULT = { fault: true } as const;

// segment check flags (segRchk / segWchk): 0 means the fast path applies
export const SEG_UNUSABLE = 1, SEG_DENIED = 2, SEG_EXPDOWN = 4;

const PARITY = new Uint8Array(256);
/**
 * `x >>> 0` (x: 32 bits as an int32, or already unsigned) for code V8 optimises before the guest uses offsets of
 * 2 GiB and more. V8 compiles `x >>> 0` as an int32 while its results have been small, and at the first large one it
 * deoptimises every function that inlined it ("lost precision": ~50 functions when a Linux kernel first ran at
 * 0xC0000000). Here every operation has a double operand from the first call (x + 2^32 is never a small integer), so
 * V8 compiles them as doubles from the start.
 */
export function u32(x: number): number {
  const w = x + 4294967296;
  return w < 4294967296 ? w : w - 4294967296;
}
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  PARITY[i] = p ? PF : 0;
}
/**
 * The host is little-endian (every browser and Node platform in use): aligned words are read through ram16/ram32.
 * Tested as `LE === true`: a bare `LE &&` compiled to V8's generic truth test of a module binding on every access.
 */
export const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** byte register number -> index into the Uint8Array view */
export const R8 = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

export class CpuState {
  readonly regs: Int32Array;
  readonly r16: Uint16Array;
  readonly r8: Uint8Array;
  /** the registers and the TLB are in the memory's WebAssembly arena (memory/wasm-arena.ts): compiled WebAssembly blocks may run */
  readonly inArena: boolean;
  /**
   * EIP's 32 bits as an int32 (`eip` reads it unsigned). A field that only ever holds int32 values keeps V8's
   * small-integer representation on 64-bit hosts; an unsigned EIP (a kernel at 0xC0000000) would make it a boxed
   * double, a load and a conversion more on every fetch (the interpreter's loops ran 15-35% slower that way).
   * Hot paths (fetch, the interpreter's loop) use it directly; everything else goes through `eip`.
   */
  eipI32 = 0;
  get eip(): number { return this.eipI32 >>> 0; }
  set eip(v: number) { this.eipI32 = v | 0; }
  /** EFLAGS with the lazily-computed bits (lfMask) stale. */
  flags = 2;
  lfMask = 0;
  lfKind = 0;
  /**
   * The lazy-flag operands and result, kept as int32 (every reader uses them through bitwise operators, so only the
   * low 32 bits matter): as with `eipI32`, an unsigned value stored there would make the fields boxed doubles.
   */
  lfDstI32 = 0;
  lfSrcI32 = 0;
  lfResI32 = 0;
  get lfDst(): number { return this.lfDstI32; }
  set lfDst(v: number) { this.lfDstI32 = v | 0; }
  get lfSrc(): number { return this.lfSrcI32; }
  set lfSrc(v: number) { this.lfSrcI32 = v | 0; }
  get lfRes(): number { return this.lfResI32; }
  set lfRes(v: number) { this.lfResI32 = v | 0; }
  lfBits = 8;

  // Segment descriptor caches, indexed ES..GS, LDTR, TR.
  readonly segSel = new Uint16Array(8);
  readonly segBase = new Int32Array(8);
  readonly segLimit = new Uint32Array(8);
  /** segLimit's bits as int32s (the same memory), for limit checks written as unsigned compares of int32s */
  readonly segLimitI32 = new Int32Array(this.segLimit.buffer);
  /** descriptor bits 40-55 (type, S, DPL, P, AVL, D/B, G) as (hi >> 8) & 0xf0ff */
  readonly segAr = new Int32Array(8);
  readonly segRchk = new Uint8Array(8);
  readonly segWchk = new Uint8Array(8);

  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  gdtBase = 0; gdtLimit = 0xffff;
  idtBase = 0; idtLimit = 0x3ff;
  cpl = 0;
  /** CR0.PE */
  pe = false;
  /** CR0.PG */
  pg = false;
  /** 0 or 0x200: operand size of the current CS (D bit) as a handler-table offset */
  defOs = 0;
  defAs = false;
  ssBig = false;
  /** CPUID.1:EDX of the CPU model (cpu-model.ts): instructions of features not listed are #UD */
  features = 0;
  /** CR4 bits the model implements */
  cr4Mask = 0;
  /** CS limit, clamped to the instruction length limit while prefixes are decoded (see `fetchLimit`) */
  fetchMax = 0xffff;
  /**
   * The code-fetch window: the fwLen EIPs from fwLo up (fwLo as an int32, like `eipI32`; the window never wraps past
   * 2^32) are on the linear page the last slow fetch translated, below the fetch limit, and their byte is
   * ram[(fwOff + eip) | 0]. A fetch inside it is one unsigned compare of `(eipI32 - fwLo) >>> 0` and one typed-array
   * read; RAM is read live, so a store to the page is seen by the next fetch (self-modifying code stays exact).
   * Dropped (fwLen = 0) by a CS load (the `fetchLimit` setter), a CPL change and every TLB flush (Tlb's owner hook).
   * All three stay int32, so V8 keeps them as small integers.
   */
  fwLo = 0; fwLen = 0; fwOff = 0;
  /** Every CS load sets this (segments.ts setCache, transfers.ts, task-switch.ts, reset): it drops the fetch window. */
  get fetchLimit(): number { return this.fetchMax; }
  set fetchLimit(v: number) { this.fetchMax = v; this.fwLen = 0; }
  /** Forget the code-fetch window (a TLB flush, a CS or CPL change); the next fetch takes the slow path. */
  dropFetchWindow(): void { this.fwLen = 0; }
  /** Lower the fetch limit for this instruction (prefixes: the 15-byte length limit), shrinking the window with it. */
  clampFetch(limit: number): void {
    this.fetchMax = limit;
    const room = limit + 1 - (this.fwLo >>> 0);
    if (this.fwLen > room) this.fwLen = room > 0 ? room | 0 : 0;
  }

  // ---- per-instruction decode state ----
  /** EIP of the current instruction's first byte, as an int32 like `eipI32` (`insnStart` reads it unsigned) */
  insnStartI32 = 0;
  get insnStart(): number { return this.insnStartI32 >>> 0; }
  set insnStart(v: number) { this.insnStartI32 = v | 0; }
  os = 0; // 0 = 16-bit, 0x200 = 32-bit operand size
  as32 = false;
  segOvr = -1;
  rep = 0; // 0, 0xF2 or 0xF3
  prefixes = 0;
  // ModRM, decoded once into these fields
  mMod = 0; mReg = 0; mRm = 0; mMem = false; mSeg = 0; mLin = 0;
  /** the memory operand's offset as an int32, like `eipI32` (`mOff` reads it unsigned) */
  mOffI32 = 0;
  get mOff(): number { return this.mOffI32 >>> 0; }
  set mOff(v: number) { this.mOffI32 = v | 0; }

  /** the last descriptor read by readDesc (protected.ts) */
  dLo = 0; dHi = 0;
  /** hooks into the run loop (set by cpu.ts) */
  breakLoop = false;
  /** set by STI / MOV SS / POP SS: no interrupt before the next instruction */
  shadowNext = false;
  interruptShadow(): void { this.shadowNext = true; this.breakLoop = true; }

  // ---- exception being raised ----
  excVec = 0; excErr = 0; excHasErr = false;

  readonly tlb: Tlb;
  readonly ram: Uint8Array;
  /** the same bytes as aligned 16- and 32-bit words (host order: compiled blocks use them on little-endian hosts only) */
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;

  constructor(readonly mem: PhysMemory) {
    // the first CPU on a memory takes the arena's register and TLB areas
    const arena = mem.arena.cpuClaimed ? null : mem.arena;
    if (arena !== null) arena.cpuClaimed = true;
    const regBuf = arena === null ? new ArrayBuffer(32) : arena.buffer, regAt = arena === null ? 0 : A_REGS;
    this.regs = new Int32Array(regBuf, regAt, 8);
    this.r16 = new Uint16Array(regBuf, regAt, 16);
    this.r8 = new Uint8Array(regBuf, regAt, 32);
    this.inArena = arena !== null && arena.memory !== null;
    this.ram = mem.store; // RAM, then the BIOS image (PhysMemory.directOffset)
    const s = mem.store; // PhysMemory allocates it (offset 0, a multiple of 4 bytes long)
    this.ram16 = new Uint16Array(s.buffer, s.byteOffset, s.byteLength >> 1);
    this.ram32 = new Int32Array(s.buffer, s.byteOffset, s.byteLength >> 2);
    this.tlb = new Tlb(this, arena === null ? null : arena.buffer);
  }

  // ======================= exceptions =======================
  raise(vec: number, err = -1): never {
    this.excVec = vec;
    this.excHasErr = err >= 0;
    this.excErr = err >= 0 ? err : 0;
    throw FAULT;
  }
  gp(err = 0): never { return this.raise(GP, err); }
  ud(): never { return this.raise(UD); }

  // ======================= lazy flags =======================
  /** Record an add/sub result: all six arithmetic flags become lazy. */
  setLazy(kind: number, dst: number, src: number, res: number, bits: number): void {
    this.lfKind = kind; this.lfDstI32 = dst | 0; this.lfSrcI32 = src | 0; this.lfResI32 = res | 0; this.lfBits = bits; this.lfMask = ARITH;
  }
  /** INC/DEC: like setLazy but CF keeps its value. */
  setLazyKeepCF(kind: number, dst: number, src: number, res: number, bits: number): void {
    if (this.lfMask & CF) this.flags = (this.flags & ~CF) | this.getCF();
    this.lfKind = kind; this.lfDstI32 = dst | 0; this.lfSrcI32 = src | 0; this.lfResI32 = res | 0; this.lfBits = bits; this.lfMask = ARITH & ~CF;
  }
  /** A logical result: SF/ZF/PF from res, CF=OF=AF=0. */
  setLogic(res: number, bits: number): void {
    this.lfKind = K_LOGIC; this.lfResI32 = res | 0; this.lfBits = bits; this.lfMask = ARITH;
  }
  /** Shifts: SF/ZF/PF lazy from res, CF/OF given, AF=0. */
  setShift(res: number, bits: number, cf: number, of: number): void {
    this.flags = (this.flags & ~(CF | OF | AF)) | cf | (of ? OF : 0);
    this.lfResI32 = res | 0; this.lfBits = bits; this.lfMask = SZP;
  }
  getCF(): number {
    if ((this.lfMask & CF) === 0) return this.flags & CF;
    const k = this.lfKind;
    if (k === K_LOGIC) return 0;
    const d = this.lfDstI32, s = this.lfSrcI32, r = this.lfResI32;
    const x = k === K_ADD ? (d & s) | ((d | s) & ~r) : (~d & s) | ((~d | s) & r);
    return (x >>> (this.lfBits - 1)) & 1;
  }
  getZF(): boolean {
    if ((this.lfMask & ZF) === 0) return (this.flags & ZF) !== 0;
    return (this.lfResI32 << (32 - this.lfBits)) === 0;
  }
  getSF(): boolean {
    if ((this.lfMask & SF) === 0) return (this.flags & SF) !== 0;
    return ((this.lfResI32 >>> (this.lfBits - 1)) & 1) !== 0;
  }
  getOF(): boolean {
    if ((this.lfMask & OF) === 0) return (this.flags & OF) !== 0;
    if (this.lfKind === K_LOGIC) return false;
    const d = this.lfDstI32, s = this.lfSrcI32, r = this.lfResI32;
    const x = this.lfKind === K_ADD ? (d ^ r) & (s ^ r) : (d ^ s) & (d ^ r);
    return ((x >>> (this.lfBits - 1)) & 1) !== 0;
  }
  getPF(): boolean {
    if ((this.lfMask & PF) === 0) return (this.flags & PF) !== 0;
    return PARITY[this.lfResI32 & 0xff] !== 0;
  }
  getFlags(): number {
    const m = this.lfMask;
    if (m === 0) return this.flags;
    let f = this.flags & ~m;
    if (m & CF) f |= this.getCF();
    if ((m & PF) && PARITY[this.lfResI32 & 0xff]) f |= PF;
    if ((m & AF) && this.lfKind !== K_LOGIC && ((this.lfDstI32 ^ this.lfSrcI32 ^ this.lfResI32) & 0x10)) f |= AF;
    if ((m & ZF) && (this.lfResI32 << (32 - this.lfBits)) === 0) f |= ZF;
    if ((m & SF) && ((this.lfResI32 >>> (this.lfBits - 1)) & 1)) f |= SF;
    if ((m & OF) && this.getOF()) f |= OF;
    return f;
  }
  /** Replace all of EFLAGS (no privilege filtering: callers do that). */
  setFlagsRaw(f: number): void {
    this.flags = (f & 0x3f7fd5) | 2;
    this.lfMask = 0;
  }
  /** Set or clear individual flags, keeping the rest. */
  setFlagBits(mask: number, value: number): void {
    this.flags = (this.getFlags() & ~mask) | (value & mask);
    this.lfMask = 0;
  }
  cond(n: number): boolean {
    switch (n >> 1) {
      case 0: return this.getOF() !== ((n & 1) !== 0);
      case 1: return (this.getCF() !== 0) !== ((n & 1) !== 0);
      case 2: return this.getZF() !== ((n & 1) !== 0);
      case 3: return (this.getCF() !== 0 || this.getZF()) !== ((n & 1) !== 0);
      case 4: return this.getSF() !== ((n & 1) !== 0);
      case 5: return this.getPF() !== ((n & 1) !== 0);
      case 6: return (this.getSF() !== this.getOF()) !== ((n & 1) !== 0);
      default: return (this.getZF() || this.getSF() !== this.getOF()) !== ((n & 1) !== 0);
    }
  }

  // ======================= segments =======================
  /** Linear address for reading `size` bytes at seg:off (off: the offset's 32 bits, as an int32 or unsigned; see u32). */
  segR(seg: number, off: number, size: number): number {
    // In bounds: the access's last byte, off + size - 1, neither wraps past 2^32 nor lies above the limit (the same
    // as off <= limit - size + 1 unsigned). Unsigned compares of int32s (bit 31 flipped on both sides), so nothing
    // here is a double whichever form the callers pass off in (an int32, or a uint32 above 2 GiB): with off, the
    // limit and the wrap as doubles, the conversions were a quarter of an interpreted 16-bit memory form's time.
    const last = (off + size - 1) ^ 0x80000000;
    if (this.segRchk[seg] === 0 && last >= (off ^ 0x80000000) && last <= (this.segLimitI32[seg]! ^ 0x80000000)) return (this.segBase[seg]! + off) | 0;
    return this.segSlow(seg, off >>> 0, size, this.segRchk[seg]!);
  }
  segW(seg: number, off: number, size: number): number {
    const last = (off + size - 1) ^ 0x80000000; // as segR
    if (this.segWchk[seg] === 0 && last >= (off ^ 0x80000000) && last <= (this.segLimitI32[seg]! ^ 0x80000000)) return (this.segBase[seg]! + off) | 0;
    return this.segSlow(seg, off >>> 0, size, this.segWchk[seg]!);
  }
  private segSlow(seg: number, off: number, size: number, chk: number): number {
    const code = seg === SS ? SSF : GP;
    if (chk & (SEG_UNUSABLE | SEG_DENIED)) this.raise(code, 0);
    const lim = this.segLimit[seg]!;
    if (chk & SEG_EXPDOWN) {
      const top = this.segAr[seg]! & 0x4000 ? 0xffffffff : 0xffff; // B bit
      if (off > lim && off + size - 1 <= top) return (this.segBase[seg]! + off) | 0;
    }
    return this.raise(code, 0);
  }

  // ======================= linear memory =======================
  rd8L(lin: number): number {
    const e = this.tlb.r[lin >>> 12]!;
    if ((e & this.tlb.acc) !== 0) return this.ram[(e & ~0xfff) | (lin & 0xfff)]!;
    return this.tlb.readSlow(this, lin, 1);
  }
  rd16L(lin: number): number {
    const e = this.tlb.r[lin >>> 12]!;
    const o = lin & 0xfff;
    if ((e & this.tlb.acc) !== 0 && o !== 0xfff) return this.ramRd16((e & ~0xfff) | o);
    return this.tlb.readSlow(this, lin, 2);
  }
  rd32L(lin: number): number {
    const e = this.tlb.r[lin >>> 12]!;
    const o = lin & 0xfff;
    if ((e & this.tlb.acc) !== 0 && o < 0xffd) return this.ramRd32((e & ~0xfff) | o);
    return this.tlb.readSlow(this, lin, 4);
  }
  /** RAM at host offset `p` (a TLB entry's page plus the offset), one aligned load where the host allows */
  private ramRd16(p: number): number {
    if (LE === true && (p & 1) === 0) return this.ram16[p >> 1]!;
    const ram = this.ram;
    return ram[p]! | (ram[p + 1]! << 8);
  }
  private ramRd32(p: number): number {
    if (LE === true && (p & 3) === 0) return this.ram32[p >> 2]!;
    const ram = this.ram;
    return ram[p]! | (ram[p + 1]! << 8) | (ram[p + 2]! << 16) | (ram[p + 3]! << 24);
  }
  /**
   * The read of a read-modify-write (ALU, INC/DEC, NEG, shifts, BTS/BTR/BTC, XCHG, CMPXCHG on memory): through the write
   * translation, so a page that can be read but not written (copy-on-write, to Linux) faults here with the write
   * error code, before the instruction has changed anything. A fault leaves no effect (SDM Vol. 3A 6.5): updating
   * the flags first and faulting at the write gave the handler the new EFLAGS, and a restarted ADC/SBB/RCL the
   * carry of its first try (test/cpu/rmw-page-fault.test.ts).
   */
  rdW8L(lin: number): number {
    const e = this.tlb.w[lin >>> 12]!;
    if ((e & this.tlb.acc) !== 0) return this.ram[(e & ~0xfff) | (lin & 0xfff)]!;
    this.tlb.probeWrite(this, lin, 1);
    return this.rd8L(lin);
  }
  rdW16L(lin: number): number {
    const e = this.tlb.w[lin >>> 12]!;
    const o = lin & 0xfff;
    if ((e & this.tlb.acc) !== 0 && o !== 0xfff) return this.ramRd16((e & ~0xfff) | o);
    this.tlb.probeWrite(this, lin, 2);
    return this.rd16L(lin);
  }
  rdW32L(lin: number): number {
    const e = this.tlb.w[lin >>> 12]!;
    const o = lin & 0xfff;
    if ((e & this.tlb.acc) !== 0 && o < 0xffd) return this.ramRd32((e & ~0xfff) | o);
    this.tlb.probeWrite(this, lin, 4);
    return this.rd32L(lin);
  }
  wr8L(lin: number, v: number): void {
    const e = this.tlb.w[lin >>> 12]!;
    if ((e & this.tlb.acc) !== 0) { this.ram[(e & ~0xfff) | (lin & 0xfff)] = v; return; }
    this.tlb.writeSlow(this, lin, v, 1);
  }
  wr16L(lin: number, v: number): void {
    const e = this.tlb.w[lin >>> 12]!;
    const o = lin & 0xfff;
    if ((e & this.tlb.acc) !== 0 && o !== 0xfff) {
      const p = (e & ~0xfff) | o;
      if (LE === true && (p & 1) === 0) { this.ram16[p >> 1] = v; return; }
      const ram = this.ram;
      ram[p] = v; ram[p + 1] = v >> 8;
      return;
    }
    this.tlb.writeSlow(this, lin, v, 2);
  }
  wr32L(lin: number, v: number): void {
    const e = this.tlb.w[lin >>> 12]!;
    const o = lin & 0xfff;
    if ((e & this.tlb.acc) !== 0 && o < 0xffd) {
      const p = (e & ~0xfff) | o;
      if (LE === true && (p & 3) === 0) { this.ram32[p >> 2] = v; return; }
      const ram = this.ram;
      ram[p] = v; ram[p + 1] = v >> 8; ram[p + 2] = v >> 16; ram[p + 3] = v >> 24;
      return;
    }
    this.tlb.writeSlow(this, lin, v, 4);
  }
  rd8(seg: number, off: number): number { return this.rd8L(this.segR(seg, off, 1)); }
  rd16(seg: number, off: number): number { return this.rd16L(this.segR(seg, off, 2)); }
  rd32(seg: number, off: number): number { return this.rd32L(this.segR(seg, off, 4)); }
  wr8(seg: number, off: number, v: number): void { this.wr8L(this.segW(seg, off, 1), v); }
  wr16(seg: number, off: number, v: number): void { this.wr16L(this.segW(seg, off, 2), v); }
  wr32(seg: number, off: number, v: number): void { this.wr32L(this.segW(seg, off, 4), v); }

  // ======================= fetch =======================
  fetch8(): number {
    const ip = this.eipI32;
    if (((ip - this.fwLo) >>> 0) < this.fwLen) { this.eipI32 = (ip + 1) | 0; return this.ram[(this.fwOff + ip) | 0]!; }
    return this.fetch8Slow();
  }
  /**
   * Outside the window: the CS limit check, the TLB, and a new window when the page is cached. With a 4 GiB code
   * segment, EIP wraps past 2^32 to 0, inside an instruction too: its next bytes are fetched from offset 0 (and a
   * missing page there is a #PF with CR2 = that byte's address), as QEMU 7.2 TCG and Bochs 2.7 both do
   * (test/guest-asm/src/eipwrap.asm). A 16-bit segment's IP only reaches 0x10000, past its limit: #GP.
   */
  private fetch8Slow(): number {
    const ip = this.eipI32 >>> 0;
    if (ip > this.fetchMax) this.gp(0);
    this.eipI32 = (ip + 1) | 0;
    const lin = (this.segBase[CS]! + ip) | 0;
    const e = this.tlb.r[lin >>> 12]!;
    if ((e & this.tlb.acc) !== 0) {
      const o = lin & 0xfff;
      const lo = ip - o;
      const wlo = lo < 0 ? 0 : lo;
      this.fwLo = wlo | 0;
      this.fwLen = (Math.min(lo + 0x1000, this.fetchMax + 1) - wlo) | 0; // | 0: Math.min of doubles is a double
      this.fwOff = ((e & ~0xfff) + o - ip) | 0; // an int32 even for EIPs above 2^31: fwOff + eip wraps to the index
      return this.ram[(e & ~0xfff) | o]!;
    }
    return this.tlb.readSlow(this, lin, 1);
  }
  fetch16(): number {
    const ip = this.eipI32;
    if (((ip - this.fwLo) >>> 0) < this.fwLen - 1) {
      this.eipI32 = (ip + 2) | 0;
      const p = (this.fwOff + ip) | 0, ram = this.ram;
      return ram[p]! | (ram[p + 1]! << 8);
    }
    const u = ip >>> 0;
    if (u + 1 > this.fetchMax || u < this.insnStart) { const lo = this.fetch8(); return lo | (this.fetch8() << 8); }
    this.eipI32 = (ip + 2) | 0;
    return this.rd16L((this.segBase[CS]! + ip) | 0);
  }
  fetch32(): number {
    const ip = this.eipI32;
    if (((ip - this.fwLo) >>> 0) < this.fwLen - 3) {
      this.eipI32 = (ip + 4) | 0;
      const p = (this.fwOff + ip) | 0, ram = this.ram;
      return ram[p]! | (ram[p + 1]! << 8) | (ram[p + 2]! << 16) | (ram[p + 3]! << 24);
    }
    const u = ip >>> 0;
    if (u + 3 > this.fetchMax || u < this.insnStart) { const lo = this.fetch16(); return lo | (this.fetch16() << 16); }
    this.eipI32 = (ip + 4) | 0;
    return this.rd32L((this.segBase[CS]! + ip) | 0);
  }
  fetchS8(): number { return (this.fetch8() << 24) >> 24; }
  /** An immediate of the current operand size (16: zero-extended, 32: int32). */
  fetchIv(): number { return this.os ? this.fetch32() : this.fetch16(); }

  // ======================= ModRM =======================
  modrm(): void { this.modrmFrom(this.fetch8()); }
  /** ModRM decode of a byte the caller already fetched (the fast paths look at it first). */
  modrmFrom(b: number): void {
    this.mMod = b >> 6; this.mReg = (b >> 3) & 7; this.mRm = b & 7;
    if (b >= 0xc0) { this.mMem = false; return; }
    this.mMem = true;
    this.mOffI32 = this.as32 ? this.ea32(b >> 6, b & 7) : this.ea16(b >> 6, b & 7);
  }
  /**
   * The memory operand of ModRM byte `b` (< 0xC0) alone: fetches SIB and displacement, sets `mSeg` and returns the
   * offset as an int32 (0..0xFFFF with 16-bit addressing; `>>> 0` gives the unsigned offset). For the fast paths
   * that need nothing else of the decode (MOV, LEA, MOVZX, the ALU forms): no other field is written.
   */
  eaFrom(b: number): number {
    return this.as32 ? this.ea32(b >> 6, b & 7) : this.ea16(b >> 6, b & 7);
  }
  private ea16(mod: number, rm: number): number {
    const r = this.r16;
    let off = 0, seg = DS;
    switch (rm) {
      case 0: off = r[6]! + r[12]!; break; // BX+SI
      case 1: off = r[6]! + r[14]!; break; // BX+DI
      case 2: off = r[10]! + r[12]!; seg = SS; break; // BP+SI
      case 3: off = r[10]! + r[14]!; seg = SS; break; // BP+DI
      case 4: off = r[12]!; break;
      case 5: off = r[14]!; break;
      case 6: if (mod === 0) { off = this.fetch16(); } else { off = r[10]!; seg = SS; } break;
      default: off = r[6]!; break;
    }
    if (mod === 1) off += this.fetchS8(); else if (mod === 2) off += this.fetch16();
    this.mSeg = this.segOvr >= 0 ? this.segOvr : seg;
    return off & 0xffff;
  }
  private ea32(mod: number, rm: number): number {
    const g = this.regs;
    let off = 0, seg = DS;
    if (rm === 4) {
      const sib = this.fetch8();
      const base = sib & 7, idx = (sib >> 3) & 7;
      if (base === 5 && mod === 0) off = this.fetch32();
      else { off = g[base]!; if (base === 4 || base === 5) seg = SS; }
      if (idx !== 4) off = (off + (g[idx]! << (sib >> 6))) | 0;
    } else if (rm === 5 && mod === 0) {
      off = this.fetch32();
    } else {
      off = g[rm]!;
      if (rm === 5) seg = SS;
    }
    if (mod === 1) off = (off + this.fetchS8()) | 0; else if (mod === 2) off = (off + this.fetch32()) | 0;
    this.mSeg = this.segOvr >= 0 ? this.segOvr : seg;
    return off;
  }

  // E operand access (register or memory); *W variants validate for a later write-back (the offset as the int32:
  // segR/segW take either, see u32)
  rE8(): number { return this.mMem ? this.rd8(this.mSeg, this.mOffI32) : this.r8[R8[this.mRm]!]!; }
  rE16(): number { return this.mMem ? this.rd16(this.mSeg, this.mOffI32) : this.r16[this.mRm << 1]!; }
  rE32(): number { return this.mMem ? this.rd32(this.mSeg, this.mOffI32) : this.regs[this.mRm]!; }
  wE8(v: number): void { if (this.mMem) this.wr8(this.mSeg, this.mOffI32, v); else this.r8[R8[this.mRm]!] = v; }
  wE16(v: number): void { if (this.mMem) this.wr16(this.mSeg, this.mOffI32, v); else this.r16[this.mRm << 1] = v; }
  wE32(v: number): void { if (this.mMem) this.wr32(this.mSeg, this.mOffI32, v); else this.regs[this.mRm] = v; }
  rE8W(): number { if (!this.mMem) return this.r8[R8[this.mRm]!]!; this.mLin = this.segW(this.mSeg, this.mOffI32, 1); return this.rdW8L(this.mLin); }
  rE16W(): number { if (!this.mMem) return this.r16[this.mRm << 1]!; this.mLin = this.segW(this.mSeg, this.mOffI32, 2); return this.rdW16L(this.mLin); }
  rE32W(): number { if (!this.mMem) return this.regs[this.mRm]!; this.mLin = this.segW(this.mSeg, this.mOffI32, 4); return this.rdW32L(this.mLin); }
  wb8(v: number): void { if (this.mMem) this.wr8L(this.mLin, v); else this.r8[R8[this.mRm]!] = v; }
  wb16(v: number): void { if (this.mMem) this.wr16L(this.mLin, v); else this.r16[this.mRm << 1] = v; }
  wb32(v: number): void { if (this.mMem) this.wr32L(this.mLin, v); else this.regs[this.mRm] = v; }

  // ======================= stack =======================
  push16(v: number): void {
    if (this.ssBig) {
      const sp = (this.regs[ESP]! - 2) | 0;
      this.wr16L(this.segW(SS, sp, 2), v);
      this.regs[ESP] = sp;
    } else {
      const sp = (this.r16[8]! - 2) & 0xffff;
      this.wr16L(this.segW(SS, sp, 2), v);
      this.r16[8] = sp;
    }
  }
  push32(v: number): void {
    if (this.ssBig) {
      const sp = (this.regs[ESP]! - 4) | 0;
      this.wr32L(this.segW(SS, sp, 4), v);
      this.regs[ESP] = sp;
    } else {
      const sp = (this.r16[8]! - 4) & 0xffff;
      this.wr32L(this.segW(SS, sp, 4), v);
      this.r16[8] = sp;
    }
  }
  pushV(v: number): void { if (this.os) this.push32(v); else this.push16(v); }
  /** Read the stack top (offset `at` bytes above SP) without popping. */
  peek16(at: number): number {
    return this.ssBig ? this.rd16(SS, (this.regs[ESP]! + at) | 0) : this.rd16(SS, (this.r16[8]! + at) & 0xffff);
  }
  peek32(at: number): number {
    return this.ssBig ? this.rd32(SS, (this.regs[ESP]! + at) | 0) : this.rd32(SS, (this.r16[8]! + at) & 0xffff);
  }
  addSP(n: number): void {
    if (this.ssBig) this.regs[ESP] = this.regs[ESP]! + n; else this.r16[8] = this.r16[8]! + n;
  }
  pop16(): number { const v = this.peek16(0); this.addSP(2); return v; }
  pop32(): number { const v = this.peek32(0); this.addSP(4); return v; }
  popV(): number { return this.os ? this.pop32() : this.pop16(); }

  /** Jump within CS to `target` (masked to the operand size), with the CS limit check. */
  jumpNear(target: number): void {
    // the unsigned compare on int32s (both sides ^ 2^31): `target >>> 0` here, inlined into the interpreter's loop
    // and the handlers, deoptimised each of them when the first jump above 2 GiB came (a Linux kernel's first)
    const t = this.os ? target | 0 : target & 0xffff;
    if ((t ^ 0x80000000) > (this.segLimit[CS]! ^ 0x80000000)) this.gp(0);
    this.eipI32 = t;
  }

  /** Supervisor-level linear reads/writes for descriptor tables and the TSS (CPL ignored). */
  sysRd32(lin: number): number {
    const acc = this.tlb.acc; this.tlb.acc = 1;
    try { return this.rd32L(lin); } finally { this.tlb.acc = acc; }
  }
  sysRd16(lin: number): number {
    const acc = this.tlb.acc; this.tlb.acc = 1;
    try { return this.rd16L(lin); } finally { this.tlb.acc = acc; }
  }
  sysWr8(lin: number, v: number): void {
    const acc = this.tlb.acc; this.tlb.acc = 1;
    try { this.wr8L(lin, v); } finally { this.tlb.acc = acc; }
  }
}
