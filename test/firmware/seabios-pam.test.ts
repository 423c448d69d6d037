// i440FX PAM 0x59-0x5F drive shadow RAM at 0xC0000-0xFFFFF (QEMU hw/pci-host/pam.c, i440fx.c
// i440fx_update_memory_mappings): what SeaBIOS's make_bios_writable relies on before it stores a variable.
import { describe, expect, it } from 'vitest';
import { PcSystem } from '../../src/machine/pc-system.js';
import { decodePam } from '../../src/piix4/i440fx-pam.js';

/** A 128 KiB BIOS whose bytes are 0xB0 | (offset >> 16), so ROM reads are recognisable. */
function rom(): Uint8Array {
  const b = new Uint8Array(0x20000).fill(0xb1);
  b.fill(0xb0, 0, 0x10000);
  return b;
}

function pciWrite(sys: PcSystem, reg: number, val: number): void {
  sys.machine.bus.write(0xcf8, 0x80000000 | (reg & 0xfc), 4);
  sys.machine.bus.write(0xcfc + (reg & 3), val, 1);
}

describe('i440FX PAM decode (pam.c attribute per nibble)', () => {
  it('0x59 bits 4-5 cover 0xF0000-0xFFFFF; 0x5A..0x5F nibbles cover 16 KiB each from 0xC0000', () => {
    const c = new Uint8Array(256);
    c[0x59] = 0x30; c[0x5a] = 0x21; c[0x5f] = 0x10;
    const s = decodePam(c);
    expect(s).toHaveLength(13);
    expect(s[0]).toEqual({ addr: 0xf0000, size: 0x10000, readRam: true, writeRam: true });
    expect(s[1]).toEqual({ addr: 0xc0000, size: 0x4000, readRam: true, writeRam: false });
    expect(s[2]).toEqual({ addr: 0xc4000, size: 0x4000, readRam: false, writeRam: true });
    expect(s[12]).toEqual({ addr: 0xec000, size: 0x4000, readRam: true, writeRam: false });
    expect(s[11]).toEqual({ addr: 0xe8000, size: 0x4000, readRam: false, writeRam: false });
  });
});

describe('PAM through PCI config cycles on a machine with a BIOS', () => {
  it('reset: reads come from the ROM, writes are dropped; 3 = RAM; 1 = locked shadow; 2 = write-only', () => {
    const sys = new PcSystem({ bios: rom(), debugcon: [] }).powerOn();
    const mem = sys.mem;
    expect(mem.read8(0xf1234)).toBe(0xb1);
    mem.write8(0xf1234, 0x55);
    expect(mem.read8(0xf1234)).toBe(0xb1);
    // write-only: the firmware copies itself into the RAM below its ROM
    pciWrite(sys, 0x59, 0x20);
    mem.write8(0xf1234, 0x55);
    expect(mem.read8(0xf1234)).toBe(0xb1);
    pciWrite(sys, 0x59, 0x30);
    expect(mem.read8(0xf1234)).toBe(0x55);
    mem.write8(0xf1234, 0x66);
    expect(mem.read8(0xf1234)).toBe(0x66);
    pciWrite(sys, 0x59, 0x10); // read-only: SeaBIOS make_bios_readonly
    mem.write8(0xf1234, 0x77);
    expect(mem.read8(0xf1234)).toBe(0x66);
    // 0xC0000 (option ROM area): all-ones until PAM says RAM
    expect(mem.read8(0xc0010)).toBe(0xff);
    pciWrite(sys, 0x5a, 0x03);
    mem.write8(0xc0010, 0x12);
    expect(mem.read8(0xc0010)).toBe(0x12);
    expect(mem.read8(0xc4010)).toBe(0xff); // the high nibble's 16 KiB is still the PCI side
  });
});
