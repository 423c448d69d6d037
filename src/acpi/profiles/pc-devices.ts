/**
 * The devices QEMU's `pc` DSDT declares and acpidm's PC has (QEMU hw/i386/acpi-build.c build_dsdt for
 * i440fx; tests/data/acpi/pc/DSDT): \_SB.PCI0 (PNP0A03, _UID; no _ADR beside the _HID, which iasl warns about) with the host bridge's _CRS — bus numbers 0-FF,
 * the 0xCF8 config ports, I/O 0-0xCF7 and 0xD00-0xFFFF, the VGA window A0000-BFFFF, and the PCI hole from
 * the top of RAM to 0xFEBFFFFF — and under the PIIX3 ISA bridge (00:01.0) the ISA devices that exist:
 * the i8042 keyboard controller (PNP0303), COM1 (PNP0501) and the RTC (PNP0B00). Plus \_PIC.
 */
import { cat, device, eisaId, integer, method, name, scope, type Aml } from '../aml/encode.js';
import { dwordMemory, io, irqNoFlags, resourceTemplate, wordBusNumber, wordIo } from '../aml/resources.js';

export interface PcDevicesOptions {
  /** RAM below 4 GiB in bytes: the PCI memory window starts there (QEMU: below_4g_mem_size). */
  ramBelow4g: number;
}

/** The PCI window ends below the IO-APIC/HPET/LAPIC area (QEMU pc: 0xFEBFFFFF). */
const PCI_HOLE_END = 0xfebfffff;

export function pcPciRoot(o: PcDevicesOptions): Aml {
  const crs = resourceTemplate(
    wordBusNumber(0, 0xff),
    io(0xcf8, 0xcf8, 1, 8),
    wordIo(0, 0xcf7),
    wordIo(0xd00, 0xffff),
    dwordMemory(0xa0000, 0xbffff, true),
    dwordMemory(o.ramBelow4g, PCI_HOLE_END, false),
  );
  const isa = device('ISA',
    name('_ADR', integer(0x00010000)),
    device('KBD', name('_HID', eisaId('PNP0303')), name('_STA', integer(0x0f)),
      name('_CRS', resourceTemplate(io(0x60, 0x60, 1, 1), io(0x64, 0x64, 1, 1), irqNoFlags(1)))),
    device('COM1', name('_HID', eisaId('PNP0501')), name('_UID', integer(1)), name('_STA', integer(0x0f)),
      name('_CRS', resourceTemplate(io(0x3f8, 0x3f8, 0, 8), irqNoFlags(4)))),
    device('RTC', name('_HID', eisaId('PNP0B00')),
      name('_CRS', resourceTemplate(io(0x70, 0x70, 1, 8), irqNoFlags(8)))),
  );
  return cat(
    scope('\\_SB', device('PCI0', name('_HID', eisaId('PNP0A03')), name('_UID', integer(0)), name('_CRS', crs), isa)),
    method('\\_PIC', 1),
  );
}
