/**
 * A PCI function's configuration space: 256 bytes with QEMU's write masks
 * (hw/pci/pci.c `pci_default_write_config`: wmask bits are writable, w1cmask
 * bits are write-1-to-clear, everything else is read-only). Registers from
 * 0x40 up are writable by default, as QEMU's `pci_init_wmask` makes them.
 */
export const PCI_CONFIG_SPACE_SIZE = 256;

export interface PciIdentity {
  vendor: number;
  device: number;
  revision: number;
  /** class code, e.g. 0x0680; prog-if separately. */
  classCode: number;
  progIf?: number;
  headerType?: number;
  interruptPin?: number;
  subsystemVendor?: number;
  subsystem?: number;
}

export interface PciFunction {
  readonly name: string;
  /** Device/function number (dev << 3 | fn) on bus 0. */
  readonly devfn: number;
  readonly config: Uint8Array;
  readonly wmask: Uint8Array;
  readonly w1cmask: Uint8Array;
  /** Called after the default write, like a QEMU `config_write` that chains to the default. */
  afterWrite?(addr: number, len: number): void;
  /** Device reset (config registers the device resets, plus its I/O state). */
  reset?(): void;
}

export function pciDevfn(dev: number, fn: number): number {
  if (!(dev >= 0 && dev < 32 && fn >= 0 && fn < 8)) throw new RangeError(`PCI address ${dev}.${fn} is out of range`);
  return (dev << 3) | fn;
}

/** Allocate a config space with QEMU's header masks and the identity registers filled in. */
export function newPciFunction(name: string, devfn: number, id: PciIdentity): PciFunction {
  const config = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  const wmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  const w1cmask = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  const dv = new DataView(config.buffer);
  dv.setUint16(0x00, id.vendor, true);
  dv.setUint16(0x02, id.device, true);
  config[0x08] = id.revision;
  config[0x09] = id.progIf ?? 0;
  dv.setUint16(0x0a, id.classCode, true);
  config[0x0e] = id.headerType ?? 0;
  config[0x3d] = id.interruptPin ?? 0;
  // pci_set_default_subsystem_id: Red Hat/Qumranet 0x1af4:0x1100 unless the device sets its own.
  dv.setUint16(0x2c, id.subsystemVendor ?? 0x1af4, true);
  dv.setUint16(0x2e, id.subsystem ?? 0x1100, true);
  // pci_init_wmask: COMMAND IO|MEMORY|MASTER|PARITY|SERR|INTX_DISABLE, cache line, latency, interrupt line.
  wmask[0x04] = 0x47;
  wmask[0x05] = 0x05;
  wmask[0x0c] = 0xff;
  wmask[0x0d] = 0xff;
  wmask[0x3c] = 0xff;
  wmask.fill(0xff, 0x40);
  // pci_init_w1cmask: STATUS error bits (parity, target/master aborts, SERR, detected parity).
  w1cmask[0x07] = 0xf9;
  return { name, devfn, config, wmask, w1cmask };
}

export function pciConfigRead(d: PciFunction, addr: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) v |= d.config[addr + i]! << (i * 8);
  return v >>> 0;
}

export function pciConfigWrite(d: PciFunction, addr: number, val: number, len: number): void {
  for (let i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++, val >>>= 8) {
    const a = addr + i;
    const wm = d.wmask[a]!;
    d.config[a] = ((d.config[a]! & ~wm) | (val & wm)) & ~(val & d.w1cmask[a]!);
  }
  d.afterWrite?.(addr, len);
}

/** QEMU `ranges_overlap(addr, len, start, n)`. */
export function touches(addr: number, len: number, start: number, n = 1): boolean {
  return addr < start + n && start < addr + len;
}
