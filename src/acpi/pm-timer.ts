/**
 * ACPI PM timer: 3,579,545 Hz, 24 bits (the FADT does not set TMR_VAL_EXT),
 * clocked by the machine's virtual clock (QEMU hw/acpi/core.c `acpi_pm_tmr_*`).
 * TMR_STS is latched lazily: a PM1_STS read sets it once the clock has passed
 * the next point where counter bit 23 toggles (`acpi_pm1_evt_get_sts`).
 */
import type { RegionOps } from '../ioports/region.js';
import { TMR_STS, type AcpiPm } from './pm-regs.js';

export const PM_TIMER_FREQUENCY = 3_579_545;
const NS_PER_S = 1_000_000_000;
const BIT23 = 0x800000;

/**
 * QEMU `muldiv64(ns, PM_TIMER_FREQUENCY, NANOSECONDS_PER_SECOND)`, exact in
 * doubles: split ns into whole seconds and the rest so no product passes 2^53.
 */
export function nsToTicks(ns: number): number {
  const s = Math.floor(ns / NS_PER_S);
  const rest = ns - s * NS_PER_S;
  return s * PM_TIMER_FREQUENCY + Math.floor((rest * PM_TIMER_FREQUENCY) / NS_PER_S);
}

/** QEMU `muldiv64(ticks, NANOSECONDS_PER_SECOND, PM_TIMER_FREQUENCY)`, exact in doubles. */
export function ticksToNs(ticks: number): number {
  const q = Math.floor(ticks / PM_TIMER_FREQUENCY);
  const r = ticks - q * PM_TIMER_FREQUENCY;
  return q * NS_PER_S + Math.floor((r * NS_PER_S) / PM_TIMER_FREQUENCY);
}

/** The 24-bit counter value now. */
export function pmTimerValue(pm: AcpiPm): number {
  return nsToTicks(pm.clock.ns()) & 0xffffff;
}

/** QEMU `acpi_pm_tmr_calc_overflow_time`: the next bit-23 toggle after now. */
export function pmTimerCalcOverflow(pm: AcpiPm): void {
  const d = nsToTicks(pm.clock.ns());
  pm.regs.tmr.overflowTime = Math.floor((d + BIT23) / BIT23) * BIT23;
}

/**
 * QEMU `acpi_pm1_evt_get_sts`: latch TMR_STS if the clock has passed the
 * overflow point. Compare in ns, as the timer is armed in ns.
 */
export function pm1StsLatched(pm: AcpiPm): number {
  const sts = pm.regs.pm1.sts;
  // Already latched: nothing to compare (every PM1_EN write and PM1_STS read passes here).
  if ((sts & TMR_STS) !== 0) return sts;
  if (pm.clock.ns() >= ticksToNs(pm.regs.tmr.overflowTime)) pm.regs.pm1.sts = sts | TMR_STS;
  return pm.regs.pm1.sts;
}

/** QEMU `acpi_pm_tmr_update`: arm the overflow timer, or disarm it. */
export function pmTimerArm(pm: AcpiPm, enable: boolean): void {
  pm.timer.deadline = enable ? ticksToNs(pm.regs.tmr.overflowTime) : Infinity;
}

/** QEMU `acpi_pm_tmr_reset`: overflow point 0, so TMR_STS reads 1 after every reset. */
export function pmTimerReset(pm: AcpiPm): void {
  pm.regs.tmr.overflowTime = 0;
  pm.timer.deadline = Infinity;
}

/**
 * `acpi-tmr`: valid 1..4, impl min 4. The handler ignores the offset, so a
 * byte or word read anywhere in the block returns the low bits. Writes are ignored.
 */
export const pmTimerOps: RegionOps<AcpiPm> = {
  name: 'acpi-tmr',
  size: 4,
  valid: { min: 1, max: 4 },
  impl: { min: 4, max: 4 },
  read: (pm) => pmTimerValue(pm),
  write: () => {},
};
