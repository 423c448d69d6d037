/**
 * Sleep-type decoding: PM1_CNT value + board policy → sleep request. Pure.
 *
 * SLP_TYP numbers are board policy: they must match the DSDT's `\_Sx_`
 * packages, so they are passed in, never hard-coded in the register model.
 * QEMU hw/acpi/core.c `acpi_pm1_cnt_write`: SLP_TYP 0 is always S5 and 1 is
 * always S3 on QEMU; any other value is S4 only if it equals `s4_val`.
 * Decoding order here is S5, S3, S4, so a board where S4 shares S5's value
 * (Xen hvmloader) decodes that value as S5.
 */
import { SLP_EN, SLP_TYP_SHIFT } from './pm-regs.js';

export type SleepState = 'S3' | 'S4' | 'S5';

export type SleepDecode =
  | { readonly kind: 'none' }
  | {
    readonly kind: 'sleep';
    readonly state: SleepState;
    /** The SLP_TYP field that was written (0..7). */
    readonly typ: number;
    /**
     * Whether the board advertises this state to the guest (`\_S3_`/`\_S4_`
     * present). QEMU's disable_s3/disable_s4 only drop the DSDT package: a
     * guest that writes the value anyway still sleeps, so the request stands
     * and this flag only records that the guest used an unadvertised state.
     */
    readonly advertised: boolean;
  };

export interface SleepPolicy {
  /** Preset name, for traces and errors. */
  readonly name: string;
  /** SLP_TYP value of each state; null when the board has none. */
  readonly s3: number | null;
  readonly s4: number | null;
  readonly s5: number | null;
  /** QEMU PIIX4_PM.disable_s3 / disable_s4: the state is not advertised (tables, etc/system-states). */
  readonly disableS3: boolean;
  readonly disableS4: boolean;
  /**
   * Further SLP_TYP values the chipset model accepts for a state, besides the one the tables advertise: qemu-xen-
   * traditional decodes both the V0 and the V1 values (hw/piix4acpi.c SLP_TYP_Sx_V0/_V1). Checked after s5/s3/s4.
   */
  readonly also?: Readonly<Partial<Record<SleepState, readonly number[]>>>;
}

export class SleepPolicyError extends Error {
  override name = 'SleepPolicyError';
}

function typValue(name: string, what: string, v: number | null): number | null {
  if (v === null) return null;
  // QEMU's s4_val is a uint8 property; a value above 7 can never match the 3-bit field.
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new SleepPolicyError(`sleep policy ${name}: ${what} = ${v} is not an integer 0..255`);
  return v;
}

/** Build a policy, checking its values. */
export function sleepPolicy(p: SleepPolicy): SleepPolicy {
  return Object.freeze({
    name: p.name,
    s3: typValue(p.name, 's3', p.s3),
    s4: typValue(p.name, 's4', p.s4),
    s5: typValue(p.name, 's5', p.s5),
    disableS3: !!p.disableS3,
    disableS4: !!p.disableS4,
    ...(p.also ? { also: Object.freeze(Object.fromEntries(Object.entries(p.also).map(([k, v]) =>
      [k, Object.freeze((v ?? []).map((x) => typValue(p.name, `also.${k}`, x)!))]))) } : {}),
  });
}

/**
 * QEMU `pc`/`q35` (hw/acpi/core.c, PIIX4_PM properties s4_val default 2,
 * disable_s3, disable_s4). DSDT: `\_S3_ = {1,1,0,0}`, `\_S4_ = {s4_val,...}`, `\_S5_ = {0,...}`.
 * Observed on QEMU 7.2: with disable_s3=1 a guest write of SLP_TYP=1|SLP_EN still suspends.
 */
export function qemuPcPolicy(opts: { s4Val?: number; disableS3?: boolean; disableS4?: boolean } = {}): SleepPolicy {
  return sleepPolicy({ name: 'qemu-pc', s3: 1, s4: opts.s4Val ?? 2, s5: 0, disableS3: opts.disableS3 ?? false, disableS4: opts.disableS4 ?? false });
}

