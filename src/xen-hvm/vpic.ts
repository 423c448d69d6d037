/**
 * Xen's virtual PIC for an HVM domain (xen/arch/x86/hvm/vpic.c): the two
 * 8259s at 0x20/0xA0 and the ELCR at 0x4D0/0x4D1 are emulated inside the
 * hypervisor, not by the device model, and the SCI from Xen's pmtimer is
 * IRQ 9. The chip logic is src/piix4's DualPic (QEMU i8259 semantics).
 */
import { DualPic, elcrOps, picOps } from '../piix4/i8259.js';
import type { Trace } from '../trace/trace.js';
import type { HvmIo } from './hvm-io.js';
import { SCI_IRQ } from './pmtimer.js';

export function attachVpic(io: HvmIo, trace: Trace): DualPic {
  const pic = new DualPic(trace);
  io.addIntercept(0x20, 2, picOps, { pic, chip: pic.master });
  io.addIntercept(0xa0, 2, picOps, { pic, chip: pic.slave });
  io.addIntercept(0x4d0, 1, elcrOps, pic.master);
  io.addIntercept(0x4d1, 1, elcrOps, pic.slave);
  return pic;
}

/** pmt_update_sci: hvm_isa_irq_assert/deassert(d, SCI_IRQ). */
export function sciToVpic(pic: DualPic, level: boolean): void {
  pic.setIrq(SCI_IRQ, level);
}
