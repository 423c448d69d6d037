/**
 * PIIX4 PM, PCI function 00:01.3 (QEMU hw/acpi/piix4.c): config registers,
 * the PM I/O window (PMBA 0x40, PMREGMISC 0x80) moved in one atomic remap,
 * the APM callback (0xF1/0xF0 → SCI_EN), the power button and reset.
 */
import { acpiPmReset, acpiPowerButton, acpiSciEnableUpdate } from '../acpi/acpi-pm.js';
import type { AcpiPm } from '../acpi/pm-regs.js';
import { PortBusError, type PortBus } from '../ioports/port-bus.js';
import { defineEvent, hex } from '../trace/trace.js';
import { ACPI_DISABLE, ACPI_ENABLE } from './apm.js';
import { newPciFunction, pciDevfn, touches, type PciFunction } from './pci-device.js';

export const PIIX4_PM_DEVFN = pciDevfn(1, 3);
export const PMBA = 0x40;
export const PMREGMISC = 0x80;
export const SMBBA = 0x90;
export const SMBHSTCFG = 0xd2;
export const DEVACTB = 0x58;

export const tr = {
  ioSpace: defineEvent('piix4', 'piix4_pm_io_space_update', (a: { base: number; enabled: boolean }) =>
    a.enabled ? `PM block at 0x${hex(a.base, 4)}` : `PM block unmapped (base 0x${hex(a.base, 4)})`),
  conflict: defineEvent('piix4', 'piix4_pm_io_conflict', (a: { base: number; error: string }) =>
    `PM block at 0x${hex(a.base, 4)} cannot be mapped, left disabled: ${a.error}`),
  smbus: defineEvent('piix4', 'piix4_smbus_io_space_update', (a: { base: number; enabled: boolean }) =>
    `SMBus window ${a.enabled ? `at 0x${hex(a.base, 4)}` : 'disabled'} (no SMBus controller modelled)`),
  smi: defineEvent('piix4', 'piix4_apm_smi', (a: { val: number; raised: boolean }) =>
    `APM command 0x${hex(a.val, 2)}: ${a.raised ? 'SMI raised' : 'no SMI (DEVACTB bit 25 clear or no SMI line)'}`),
};

export interface Piix4PmOptions {
  /** SMM enabled (QEMU pc default on TCG). false = "ACPI-only": SCI_EN from reset, 0xF0/0xF1 ignored, 0x5B = 0x02. */
  smm: boolean;
  /** SMBus base before firmware moves it (QEMU pc sets smb_io_base = 0xb100). */
  smbIoBase?: number;
  /** Ports present for `piix4_pm_machine_ready` (0x5F/0x67): LPT at 0x378, COM1 at 0x3F8, COM2 at 0x2F8. */
  lpt378?: boolean;
  com1?: boolean;
  com2?: boolean;
  /** Raise an SMI (only called if DEVACTB bit 1 of 0x5B is set). */
  smi?: () => void;
}

export interface Piix4Pm {
  readonly pci: PciFunction;
  readonly acpi: AcpiPm;
  readonly bus: PortBus;
  readonly smm: boolean;
  /** Current window, as last applied. */
  readonly window: { base: number; enabled: boolean };
  reset(): void;
  /** `piix4_pm_powerdown_req`: returns whether PWRBTN_STS was latched. */
  powerButton(): boolean;
  /** The APM 0xB2 callback (`apm_ctrl_changed`). */
  apmCtrlChanged(val: number): void;
}

