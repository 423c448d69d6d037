/**
 * QEMU's firmware configuration device on the PC's I/O ports (hw/nvram/fw_cfg.c, fw_cfg_io): a 16-bit
 * selector write to 0x510, byte reads from 0x511 of the selected item, and the DMA interface at
 * 0x514-0x51B (a big-endian 64-bit address of a `FWCfgDmaAccess`; writing the low half at 0x518 runs it).
 * Items are numbered blobs (keys in fw-cfg-keys.ts); named files get keys from 0x20 up in name order, listed
 * in the FILE_DIR item as QEMU sorts them (`fw_cfg_add_file_callback`, non-legacy order).
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';
import { FW_CFG_FILE_DIR, FW_CFG_FILE_FIRST, FW_CFG_ID, FW_CFG_SIGNATURE, FW_CFG_VERSION, FW_CFG_VERSION_DMA } from './fw-cfg-keys.js';

export const FW_CFG_IO_BASE = 0x510;
export const FW_CFG_DMA_BASE = 0x514;
/** FWCfgDmaAccess.control bits (docs/specs/fw_cfg.txt). */
export const FW_CFG_DMA_CTL_ERROR = 0x01;
export const FW_CFG_DMA_CTL_READ = 0x02;
export const FW_CFG_DMA_CTL_SKIP = 0x04;
export const FW_CFG_DMA_CTL_SELECT = 0x08;
export const FW_CFG_DMA_CTL_WRITE = 0x10;
/** FW_CFG_ENTRY_MASK: the key bits a selector write keeps (plus the arch bit 0x8000). */
const ENTRY_MASK = 0x3fff;
const ARCH_LOCAL = 0x8000;
const INVALID = -1;
/** QemuCfgFile in FILE_DIR: be32 size, be16 select, be16 reserved, char name[56]. */
export const FW_CFG_FILE_ENTRY_SIZE = 64;
export const FW_CFG_MAX_FILE_PATH = 56;

/** Guest physical memory as the DMA engine sees it (the machine supplies it; QEMU's dma_as). */
export interface FwCfgDmaMemory {
  read(addr: number, len: number): Uint8Array;
  write(addr: number, bytes: Uint8Array): void;
}

export interface FwCfgState {
  readonly items: Map<number, Uint8Array>;
  readonly files: { name: string; data: Uint8Array }[];
  curEntry: number;
  curOffset: number;
  dmaAddrHigh: number;
  dma: FwCfgDmaMemory | null;
  readonly trace: Trace;
}

export const tr = {
  select: defineEvent('piix4', 'fw_cfg_select', (a: { key: number; name: string; ok: boolean }) =>
    `key 0x${hex(a.key, 4)} '${a.name}'${a.ok ? '' : ' (no such item)'}`),
  dma: defineEvent('piix4', 'fw_cfg_dma', (a: { addr: number; control: number; length: number; to: number; done: number; error: boolean }) =>
    `access at 0x${hex(a.addr)}: control 0x${hex(a.control)} length ${a.length} → 0x${hex(a.to)} (${a.done} bytes${a.error ? ', ERROR' : ''})`),
};

export function newFwCfg(trace: Trace): FwCfgState {
  const s: FwCfgState = { items: new Map(), files: [], curEntry: INVALID, curOffset: 0, dmaAddrHigh: 0, dma: null, trace };
  s.items.set(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, FW_CFG_VERSION | FW_CFG_VERSION_DMA, true);
  s.items.set(FW_CFG_ID, id);
  finishFileDir(s);
  return s;
}

/** fw_cfg_add_bytes: a numbered item (little-endian integers are the caller's job, as fw_cfg_add_i32). */
export function fwCfgAddBytes(s: FwCfgState, key: number, data: Uint8Array): void {
  s.items.set(key, data);
}

export function fwCfgAddI16(s: FwCfgState, key: number, v: number): void {
  const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); s.items.set(key, b);
}

export function fwCfgAddI32(s: FwCfgState, key: number, v: number): void {
  const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); s.items.set(key, b);
}

export function fwCfgAddI64(s: FwCfgState, key: number, v: bigint): void {
  const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); s.items.set(key, b);
}

/** fw_cfg_add_file: a named item; keys are reassigned in name order and FILE_DIR is rebuilt. */
export function fwCfgAddFile(s: FwCfgState, name: string, data: Uint8Array): void {
  if (name.length === 0 || name.length >= FW_CFG_MAX_FILE_PATH) throw new RangeError(`fw_cfg file name '${name}' must be 1..55 characters`);
  if (s.files.some((f) => f.name === name)) throw new Error(`fw_cfg file '${name}' is already present`);
  s.files.push({ name, data });
  finishFileDir(s);
}

/** The key a file can be selected with, or -1. */
export function fwCfgFileKey(s: FwCfgState, name: string): number {
  const i = s.files.findIndex((f) => f.name === name);
  return i < 0 ? -1 : FW_CFG_FILE_FIRST + i;
}

