/**
 * The documented differences between the 80286 that recorded the
 * SingleStepTests vectors and the 386-class CPU acpidm models, as data.
 * The CPU has no 286 mode: the runner consults this table and either skips a
 * vector or adjusts what it compares, and counts how many vectors each entry
 * touched (printed by formatReport).
 *
 * Each entry names the instruction forms (file stems, '*' for all), the
 * condition on the vector (and, where the vector alone cannot tell, on what
 * the CPU did), what the runner does, and the reason with its source.
 */
import type { SstTest } from './runner.js';

export type DiffAction =
  /** do not run the vector */
  | { kind: 'skip' }
  /** run it, but do not compare these registers */
  | { kind: 'ignore-regs'; regs: readonly string[] }
  /** run it, but do not compare these FLAGS bits (also in a pushed flags word) */
  | { kind: 'mask-flags'; bits: number }
  /** the 386 delivers exception `got` where the 286 delivered `want`: give `got` the handler of `want`, then compare */
  | { kind: 'remap-exception'; want: number; got: number }
  /** not comparable when the 386 raises exception `vec` (the runner checks that it did): the vector is skipped */
  | { kind: 'skip-if-raised'; vec: number };

export interface Diff286 {
  readonly id: string;
  /** file stems ("8C", "F6.4") or '*' */
  readonly forms: readonly string[] | '*';
  /** the condition, in words (what `applies` tests) */
  readonly condition: string;
  /** on the vector alone; for 'remap-exception' the runner also requires that the CPU raised `got` */
  readonly applies: (t: SstTest, stem: string) => boolean;
  readonly action: DiffAction;
  readonly reason: string;
  readonly source: string;
}

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);
/** The ModRM byte of a one-byte-opcode vector (after its prefixes). */
function modrm(t: SstTest): number {
  let i = 0;
  while (i < t.bytes.length && PREFIXES.has(t.bytes[i]!)) i++;
  return t.bytes[i + 1] ?? 0;
}
const STRING_FORMS = ['6C', '6D', '6E', '6F', 'A4', 'A5', 'A6', 'A7', 'AA', 'AB', 'AC', 'AD', 'AE', 'AF'];

export const DIFF_286: readonly Diff286[] = [
  {
    id: 'insn-length-10',
    forms: '*',
    condition: 'the instruction (the vector\'s bytes without the final HLT) is longer than 10 bytes and the 286 raised an exception',
    applies: (t) => t.bytes.length - 1 > 10 && t.exception !== undefined,
    action: { kind: 'skip' },
    // the corpus README says #UD; the vectors in this slice show #GP (13), as the iAPX 286 manual lists it
    reason: 'the 80286 limits an instruction to 10 bytes (an exception beyond); the 386 allows 15 and raises #GP(0) beyond',
    source: 'iAPX 286 Programmer\'s Reference, exception 13 "instruction longer than 10 bytes"; SingleStepTests 80286 README; Intel SDM Vol. 2A §2.3.11 (15-byte limit)',
  },
  {
    id: 'sreg-fs-gs',
    forms: ['8C', '8E'],
    condition: 'ModRM.reg is 4 or 5 (FS, GS)',
    applies: (t) => { const r = (modrm(t) >> 3) & 7; return r === 4 || r === 5; },
    action: { kind: 'skip' },
    reason: 'the 80286 has four segment registers and raises #UD for Sreg encodings 4-5; the 386 added FS and GS',
    source: 'Intel SDM Vol. 2B MOV (Sreg encodings, "FS and GS ... 386"); Intel 80386 Programmer\'s Reference 1986 §5.1',
  },
  {
    id: 'iopl-nt-real-mode',
    forms: ['9D', 'CF'],
    condition: 'always (POPF, IRET)',
    applies: () => true,
    action: { kind: 'mask-flags', bits: 0x7000 },
    reason: 'in real mode the 80286 forces FLAGS bits 12-14 (IOPL, NT) to 0; a 386 loads them',
    source: 'SingleStepTests 80286 README "286 vs 8088 vs 386 notes"; Intel SDM Vol. 2B POPF ("real-address mode")',
  },
  {
    id: 'ss-limit-is-ss-fault',
    forms: '*',
    condition: 'the 286 raised #GP (13) and acpidm raised #SS (12): a stack-segment access past the 64 KiB limit',
    applies: (t) => t.exception?.number === 13,
    action: { kind: 'remap-exception', want: 13, got: 12 },
    reason: 'a real-mode SS-relative access beyond the limit is #GP on the 80286 and #SS on the 386 (no error code is pushed in real mode, so only the vector differs)',
    source: 'Intel SDM Vol. 3A §20.1.4 / Table 20-2 (real-address-mode exceptions: #SS "stack segment limit")',
  },
  {
    id: 'lock-not-lockable',
    forms: '*',
    condition: 'the instruction has a LOCK prefix (F0) and acpidm raised #UD: not a lockable read-modify-write of memory',
    applies: (t) => {
      for (const b of t.bytes) { if (b === 0xf0) return true; if (!PREFIXES.has(b)) return false; }
      return false;
    },
    action: { kind: 'skip-if-raised', vec: 6 },
    reason: 'the 80286 accepts LOCK before any instruction; the 386 and later raise #UD unless the instruction is one of the lockable forms with a memory destination',
    source: 'Intel SDM Vol. 2A LOCK ("#UD ... not one of the instructions listed"); iAPX 286 Programmer\'s Reference LOCK (any instruction)',
  },
  {
    id: 'string-fault-index-step',
    forms: STRING_FORMS,
    condition: 'a string element access past the 64 KiB limit faulted (#GP)',
    applies: (t) => t.exception?.number === 13,
    action: { kind: 'ignore-regs', regs: ['si', 'di', 'cx'] },
    reason: 'the 80286 microcode has already stepped SI/DI (and CX under REP) for the faulting element; on the 386 the faulting element leaves them as they were (string instructions restart after a fault)',
    source: 'observed in the SingleStepTests 80286 vectors (A5, A7, 6D, 6F); Intel SDM Vol. 2B REP ("restartable... registers point at the faulting element")',
  },
];
