/**
 * A block's code bytes and its memory operands, decoded once for both block compilers: the JavaScript one
 * (compile.ts renders an operand as source text) and the WebAssembly tier's decoder (wasm/decode.ts keeps it as a
 * record for wasm/emit.ts). The interpreter decodes ModRM as it executes (CpuState.ea16 / ea32).
 */

/**
 * Code bytes from `ram[p]` on, little-endian; a read at or past `end` (the page's end) gives 0 and clears `ok`. The
 * JavaScript compiler moves `p` and `end` to a block's second page (code-pages.ts).
 */
export class CodeReader {
  ok = true;
  constructor(readonly ram: Uint8Array, public p: number, public end: number) {}
  u8(): number { if (this.p >= this.end) { this.ok = false; return 0; } return this.ram[this.p++]!; }
  s8(): number { return (this.u8() << 24) >> 24; }
  u16(): number { const lo = this.u8(); return lo | (this.u8() << 8); }
  /** 32 bits, as an int32 */
  s32(): number { const lo = this.u16(); return lo | (this.u16() << 16); }
}

/** A memory operand, [base + (index << scale) + disp] (Intel SDM Vol. 2A Tables 2-1, 2-2 and 2-3). */
export interface Ea {
  /**
   * Base and index register, or -1. Register numbers as in the 32-bit encoding; 16-bit addressing uses BX (3),
   * BP (5), SI (6) and DI (7), with no scale.
   */
  readonly base: number;
  readonly index: number;
  readonly scale: number;
  /** an int32 with 32-bit addressing; with 16-bit, a disp16 as 0..0xFFFF and a disp8 sign-extended */
  readonly disp: number;
  /** the default segment: SS with a BP, EBP or ESP base, else DS */
  readonly seg: number;
}

/** A ModRM byte's fields, and its memory operand (null for a register operand, mod 3). */
export interface Modrm {
  readonly mod: number;
  readonly reg: number;
  readonly rm: number;
  readonly ea: Ea | null;
}

const SS = 2, DS = 3;
/** 16-bit addressing by r/m: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 alone with mod 0), BX */
const BASE16 = [3, 3, 5, 5, 6, 7, 5, 3];
const INDEX16 = [6, 7, 6, 7, -1, -1, -1, -1];

/** The ModRM byte at the reader, with its SIB byte and displacement. */
export function decodeModrm(rd: CodeReader, as32: boolean): Modrm {
  const b = rd.u8();
  const mod = b >> 6, reg = (b >> 3) & 7, rm = b & 7;
  if (mod === 3) return { mod, reg, rm, ea: null };
  let base = rm, index = -1, scale = 0, disp = 0;
  if (!as32) {
    if (rm === 6 && mod === 0) { base = -1; disp = rd.u16(); } else { base = BASE16[rm]!; index = INDEX16[rm]!; }
    if (mod === 1) disp = rd.s8(); else if (mod === 2) disp = rd.u16();
  } else {
    if (rm === 4) {
      const sib = rd.u8();
      scale = sib >> 6;
      index = (sib >> 3) & 7;
      if (index === 4) index = -1;
      base = sib & 7;
      if (base === 5 && mod === 0) { base = -1; disp = rd.s32(); }
    } else if (rm === 5 && mod === 0) {
      base = -1; disp = rd.s32();
    }
    if (mod === 1) disp = rd.s8(); else if (mod === 2) disp = rd.s32();
  }
  return { mod, reg, rm, ea: { base, index, scale, disp, seg: base === 4 || base === 5 ? SS : DS } };
}
