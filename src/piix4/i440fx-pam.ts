/**
 * i440FX Programmable Attribute Map (config 0x59-0x5F) and SMRAM control (0x72), decoded as QEMU's
 * hw/pci-host/pam.c and hw/pci-host/i440fx.c do. PAM0 bits 4-5 (0x59) cover 0xF0000-0xFFFFF; each later
 * nibble covers 16 KiB from 0xC0000 up (0x5A low nibble = 0xC0000, high = 0xC4000, ... 0x5F high = 0xEC000).
 * Per nibble (bits 0-1 of it): 0 = reads and writes go to the PCI/ROM side, 1 = read-only RAM (writes to
 * PCI, dropped), 2 = write-only RAM (reads from ROM), 3 = RAM. The memory side applies the result.
 */
export const I440FX_PAM = 0x59;
export const I440FX_PAM_SIZE = 7;
export const I440FX_SMRAM = 0x72;

export interface PamSegment {
  /** first byte and size of the range (16 KiB pieces of 0xC0000-0xFFFFF) */
  addr: number;
  size: number;
  readRam: boolean;
  writeRam: boolean;
}

/** The 13 PAM regions for a config space, in QEMU's order (pam_regions[0] is the 64 KiB BIOS area). */
export function decodePam(config: Uint8Array): PamSegment[] {
  const seg = (addr: number, size: number, attr: number): PamSegment => ({
    addr, size, readRam: (attr & 1) !== 0, writeRam: (attr & 2) !== 0,
  });
  const out: PamSegment[] = [seg(0xf0000, 0x10000, (config[I440FX_PAM]! >> 4) & 3)];
  for (let i = 0; i < 12; i++) {
    const reg = config[I440FX_PAM + 1 + (i >> 1)]!;
    out.push(seg(0xc0000 + i * 0x4000, 0x4000, (i & 1) === 0 ? reg & 3 : (reg >> 4) & 3));
  }
  return out;
}
