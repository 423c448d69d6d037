// x87 error reporting with CR0.NE=0 on the PC machine: an unmasked exception pending at the next waiting x87
// instruction drives FERR#, which the chipset routes to IRQ 13 (QEMU hw/i386/pc.c: x86_register_ferr_irq(IRQ 13),
// fpu_raise_exception -> cpu_set_ferr); a write to port 0xF0 lowers it and asserts IGNNE# (ioportF0_write), so
// the handler's return does not fault again until FNCLEX/FNINIT clear the error.
import { describe, expect, it } from 'vitest';
import { PcSystem } from '../../src/machine/pc-system.js';

// 16-bit real mode at 0000:7C00 (nasm; source in the comments):
const PROGRAM = [
  'fa31c08ed88ed0bc0070', //          cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7000
  'b011e620e6a0b008e621b070e6a1b004e621b002e6a1b001e621e6a1', // 8259 pair: ICW1-4, bases 0x08 / 0x70
  'b0fbe621b0dfe6a1', //               unmask master IRQ 2 (cascade) and slave IRQ 5 (= IRQ 13)
  'c706d4016a7cc706d6010000', //       IVT[0x75] = 0000:handler
  'c606000500', //                     mov byte [0x500], 0       ; interrupt count
  'dbe3c70602057b03d92e0205', //       fninit; mov word [0x502], 0x037b; fldcw [0x502]   ; ZE unmasked
  'd9e8d9eedef9', //                   fld1; fldz; fdivp st1, st0  ; ZE: ES set, FERR# not yet
  'fbd9e890', //                       sti; fld1 (waiting: FERR# -> IRQ 13); nop
  'a00005a20105', //                   mov al,[0x500]; mov [0x501],al
  'd9e890', //                         fld1 (IGNNE# set by the handler: no second interrupt); nop
  'dbe2', //                           fnclex (clears the error and IGNNE#)
  'd9e8d9eedef99b90', //               fld1; fldz; fdivp st1, st0; fwait (-> IRQ 13 again); nop
  'faf4', //                           cli; hlt
  'fe060005e6f0b020e6a0e620cf', //     handler: inc byte [0x500]; out 0xf0, al; EOI slave, master; iret
].join('');

describe('x87 FERR# -> IRQ 13 with CR0.NE=0, port 0xF0 acknowledges', () => {
  it('raises IRQ 13 once per error, IGNNE# after the 0xF0 write, cleared by FNCLEX', () => {
    const sys = new PcSystem({ memoryMiB: 2, debugcon: [] });
    sys.powerOn();
    const bytes = PROGRAM.match(/../g)!.map((h) => parseInt(h, 16));
    sys.mem.ram.set(bytes, 0x7c00);
    sys.cpu.setReg('cs', 0);
    sys.cpu.setReg('eip', 0x7c00);
    sys.cpu.invalidateCode();
    sys.cpu.lapic.write(0x350, 0x700, 4); // LINT0 = ExtINT, unmasked: the 8259 reaches the CPU (SeaBIOS smp.c)
    expect(sys.cpu.getReg('cr0') & 0x20).toBe(0); // NE=0 after reset
    const irqs: boolean[] = [];
    const onFerr = sys.cpu.fpu.onFerr!;
    sys.cpu.fpu.onFerr = (level) => { irqs.push(level); onFerr(level); };
    sys.machine.start();
    sys.run(100_000);
    expect(sys.mem.ram[0x501]).toBe(1); // the first error was taken before the second fld1
    expect(sys.mem.ram[0x500]).toBe(2); // ... and the one after FNCLEX
    expect(irqs).toEqual([true, false, true, false]); // raised by the waiting instruction, lowered by out 0xF0
    expect(sys.cpu.fpu.ferr).toBe(false);
    expect(sys.machine.pic.intr()).toBe(false);
  });
});
