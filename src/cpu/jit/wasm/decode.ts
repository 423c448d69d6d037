/**
 * The WebAssembly tier's decoder: the instructions it compiles, in 32-bit code without prefixes, decoded into
 * plain records for emit.ts. Anything else (a prefix, a 16-bit form, an instruction the tier does not compile)
 * ends the block before it, and the interpreter runs it. The ModRM/SIB bytes go through ../modrm.ts, shared with
 * the JavaScript block compiler.
 */
import { DS, FS, GS } from '../../cpu-state.js';
import { CodeReader, decodeModrm, type Ea } from '../modrm.js';

export interface Insn {
  readonly eip: number;
  /** EIP of the next instruction */
  readonly next: number;
  /** opcode, 0x100 + the second byte for 0F xx */
  readonly op: number;
  /** ModRM reg field (the group's operation for 80-83, C1, D1, F7, FF...) and r/m register (when ea is null) */
  readonly reg: number;
  readonly rm: number;
  readonly ea: Ea | null;
  /** immediate (sign-extended where the SDM says so), or the branch target for Jcc/JMP/CALL */
  readonly imm: number;
  /**
   * Set by the block former (wasm-block.ts): a JMP or CALL whose target the block goes on with, or a RET predicted
   * to return to this address (the CALL's successor in the block; another return address leaves). -1: not followed.
   */
  follow: number;
  /** an operand-size prefix (66): the instruction's word operands are 16 bits */
  readonly os16: boolean;
}


/** Which instructions take a ModRM byte, and what else: 'i8' / 's8' / 'i32' immediate, 'rel8' / 'rel32' branch. */
type Shape = 'm' | 'mi8' | 'ms8' | 'mi32' | 'i8' | 's8' | 'i32' | 'rel8' | 'rel32' | '' ;

const SHAPES = new Map<number, Shape>();
for (const base of [0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38]) { // ADD OR ADC SBB AND SUB XOR CMP
  for (let k = 0; k < 4; k++) SHAPES.set(base + k, 'm');
  SHAPES.set(base + 4, 'i8');
  SHAPES.set(base + 5, 'i32');
}
for (let r = 0; r < 8; r++) {
  SHAPES.set(0x40 + r, ''); SHAPES.set(0x48 + r, ''); // INC/DEC r32
  SHAPES.set(0x50 + r, ''); // PUSH r32
  if (r !== 4) SHAPES.set(0x58 + r, ''); // POP r32 (not ESP)
  SHAPES.set(0xb0 + r, 'i8'); SHAPES.set(0xb8 + r, 'i32'); // MOV r, imm
}
for (let cc = 0; cc < 16; cc++) {
  SHAPES.set(0x70 + cc, 'rel8'); SHAPES.set(0x180 + cc, 'rel32'); // Jcc
  SHAPES.set(0x190 + cc, 'm'); // SETcc
  SHAPES.set(0x140 + cc, 'm'); // CMOVcc (the emitter checks the CPU model)
}
SHAPES.set(0x68, 'i32'); SHAPES.set(0x6a, 's8'); // PUSH imm
SHAPES.set(0x80, 'mi8'); SHAPES.set(0x81, 'mi32'); SHAPES.set(0x83, 'ms8');
for (const op of [0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d]) SHAPES.set(op, 'm'); // TEST XCHG MOV LEA
SHAPES.set(0x90, ''); SHAPES.set(0x99, ''); SHAPES.set(0x9c, ''); SHAPES.set(0x131, ''); // NOP, CDQ, PUSHF, RDTSC
for (const op of [0xa0, 0xa1, 0xa2, 0xa3]) SHAPES.set(op, 'i32'); // MOV AL/EAX <-> moffs (the offset, as a memory operand)
for (const op of [0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad]) SHAPES.set(op, ''); // MOVS STOS LODS without REP
SHAPES.set(0x69, 'mi32'); SHAPES.set(0x6b, 'ms8'); SHAPES.set(0x1af, 'm'); // IMUL Gv,Ev(,imm)
SHAPES.set(0xd3, 'm'); // shifts and rotates by CL
for (const op of [0x1a3, 0x1ab, 0x1b3, 0x1bb]) SHAPES.set(op, 'm'); // BT BTS BTR BTC Ev,Gv
SHAPES.set(0x1ba, 'mi8'); // BT BTS BTR BTC Ev,imm8
SHAPES.set(0xa8, 'i8'); SHAPES.set(0xa9, 'i32'); // TEST AL/EAX, imm
SHAPES.set(0xc1, 'mi8'); SHAPES.set(0xd1, 'm'); // shifts and rotates, r/m32
SHAPES.set(0xc3, ''); // RET
SHAPES.set(0xc6, 'mi8'); SHAPES.set(0xc7, 'mi32'); // MOV r/m, imm
SHAPES.set(0xe8, 'rel32'); SHAPES.set(0xe9, 'rel32'); SHAPES.set(0xeb, 'rel8'); // CALL, JMP
SHAPES.set(0xf6, 'm'); SHAPES.set(0xf7, 'm'); // group 3 (the immediate of TEST is read below)
SHAPES.set(0xfe, 'm'); SHAPES.set(0xff, 'm'); // group 4/5
for (const op of [0x1b6, 0x1b7, 0x1be, 0x1bf]) SHAPES.set(op, 'm'); // MOVZX/MOVSX