function finishFileDir(s: FwCfgState): void {
  // QEMU keeps files sorted by name (strcmp order) for current machine types.
  s.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const dir = new Uint8Array(4 + FW_CFG_FILE_ENTRY_SIZE * s.files.length);
  const v = new DataView(dir.buffer);
  v.setUint32(0, s.files.length, false); // big-endian count
  s.files.forEach((f, i) => {
    const o = 4 + i * FW_CFG_FILE_ENTRY_SIZE;
    v.setUint32(o, f.data.length, false);
    v.setUint16(o + 4, FW_CFG_FILE_FIRST + i, false);
    for (let j = 0; j < f.name.length; j++) dir[o + 8 + j] = f.name.charCodeAt(j) & 0xff;
    s.items.set(FW_CFG_FILE_FIRST + i, f.data);
  });
  s.items.set(FW_CFG_FILE_DIR, dir);
}

function itemName(s: FwCfgState, key: number): string {
  if (key >= FW_CFG_FILE_FIRST && key < FW_CFG_FILE_FIRST + s.files.length) return s.files[key - FW_CFG_FILE_FIRST]!.name;
  return `0x${hex(key, 4)}`;
}

/** fw_cfg_select: keep the entry bits and the arch bit; an unknown key reads as zeros. */
export function fwCfgSelect(s: FwCfgState, key: number): void {
  const k = key & (ENTRY_MASK | ARCH_LOCAL);
  s.curOffset = 0;
  const ok = s.items.has(k);
  s.curEntry = ok ? k : INVALID;
  if (s.trace.on(tr.select)) s.trace.emit(tr.select, { key: k, name: itemName(s, k), ok });
}

function readByte(s: FwCfgState): number {
  if (s.curEntry === INVALID) return 0;
  const d = s.items.get(s.curEntry)!;
  return s.curOffset < d.length ? d[s.curOffset++]! : 0;
}

/** fw_cfg_dma_transfer: read the access descriptor (all big-endian), move the data, clear control. */
export function fwCfgDmaTransfer(s: FwCfgState, addr: number): void {
  const mem = s.dma;
  if (mem === null) return;
  const desc = new DataView(mem.read(addr, 16).buffer);
  let control = desc.getUint32(0, false);
  let length = desc.getUint32(4, false);
  const to = Number(desc.getBigUint64(8, false));
  let dst = to;
  if (control & FW_CFG_DMA_CTL_SELECT) fwCfgSelect(s, control >>> 16);
  const read = (control & FW_CFG_DMA_CTL_READ) !== 0;
  const write = (control & FW_CFG_DMA_CTL_WRITE) !== 0;
  const skip = (control & FW_CFG_DMA_CTL_SKIP) !== 0;
  let error = false;
  let done = 0;
  if (read || write || skip) {
    const d = s.curEntry === INVALID ? undefined : s.items.get(s.curEntry);
    while (length > 0) {
      let len: number;
      if (d === undefined || s.curOffset >= d.length) {
        len = length;
        if (read) mem.write(dst, new Uint8Array(len)); // past the end: zeros, as QEMU's dma_memory_set
        if (write) error = true; // no item is writable here
      } else {
        len = Math.min(length, d.length - s.curOffset);
        if (read) mem.write(dst, d.subarray(s.curOffset, s.curOffset + len));
        if (write) error = true;
        s.curOffset += len;
      }
      dst += len;
      length -= len;
      done += len;
    }
  }
  control = error ? FW_CFG_DMA_CTL_ERROR : 0;
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, control, false);
  mem.write(addr, out); // the guest polls control until only ERROR may remain
  if (s.trace.on(tr.dma)) s.trace.emit(tr.dma, { addr, control: desc.getUint32(0, false), length: desc.getUint32(4, false), to, done, error });
}

const bswap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/**
 * 0x510-0x511 (QEMU fw_cfg_comb_*): a word write at 0x510 selects, a byte read anywhere reads data;
 * byte writes are ignored (data-port writes were removed in QEMU 2.4) and word reads are invalid (all-ones).
 */
export const fwCfgIoOps: RegionOps<FwCfgState> = {
  name: 'fwcfg',
  size: 2,
  valid: { min: 1, max: 2 },
  impl: { min: 1, max: 2 },
  read: (s, _off, size) => (size === 1 ? readByte(s) : 0xffff),
  write: (s, off, val, size) => {
    if (size === 2 && off === 0) fwCfgSelect(s, val);
  },
};

/**
 * 0x514-0x51B (QEMU fw_cfg_dma_mem_ops, DEVICE_BIG_ENDIAN): dwords at +0 (address high) and +4 (address
 * low, starts the transfer). Reads return the "QEMU CFG" signature.
 */
export const fwCfgDmaOps: RegionOps<FwCfgState> = {
  name: 'fwcfg.dma',
  size: 8,
  valid: { min: 4, max: 4 },
  impl: { min: 4, max: 4 },
  read: (_s, off) => (off === 0 ? 0x554d4551 : 0x47464320), // bytes "QEMU" / " CFG" in memory order
  write: (s, off, val) => {
    const v = bswap32(val); // the big-endian register holds the byte-swapped value of a little-endian OUT
    if (off === 0) { s.dmaAddrHigh = v; return; }
    const addr = s.dmaAddrHigh * 0x1_0000_0000 + v;
    s.dmaAddrHigh = 0; // QEMU clears dma_addr after a transfer
    fwCfgDmaTransfer(s, addr);
  },
};
