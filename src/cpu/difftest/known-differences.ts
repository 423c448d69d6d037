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
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    form: /^lock mov /,
    emulator: 'qemu',
    what: 'no #UD: QEMU 7.2 TCG runs LOCK MOV m32, r32 as a plain MOV (Bochs raises #UD)',
    sdm: 'Vol. 2A LOCK: #UD unless the instruction is ADD/ADC/AND/BTC/BTR/BTS/CMPXCHG/CMPXCHG8B/DEC/INC/NEG/NOT/OR/SBB/SUB/XOR/XADD/XCHG with a memory destination',
    follow: 'the SDM (and Bochs): #UD',
  },
];

export function explained(form: string, a: string, b: string): KnownDifference | null {
  for (const k of KNOWN_DIFFERENCES) if ((k.emulator === a || k.emulator === b) && k.form.test(form)) return k;
  return null;
}
