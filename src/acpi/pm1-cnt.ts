/**
 * PM1 control `acpi-cnt` (+4): QEMU hw/acpi/core.c `acpi_pm_cnt_read/write`,
 * `acpi_pm1_cnt_write`, `acpi_pm1_cnt_update`, `acpi_pm1_cnt_reset`.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex } from '../trace/trace.js';
import { SCI_EN, SLP_EN, SLP_TYP_SHIFT, PM1_CNT_OFFSET, type AcpiPm } from './pm-regs.js';
import { decodeSleep } from './sleep-decode.js';

export const tr = {
  write: defineEvent('acpi', 'acpi_pm1_cnt_write', (a: { val: number; typ: number; slpEn: boolean; sleep: string }) =>
    `val 0x${hex(a.val, 4)} <== typ ${a.typ}${a.slpEn ? ` SLP_EN -> ${a.sleep}` : ''}`),
  sciEn: defineEvent('acpi', 'acpi_pm1_cnt_update', (a: { enable: boolean; ignored: boolean }) =>
    `${a.enable ? 'ACPI_ENABLE' : 'ACPI_DISABLE'}${a.ignored ? ' ignored (ACPI-only chip)' : ''}`),
};

/**
 * Store the value without SLP_EN; with SLP_EN, decode SLP_TYP through the
 * board policy and hand a sleep request to the board. SLP_TYP values the
 * policy does not know are stored and do nothing.
 */
export function pm1CntWrite(pm: AcpiPm, val: number, port: number): void {
  val &= 0xffff;
  pm.regs.pm1.cnt = val & ~SLP_EN;
  const d = decodeSleep(val, pm.policy);
  if (pm.trace.on(tr.write)) {
    pm.trace.emit(tr.write, { val, typ: (val >>> SLP_TYP_SHIFT) & 7, slpEn: (val & SLP_EN) !== 0, sleep: d.kind === 'sleep' ? d.state : 'none' });
  }
  if (d.kind === 'sleep') pm.hooks.sleep(d, val, port);
}

/** APM ACPI_ENABLE/ACPI_DISABLE (`acpi_pm1_cnt_update`): no effect on an ACPI-only chip. */
export function pm1CntUpdate(pm: AcpiPm, sciEnable: boolean, sciDisable: boolean): void {
  if (!sciEnable && !sciDisable) return;
  if (pm.trace.on(tr.sciEn)) pm.trace.emit(tr.sciEn, { enable: sciEnable, ignored: pm.acpiOnly });
  if (pm.acpiOnly) return;
  if (sciEnable) pm.regs.pm1.cnt |= SCI_EN;
  else pm.regs.pm1.cnt &= ~SCI_EN;
}

/** cnt = 0, then SCI_EN if the chip is ACPI-only. */
export function pm1CntReset(pm: AcpiPm): void {
  pm.regs.pm1.cnt = pm.acpiOnly ? SCI_EN : 0;
}

/**
 * `acpi-cnt`: valid 1..2, impl min 2. A read returns cnt >> 8*offset. A byte
 * write at +1 is merged with the stored low byte (QEMU 8.1+, "hw/acpi: Fix PM
 * control register access"), so `outb 0x20 → +5` triggers S5; a byte write
 * at +0 arrives widened with a zero high byte and can never trigger.
 */
export const pm1CntOps: RegionOps<AcpiPm> = {
  name: 'acpi-cnt',
  size: 2,
  valid: { min: 1, max: 2 },
  impl: { min: 2, max: 2 },
  read: (pm, off) => pm.regs.pm1.cnt >>> (off * 8),
  write: (pm, off, val) => {
    const v = off === 1 ? ((val << 8) | (pm.regs.pm1.cnt & 0xff)) : val;
    pm1CntWrite(pm, v, pm.io.base + PM1_CNT_OFFSET + off);
  },
};
