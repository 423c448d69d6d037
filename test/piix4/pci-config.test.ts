// PCI configuration mechanism #1 and the PIIX4 PM window
// (QEMU hw/pci/pci_host.c, hw/acpi/piix4.c pm_write_config / pm_io_space_update / piix4_pm_reset;
// observed reset values in qemu-pm.md §1.1).
import { describe, expect, it } from 'vitest';
import { PortRegion } from '../../src/ioports/index.js';
import { qtestMachine } from '../../src/machine/qtest.js';

const PM_FN = (1 << 3) | 3;

describe('identity of the pc machine functions', () => {
  it.each([
    ['i440FX host 00:00.0', 0x00, 0x12378086, 0x06000002],
    ['PIIX3 ISA 00:01.0', 0x08, 0x70008086, 0x06010000],
    ['PIIX IDE 00:01.1', 0x09, 0x70108086, 0x01018000],
    ['PIIX4 PM 00:01.3', PM_FN, 0x71138086, 0x06800003],
  ])('%s', (_n, devfn, id, classRev) => {
    const q = qtestMachine();
    expect(q.pciConfigRead(devfn, 0x00)).toBe(id);
    expect(q.pciConfigRead(devfn, 0x08)).toBe(classRev);
  });

  it('PIIX4 PM: status 0x0280, interrupt pin 1, PMBA 1, PMREGMISC 0, SMBus base 0xB101 and SMBHSTCFG 0x09', () => {
    const q = qtestMachine();
    expect(q.pciConfigRead(PM_FN, 0x06, 2)).toBe(0x0280);
    expect(q.pciConfigRead(PM_FN, 0x3d, 1)).toBe(0x01);
    expect(q.pciConfigRead(PM_FN, 0x40)).toBe(0x00000001);
    expect(q.pciConfigRead(PM_FN, 0x80)).toBe(0x00000000);
    expect(q.pciConfigRead(PM_FN, 0x90)).toBe(0x0000b101);
    expect(q.pciConfigRead(PM_FN, 0xd2, 1)).toBe(0x09);
  });

  it('machine-ready registers: 0x5F = 0x90 (LPT at 0x378), 0x63 = 0x60, 0x67 = 0x08 (COM1)', () => {
    const q = qtestMachine();
    expect(q.pciConfigRead(PM_FN, 0x5f, 1)).toBe(0x90);
    expect(q.pciConfigRead(PM_FN, 0x63, 1)).toBe(0x60);
    expect(q.pciConfigRead(PM_FN, 0x67, 1)).toBe(0x08);
    const q2 = qtestMachine({ lpt378: false, com1: true, com2: true });
    expect(q2.pciConfigRead(PM_FN, 0x5f, 1)).toBe(0x10);
    expect(q2.pciConfigRead(PM_FN, 0x67, 1)).toBe(0x98);
  });

  it('DEVACTB 0x5B = 0x02 when SMM is off ("SMM already initialised"), 0 with SMM', () => {
    expect(qtestMachine().pciConfigRead(PM_FN, 0x58)).toBe(0);
    expect(qtestMachine({ smm: false }).pciConfigRead(PM_FN, 0x58)).toBe(0x02000000);
  });
});

describe('mechanism #1 details', () => {
  it('byte, word and dword data accesses at 0xCFC-0xCFF pick bytes of the register', () => {
    const q = qtestMachine();
    q.outl(0xcf8, 0x80000000);
    expect(q.inb(0xcfc)).toBe(0x86);
    expect(q.inb(0xcfd)).toBe(0x80);
    expect(q.inb(0xcfe)).toBe(0x37);
    expect(q.inb(0xcff)).toBe(0x12);
    expect(q.inw(0xcfe)).toBe(0x1237);
  });

  it('the address register holds the last dword written; byte/word writes to it are ignored', () => {
    const q = qtestMachine();
    q.outl(0xcf8, 0x80000b40);
    q.outb(0xcf8, 0x00);
    q.outw(0xcfa, 0x0000);
    expect(q.inl(0xcf8)).toBe(0x80000b40);
  });

  it('an empty slot reads all-ones; with bit 31 clear the data port reads all-ones', () => {
    const q = qtestMachine();
    expect(q.pciConfigRead((5 << 3) | 0, 0x00)).toBe(0xffffffff);
    expect(q.pciConfigRead((1 << 3) | 4, 0x00, 2)).toBe(0xffff);
    q.outl(0xcf8, 0x00000000);
    expect(q.inl(0xcfc)).toBe(0xffffffff);
    q.outl(0xcf8, 0x80010000); // bus 1
    expect(q.inl(0xcfc)).toBe(0xffffffff);
  });

  it('an unknown register of a present device reads 0; read-only header registers ignore writes', () => {
    const q = qtestMachine();
    expect(q.pciConfigRead(PM_FN, 0xf0)).toBe(0);
    q.pciConfigWrite(PM_FN, 0x00, 0x12345678);
    q.pciConfigWrite(PM_FN, 0x08, 0xffffffff);
    expect(q.pciConfigRead(PM_FN, 0x00)).toBe(0x71138086);
    expect(q.pciConfigRead(PM_FN, 0x08)).toBe(0x06800003);
    q.pciConfigWrite(0x00, 0x00, 0); // host bridge id stays
    expect(q.pciConfigRead(0x00, 0x00)).toBe(0x12378086);
    // writes to an empty slot are dropped without error
    q.pciConfigWrite((7 << 3), 0x40, 0x1234);
    expect(q.pciConfigRead((7 << 3), 0x40)).toBe(0xffffffff);
  });

  it('interrupt line (0x3C) and registers from 0x40 up are writable', () => {
    const q = qtestMachine();
    q.pciConfigWrite(PM_FN, 0x3c, 9, 1);
    expect(q.pciConfigRead(PM_FN, 0x3c, 1)).toBe(9);
    q.pciConfigWrite(0x08, 0x60, 0x0b, 1); // PIRQA route on PIIX3
    expect(q.pciConfigRead(0x08, 0x60)).toBe(0x8080800b);
  });
});

