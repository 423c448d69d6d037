/**
 * The plain PCI functions of QEMU's `pc` machine: i440FX host bridge 00:00.0
 * (hw/pci-host/i440fx.c), PIIX3 ISA bridge 00:01.0 and PIIX IDE 00:01.1
 * (hw/isa/piix.c, hw/ide/piix.c; identity only: acpidm has no disks).
 */
import { I440FX_PAM, I440FX_PAM_SIZE } from './i440fx-pam.js';
import { newPciFunction, pciDevfn, touches, type PciFunction } from './pci-device.js';

/**
 * `ramMiB`: guest RAM, reported in config 0x57 in 8 MiB units for coreboot (I440FX_COREBOOT_RAM_SIZE).
 * `pamChanged`: called with the config space after a write touches the PAM registers 0x59-0x5F
 * (i440fx_write_config → i440fx_update_memory_mappings); the machine maps 0xC0000-0xFFFFF accordingly.
 */
export function i440fxHost(ramMiB = 128, pamChanged?: (config: Uint8Array) => void): PciFunction {
  const d = newPciFunction('i440FX', pciDevfn(0, 0), { vendor: 0x8086, device: 0x1237, revision: 0x02, classCode: 0x0600 });
  d.config[0x57] = Math.min(255, Math.floor(ramMiB / 8));
  if (pamChanged) {
    d.afterWrite = (addr, len) => {
      if (touches(addr, len, I440FX_PAM, I440FX_PAM_SIZE)) pamChanged(d.config);
    };
  }
  d.reset = () => {
    d.config[0x72] = 0x02; // I440FX_SMRAM reset value (i440fx_pcihost_realize / i440fx reset)
  };
  d.reset();
  return d;
}

/** PIIX3 ISA bridge, function 0 of the multi-function PIIX device. */
export function piix3IsaBridge(): PciFunction {
  const d = newPciFunction('PIIX3', pciDevfn(1, 0), { vendor: 0x8086, device: 0x7000, revision: 0x00, classCode: 0x0601, headerType: 0x80 });
  // QEMU hw/isa/piix.c `piix_reset`.
  const RESET: readonly [number, number][] = [
    [0x04, 0x07], [0x05, 0x00], [0x06, 0x00], [0x07, 0x02], [0x4c, 0x4d], [0x4e, 0x03], [0x4f, 0x00],
    [0x60, 0x80], [0x61, 0x80], [0x62, 0x80], [0x63, 0x80], [0x69, 0x02], [0x70, 0x80], [0x76, 0x0c],
    [0x77, 0x0c], [0x78, 0x02], [0x79, 0x00], [0x80, 0x00], [0x82, 0x00], [0xa0, 0x08], [0xa2, 0x00],
    [0xa3, 0x00], [0xa4, 0x00], [0xa5, 0x00], [0xa6, 0x00], [0xa7, 0x00], [0xa8, 0x0f], [0xaa, 0x00],
    [0xab, 0x00], [0xac, 0x00], [0xae, 0x00],
  ];
  d.reset = () => {
    for (const [a, v] of RESET) d.config[a] = v;
  };
  d.reset();
  return d;
}

/**
 * PIIX3 IDE: identity, status and the bus-master DMA BAR 4 (16 I/O ports,
 * sizable by firmware) as QEMU's `piix_ide_reset` leaves them; no drives and
 * no I/O decode behind the BAR.
 */
export function piixIde(): PciFunction {
  const d = newPciFunction('PIIX3-IDE', pciDevfn(1, 1), { vendor: 0x8086, device: 0x7010, revision: 0x00, classCode: 0x0101, progIf: 0x80 });
  // pci_register_bar(4, IO, 16): the address bits above the size are writable.
  d.wmask.set([0xf0, 0xff, 0xff, 0xff], 0x20);
  d.reset = () => {
    d.config[0x04] = 0; d.config[0x05] = 0;
    d.config[0x06] = 0x80; d.config[0x07] = 0x02; // fast back-to-back, devsel medium
    d.config.set([0x01, 0, 0, 0], 0x20); // BMIBA: I/O space indicator
  };
  d.reset();
  return d;
}