/** Xen hvmloader tables (tools/libacpi dsdt.asl, ssdt_s3.asl, ssdt_s4.asl): S3 = 1, S4 = 0 (shares S5), S5 = 0. */
export const XEN_HVMLOADER_POLICY: SleepPolicy = sleepPolicy({ name: 'xen-hvmloader', s3: 1, s4: 0, s5: 0, disableS3: false, disableS4: false });

/** qemu-xen-traditional with the old V0 tables (hw/piix4acpi.c SLP_TYP_Sx_V0): S3 = 5, S4 = 6, S5 = 7. */
export const QEMU_XEN_TRADITIONAL_V0_POLICY: SleepPolicy = sleepPolicy({ name: 'qemu-xen-traditional-v0', s3: 5, s4: 6, s5: 7, disableS3: false, disableS4: false });

/**
 * qemu-xen-traditional's PIIX4 under Xen (hw/piix4acpi.c acpi_shutdown), the policy Xen mode's qemu-dm decodes with:
 * hvmloader's V1 values (Xen tools/libacpi: \_S3_ = 1, \_S4_ = \_S5_ = 0) are what the tables advertise, and the old
 * V0 values still work (S3 = 5, S4 = 6, S5 = 7). S4 shares S5's 0, so 0 decodes as S5.
 */
export const QEMU_XEN_TRADITIONAL_POLICY: SleepPolicy = sleepPolicy({
  name: 'qemu-xen-traditional', s3: 1, s4: 0, s5: 0, disableS3: false, disableS4: false, also: { S3: [5], S4: [6], S5: [7] },
});

const NONE: SleepDecode = Object.freeze({ kind: 'none' });
// Decode results are immutable constants built once, so decoding allocates nothing.
const STATES: readonly SleepState[] = ['S3', 'S4', 'S5'];
const RESULTS: readonly SleepDecode[] = STATES.flatMap((state) =>
  [0, 1, 2, 3, 4, 5, 6, 7].flatMap((typ) => [false, true].map((advertised) =>
    Object.freeze({ kind: 'sleep', state, typ, advertised } as const))));
const result = (stateIdx: number, typ: number, advertised: boolean): SleepDecode =>
  RESULTS[stateIdx * 16 + typ * 2 + (advertised ? 1 : 0)]!;

/** Decode a PM1_CNT write. Without SLP_EN nothing happens, whatever SLP_TYP holds. */
export function decodeSleep(pm1Cnt: number, policy: SleepPolicy): SleepDecode {
  if ((pm1Cnt & SLP_EN) === 0) return NONE;
  const typ = (pm1Cnt >>> SLP_TYP_SHIFT) & 7;
  if (typ === policy.s5) return result(2, typ, true);
  if (typ === policy.s3) return result(0, typ, !policy.disableS3);
  if (typ === policy.s4) return result(1, typ, !policy.disableS4);
  const also = policy.also;
  if (also !== undefined) {
    if (also.S5?.includes(typ)) return result(2, typ, true);
    if (also.S3?.includes(typ)) return result(0, typ, !policy.disableS3);
    if (also.S4?.includes(typ)) return result(1, typ, !policy.disableS4);
  }
  return NONE;
}

/**
 * QEMU's fw_cfg file `etc/system-states` (hw/acpi/core.c `acpi_pm1_cnt_init`):
 * 6 bytes indexed by S-state, bit 7 = enabled, low bits = SLP_TYP.
 */
export function systemStatesFile(policy: SleepPolicy): Uint8Array {
  const s3 = policy.s3 ?? 1;
  const s4 = policy.s4 ?? 2;
  return Uint8Array.of(0x80, 0, 0, (s3 & 0x7f) | (policy.disableS3 ? 0 : 0x80), (s4 & 0x7f) | (policy.disableS4 ? 0 : 0x80), 0x80);
}
