/**
 * A minimal local APIC, as QEMU's `pc` machine has one (hw/intc/apic.c):
 * a register file at 0xFEE00000 with the reset values QEMU uses, and the one
 * decision that matters here: whether the 8259's INTR reaches the CPU.
 *
 * Choice (qemu-pm.md §13): after reset LVT LINT0 = LINT1 = 0x00010000
 * (masked) and SVR = 0xFF, so PIC interrupts are blocked until the guest
 * programs LINT0 as ExtINT (delivery mode 7, 0x700) and unmasked, or clears
 * IA32_APIC_BASE bit 11 (APIC globally disabled). No APIC timer, no IPIs.
 */
import type { MmioOps } from '../memory/phys-memory.js';

export const APIC_BASE_MSR = 0x1b;
export const APIC_BASE_RESET = 0xfee00900; // base 0xFEE00000 | BSP (bit 8) | enable (bit 11)
const LVT_MASKED = 0x10000;

export class LocalApic implements MmioOps {
  /** IA32_APIC_BASE */
  baseMsr = APIC_BASE_RESET;
  /** 32-bit registers at offsets 0x000-0x3F0, indexed offset >> 4 */
  readonly regs = new Uint32Array(64);
  /**
   * After a guest write to a register: the CPU looks at INTR again, since LINT0 or SVR may have opened the gate (QEMU
   * hw/intc/apic.c apic_mem_write: an LVT write calls apic_update_irq, which raises CPU_INTERRUPT_HARD at once).
   */
  onWrite: (() => void) | null = null;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.baseMsr = APIC_BASE_RESET;
    this.regs.fill(0);
    this.regs[0x030 >> 4] = 0x00050014; // version 0x14, max LVT 5 (QEMU apic_mem_read)
    this.regs[0x0e0 >> 4] = 0xffffffff; // DFR
    this.regs[0x0f0 >> 4] = 0xff; // SVR
    for (const off of [0x320, 0x330, 0x340, 0x350, 0x360, 0x370]) this.regs[off >> 4] = LVT_MASKED;
  }

  get lint0(): number { return this.regs[0x350 >> 4]!; }

  /** May the 8259's INTR reach the CPU? (QEMU apic_accept_pic_intr + ExtINT delivery) */
  acceptsPicIntr(): boolean {
    if ((this.baseMsr & 0x800) === 0) return true;
    const l = this.lint0;
    return (l & LVT_MASKED) === 0 && ((l >> 8) & 7) === 7;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    const v = this.regs[(offset >> 4) & 63]!;
    return size === 4 ? v : (v >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, value: number, size: 1 | 2 | 4): void {
    if (size !== 4 || (offset & 0xf) !== 0) return; // the APIC decodes only aligned dwords
    const i = offset >> 4;
    // read-only: ID is writable on QEMU; version, ISR/TMR/IRR, current count are not
    if (i === 3 || (i >= 0x10 && i < 0x28) || i === 0x39) return;
    if (i === 0xb) return; // EOI: nothing in service here
    this.regs[i] = value >>> 0;
    this.onWrite?.();
  }
}
