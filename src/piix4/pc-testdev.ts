/**
 * pc-testdev (QEMU hw/misc/pc-testdev.c, used by kvm-unit-tests): port 0xE0 a 32-bit scratch register any
 * width may read or write in place; 0xE4 "flush page" (dword writes; QEMU re-protects the page, here the
 * compiled code and TLB are flushed); 0xE8 the same scratch register, byte by byte (the bus splits wider
 * accesses); 0x2000..0x2017 one port per ISA IRQ line: a byte write sets the line to (value != 0).
 * The 64 KiB iomem window at 0xFF000000 is not modelled.
 */
import type { RegionOps } from '../ioports/region.js';

export interface PcTestdevState {
  data: number;
  setIrq(line: number, level: boolean): void;
  flushPage(addr: number): void;
}

const lanes = (off: number, size: number): { shift: number; mask: number } => {
  const shift = (off & 3) * 8;
  return { shift, mask: (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1) << shift };
};

const scratchRead = (s: PcTestdevState, off: number, size: number): number => {
  const { shift, mask } = lanes(off, size);
  return ((s.data & mask) >>> shift) >>> 0;
};
const scratchWrite = (s: PcTestdevState, off: number, v: number, size: number): void => {
  const { shift, mask } = lanes(off, size);
  s.data = ((s.data & ~mask) | ((v << shift) & mask)) >>> 0;
};

export const PC_TESTDEV_IOPORT = 0xe0;
export const PC_TESTDEV_FLUSH = 0xe4;
export const PC_TESTDEV_IOPORT_BYTE = 0xe8;
export const PC_TESTDEV_IRQ = 0x2000;

export const testdevIoportOps: RegionOps<PcTestdevState> = {
  name: 'pc-testdev-ioport', size: 4, valid: { min: 1, max: 4, unaligned: true },
  read: scratchRead, write: scratchWrite,
};
export const testdevIoportByteOps: RegionOps<PcTestdevState> = {
  name: 'pc-testdev-ioport-byte', size: 4, valid: { min: 1, max: 4 }, impl: { min: 1, max: 1 },
  read: scratchRead, write: scratchWrite,
};
export const testdevFlushOps: RegionOps<PcTestdevState> = {
  name: 'pc-testdev-flush-page', size: 4, valid: { min: 4, max: 4 },
  read: () => 0xffffffff,
  write: (s, _off, v) => s.flushPage((v & ~0xfff) >>> 0),
};
export const testdevIrqOps: RegionOps<PcTestdevState> = {
  name: 'pc-testdev-irq-line', size: 24, valid: { min: 1, max: 1 },
  read: () => 0xff,
  write: (s, off, v) => s.setIrq(off, v !== 0),
};
