/**
 * x87 state in typed arrays: eight physical 80-bit registers (sign+exponent
 * word, significand as two dwords), the control word, the status word (TOP
 * kept apart), which registers are empty (the tag word is derived from the
 * contents when stored, SDM vol. 1 8.1.7), the last instruction/operand
 * pointers and opcode, and the exception bookkeeping shared by all handlers.
 */
import { EXT, IE, K_BAD, K_FIN, K_INF, K_NAN, K_ZERO, packSpecial, PE, rBits, rFlags, round, ROUNDED_UP, SF, UE, OE, Unp, unpack80 } from './f80.js';

export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
export const ES = 0x80, BUSY = 0x8000;
/** the QNaN "real indefinite" as sign+exponent word and significand */
export const INDEF_SE = 0xffff, INDEF_HI = 0xc0000000;

const PC_BITS = [24, 64, 53, 64]; // PC = 01 is reserved; QEMU (helper_fldcw) rounds to 64 bits there

export class Fpu {
  /** sign (bit 15) and biased exponent of physical register i */
  readonly se = new Uint16Array(8);
  readonly hi = new Uint32Array(8);
  readonly lo = new Uint32Array(8);
  /** bit i set: physical register i is empty (tag 11) */
  empty = 0xff;
  cw = 0x37f;
  /** status word without TOP (bits 11-13) */
  sw = 0;
  top = 0;
  // last non-control instruction: FIP/FCS, operand FDP/FDS, opcode (11 bits)
  fip = 0; fcs = 0; fdp = 0; fds = 0; fop = 0;
  /** FERR# output (NE=0 error reporting) and the chipset's IGNNE# input (set by a write to port 0xF0) */
  ferr = false;
  ignne = false;
  /** the FERR# line to the chipset (IRQ 13 on a PC); set by the machine */
  onFerr: ((level: boolean) => void) | null = null;

  /** FNINIT (SDM vol. 1 table 8-?; QEMU x86_cpu_reset uses the same values at reset) */
  init(): void {
    this.cw = 0x37f; this.sw = 0; this.top = 0; this.empty = 0xff;
    this.fip = 0; this.fcs = 0; this.fdp = 0; this.fds = 0; this.fop = 0;
    this.setFerr(false); this.ignne = false;
  }
  setFerr(level: boolean): void {
    if (this.ferr === level) return;
    this.ferr = level;
    this.onFerr?.(level);
  }