/** group members the emitter compiles (ModRM reg field), by opcode; absent: all eight */
const GROUP_OK = new Map<number, number>([
  [0xc1, 0b10110011], [0xd1, 0b10110011], [0xd3, 0b10110011], // ROL ROR SHL SHR SAR (not RCL/RCR, SAL alias /6 not used)
  [0x1ba, 0b11110000], // BT BTS BTR BTC
  [0xc6, 0b00000001], [0xc7, 0b00000001], // MOV
  [0xf6, 0b00001101], [0xf7, 0b00001101], // TEST NOT NEG
  [0xfe, 0b00000011], // INC DEC
  [0xff, 0b01010111], // INC DEC CALL JMP PUSH
]);

/**
 * Opcodes a 66 prefix may come with here: 16-bit forms of the ALU, INC/DEC, MOV, TEST, group 3/5, MOVS STOS LODS and
 * SHL/SHR/SAR by a constant (a byte form ignores it).
 */
const OS16 = new Set([0x01, 0x03, 0x05, 0x09, 0x0b, 0x0d, 0x11, 0x13, 0x15, 0x19, 0x1b, 0x1d, 0x21, 0x23, 0x25, 0x29, 0x2b,
  0x2d, 0x31, 0x33, 0x35, 0x39, 0x3b, 0x3d, 0x81, 0x83, 0x85, 0x89, 0x8b, 0xa9, 0xc7, 0xf7,
  0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xc1, 0xd1,
  0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
  0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf]);

/** Jcc rel8 (70-7F) or Jcc rel32 (0F 80-8F): a conditional branch with its target in Insn.imm */
export const isJcc = (op: number): boolean => (op >= 0x70 && op < 0x80) || (op >= 0x180 && op < 0x190);

/**
 * Decode the instruction at `ram[p]` (EIP `eip`), reading no byte at or past `end` (the page's end); null when
 * the tier does not compile it.
 */
export function decode(ram: Uint8Array, p: number, end: number, eip: number): Insn | null {
  const b = new CodeReader(ram, p, end);
  let op = b.u8();
  // PAUSE (F3 90): a NOP in a block (any other REP form stays interpreted)
  if (op === 0xf3) return b.u8() === 0x90 && b.ok ? { eip, next: (eip + 2) >>> 0, op: 0x90, reg: 0, rm: 0, ea: null, imm: 0, follow: -1, os16: false } : null;
  // one segment prefix: ES, SS and DS are flat in a WebAssembly block (they change nothing); FS and GS name the
  // segment of the memory operand (emit.ts adds its base, or leaves the block before it when not flat but for it)
  let seg = -1;
  if (op === 0x26 || op === 0x36 || op === 0x3e) op = b.u8();
  else if (op === 0x64 || op === 0x65) { seg = op === 0x64 ? FS : GS; op = b.u8(); }
  const os16 = op === 0x66;
  if (os16) { op = b.u8(); if (!OS16.has(op)) return null; }
  if (op === 0x0f) op = 0x100 | b.u8();
  const shape = SHAPES.get(op);
  if (shape === undefined || !b.ok) return null;
  let reg = 0, rm = 0, ea: Ea | null = null, imm = 0;
  if (shape[0] === 'm') {
    ({ reg, rm, ea } = decodeModrm(b, true));
    const ok = GROUP_OK.get(op);
    if (ok !== undefined && ((ok >> reg) & 1) === 0) return null;
    if (op === 0x8d && ea === null) return null; // LEA with a register operand is #UD
    if (op === 0xff && reg === 6 && ea === null) return null; // PUSH r32 has its own opcode (and the interpreter's path)
    if (op === 0xff && reg >= 2 && os16) return null;
    if ((op === 0xc1 || op === 0xd1) && os16 && reg < 4) return null; // 16-bit shifts only (emit.ts shift16), no rotates
    if ((op === 0xf6 || op === 0xf7) && reg === 0) imm = op === 0xf6 ? b.u8() : os16 ? b.u16() : b.s32();
    if (shape === 'mi8') imm = op === 0xc1 ? b.u8() & 31 : b.u8();
    else if (shape === 'ms8') imm = b.s8();
    else if (shape === 'mi32') imm = os16 ? b.u16() : b.s32();
  } else if (shape === 'i8') imm = b.u8();
  else if (shape === 's8') imm = b.s8();
  else if (shape === 'i32') imm = os16 ? b.u16() : b.s32();
  else if (shape === 'rel8') { const d = b.s8(); imm = (eip + (b.p - p) + d) | 0; }
  else if (shape === 'rel32') { const d = b.s32(); imm = (eip + (b.p - p) + d) | 0; }
  if (!b.ok) return null;
  const next = (eip + (b.p - p)) >>> 0;
  if (shape === 'rel8' || shape === 'rel32') imm >>>= 0;
  if (op >= 0xa0 && op <= 0xa3) ea = { base: -1, index: -1, scale: 0, disp: imm, seg: DS };
  if (seg >= 0) {
    // FS or GS: only where the operand is a ModRM or moffs memory address the emitter rebases (not LEA, a bit string
    // past the operand, the string forms' implicit addresses, or a prefix before a form without memory)
    if (ea === null || op === 0x8d || op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb || op === 0x8f) return null;
    ea = { ...ea, seg };
  }
  return { eip, next, op, reg, rm, ea, imm, follow: -1, os16 };
}
