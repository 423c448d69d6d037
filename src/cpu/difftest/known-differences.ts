/**
 * Differences the differential test has found and explained: which emulator departs from the SDM, for which form.
 * A difference on a listed form with the listed emulator on either side is counted as explained, not as a failure.
 * src/cpu/README.md "Differences with QEMU and Bochs" shows the same table.
 */
import type { FIELD_NAMES } from './records.js';
export interface KnownDifference {
  /** Matches Item.form. */
  form: RegExp;
  /** The emulator that departs from the SDM. */
  emulator: 'qemu' | 'bochs';
  what: string;
  sdm: string;
  follow: string;
  /**
   * When set, only a difference confined to these bits of these record fields is explained (the record's `fpu`
   * field carries FSW.DE and FSW.C1 as bits 1 and 9, rom.ts FPU_FSW_BITS; a register field holds what the tested
   * group put there, e.g. a descriptor byte); a difference anywhere else still fails.
   */
  bits?: Readonly<Partial<Record<(typeof FIELD_NAMES)[number], number>>>;
  /**
   * A difference in the x87 state beyond `bits.fpu`, named in the FSAVE images both sides wrote (F records,
   * fsave.ts): explained only when the images differ in nothing but the status-word bits `fsw` and, with `st0`,
   * the value of ST(0), and the control word's precision control is one of `pc` (0: 24 bits, 2: 53, 3: 64).
   * Every other field of the record must agree. With `nanSt0`, only when ST(0) is a NaN in both images (the
   * instruction took its NaN or invalid-operand path).
   */
  fsave?: { fsw: number; st0: boolean; pc: readonly number[]; nanSt0?: true };
  /** When set, only a difference confined to the RF bit of the exceptions' EFLAGS image (rom.ts FAULT_RF) is explained. */
  faultRf?: true;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    form: /^lock mov /,
    emulator: 'qemu',
    what: 'no #UD: QEMU 7.2 TCG runs LOCK MOV m32, r32 as a plain MOV (Bochs raises #UD)',
    sdm: 'Vol. 2A LOCK: #UD unless the instruction is ADD/ADC/AND/BTC/BTR/BTS/CMPXCHG/CMPXCHG8B/DEC/INC/NEG/NOT/OR/SBB/SUB/XOR/XADD/XCHG with a memory destination',
    follow: 'the SDM (and Bochs): #UD',
  },
  {
    form: /^(mov [d-gs]s, [rm]16|pop [d-gs]s( o16)?|l[d-gs]s r32, m16:32|lss esp, m16:32)$/,
    emulator: 'qemu',
    what: 'QEMU 7.2 TCG checks a selector when it is loaded but not the segment on each access: a write through a read-only or code segment, any access through a null selector or past the limit goes through instead of #GP(0)/#SS(0) (the tested group ends with such an access)',
    sdm: 'Vol. 3A 5.3 (limit checking) and 5.5 / 3.4.5.1 (type checking on every access); Bochs checks them too',
    follow: 'the SDM (and Bochs)',
  },
  {
    form: /^f(?!nstcw|ldcw|nclex)/,
    emulator: 'qemu',
    what: 'FSW.C1 and FSW.DE: QEMU 7.2 TCG never sets C1 when a result is rounded up, leaves C1 as it was after FCOM/FUCOM/FTST/FCOMI (target/i386/tcg/fpu_helper.c helper_fcom_ST0_FT0 replaces only C0/C2/C3; a C1 set by FXAM or FPREM stays), and raises no DE for a denormal operand (FLD m32fp/m64fp, arithmetic with a memory or register operand)',
    sdm: 'Vol. 1 8.1.3.3 (C1 = 1 when the result was rounded up), Vol. 2A FCOM/FUCOM/FTST/FCOMI ("C1: set to 0"), 4.9.1.3 / 8.5.2 (#D on a denormal source operand)',
    follow: 'the SDM (and Bochs, which agrees with acpidm on every x87 record)',
    bits: { fpu: 0x202 },
  },
  {
    form: /^(f(add|sub|subr|mul|div|divr|ld) m64fp|(fi(add|sub|subr|mul|div|divr)|fild) m32int)$/,
    emulator: 'qemu',
    what: 'under PC=24 an m64fp or m32int operand is rounded to 24 bits before it is used: QEMU 7.2 TCG converts it with float64_to_floatx80 / int32_to_floatx80, which since the FloatParts rework round to floatx80_rounding_precision (fpu/softfloat.c floatx80_round_pack_canonical); ST(0) then differs, and PE either way: helper_fldl_FT0/ST0 merge the m64fp conversion\'s inexact into FSW (PE on an exact result), helper_fildl_FT0 keeps the m32int conversion\'s flags out of FSW (no PE when the rounded operand makes the result exact, where the SDM rounds the exact result: fidivr m32int with ST(0) = 1 under PC=24, same ST(0), only PE)',
    sdm: 'Vol. 1 8.1.5.2: precision control affects only the results of FADD/FSUB(R)/FMUL/FDIV(R)/FSQRT and their integer forms; a double or a 32-bit integer converts exactly to double extended',
    follow: 'the SDM (and Bochs)',
    fsave: { fsw: 0x220, st0: true, pc: [0] },
  },
  {
    form: /^fcomp? m64fp$/,
    emulator: 'qemu',
    what: 'the same rounded m64fp operand in FCOM/FCOMP under PC=24: QEMU 7.2 TCG compares with the operand rounded to 24 bits (C0/C2/C3 can differ) and sets PE',
    sdm: 'Vol. 1 8.1.5.2; Vol. 2A FCOM: the operand is converted to double extended, exactly',
    follow: 'the SDM (and Bochs)',
    fsave: { fsw: 0x4520, st0: false, pc: [0] },
  },
  {
    form: /^fild m64int$/,
    emulator: 'qemu',
    what: 'FILD m64int under PC=24 or PC=53: QEMU 7.2 TCG rounds the integer to 24 or 53 bits (int64_to_floatx80 with floatx80_rounding_precision; ST(0) and PE differ)',
    sdm: 'Vol. 1 8.1.5.2, Vol. 2A FILD: the conversion to double extended is exact',
    follow: 'the SDM (and Bochs)',
    fsave: { fsw: 0x220, st0: true, pc: [0, 2] },
  },
  {
    form: /^(fprem1?|frndint)$/,
    emulator: 'qemu',
    what: 'FPREM, FPREM1 and FRNDINT under PC=24 or PC=53: QEMU 7.2 TCG rounds the result to the precision control (floatx80_modrem and floatx80_round_to_int end in floatx80_round_pack_canonical with floatx80_rounding_precision; round_to_int also takes a value of 2^24 or 2^53 and above as already integral) and sets PE; found as fprem with PC=53 (ST(0) 0x3ffc:867197be6a4ccb5c, QEMU ...c800) and frndint of the integer 0x401c:ba0fb47000000000 with PC=24, RC chop (QEMU ...b40000000000); a partial FPREM1 remainder (C2 = 1) under PC=24 once differed by more than a rounding (0x40da:fe97100000000000, QEMU 0x40d6:d928000000000000), ST(0) only',
    sdm: 'Vol. 1 8.1.5.2: precision control affects only FADD/FSUB(R)/FMUL/FDIV(R)/FSQRT and their integer forms; Vol. 2A FPREM/FPREM1 (the remainder is exact, no #P) and FRNDINT (rounds to an integer by RC only)',
    follow: 'the SDM (and Bochs)',
    fsave: { fsw: 0x20, st0: true, pc: [0, 2] },
  },
  {
    form: /^fprem1$/,
    emulator: 'qemu',
    what: 'FPREM1 with a complete reduction (C2 = 0): QEMU 7.2 TCG leaves C0, C3 and C1 clear instead of the quotient bits Q2, Q1, Q0 (helper_fprem1 passes no quotient to floatx80_modrem; its FPREM path sets them); only those status bits',
    sdm: 'Vol. 2A FPREM1: C0 = Q2, C3 = Q1, C1 = Q0 when the reduction is complete',
    follow: 'the SDM (and Bochs)',
    fsave: { fsw: 0x4300, st0: false, pc: [0, 2, 3] },
  },
  {
    form: /^fprem1?$/,
    emulator: 'qemu',
    what: 'FPREM/FPREM1 with a NaN or an invalid operand (the result a NaN): QEMU 7.2 TCG clears C0 and C3 (helper_fprem_common clears C0-C3 before anything); Bochs and acpidm clear C1 and C2 and leave C0 and C3 as they were (Bochs fpu_arith.cc: no setcc when do_fprem returns -1); only those status bits, and only when ST(0) is a NaN on both sides',
    sdm: 'Vol. 2A FPREM/FPREM1 "FPU Flags Affected": C0, C3, C1 are quotient bits; for an operation with no quotient the SDM says nothing',
    follow: 'Bochs',
    fsave: { fsw: 0x4700, st0: false, pc: [0, 2, 3], nanSt0: true },
  },
  {
    form: /./,
    emulator: 'qemu',
    what: 'EFLAGS.RF in the image a fault-class exception pushes: QEMU 7.2 TCG leaves it clear (Bochs and acpidm set it); only that bit of the X record',
    sdm: 'Vol. 3B 17.3.1.1: for any fault-class exception other than an instruction-breakpoint #DB the RF image pushed is 1',
    follow: 'the SDM (and Bochs exception.cc, assert_RF)',
    faultRf: true,
  },
  {
    form: /^jmp (ptr16:32|m16:32) gate(16|32) #NP$/,
    emulator: 'qemu',
    what: 'JMP through a call gate to a not-present code segment: QEMU 7.2 TCG raises #GP(selector) instead of #NP(selector) (helper_ljmp_protected; its CALL path raises #NP)',
    sdm: 'Vol. 2A JMP "CALL-GATE": IF code segment is not present THEN #NP(code-segment selector)',
    follow: 'the SDM (and Bochs jmp_far.cc)',
  },
  {
    form: /^fu?comip? st0, st\(i\)$/,
    emulator: 'qemu',
    what: 'FCOMI/FUCOMI(P): QEMU 7.2 TCG leaves OF, SF and AF as they were (helper_fcomi_ST0_FT0 only replaces ZF, PF, CF)',
    sdm: 'Vol. 2A FCOMI/FCOMIP/FUCOMI/FUCOMIP: "The OF, SF and AF flags are cleared"',
    follow: 'the SDM (and Bochs): cleared',
    bits: { eflags: 0x890 },
  },
  {
    form: /^(call|jmp) (tss|task gate)( cpl3)? #(TS|NP) in the new task$/,
    emulator: 'qemu',
    what: 'a bad ES/FS/GS selector in the new TSS of a JMP/CALL task switch: QEMU 7.2 TCG raises #TS/#NP with the EIP of the JMP/CALL in the old task (switch_tss_ra raises with the helper\'s return address, which restores the old EIP) instead of the new task\'s EIP; the frame in the new task\'s stack shows it too',
    sdm: 'Vol. 3A 7.3 (step 13) and Table 7-1: faults after the commit point are handled in the context of the new task',
    follow: 'the SDM (and Bochs tasking.cc: EIP is the new task\'s)',
  },
  {
    form: / bad (ldt|ss|cs) #(TS|NP|SS)( \(back\))?$/,
    emulator: 'qemu',
    what: 'a bad LDT, SS or CS selector in the new TSS, the fault taken by a task-gate handler: in the TSS of the task that faulted QEMU 7.2 TCG saves EFLAGS with RF clear and, after a JMP/CALL, the EIP of the JMP/CALL in the old task (switch_tss_ra raises with the helper\'s return address); a not-present SS raises #NP instead of #SS',
    sdm: 'Vol. 3B 17.3.1.1 (RF = 1 in the EFLAGS image a fault saves, on the stack or in the TSS); Vol. 3A 7.3 step 13 and Table 7-1 (the new task\'s context; "stack segment is present in memory": #SS)',
    follow: 'the SDM (and Bochs tasking.cc, exception.cc)',
  },
  {
    form: / tss16 /,
    emulator: 'qemu',
    what: 'a switch to a 16-bit (286) TSS: QEMU 7.2 TCG keeps the old task\'s EFLAGS bits 16-31 (AC, ID) and loads only FLAGS from the TSS (switch_tss_ra masks the load to 16 bits); Bochs and acpidm clear them (Bochs tasking.cc loads the zero-extended word); only those bits of the new task\'s EFLAGS',
    sdm: 'Vol. 3A 7.2.2 / Figure 7-11: a 16-bit TSS holds FLAGS only; the SDM does not say what EFLAGS bits 16-31 become',
    follow: 'Bochs',
    bits: { eflags: 0x240000 },
  },
  {
    form: / acc\b/,
    emulator: 'qemu',
    what: 'the accessed bit of a descriptor a task switch loads into a segment register: QEMU 7.2 TCG leaves it clear (tss_load_seg loads the cache without writing the descriptor back; its MOV/POP Sreg path sets it); the tested group shows byte 5 of one such descriptor, cleared before the switch, in task B\'s EDX; only bit 0 of EDX',
    sdm: 'Vol. 3A 3.4.5.1 (type field, accessed bit): the processor sets it when it loads the selector into a segment register',
    follow: 'the SDM (and Bochs tasking.cc, touch_segment for CS, SS, DS..GS)',
    bits: { edx: 1 },
  },
  {
    form: /#DB T bit$/,
    emulator: 'qemu',
    what: 'the T bit of a 32-bit TSS: QEMU 7.2 TCG raises no #DB on entry to the task (switch_tss_ra ignores the T bit), so the new task runs its first instruction',
    sdm: 'Vol. 3A 7.2.1 (T flag) and Vol. 3B 17.2.3 (DR6.BT): a debug exception when a task switch to a task with T = 1 occurs',
    follow: 'the SDM (and Bochs tasking.cc, BX_DEBUG_TRAP_TASK_SWITCH_BIT)',
  },
  {
    form: /to ring 1 ss1 (limit|wraps|expand-down) #SS( \(resumed\))?$/,
    emulator: 'qemu',
    what: 'a call gate or interrupt gate whose inner stack (SS1:ESP1) has no room for the frame: QEMU 7.2 TCG does not check the new stack segment\'s limit (helper_lcall_protected / do_interrupt_protected push with only the stack-size mask), so it writes the frame anywhere and enters the handler',
    sdm: 'Vol. 2A CALL "CALL-GATE" (more privilege): #SS(SS selector) if the new stack has no room; INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT": #SS(error_code(NewSS, 0, EXT)); Vol. 3A 5.3 (expand-down limits)',
    follow: 'the SDM (and Bochs)',
  },
  {
    form: /to ring 1 ss1 not present #SS( \(resumed\))?$/,
    emulator: 'qemu',
    what: 'a not-present inner stack segment (SS1) of a call gate or interrupt gate: QEMU 7.2 TCG raises #TS(SS selector) instead of #SS(SS selector) (helper_lcall_protected / do_interrupt_protected)',
    sdm: 'Vol. 2A CALL "CALL-GATE" and INT n: IF NewSS not present THEN #SS(NewSS selector)',
    follow: 'the SDM (and Bochs)',
  },
];

/** The rows for this form with emulator `a` or `b` on one side. */
export function knownFor(form: string, a: string, b: string): KnownDifference[] {
  return KNOWN_DIFFERENCES.filter((k) => (k.emulator === a || k.emulator === b) && k.form.test(form));
}

export function explained(form: string, a: string, b: string): KnownDifference | null {
  for (const k of KNOWN_DIFFERENCES) if ((k.emulator === a || k.emulator === b) && k.form.test(form)) return k;
  return null;
}
