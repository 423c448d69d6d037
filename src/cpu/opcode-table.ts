/**
 * THE opcode table: one declarative list of every instruction form the CPU
 * executes, from which the dispatch array is built.
 *
 * Legend (Intel SDM operand notation, Appendix A):
 *   op   0x00-0xFF one-byte opcodes, 0x100-0x1FF the 0F xx two-byte map
 *   e    a ModRM byte follows (the handler decodes it once with c.modrm())
 *   os   operand-size dependent: exec(c, bits) runs with bits = 16 or 32
 *        (66 prefix / CS.D); byte forms get bits = 8
 *   E    ModRM r/m operand (register or memory), G  ModRM reg operand,
 *   M    memory-only r/m (register form #UD), S segment register (reg field)
 *   I    immediate, J  relative offset, A  far pointer, O  moffs
 *   b/w/d/v  byte, word, dword, word-or-dword by operand size
 *   /n   group member selected by ModRM.reg
 *   lock the forms a LOCK prefix may precede, as a mask of ModRM.reg values (0xff: any);
 *        only with a memory destination. LOCK before anything else is #UD (Intel SDM LOCK).
 * Anything not listed raises #UD in the guest.
 *
 * HANDLERS has 1024 entries: [0x000-0x1FF] with 16-bit operand size and
 * [0x200-0x3FF] with 32-bit; the run loop indexes it with opcode | c.os.
 */
import { CF, CS, DF, DS, ES, FS, GS, IF, SS, UD, type CpuState } from './cpu-state.js';
import type { Cpu } from './cpu.js';
import { aluAI, aluEG, aluGE, aluGroup1, cmpxchg, incDecReg, testAI, testEG, xadd } from './ops-alu.js';
import {
  bound, bswap, cbw, cmc, cmovcc, cwd, enter, flagOp, lahf, lea, leave, loadFarPtr, movEG, movEI, movESreg, movGE, movMoffs,
  movSregE, movx, popa, popE, popReg, popSreg, pusha, pushImm, pushReg, pushSreg, sahf, salc, setcc, xchgAX, xchgEG, xlat,
} from './ops-data.js';
import {
  callNear, farDirect, group4, group5, int3, intN, into, iretOp, jccNear, jccShort, jmpNear, jmpShort, loop, retFarOp, retNear,
} from './ops-flow.js';
import { aaa, aad, aam, daa, group3, imulGE } from './ops-muldiv.js';
import { bitScan, bitTest, group2, shld } from './ops-shift.js';
import { CMPS, INS, LODS, MOVS, OUTS, SCAS, STOS, stringOp } from './ops-string.js';
import {
  cli, clts, cmpxchg8b, cpuid, group6, group7, hlt, inOp, larLsl, movCr, movDr, outOp, popf, pushf, rdmsr, rdtsc, sti,
  wbinvd, wrmsr,
} from './ops-system.js';
import { interrupt } from './transfers.js';
import { installFastPaths, makeInterpLoop } from './fast-paths.js';
import { fpuEscape, fwait } from './fpu/escape.js';

export interface OpDef {
  readonly op: number;
  readonly name: string;
  readonly e?: boolean;
  readonly os?: boolean;
  readonly lock?: number;
  readonly exec: (c: Cpu, bits: number) => void;
}

const REG16 = ['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'];
const CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'];
const ALU = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];

