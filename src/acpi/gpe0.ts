/**
 * GPE0 block: STS bytes (W1C) then EN bytes (stored), one SCI re-evaluation
 * per byte (QEMU hw/acpi/core.c `acpi_gpe_ioport_readb/writeb`,
 * hw/acpi/piix4.c `piix4_gpe_ops`: valid 1..4, impl 1..1).
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex } from '../trace/trace.js';
import { updateSci } from './sci.js';
import type { AcpiPm } from './pm-regs.js';

export const tr = {
  write: defineEvent('acpi', 'acpi_gpe_writeb', (a: { addr: number; val: number }) => `addr 0x${hex(a.addr)} <== 0x${hex(a.val, 2)}`),
  send: defineEvent('acpi', 'acpi_send_gpe_event', (a: { bits: number }) => `GPE0 sts |= 0x${hex(a.bits, 2)}`),
};

export function gpeReadb(pm: AcpiPm, addr: number): number {
  const half = pm.regs.gpe.sts.length;
  if (addr < half) return pm.regs.gpe.sts[addr]!;
  if (addr < half * 2) return pm.regs.gpe.en[addr - half]!;
  return 0;
}

export function gpeWriteb(pm: AcpiPm, addr: number, val: number): void {
  const half = pm.regs.gpe.sts.length;
  if (pm.trace.on(tr.write)) pm.trace.emit(tr.write, { addr, val });
  if (addr < half) pm.regs.gpe.sts[addr] = pm.regs.gpe.sts[addr]! & ~val;
  else if (addr < half * 2) pm.regs.gpe.en[addr - half] = val;
}

export function gpeReset(pm: AcpiPm): void {
  pm.regs.gpe.sts.fill(0);
  pm.regs.gpe.en.fill(0);
}

/** `acpi_send_gpe_event`: OR bits into STS byte 0 and re-evaluate the SCI (hotplug uses bits 1-3). */
export function gpeSendEvent(pm: AcpiPm, bits: number): void {
  if (pm.trace.on(tr.send)) pm.trace.emit(tr.send, { bits });
  pm.regs.gpe.sts[0] = pm.regs.gpe.sts[0]! | (bits & 0xff);
  updateSci(pm);
}

/** Build the ops for a GPE0 block of `len` bytes (PIIX4: 4). */
export function gpe0Ops(len: number): RegionOps<AcpiPm> {
  return {
    name: 'acpi-gpe0',
    size: len,
    valid: { min: 1, max: 4 },
    impl: { min: 1, max: 1 },
    read: (pm, off) => gpeReadb(pm, off),
    write: (pm, off, val) => {
      gpeWriteb(pm, off, val);
      updateSci(pm);
    },
  };
}
