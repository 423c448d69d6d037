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

/**
 * The 24-bit counter value now. A tick lasts ~279 ns of guest time, so a guest polling the timer (Linux's
 * acpi_pm_read, a calibration loop) reads the same tick many times: while the clock is before the first nanosecond
 * of the next tick the last value holds, with no division; past it the value is computed afresh (the same exact
 * nsToTicks as always).
 */
export function pmTimerValue(pm: AcpiPm): number {
  const ns = pm.clock.ns();
  const r = pm.tmrRead;
  if (ns < r.next && ns >= r.ns) return r.ticks;
  const t = nsToTicks(ns);
  r.ns = ns;
  r.ticks = t & 0xffffff;
  r.next = tickStartNs(t + 1);
  return r.ticks;
}

/** The first nanosecond at which nsToTicks reaches `t`: ticksToNs's estimate, moved until nsToTicks itself agrees. */
export function tickStartNs(t: number): number {
  let ns = ticksToNs(t);
  while (nsToTicks(ns) < t) ns++;
  while (ns > 0 && nsToTicks(ns - 1) >= t) ns--;
  return ns;
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
