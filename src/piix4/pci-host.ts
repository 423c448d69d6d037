/**
 * PCI configuration mechanism #1 on bus 0 (QEMU hw/pci/pci_host.c):
 * 0xCF8 `pci-conf-idx` holds the address dword (only a 4-byte write at
 * offset 0 stores it; any read returns it), 0xCFC-0xCFF `pci-conf-data`
 * reach config space at (address | (port & 3)) while bit 31 is set, else
 * read all-ones. An empty slot reads all-ones; writes to it are dropped.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';
import { pciConfigRead, pciConfigWrite, type PciFunction } from './pci-device.js';

export const tr = {
  read: defineEvent('pci', 'pci_cfg_read', (a: { dev: string; addr: number; len: number; val: number }) =>
    `${a.dev} @0x${hex(a.addr, 2)} len ${a.len} ==> 0x${hex(a.val)}`),
  write: defineEvent('pci', 'pci_cfg_write', (a: { dev: string; addr: number; len: number; val: number }) =>
    `${a.dev} @0x${hex(a.addr, 2)} len ${a.len} <== 0x${hex(a.val)}`),
  empty: defineEvent('pci', 'pci_cfg_empty', (a: { bus: number; devfn: number; addr: number; write: boolean }) =>
    `${a.write ? 'write to' : 'read of'} empty slot ${hex(a.bus, 2)}:${hex(a.devfn >> 3, 2)}.${a.devfn & 7} @0x${hex(a.addr, 2)}${a.write ? ' dropped' : ' ==> all-ones'}`),
};

export interface PciHostState {
  configReg: number;
  readonly devices: (PciFunction | null)[];
  readonly trace: Trace;
}

export function newPciHost(trace: Trace): PciHostState {
  return { configReg: 0, devices: new Array<PciFunction | null>(256).fill(null), trace };
}

export function pciAttach(h: PciHostState, d: PciFunction): void {
  if (h.devices[d.devfn]) throw new Error(`PCI slot ${d.devfn >> 3}.${d.devfn & 7} already holds ${h.devices[d.devfn]!.name}`);
  h.devices[d.devfn] = d;
}

function find(h: PciHostState, addr: number): PciFunction | null {
  const bus = (addr >>> 16) & 0xff;
  return bus === 0 ? h.devices[(addr >>> 8) & 0xff]! : null;
}

/** QEMU `pci_data_read`: `addr` is a config address (bus, devfn, register). */
export function pciDataRead(h: PciHostState, addr: number, len: number): number {
  const d = find(h, addr);
  const reg = addr & 0xff;
  if (!d) {
    if (h.trace.on(tr.empty)) h.trace.emit(tr.empty, { bus: (addr >>> 16) & 0xff, devfn: (addr >>> 8) & 0xff, addr: reg, write: false });
    return 0xffffffff;
  }
  const val = pciConfigRead(d, reg, len);
  if (h.trace.on(tr.read)) h.trace.emit(tr.read, { dev: d.name, addr: reg, len, val });
  return val;
}

export function pciDataWrite(h: PciHostState, addr: number, val: number, len: number): void {
  const d = find(h, addr);
  const reg = addr & 0xff;
  if (!d) {
    if (h.trace.on(tr.empty)) h.trace.emit(tr.empty, { bus: (addr >>> 16) & 0xff, devfn: (addr >>> 8) & 0xff, addr: reg, write: true });
    return;
  }
  if (h.trace.on(tr.write)) h.trace.emit(tr.write, { dev: d.name, addr: reg, len, val });
  pciConfigWrite(d, reg, val, len);
}

export const pciConfAddrOps: RegionOps<PciHostState> = {
  name: 'pci-conf-idx',
  size: 4,
  read: (h) => h.configReg,
  write: (h, off, val, size) => {
    if (off !== 0 || size !== 4) return; // pci_host_config_write
    h.configReg = val >>> 0;
  },
};

export const pciConfDataOps: RegionOps<PciHostState> = {
  name: 'pci-conf-data',
  size: 4,
  read: (h, off, size) => ((h.configReg & 0x80000000) === 0 ? 0xffffffff : pciDataRead(h, (h.configReg | (off & 3)) >>> 0, size)),
  write: (h, off, val, size) => {
    if (h.configReg & 0x80000000) pciDataWrite(h, (h.configReg | (off & 3)) >>> 0, val, size);
  },
};

/** Mechanism #1 address for bus 0 (what firmware writes to 0xCF8). */
export const pciConfigAddress = (devfn: number, reg: number): number => (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0;