function range(n: number, f: (i: number) => OpDef): OpDef[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

// ---- prefixes: set decode state, then dispatch the next byte ----
function next(c: Cpu): void {
  // the length limit can only be passed with prefixes (386: 15 bytes, #GP(0)): clamp the fetch limit
  if (c.prefixes++ === 0) c.clampFetch(Math.min(c.segLimit[CS]!, c.insnStart + 14));
  HANDLERS[c.fetch8() | c.os]!(c);
}
/**
 * LOCK: look ahead (nothing consumed) past the other prefixes to the opcode and ModRM; #UD unless
 * the form is marked `lock` in OPS for that ModRM.reg and its destination is memory.
 */
function lockPrefix(c: Cpu): void {
  const at = c.eip;
  let op = c.fetch8();
  while (IS_PREFIX[op] === 1) op = c.fetch8();
  if (op === 0x0f) op = 0x100 | c.fetch8();
  const allowed = LOCK_REGS[op]!;
  const m = allowed === 0 ? 0xc0 : c.fetch8();
  c.eip = at;
  if (m >= 0xc0 || (allowed & (1 << ((m >> 3) & 7))) === 0) c.raise(UD);
  next(c);
}
const IS_PREFIX = new Uint8Array(256);
for (const p of [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]) IS_PREFIX[p] = 1;
const segPrefix = (s: number) => (c: Cpu): void => { c.segOvr = s; next(c); };

const ALU_FORMS: OpDef[] = Array.from({ length: 8 }, (_, a) => a).flatMap((a) => [
  { op: a * 8 + 0, name: `${ALU[a]} Eb,Gb`, e: true, lock: a === 7 ? 0 : 0xff, exec: (c: Cpu) => aluEG(c, a, 8) },
  { op: a * 8 + 1, name: `${ALU[a]} Ev,Gv`, e: true, os: true, lock: a === 7 ? 0 : 0xff, exec: (c: Cpu, b: number) => aluEG(c, a, b) },
  { op: a * 8 + 2, name: `${ALU[a]} Gb,Eb`, e: true, exec: (c: Cpu) => aluGE(c, a, 8) },
  { op: a * 8 + 3, name: `${ALU[a]} Gv,Ev`, e: true, os: true, exec: (c: Cpu, b: number) => aluGE(c, a, b) },
  { op: a * 8 + 4, name: `${ALU[a]} AL,Ib`, exec: (c: Cpu) => aluAI(c, a, 8) },
  { op: a * 8 + 5, name: `${ALU[a]} eAX,Iv`, os: true, exec: (c: Cpu, b: number) => aluAI(c, a, b) },
]);

export const OPS: readonly OpDef[] = [
  ...ALU_FORMS,
  { op: 0x06, name: 'PUSH ES', exec: (c) => pushSreg(c, ES) },
  { op: 0x07, name: 'POP ES', exec: (c) => popSreg(c, ES) },
  { op: 0x0e, name: 'PUSH CS', exec: (c) => pushSreg(c, CS) },
  { op: 0x0f, name: '2-byte escape', exec: (c) => HANDLERS[0x100 | c.fetch8() | c.os]!(c) },
  { op: 0x16, name: 'PUSH SS', exec: (c) => pushSreg(c, SS) },
  { op: 0x17, name: 'POP SS', exec: (c) => popSreg(c, SS) },
  { op: 0x1e, name: 'PUSH DS', exec: (c) => pushSreg(c, DS) },
  { op: 0x1f, name: 'POP DS', exec: (c) => popSreg(c, DS) },
  { op: 0x26, name: 'ES:', exec: segPrefix(ES) },
  { op: 0x27, name: 'DAA', exec: (c) => daa(c, false) },
  { op: 0x2e, name: 'CS:', exec: segPrefix(CS) },
  { op: 0x2f, name: 'DAS', exec: (c) => daa(c, true) },
  { op: 0x36, name: 'SS:', exec: segPrefix(SS) },
  { op: 0x37, name: 'AAA', exec: (c) => aaa(c, false) },
  { op: 0x3e, name: 'DS:', exec: segPrefix(DS) },
  { op: 0x3f, name: 'AAS', exec: (c) => aaa(c, true) },
  ...range(8, (i) => ({ op: 0x40 + i, name: `INC e${REG16[i]}`, os: true, exec: (c: Cpu, b: number) => incDecReg(c, i, false, b) })),
  ...range(8, (i) => ({ op: 0x48 + i, name: `DEC e${REG16[i]}`, os: true, exec: (c: Cpu, b: number) => incDecReg(c, i, true, b) })),
  ...range(8, (i) => ({ op: 0x50 + i, name: `PUSH e${REG16[i]}`, os: true, exec: (c: Cpu) => pushReg(c, i) })),
  ...range(8, (i) => ({ op: 0x58 + i, name: `POP e${REG16[i]}`, os: true, exec: (c: Cpu) => popReg(c, i) })),
  { op: 0x60, name: 'PUSHA', os: true, exec: pusha },
  { op: 0x61, name: 'POPA', os: true, exec: popa },
  { op: 0x62, name: 'BOUND Gv,Ma', e: true, os: true, exec: bound },
  { op: 0x63, name: 'ARPL Ew,Gw', e: true, exec: arpl },
  { op: 0x64, name: 'FS:', exec: segPrefix(FS) },
  { op: 0x65, name: 'GS:', exec: segPrefix(GS) },
  { op: 0x66, name: 'operand size', exec: (c) => { c.os = c.defOs ^ 0x200; next(c); } },
  { op: 0x67, name: 'address size', exec: (c) => { c.as32 = !c.defAs; next(c); } },
  { op: 0x68, name: 'PUSH Iv', os: true, exec: (c) => pushImm(c, false) },
  { op: 0x69, name: 'IMUL Gv,Ev,Iv', e: true, os: true, exec: (c, b) => imulGE(c, b, b) },
  { op: 0x6a, name: 'PUSH Ib', os: true, exec: (c) => pushImm(c, true) },
  { op: 0x6b, name: 'IMUL Gv,Ev,Ib', e: true, os: true, exec: (c, b) => imulGE(c, b, 8) },
  { op: 0x6c, name: 'INSB', exec: (c) => stringOp(c, INS, 8) },
  { op: 0x6d, name: 'INSW/D', os: true, exec: (c, b) => stringOp(c, INS, b) },
  { op: 0x6e, name: 'OUTSB', exec: (c) => stringOp(c, OUTS, 8) },
  { op: 0x6f, name: 'OUTSW/D', os: true, exec: (c, b) => stringOp(c, OUTS, b) },
  ...range(16, (i) => ({ op: 0x70 + i, name: `J${CC[i]} Jb`, exec: (c: Cpu) => jccShort(c, i) })),
  { op: 0x80, name: 'grp1 Eb,Ib', e: true, lock: 0x7f, exec: (c) => aluGroup1(c, 8, 8) },
  { op: 0x81, name: 'grp1 Ev,Iv', e: true, lock: 0x7f, os: true, exec: (c, b) => aluGroup1(c, b, b) },
  { op: 0x82, name: 'grp1 Eb,Ib (alias of 80)', e: true, lock: 0x7f, exec: (c) => aluGroup1(c, 8, 8) },
  { op: 0x83, name: 'grp1 Ev,Ib', e: true, lock: 0x7f, os: true, exec: (c, b) => aluGroup1(c, b, 8) },
  { op: 0x84, name: 'TEST Eb,Gb', e: true, exec: (c) => testEG(c, 8) },
  { op: 0x85, name: 'TEST Ev,Gv', e: true, os: true, exec: testEG },
  { op: 0x86, name: 'XCHG Eb,Gb', e: true, lock: 0xff, exec: (c) => xchgEG(c, 8) },
  { op: 0x87, name: 'XCHG Ev,Gv', e: true, lock: 0xff, os: true, exec: xchgEG },
  { op: 0x88, name: 'MOV Eb,Gb', e: true, exec: (c) => movEG(c, 8) },
  { op: 0x89, name: 'MOV Ev,Gv', e: true, os: true, exec: movEG },
  { op: 0x8a, name: 'MOV Gb,Eb', e: true, exec: (c) => movGE(c, 8) },
  { op: 0x8b, name: 'MOV Gv,Ev', e: true, os: true, exec: movGE },
  { op: 0x8c, name: 'MOV Ew,Sw', e: true, exec: movESreg },
  { op: 0x8d, name: 'LEA Gv,M', e: true, os: true, exec: lea },
  { op: 0x8e, name: 'MOV Sw,Ew', e: true, exec: movSregE },
  { op: 0x8f, name: 'POP Ev (/0)', e: true, os: true, exec: popE },
  { op: 0x90, name: 'NOP', exec: () => {} },
  ...range(7, (i) => ({ op: 0x91 + i, name: `XCHG e${REG16[i + 1]},eAX`, os: true, exec: (c: Cpu, b: number) => xchgAX(c, i + 1, b) })),
  { op: 0x98, name: 'CBW/CWDE', os: true, exec: cbw },
  { op: 0x99, name: 'CWD/CDQ', os: true, exec: cwd },
  { op: 0x9a, name: 'CALL Ap', os: true, exec: (c) => farDirect(c, true) },
  { op: 0x9b, name: 'WAIT', exec: fwait },
  { op: 0x9c, name: 'PUSHF', os: true, exec: pushf },
  { op: 0x9d, name: 'POPF', os: true, exec: popf },
  { op: 0x9e, name: 'SAHF', exec: sahf },
  { op: 0x9f, name: 'LAHF', exec: lahf },
  { op: 0xa0, name: 'MOV AL,Ob', exec: (c) => movMoffs(c, 8, false) },
  { op: 0xa1, name: 'MOV eAX,Ov', os: true, exec: (c, b) => movMoffs(c, b, false) },
  { op: 0xa2, name: 'MOV Ob,AL', exec: (c) => movMoffs(c, 8, true) },
  { op: 0xa3, name: 'MOV Ov,eAX', os: true, exec: (c, b) => movMoffs(c, b, true) },
  { op: 0xa4, name: 'MOVSB', exec: (c) => stringOp(c, MOVS, 8) },
  { op: 0xa5, name: 'MOVSW/D', os: true, exec: (c, b) => stringOp(c, MOVS, b) },
  { op: 0xa6, name: 'CMPSB', exec: (c) => stringOp(c, CMPS, 8) },
  { op: 0xa7, name: 'CMPSW/D', os: true, exec: (c, b) => stringOp(c, CMPS, b) },
  { op: 0xa8, name: 'TEST AL,Ib', exec: (c) => testAI(c, 8) },
  { op: 0xa9, name: 'TEST eAX,Iv', os: true, exec: testAI },
  { op: 0xaa, name: 'STOSB', exec: (c) => stringOp(c, STOS, 8) },
  { op: 0xab, name: 'STOSW/D', os: true, exec: (c, b) => stringOp(c, STOS, b) },
  { op: 0xac, name: 'LODSB', exec: (c) => stringOp(c, LODS, 8) },
  { op: 0xad, name: 'LODSW/D', os: true, exec: (c, b) => stringOp(c, LODS, b) },
  { op: 0xae, name: 'SCASB', exec: (c) => stringOp(c, SCAS, 8) },
  { op: 0xaf, name: 'SCASW/D', os: true, exec: (c, b) => stringOp(c, SCAS, b) },
  ...range(8, (i) => ({ op: 0xb0 + i, name: `MOV r8,Ib`, exec: (c: Cpu) => { c.r8[[0, 4, 8, 12, 1, 5, 9, 13][i]!] = c.fetch8(); } })),
  ...range(8, (i) => ({ op: 0xb8 + i, name: `MOV e${REG16[i]},Iv`, os: true, exec: (c: Cpu, b: number) => { if (b === 32) c.regs[i] = c.fetch32(); else c.r16[i << 1] = c.fetch16(); } })),
  { op: 0xc0, name: 'grp2 Eb,Ib', e: true, exec: (c) => group2(c, 8, 2) },
  { op: 0xc1, name: 'grp2 Ev,Ib', e: true, os: true, exec: (c, b) => group2(c, b, 2) },
  { op: 0xc2, name: 'RET Iw', os: true, exec: (c) => retNear(c, true) },
  { op: 0xc3, name: 'RET', os: true, exec: (c) => retNear(c, false) },
  { op: 0xc4, name: 'LES Gv,Mp', e: true, os: true, exec: (c) => loadFarPtr(c, ES) },
  { op: 0xc5, name: 'LDS Gv,Mp', e: true, os: true, exec: (c) => loadFarPtr(c, DS) },
  { op: 0xc6, name: 'MOV Eb,Ib (/0)', e: true, exec: (c) => movEI(c, 8) },
  { op: 0xc7, name: 'MOV Ev,Iv (/0)', e: true, os: true, exec: movEI },
  { op: 0xc8, name: 'ENTER Iw,Ib', os: true, exec: enter },
  { op: 0xc9, name: 'LEAVE', os: true, exec: leave },
  { op: 0xca, name: 'RETF Iw', os: true, exec: (c) => retFarOp(c, true) },
  { op: 0xcb, name: 'RETF', os: true, exec: (c) => retFarOp(c, false) },
  { op: 0xcc, name: 'INT3', exec: int3 },
  { op: 0xcd, name: 'INT Ib', exec: intN },
  { op: 0xce, name: 'INTO', exec: into },
  { op: 0xcf, name: 'IRET', os: true, exec: iretOp },
  { op: 0xd0, name: 'grp2 Eb,1', e: true, exec: (c) => group2(c, 8, 0) },
  { op: 0xd1, name: 'grp2 Ev,1', e: true, os: true, exec: (c, b) => group2(c, b, 0) },
  { op: 0xd2, name: 'grp2 Eb,CL', e: true, exec: (c) => group2(c, 8, 1) },
  { op: 0xd3, name: 'grp2 Ev,CL', e: true, os: true, exec: (c, b) => group2(c, b, 1) },
  { op: 0xd4, name: 'AAM Ib', exec: aam },
  { op: 0xd5, name: 'AAD Ib', exec: aad },
  { op: 0xd6, name: 'SALC', exec: salc },
  { op: 0xd7, name: 'XLAT', exec: xlat },
  ...range(8, (i) => ({ op: 0xd8 + i, name: `ESC ${i} (x87, fpu/escape.ts)`, e: true, exec: (c: Cpu) => fpuEscape(c, i) })),
  ...range(4, (i) => ({ op: 0xe0 + i, name: ['LOOPNE Jb', 'LOOPE Jb', 'LOOP Jb', 'JCXZ Jb'][i]!, exec: (c: Cpu) => loop(c, i) })),
  { op: 0xe4, name: 'IN AL,Ib', exec: (c) => inOp(c, 1, false) },
  { op: 0xe5, name: 'IN eAX,Ib', os: true, exec: (c, b) => inOp(c, b === 32 ? 4 : 2, false) },
  { op: 0xe6, name: 'OUT Ib,AL', exec: (c) => outOp(c, 1, false) },
  { op: 0xe7, name: 'OUT Ib,eAX', os: true, exec: (c, b) => outOp(c, b === 32 ? 4 : 2, false) },
  { op: 0xe8, name: 'CALL Jv', os: true, exec: callNear },
  { op: 0xe9, name: 'JMP Jv', os: true, exec: jmpNear },
  { op: 0xea, name: 'JMP Ap', os: true, exec: (c) => farDirect(c, false) },
  { op: 0xeb, name: 'JMP Jb', exec: jmpShort },
  { op: 0xec, name: 'IN AL,DX', exec: (c) => inOp(c, 1, true) },
  { op: 0xed, name: 'IN eAX,DX', os: true, exec: (c, b) => inOp(c, b === 32 ? 4 : 2, true) },
  { op: 0xee, name: 'OUT DX,AL', exec: (c) => outOp(c, 1, true) },
  { op: 0xef, name: 'OUT DX,eAX', os: true, exec: (c, b) => outOp(c, b === 32 ? 4 : 2, true) },
  { op: 0xf0, name: 'LOCK', exec: lockPrefix },
  { op: 0xf1, name: 'INT1 (ICEBP)', exec: (c) => interrupt(c, 1, false, 1, false, 0, c.eip) },
  { op: 0xf2, name: 'REPNE', exec: (c) => { c.rep = 0xf2; next(c); } },
  { op: 0xf3, name: 'REP/REPE', exec: (c) => { c.rep = 0xf3; next(c); } },
  { op: 0xf4, name: 'HLT', exec: hlt },
  { op: 0xf5, name: 'CMC', exec: cmc },
  { op: 0xf6, name: 'grp3 Eb', e: true, lock: 0x0c, exec: (c) => group3(c, 8) },
  { op: 0xf7, name: 'grp3 Ev', e: true, lock: 0x0c, os: true, exec: group3 },
  { op: 0xf8, name: 'CLC', exec: (c) => flagOp(c, CF, 0) },
  { op: 0xf9, name: 'STC', exec: (c) => flagOp(c, CF, CF) },
  { op: 0xfa, name: 'CLI', exec: cli },
  { op: 0xfb, name: 'STI', exec: sti },
  { op: 0xfc, name: 'CLD', exec: (c) => flagOp(c, DF, 0) },
  { op: 0xfd, name: 'STD', exec: (c) => flagOp(c, DF, DF) },
  { op: 0xfe, name: 'grp4 Eb (INC/DEC)', e: true, lock: 0x03, exec: group4 },
  { op: 0xff, name: 'grp5 Ev', e: true, lock: 0x03, os: true, exec: group5 },

  // ---- 0F xx ----
  { op: 0x100, name: 'grp6 (SLDT STR LLDT LTR VERR VERW)', e: true, os: true, exec: group6 },
  { op: 0x101, name: 'grp7 (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG VMCALL)', e: true, os: true, exec: group7 },
  { op: 0x102, name: 'LAR Gv,Ew', e: true, os: true, exec: (c) => larLsl(c, false) },
  { op: 0x103, name: 'LSL Gv,Ew', e: true, os: true, exec: (c) => larLsl(c, true) },
  { op: 0x106, name: 'CLTS', exec: clts },
  { op: 0x108, name: 'INVD', exec: wbinvd },
  { op: 0x109, name: 'WBINVD', exec: wbinvd },
  { op: 0x10b, name: 'UD2', exec: (c) => c.raise(UD) },
  { op: 0x11f, name: 'NOP Ev', e: true, os: true, exec: (c) => c.modrm() },
  { op: 0x120, name: 'MOV Rd,Cd', exec: (c) => movCr(c, false) },
  { op: 0x121, name: 'MOV Rd,Dd', exec: (c) => movDr(c, false) },
  { op: 0x122, name: 'MOV Cd,Rd', exec: (c) => movCr(c, true) },
  { op: 0x123, name: 'MOV Dd,Rd', exec: (c) => movDr(c, true) },
  { op: 0x130, name: 'WRMSR', exec: wrmsr },
  { op: 0x131, name: 'RDTSC', exec: rdtsc },
  { op: 0x132, name: 'RDMSR', exec: rdmsr },
  ...range(16, (i) => ({ op: 0x140 + i, name: `CMOV${CC[i]} Gv,Ev`, e: true, os: true, exec: (c: Cpu) => cmovcc(c, i) })),
  ...range(16, (i) => ({ op: 0x180 + i, name: `J${CC[i]} Jv`, os: true, exec: (c: Cpu) => jccNear(c, i) })),
  ...range(16, (i) => ({ op: 0x190 + i, name: `SET${CC[i]} Eb`, e: true, exec: (c: Cpu) => setcc(c, i) })),
  { op: 0x1a0, name: 'PUSH FS', os: true, exec: (c) => pushSreg(c, FS) },
  { op: 0x1a1, name: 'POP FS', os: true, exec: (c) => popSreg(c, FS) },
  { op: 0x1a2, name: 'CPUID', exec: cpuid },
  { op: 0x1a3, name: 'BT Ev,Gv', e: true, os: true, exec: (c, b) => bitTest(c, b, 0, false) },
  { op: 0x1a4, name: 'SHLD Ev,Gv,Ib', e: true, os: true, exec: (c, b) => shld(c, b, false, false) },
  { op: 0x1a5, name: 'SHLD Ev,Gv,CL', e: true, os: true, exec: (c, b) => shld(c, b, false, true) },
  { op: 0x1a8, name: 'PUSH GS', os: true, exec: (c) => pushSreg(c, GS) },
  { op: 0x1a9, name: 'POP GS', os: true, exec: (c) => popSreg(c, GS) },
  { op: 0x1ab, name: 'BTS Ev,Gv', e: true, lock: 0xff, os: true, exec: (c, b) => bitTest(c, b, 1, false) },
  { op: 0x1ac, name: 'SHRD Ev,Gv,Ib', e: true, os: true, exec: (c, b) => shld(c, b, true, false) },
  { op: 0x1ad, name: 'SHRD Ev,Gv,CL', e: true, os: true, exec: (c, b) => shld(c, b, true, true) },
  { op: 0x1af, name: 'IMUL Gv,Ev', e: true, os: true, exec: (c, b) => imulGE(c, b, 0) },
  { op: 0x1b0, name: 'CMPXCHG Eb,Gb', e: true, lock: 0xff, exec: (c) => cmpxchg(c, 8) },
  { op: 0x1b1, name: 'CMPXCHG Ev,Gv', e: true, lock: 0xff, os: true, exec: cmpxchg },
  { op: 0x1b2, name: 'LSS Gv,Mp', e: true, os: true, exec: (c) => loadFarPtr(c, SS) },
  { op: 0x1b3, name: 'BTR Ev,Gv', e: true, lock: 0xff, os: true, exec: (c, b) => bitTest(c, b, 2, false) },
  { op: 0x1b4, name: 'LFS Gv,Mp', e: true, os: true, exec: (c) => loadFarPtr(c, FS) },
  { op: 0x1b5, name: 'LGS Gv,Mp', e: true, os: true, exec: (c) => loadFarPtr(c, GS) },
  { op: 0x1b6, name: 'MOVZX Gv,Eb', e: true, os: true, exec: (c) => movx(c, 8, false) },
  { op: 0x1b7, name: 'MOVZX Gv,Ew', e: true, os: true, exec: (c) => movx(c, 16, false) },
  { op: 0x1ba, name: 'grp8 Ev,Ib (BT BTS BTR BTC)', e: true, lock: 0xe0, os: true, exec: grp8 },
  { op: 0x1bb, name: 'BTC Ev,Gv', e: true, lock: 0xff, os: true, exec: (c, b) => bitTest(c, b, 3, false) },
  { op: 0x1bc, name: 'BSF Gv,Ev', e: true, os: true, exec: (c, b) => bitScan(c, b, false) },
  { op: 0x1bd, name: 'BSR Gv,Ev', e: true, os: true, exec: (c, b) => bitScan(c, b, true) },
  { op: 0x1be, name: 'MOVSX Gv,Eb', e: true, os: true, exec: (c) => movx(c, 8, true) },
  { op: 0x1bf, name: 'MOVSX Gv,Ew', e: true, os: true, exec: (c) => movx(c, 16, true) },
  { op: 0x1c0, name: 'XADD Eb,Gb', e: true, lock: 0xff, exec: (c) => xadd(c, 8) },
  { op: 0x1c1, name: 'XADD Ev,Gv', e: true, lock: 0xff, os: true, exec: xadd },
  { op: 0x1c7, name: 'grp9 (CMPXCHG8B Mq)', e: true, lock: 0x02, exec: cmpxchg8b },
  ...range(8, (i) => ({ op: 0x1c8 + i, name: `BSWAP e${REG16[i]}`, exec: (c: Cpu) => bswap(c, i) })),
];

/** 0F BA /4-7 with imm8: peek the ModRM reg field, then reuse bitTest. */
function grp8(c: Cpu, bits: number): void {
  // bitTest decodes the ModRM itself; look at the reg field first without consuming it
  const save = c.eip;
  const reg = (c.fetch8() >> 3) & 7;
  c.eip = save;
  if (reg < 4) c.raise(UD);
  bitTest(c, bits, reg - 4, true);
}

function arpl(c: CpuState): void {
  if (!c.pe || (c.flags & 0x20000)) c.raise(UD);
  c.modrm();
  const d = c.rE16W(), s = c.r16[c.mReg << 1]!;
  if ((d & 3) < (s & 3)) { c.wb16((d & ~3) | (s & 3)); c.setFlagBits(0x40, 0x40); } else c.setFlagBits(0x40, 0);
}

function undefinedOp(c: Cpu): void { c.raise(UD); }

/** Dispatch array built from OPS: index opcode | (32-bit operand size ? 0x200 : 0). */
export const HANDLERS: ((c: Cpu) => void)[] = new Array(0x400).fill(undefinedOp);
export const OP_NAMES: string[] = new Array(0x200).fill('(undefined: #UD)');
/** ModRM.reg values a LOCK prefix may precede, per opcode (from OPS `lock`; 0F xx at 0x100 + xx) */
export const LOCK_REGS = new Uint8Array(0x200);
/**
 * Each dispatch entry gets its own function, so the call from the entry into `exec` stays monomorphic and V8 can
 * inline it; one shared arrow would be megamorphic. The source text names the opcode: V8 caches `new Function` by
 * its source, and entries with the same text shared one function and its type feedback (the 8-bit entries, one
 * megamorphic call: NOP and CLC ran at half the speed of INC r).
 */
function bind(ex: (c: Cpu, bits: number) => void, bits: number, op: number): (c: Cpu) => void {
  return new Function('ex', `'use strict';return function op${op.toString(16)}_${bits}(c) { ex(c, ${bits}); }`)(ex) as (c: Cpu) => void;
}
for (const d of OPS) {
  if (OP_NAMES[d.op] !== '(undefined: #UD)') throw new Error(`opcode table: 0x${d.op.toString(16)} listed twice`);
  OP_NAMES[d.op] = d.name;
  LOCK_REGS[d.op] = d.lock ?? 0;
  if (d.os) {
    HANDLERS[d.op] = bind(d.exec, 16, d.op);
    HANDLERS[d.op | 0x200] = bind(d.exec, 32, d.op);
  } else {
    HANDLERS[d.op] = bind(d.exec, 8, d.op);
    HANDLERS[d.op | 0x200] = HANDLERS[d.op]!;
  }
}
installFastPaths(HANDLERS);
/**
 * The fast forms (fast-paths.ts) whose register forms the interpreter's loop runs inline (both operand sizes): the
 * commonest in a Linux boot and in the loops of bench/cpu.bench.js, and run early by any code (each one that first
 * runs after V8 optimised the loop costs it a deoptimisation).
 */
const INLINE_OPS = [
  0x01, 0x03, 0x09, 0x0b, 0x21, 0x23, 0x29, 0x2b, 0x31, 0x33, 0x39, 0x3b, 0x74, 0x75, 0x83, 0x88, 0x89, 0x8a, 0x8b,
  ...Array.from({ length: 16 }, (_, i) => 0x40 + i), // INC/DEC r
];
/** The interpreter's inner loop (fast-paths.ts makeInterpLoop) */
export const INTERP_LOOP = makeInterpLoop(HANDLERS, INLINE_OPS.flatMap((op) => [op, op | 0x200]));
export { IF };
