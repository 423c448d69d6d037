/** SCI evaluation (QEMU hw/acpi/core.c `acpi_update_sci`). */
import { pm1StsLatched, pmTimerArm } from './pm-timer.js';
import { defineEvent } from '../trace/trace.js';
import { SCI_SOURCES, TMR_EN, TMR_STS, type AcpiPm } from './pm-regs.js';

export const tr = {
  sci: defineEvent('acpi', 'acpi_update_sci', (a: { level: boolean; sts: number; en: number; gpe: number }) =>
    `SCI ${a.level ? 'raised' : 'lowered'} (sts 0x${a.sts.toString(16)} en 0x${a.en.toString(16)} gpe 0x${a.gpe.toString(16)})`),
};

/**
 * SCI level = (PM1_STS & PM1_EN & 0x0521) || (GPE STS0 & GPE EN0). SCI_EN is
 * not consulted (observed on QEMU: SCI_EN = 0 still raises IRQ 9). Then the
 * overflow timer is armed iff TMR_EN is set and TMR_STS is clear.
 */
export function updateSci(pm: AcpiPm): void {
  const sts = pm1StsLatched(pm);
  const en = pm.regs.pm1.en;
  const gpe = pm.regs.gpe.sts[0]! & pm.regs.gpe.en[0]!;
  const level = (sts & en & SCI_SOURCES) !== 0 || gpe !== 0;
  if (level !== pm.sciLevel && pm.trace.on(tr.sci)) pm.trace.emit(tr.sci, { level, sts, en, gpe });
  pm.sciLevel = level;
  pm.hooks.setSci(level);
  pmTimerArm(pm, (en & TMR_EN) !== 0 && (sts & TMR_STS) === 0);
}
