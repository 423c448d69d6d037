/**
 * Differences the differential test has found and explained: which emulator departs from the SDM, for which form.
 * A difference on a listed form with the listed emulator on either side is counted as explained, not as a failure.
 * src/cpu/README.md "Differences with QEMU and Bochs" shows the same table.
 */
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
   * field carries FSW.DE and FSW.C1 as bits 1 and 9, rom.ts FPU_FSW_BITS); a difference anywhere else still fails.
   */
  bits?: Readonly<Partial<Record<'fpu' | 'eflags', number>>>;
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
    what: 'FSW.C1 and FSW.DE: QEMU 7.2 TCG never sets C1 when a result is rounded up, and raises no DE for a denormal operand (FLD m32fp/m64fp, arithmetic with a memory or register operand)',
    sdm: 'Vol. 1 8.1.3.3 (C1 = 1 when the result was rounded up), 4.9.1.3 / 8.5.2 (#D on a denormal source operand)',
    follow: 'the SDM (and Bochs, which agrees with acpidm on every x87 record)',
    bits: { fpu: 0x202 },
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
];

/** The rows for this form with emulator `a` or `b` on one side. */
export function knownFor(form: string, a: string, b: string): KnownDifference[] {
  return KNOWN_DIFFERENCES.filter((k) => (k.emulator === a || k.emulator === b) && k.form.test(form));
}

export function explained(form: string, a: string, b: string): KnownDifference | null {
  for (const k of KNOWN_DIFFERENCES) if ((k.emulator === a || k.emulator === b) && k.form.test(form)) return k;
  return null;
}