export function createPiix4Pm(bus: PortBus, acpi: AcpiPm, opts: Piix4PmOptions): Piix4Pm {
  const d = newPciFunction('PIIX4_PM', PIIX4_PM_DEVFN, {
    vendor: 0x8086, device: 0x7113, revision: 0x03, classCode: 0x0680, interruptPin: 0x01,
  });
  const c = d.config;
  c[0x06] = 0x80; // status: fast back-to-back
  c[0x07] = 0x02; // devsel medium
  c[PMBA] = 0x01; // I/O space indicator
  const smb = opts.smbIoBase ?? 0xb100;
  c[SMBBA] = (smb & 0xff) | 1;
  c[SMBBA + 1] = (smb >> 8) & 0xff;
  c[SMBHSTCFG] = 0x09;
  // piix4_pm_machine_ready: ISA device resource enables.
  c[0x5f] = 0x10 | (opts.lpt378 ?? true ? 0x80 : 0);
  c[0x63] = 0x60;
  c[0x67] = (opts.com1 ?? true ? 0x08 : 0) | (opts.com2 ?? false ? 0x90 : 0);

  const window = { base: 0, enabled: false };
  // The block is mapped once, disabled, at 0; from then on it only moves (QEMU piix4_pm_realize).
  // Priority 1: in QEMU the PIIX4 PM container is added after the fixed ISA devices and an
  // equal-priority subregion added later wins; acpidm's bus needs that said explicitly.
  bus.map(acpi.io, 0, { enabled: false, priority: 1 });

  /** `pm_io_space_update`: one atomic step, so the block appears, moves or disappears at once. */
  const ioSpaceUpdate = (): void => {
    const base = ((c[PMBA]! | (c[PMBA + 1]! << 8)) & 0xffc0) >>> 0;
    const enabled = (c[PMREGMISC]! & 1) !== 0;
    // Traced only when what the guest can see changes: an unmapped block that stays unmapped (a new PMBA
    // before PMREGMISC enables it) is not news.
    const visibleChange = enabled !== window.enabled || (enabled && base !== window.base);
    try {
      bus.remap(acpi.io, { base, enabled });
      window.base = base;
      window.enabled = enabled;
    } catch (e) {
      // A guest that puts the block over another device must not crash the host.
      if (!(e instanceof PortBusError)) throw e;
      bus.remap(acpi.io, { enabled: false });
      window.enabled = false;
      if (bus.trace.on(tr.conflict)) bus.trace.emit(tr.conflict, { base, error: e.message });
      return;
    }
    if (visibleChange && bus.trace.on(tr.ioSpace)) bus.trace.emit(tr.ioSpace, { base, enabled });
  };
  const smbusUpdate = (): void => {
    const base = (c[SMBBA]! | (c[SMBBA + 1]! << 8)) & 0xffc0;
    if (bus.trace.on(tr.smbus)) bus.trace.emit(tr.smbus, { base, enabled: (c[SMBHSTCFG]! & 1) !== 0 });
  };
  // pm_write_config: touching 0x40-0x43 or 0x80 re-evaluates the PM window; 0x90-0x93 or 0xD2 the SMBus one.
  d.afterWrite = (addr, len) => {
    if (touches(addr, len, PMREGMISC) || touches(addr, len, PMBA, 4)) ioSpaceUpdate();
    if (touches(addr, len, SMBHSTCFG) || touches(addr, len, SMBBA, 4)) smbusUpdate();
  };
  // piix4_pm_reset: DEVACTB 0x58-0x5B cleared (0x5B = 0x02 without SMM), only byte 0x40 and 0x80 reset.
  d.reset = () => {
    c[0x58] = 0;
    c[0x59] = 0;
    c[0x5a] = 0;
    c[0x5b] = opts.smm ? 0 : 0x02; // "SMM already initialised"
    c[PMBA] = 0x01;
    c[PMREGMISC] = 0;
    acpiPmReset(acpi);
    ioSpaceUpdate();
  };

  const pm: Piix4Pm = {
    pci: d,
    acpi,
    bus,
    smm: opts.smm,
    window,
    reset: () => d.reset!(),
    powerButton: () => acpiPowerButton(acpi),
    apmCtrlChanged: (val) => {
      // ACPI specs 3.0, 4.7.2.5
      acpiSciEnableUpdate(acpi, val === ACPI_ENABLE, val === ACPI_DISABLE);
      if (val === ACPI_ENABLE || val === ACPI_DISABLE) return;
      const raised = (c[0x5b]! & 0x02) !== 0 && opts.smi !== undefined;
      if (bus.trace.on(tr.smi)) bus.trace.emit(tr.smi, { val, raised });
      if (raised) opts.smi!();
    },
  };
  pm.reset();
  return pm;
}