  /** The chipset acknowledged FERR# (port 0xF0): lower it and assert IGNNE# until FNCLEX/FNINIT. */
  acknowledgeFerr(): void {
    this.setFerr(false);
    this.ignne = true;
  }
    statusWord(): number { return (this.sw & ~0x3800) | (this.top << 11); }
  setStatusWord(v: number): void {
    this.top = (v >> 11) & 7;
    this.sw = v & ~0x3800 & 0xffff;
  }
  /** the full tag word: 00 valid, 01 zero, 10 special (NaN, inf, denormal, unsupported), 11 empty */
  tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) {
      let tag = 3;
      if (!(this.empty & (1 << p))) {
        const be = this.se[p]! & 0x7fff;
        if (be === 0x7fff) tag = 2;
        else if (be === 0) tag = this.hi[p] === 0 && this.lo[p] === 0 ? 1 : 2;
        else tag = (this.hi[p]! & 0x80000000) ? 0 : 2;
      }
      t |= tag << (p * 2);
    }
    return t;
  }
  setTagWord(t: number): void {
    let e = 0;
    for (let p = 0; p < 8; p++) if (((t >> (p * 2)) & 3) === 3) e |= 1 << p;
    this.empty = e;
  }

  get rc(): number { return (this.cw >> 10) & 3; }
  get pcBits(): number { return PC_BITS[(this.cw >> 8) & 3]!; }
  phys(i: number): number { return (this.top + i) & 7; }
  isEmpty(i: number): boolean { return (this.empty & (1 << ((this.top + i) & 7))) !== 0; }

  /** Unpack ST(i) (must not be empty). */
  get(i: number, u: Unp): Unp {
    const p = (this.top + i) & 7;
    return unpack80(u, this.se[p]!, (BigInt(this.hi[p]!) << 32n) | BigInt(this.lo[p]!));
  }
  /** Write an 80-bit pattern to ST(i) and mark it full. */
  setBits(i: number, bits: bigint): void {
    const p = (this.top + i) & 7;
    this.se[p] = Number(bits >> 64n);
    this.hi[p] = Number((bits >> 32n) & 0xffffffffn);
    this.lo[p] = Number(bits & 0xffffffffn);
    this.empty &= ~(1 << p);
  }
  setRaw(i: number, se: number, hi: number, lo: number): void {
    const p = (this.top + i) & 7;
    this.se[p] = se; this.hi[p] = hi; this.lo[p] = lo;
    this.empty &= ~(1 << p);
  }
  copy(dst: number, src: number): void {
    const s = (this.top + src) & 7;
    this.setRaw(dst, this.se[s]!, this.hi[s]!, this.lo[s]!);
  }
  setIndefinite(i: number): void { this.setRaw(i, INDEF_SE, INDEF_HI, 0); }
  push(): void { this.top = (this.top - 1) & 7; }
  pop(): void { this.empty |= 1 << this.top; this.top = (this.top + 1) & 7; }
  setCC(c: number): void { this.sw = (this.sw & ~(C0 | C1 | C2 | C3)) | c; }

  /** Any unmasked exception bits in `flags`? */
  unmasked(flags: number): number { return flags & ~this.cw & 0x3f; }

  /**
   * Record exception bits (IE..PE, SF) and C1 (ROUNDED_UP, or the overflow direction for SF).
   * Sets ES and B when one of them is unmasked. Returns true when an unmasked IE, DE or ZE means the
   * instruction must not write its result (SDM vol. 1 8.7, "pre-computation" exceptions).
   */
  signal(flags: number): boolean {
    if ((flags & SF) === 0) this.sw = (this.sw & ~C1) | (flags & ROUNDED_UP ? C1 : 0);
    const exc = flags & 0x7f;
    if (exc === 0) return false;
    this.sw |= exc;
    const um = exc & ~this.cw & 0x3f;
    if (um) this.sw |= ES | BUSY;
    return (um & 0x07) !== 0;
  }

  /** Stack fault: IE|SF with C1 = 1 for overflow, 0 for underflow. Returns true if unmasked (no result). */
  stackFault(overflow: boolean): boolean {
    this.sw = (this.sw & ~C1) | (overflow ? C1 : 0) | IE | SF;
    if (this.cw & IE) return false;
    this.sw |= ES | BUSY;
    return true;
  }

  /**
   * Round an operation result to the register format (precision p) and write ST(i).
   * `flags` holds what the operation already raised. Returns false when nothing was written.
   */
  writeResult(i: number, r: Unp, flags: number, p: number): boolean {
    if (this.unmasked(flags) & 0x07) { this.signal(flags); return false; }
    let bits: bigint;
    if (r.k === K_FIN) {
      round(r.s, r.m, r.e, p, EXT, this.rc, (this.cw & OE) === 0, (this.cw & UE) === 0);
      bits = rBits; flags |= rFlags;
    } else bits = packSpecial(r, EXT);
    this.signal(flags);
    this.setBits(i, bits);
    return true;
  }
}

/** FXAM class codes (C3 C2 C0) of an unpacked register value */
export function examine(u: Unp): number {
  switch (u.k) {
    case K_ZERO: return C3;
    case K_INF: return C2 | C0;
    case K_NAN: return C0;
    case K_BAD: return 0;
    case K_FIN: return u.den ? C3 | C2 : C2;
    default: return 0;
  }
}
export { PE, IE };