describe('PMBA / PMREGMISC: the PM block appears, moves and disappears atomically', () => {
  it('after reset no device answers at the PM ports until PMBA and PMREGMISC bit 0 are set', () => {
    const q = qtestMachine();
    expect(q.inw(0x600)).toBe(0xffff);
    q.pciConfigWrite(PM_FN, 0x40, 0x601);
    expect(q.inw(0x600)).toBe(0xffff); // still disabled
    q.pciConfigWrite(PM_FN, 0x80, 1, 1);
    expect(q.inw(0x600)).toBe(0x0001); // PM1_STS with TMR_STS
    expect(q.inw(0x604)).toBe(0x0000);
  });

  it('moving PMBA moves the whole block; writes to the old place are dropped', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.outw(0x602, 0x0100);
    q.pciConfigWrite(PM_FN, 0x40, 0xb001);
    expect(q.inw(0x602)).toBe(0xffff);
    expect(q.inw(0xb002)).toBe(0x0100);
    q.outw(0x604, 0x2000); // old PM1_CNT: nothing there any more
    expect(q.events()).toEqual([]);
    expect(q.machine.piix4.window).toEqual({ base: 0xb000, enabled: true });
  });

  it('PMBA is masked to 64-byte alignment (& 0xFFC0)', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.pciConfigWrite(PM_FN, 0x40, 0x0000_0e3f);
    expect(q.machine.piix4.window.base).toBe(0x0e00);
    expect(q.inw(0x0e02)).toBe(0);
  });

  it('a byte write to 0x41 alone moves the block (any write touching 0x40-0x43)', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.pciConfigWrite(PM_FN, 0x41, 0x07, 1);
    expect(q.machine.piix4.window.base).toBe(0x700);
  });

  it('clearing PMREGMISC bit 0 hides the block; the registers keep their values', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.outw(0x602, 0x0121);
    q.pciConfigWrite(PM_FN, 0x80, 0, 1);
    expect(q.inw(0x602)).toBe(0xffff);
    q.pciConfigWrite(PM_FN, 0x80, 1, 1);
    expect(q.inw(0x602)).toBe(0x0121);
  });

  it('a machine reset hides the block again (0x40 = 0x01, 0x80 = 0) and resets PM1_EN', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.outw(0x602, 0x0100);
    q.machine.reset();
    expect(q.inw(0x600)).toBe(0xffff);
    expect(q.pciConfigRead(PM_FN, 0x80, 1)).toBe(0);
    // piix4_pm_reset only rewrites byte 0x40; bytes 0x41-0x43 keep the old base
    expect(q.pciConfigRead(PM_FN, 0x40)).toBe(0x601);
    q.pciConfigWrite(PM_FN, 0x80, 1, 1);
    expect(q.inw(0x602)).toBe(0);
  });

  it('a base over the POST port: the PM container (priority 1) wins over fixed ISA devices', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.pciConfigWrite(PM_FN, 0x40, 0x81);
    expect(q.machine.piix4.window).toEqual({ base: 0x80, enabled: true });
    expect(q.inw(0x82)).toBe(0); // PM1_EN, not port 0x80's all-ones
  });

  it('a base over an equal-priority region: the PM block, moved later, covers it (QEMU memory.c); moving back uncovers it', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    const probe = new PortRegion({ name: 'probe', size: 2, read: () => 0x1234, write: () => {} }, {});
    q.machine.bus.map(probe, 0x1004, { priority: 1 });
    expect(() => q.pciConfigWrite(PM_FN, 0x40, 0x1001)).not.toThrow();
    expect(q.machine.piix4.window).toEqual({ base: 0x1000, enabled: true });
    expect(q.machine.bus.regionAt(0x1004)?.name).not.toBe('probe');
    expect(q.inw(0x1004)).not.toBe(0x1234);
    q.pciConfigWrite(PM_FN, 0x40, 0x601); // moving it back uncovers the probe
    expect(q.inw(0x600)).toBe(0x0001);
    expect(q.inw(0x1004)).toBe(0x1234);
  });
});

describe('reset order (QEMU: device reset, then the PCI bus hold phase pci_do_device_reset)', () => {
  it('power-on state equals the post-reset state; writable COMMAND bits and the interrupt line are cleared', () => {
    const q = qtestMachine();
    const snapshot = () => [0x00, 0x04, 0x08, 0x3c, 0x40, 0x58, 0x60, 0x80].map((r) => q.pciConfigRead((1 << 3) | 3, r)).concat(
      [0x04, 0x60, 0x4c, 0xa8].map((r) => q.pciConfigRead(1 << 3, r)));
    const before = snapshot();
    q.pciConfigWrite(PM_FN, 0x3c, 9, 1);
    q.pciConfigWrite(PM_FN, 0x04, 0x0001, 2);
    q.pciConfigWrite(1 << 3, 0x04, 0x0007, 2);
    q.pciConfigWrite(1 << 3, 0x60, 0x0b, 1);
    q.machine.reset();
    expect(snapshot()).toEqual(before);
    // PIIX3: piix_reset writes COMMAND 0x0007, then the bus reset clears the writable bits; status 0x0200 stays
    expect(q.pciConfigRead(1 << 3, 0x04)).toBe(0x02000000);
    expect(q.pciConfigRead(1 << 3, 0x60)).toBe(0x80808080);
  });
});
