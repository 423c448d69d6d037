/**
 * Port 0xF0, the PC's coprocessor-error latch (QEMU hw/i386/pc.c `ioportF0_write`): a write lowers FERR#
 * (IRQ 13) and asserts IGNNE#, so an x87 error reported through IRQ 13 with CR0.NE=0 can be acknowledged and the
 * next x87 instruction goes on. Reads return all-ones (`ioportF0_read`).
 */
import type { RegionOps } from '../ioports/region.js';

export const FERR_LATCH_PORT = 0xf0;
/** ISA IRQ of FERR# on a PC (QEMU hw/i386/pc.c: `x86_register_ferr_irq(isa_get_irq(NULL, 13))`). */
export const FERR_IRQ = 13;

export interface FerrLatch {
  /** the CPU side: lower FERR# and set IGNNE# (machine wiring; null when no CPU is attached) */
  clear: (() => void) | null;
}

export const ioportF0Ops: RegionOps<FerrLatch> = {
  name: 'ioportF0',
  size: 1,
  impl: { min: 1, max: 1 },
  read: () => 0xff,
  write: (s) => { s.clear?.(); },
};
