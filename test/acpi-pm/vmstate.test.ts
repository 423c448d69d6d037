// The vmstate-like descriptors list what is device state: a snapshot taken
// from one machine and loaded into a fresh one reproduces the guest-visible
// registers (QEMU vmstate_acpi / vmstate_i8259 idea).
import { describe, expect, it } from 'vitest';
import { acpiRegsVmState, acpiSendGpe, vmstateLoad, vmstateSave } from '../../src/acpi/index.js';
import { picVmState } from '../../src/piix4/index.js';
import { qtestMachine } from '../../src/machine/qtest.js';

describe('vmstate descriptors', () => {
  it('ACPI registers round-trip through a snapshot', () => {
    const a = qtestMachine({ pmBase: 0x600 });
    a.outw(0x600, 0x0001);
    a.outw(0x602, 0x0521);
    a.outw(0x604, 0x1c01);
    a.outb(0xafe2, 0x0c);
    acpiSendGpe(a.machine.pm, 0x04);
    const snap = JSON.parse(JSON.stringify(vmstateSave(acpiRegsVmState, a.machine.pm.regs)));
    expect(snap.fields).toMatchObject({ 'pm1.en': 0x0521, 'pm1.cnt': 0x1c01, 'gpe.sts': [0x04, 0], 'gpe.en': [0x0c, 0] });
    const b = qtestMachine({ pmBase: 0x600 });
    vmstateLoad(acpiRegsVmState, b.machine.pm.regs, snap);
    for (const port of [0x602, 0x604]) expect(b.inw(port)).toBe(a.inw(port));
    expect(b.inl(0xafe0)).toBe(a.inl(0xafe0));
  });

  it('a snapshot of another device or version is refused with a clear error', () => {
    const a = qtestMachine();
    const snap = vmstateSave(picVmState, a.machine.pic.master);
    expect(() => vmstateLoad(acpiRegsVmState, a.machine.pm.regs, snap)).toThrow(/i8259 v1 does not match acpi_regs v1/);
    const bad = { ...vmstateSave(acpiRegsVmState, a.machine.pm.regs), version: 9 };
    expect(() => vmstateLoad(acpiRegsVmState, a.machine.pm.regs, bad)).toThrow(/does not match/);
  });

  it('every PIC descriptor field exists in the state object (the list documents real state)', () => {
    const a = qtestMachine();
    a.outb(0x20, 0x11); a.outb(0x21, 0x08); a.outb(0x21, 0x04); a.outb(0x21, 0x01); a.outb(0x21, 0xfe);
    const s = vmstateSave(picVmState, a.machine.pic.master);
    expect(s.fields).toMatchObject({ imr: 0xfe, irqBase: 0x08, initState: 0 });
    expect(Object.keys(s.fields)).toEqual([...picVmState.fields]);
  });
});
