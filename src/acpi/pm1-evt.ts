/**
 * PM1 event block `acpi-evt` (+0 STS, +2 EN): QEMU hw/acpi/core.c
 * `acpi_pm_evt_read/write`, `acpi_pm1_evt_*`.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex } from '../trace/trace.js';
import { pm1StsLatched, pmTimerCalcOverflow } from './pm-timer.js';
import { updateSci } from './sci.js';
import { PWRBTN_EN, PWRBTN_STS, RTC_EN, RTC_STS, TMR_EN, TMR_STS, WAK_STS, type AcpiPm, type AcpiWakeupReason } from './pm-regs.js';

export const tr = {
  writeSts: defineEvent('acpi', 'acpi_pm1_evt_write_sts', (a: { val: number; sts: number }) =>
    `val 0x${hex(a.val, 4)} <== sts now 0x${hex(a.sts, 4)}`),
  writeEn: defineEvent('acpi', 'acpi_pm1_evt_write_en', (a: { val: number }) => `val 0x${hex(a.val, 4)}`),
  powerDown: defineEvent('acpi', 'acpi_pm1_evt_power_down', (a: { latched: boolean; en: number }) =>
    a.latched ? 'PWRBTN_STS set' : `press lost: PWRBTN_EN clear (en 0x${hex(a.en, 4)})`),
  wakeup: defineEvent('acpi', 'acpi_notify_wakeup', (a: { reason: string; sts: number }) => `${a.reason}: sts 0x${hex(a.sts, 4)}`),
};

/** W1C; clearing a set TMR_STS recomputes the overflow point (`acpi_pm1_evt_write_sts`). */
export function pm1StsWrite(pm: AcpiPm, val: number): void {
  const sts = pm1StsLatched(pm);
  if (sts & val & TMR_STS) pmTimerCalcOverflow(pm);
  pm.regs.pm1.sts = sts & ~val & 0xffff;
  if (pm.trace.on(tr.writeSts)) pm.trace.emit(tr.writeSts, { val, sts: pm.regs.pm1.sts });
}

/** All 16 bits stored unmasked; RTC_EN and TMR_EN arm those wakeup reasons (`acpi_pm1_evt_write_en`). */
export function pm1EnWrite(pm: AcpiPm, val: number): void {
  pm.regs.pm1.en = val & 0xffff;
  if (pm.trace.on(tr.writeEn)) pm.trace.emit(tr.writeEn, { val });
  // qemu_system_wakeup_enable only sets or clears a mask bit: tell the board when RTC_EN or TMR_EN changes, not
  // on every write (an OSPM polling loop rewrites PM1_EN all the time)
  const arm = val & (RTC_EN | TMR_EN);
  if (arm === pm.wakeArmed) return;
  pm.wakeArmed = arm;
  pm.hooks.wakeupEnable('rtc', (val & RTC_EN) !== 0);
  pm.hooks.wakeupEnable('pmtimer', (val & TMR_EN) !== 0);
}

/** `acpi_pm1_evt_reset`. */
export function pm1EvtReset(pm: AcpiPm): void {
  pm.regs.pm1.sts = 0;
  pm.regs.pm1.en = 0;
  pm.wakeArmed = 0;
  pm.hooks.wakeupEnable('rtc', false);
  pm.hooks.wakeupEnable('pmtimer', false);
}

/**
 * Power button (`acpi_pm1_evt_power_down`): PWRBTN_STS is set only if
 * PWRBTN_EN is set; otherwise the press is lost (real hardware would latch it).
 * Returns whether the press was latched.
 */
export function pm1PowerButton(pm: AcpiPm): boolean {
  const latched = (pm.regs.pm1.en & PWRBTN_EN) !== 0;
  if (pm.trace.on(tr.powerDown)) pm.trace.emit(tr.powerDown, { latched, en: pm.regs.pm1.en });
  if (latched) {
    pm.regs.pm1.sts |= PWRBTN_STS;
    updateSci(pm);
  }
  return latched;
}

/**
 * Wakeup notifier (`acpi_notify_wakeup`): RTC → WAK|RTC_STS, PM timer →
 * WAK|TMR_STS, anything else → WAK|PWRBTN_STS ("resume was caused by the
 * power button"). No SCI re-evaluation, as in QEMU.
 */
export function pm1NotifyWakeup(pm: AcpiPm, reason: AcpiWakeupReason | 'none'): void {
  const r = pm.regs.pm1;
  if (reason === 'rtc') r.sts |= WAK_STS | RTC_STS;
  else if (reason === 'pmtimer') r.sts |= WAK_STS | TMR_STS;
  else if (reason === 'other') r.sts |= WAK_STS | PWRBTN_STS;
  if (pm.trace.on(tr.wakeup)) pm.trace.emit(tr.wakeup, { reason, sts: r.sts });
}

/**
 * `acpi-evt`: valid 1..2, impl min 2. Offsets 1 and 3 read 0 and ignore
 * writes; a byte write at +2 replaces all of EN; dword access is invalid.
 */
export const pm1EvtOps: RegionOps<AcpiPm> = {
  name: 'acpi-evt',
  size: 4,
  valid: { min: 1, max: 2 },
  impl: { min: 2, max: 2 },
  read: (pm, off) => (off === 0 ? pm1StsLatched(pm) : off === 2 ? pm.regs.pm1.en : 0),
  write: (pm, off, val) => {
    if (off === 0) {
      pm1StsWrite(pm, val);
      updateSci(pm);
    } else if (off === 2) {
      pm1EnWrite(pm, val);
      updateSci(pm);
    }
  },
};
