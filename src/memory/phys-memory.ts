/**
 * Guest physical memory: RAM as one Uint8Array, a BIOS ROM mapped at the top
 * of 4 GiB with its last 128 KiB aliased at 0xE0000-0xFFFFF (QEMU hw/i386/x86.c
 * `x86_bios_rom_init`: "map the last 128KB of the BIOS in ISA space"), MMIO
 * pages (the local APIC at 0xFEE00000), and all-ones for anything unmapped
 * (QEMU `unassigned_mem_ops` on x86 reads as ~0).
 *
 * The CPU reads RAM directly through `ram` for pages where `isRamPage()` is
 * true; every other access goes through read()/write() here.
 */
import { A_RAM, allocArena, type Arena } from './wasm-arena.js';

export interface MmioOps {
  /** `offset` is relative to the page start; size 1, 2 or 4. */
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, value: number, size: 1 | 2 | 4): void;
}

export class PhysMemoryError extends Error {
  override name = 'PhysMemoryError';
}

export const ISA_BIOS_BASE = 0xe0000;
export const ISA_BIOS_SIZE = 0x20000;
export const LAPIC_BASE = 0xfee00000;
/** The i440FX PAM window: 0xC0000-0xFFFFF in 16 KiB pieces. */
export const PAM_BASE = 0xc0000;
const PAM_SEGS = 16;
/** BIOS images up to this size are also readable straight from `store` */
export const ROM_DIRECT = 4 << 20;

export class PhysMemory {
  readonly ram: Uint8Array;
  readonly ramSize: number;
  /**
   * RAM followed by room for a BIOS image of up to ROM_DIRECT bytes: the CPU reads both
   * through this one array (`directOffset`), so firmware runs as fast as code in RAM.
   */
  readonly store: Uint8Array;
  /** the WebAssembly memory `store` lives in, with room for a CPU's registers and TLB (wasm-arena.ts) */
  readonly arena: Arena;
  private rom: Uint8Array | null = null;
  private romBase = 0; // physical address where the full ROM starts (4 GiB - size)
  private readonly mmio: { base: number; size: number; ops: MmioOps }[] = [];
  /** Bumped on every mapping change, so a CPU can flush its TLB. */
  generation = 0;
  /** per 16 KiB of 0xC0000-0xFFFFF: reads / writes go to RAM (1) or to ROM/PCI (0) */
  private readonly pamRead = new Uint8Array(PAM_SEGS);
  private readonly pamWrite = new Uint8Array(PAM_SEGS);

  /** `o.wasm` false: RAM in a plain buffer, so no CPU on this memory has a WebAssembly tier (cheaper to make) */
  constructor(ramBytes: number, o: { wasm?: boolean } = {}) {
    if (!Number.isInteger(ramBytes) || ramBytes < 0x1000 || ramBytes > 0x7ff00000 || ramBytes % 0x1000 !== 0) {
      throw new PhysMemoryError(`RAM size must be a multiple of 4 KiB between 4 KiB and 2047 MiB, got ${ramBytes} bytes`);
    }
    this.arena = allocArena(ramBytes + ROM_DIRECT, o.wasm ?? true);
    this.store = new Uint8Array(this.arena.buffer, A_RAM, ramBytes + ROM_DIRECT);
    this.ram = this.store.subarray(0, ramBytes);
    this.ramSize = ramBytes;
  }

  static fromMegabytes(mb: number): PhysMemory {
    if (!Number.isInteger(mb) || mb < 1 || mb > 2047) throw new PhysMemoryError(`-m must be 1..2047 MB, got ${mb}`);
    return new PhysMemory(mb * 1024 * 1024);
  }

  /** Map a BIOS image (a multiple of 64 KiB, at most 16 MiB) read-only at the top of 4 GiB and at 0xE0000-0xFFFFF. */
  mapBios(image: Uint8Array): void {
    if (image.length === 0 || image.length % 0x10000 !== 0 || image.length > 0x1000000) {
      throw new PhysMemoryError(`BIOS image must be a non-empty multiple of 64 KiB up to 16 MiB, got ${image.length} bytes`);
    }
    this.rom = image.slice();
    this.romBase = 0x100000000 - image.length;
    if (image.length <= ROM_DIRECT) this.store.set(image, this.ramSize);
    this.generation++;
  }

  /**
   * Shadow-RAM control as the i440FX PAM registers do it (QEMU hw/pci-host/pam.c): for
   * [addr, addr+size) inside 0xC0000-0xFFFFF, reads come from RAM or from the ROM/PCI side, and
   * writes go to RAM or are dropped. Only meaningful once a BIOS is mapped; at reset both go to
   * the ROM/PCI side, so firmware copies itself to RAM before it can write there.
   */
  setPam(addr: number, size: number, readRam: boolean, writeRam: boolean): void {
    if (addr < PAM_BASE || addr + size > 0x100000 || addr % 0x4000 !== 0 || size % 0x4000 !== 0) {
      throw new PhysMemoryError(`PAM range 0x${addr.toString(16)}+0x${size.toString(16)} is not 16 KiB pieces of 0xC0000-0xFFFFF`);
    }
    for (let a = addr; a < addr + size; a += 0x4000) {
      const i = (a - PAM_BASE) >> 14;
      this.pamRead[i] = readRam ? 1 : 0;
      this.pamWrite[i] = writeRam ? 1 : 0;
    }
    this.generation++;
  }

  /** Map an MMIO page range (e.g. the local APIC). */
  mapMmio(base: number, size: number, ops: MmioOps): void {
    if (base % 0x1000 !== 0 || size % 0x1000 !== 0 || size <= 0) throw new PhysMemoryError(`MMIO range 0x${base.toString(16)}+0x${size.toString(16)} is not page-aligned`);
    // mapping the same range again (a new CPU on the same memory) replaces the old handler
    const i = this.mmio.findIndex((m) => m.base === base && m.size === size);
    if (i >= 0) this.mmio.splice(i, 1);
    this.mmio.push({ base, size, ops });
    this.generation++;
  }

  /**
   * True when the 4 KiB page at physical `addr` is plain RAM (direct access is
   * allowed). With a BIOS mapped, 0xE0000-0xFFFFF is ROM, not RAM.
   */
  isRamPage(addr: number): boolean {
    return this.directRead(addr) && this.directWrite(addr);
  }

  /**
   * Where reads of the page at physical `addr` can be served from `store` (its offset there,
   * a multiple of 4 KiB plus addr's page offset), or -1 when they must go through read().
   */
  directOffset(addr: number): number {
    if (this.directRead(addr)) return addr;
    const rom = this.rom;
    if (rom === null || rom.length > ROM_DIRECT) return -1;
    for (const m of this.mmio) if (addr >= m.base && addr < m.base + m.size) return -1;
    if (addr >= this.romBase) return this.ramSize + (addr - this.romBase);
    if (addr >= ISA_BIOS_BASE && addr < 0x100000 && this.pamRead[(addr - PAM_BASE) >> 14] === 0) {
      return this.ramSize + rom.length - ISA_BIOS_SIZE + (addr - ISA_BIOS_BASE);
    }
    return -1;
  }

  /** May reads of this page go straight to `ram[addr]`? */
  directRead(addr: number): boolean {
    if (addr < 0 || addr >= this.ramSize) return false;
    if (this.rom !== null && addr >= PAM_BASE && addr < 0x100000 && this.pamRead[(addr - PAM_BASE) >> 14] === 0) return false;
    for (const m of this.mmio) if (addr >= m.base && addr < m.base + m.size) return false;
    return true;
  }

  /** May writes to this page go straight to `ram[addr]`? */
  directWrite(addr: number): boolean {
    if (addr < 0 || addr >= this.ramSize) return false;
    if (this.rom !== null && addr >= PAM_BASE && addr < 0x100000 && this.pamWrite[(addr - PAM_BASE) >> 14] === 0) return false;
    for (const m of this.mmio) if (addr >= m.base && addr < m.base + m.size) return false;
    return true;
  }

  read8(addr: number): number {
    addr >>>= 0;
    if (this.rom !== null) {
      if (addr >= this.romBase) return this.rom[addr - this.romBase]!;
      if (addr >= PAM_BASE && addr < 0x100000 && this.pamRead[(addr - PAM_BASE) >> 14] === 0) {
        // the ROM side: the BIOS's last 128 KiB at 0xE0000, nothing (PCI, all-ones) at 0xC0000-0xDFFFF
        return addr >= ISA_BIOS_BASE ? this.rom[this.rom.length - ISA_BIOS_SIZE + (addr - ISA_BIOS_BASE)]! : 0xff;
      }
    }
    for (const m of this.mmio) {
      if (addr >= m.base && addr < m.base + m.size) return m.ops.read(addr - m.base, 1) & 0xff;
    }
    if (addr < this.ramSize) return this.ram[addr]!;
    return 0xff;
  }

  write8(addr: number, v: number): void {
    addr >>>= 0;
    if (this.rom !== null) {
      if (addr >= this.romBase) return; // read-only
      if (addr >= PAM_BASE && addr < 0x100000 && this.pamWrite[(addr - PAM_BASE) >> 14] === 0) return;
    }
    for (const m of this.mmio) {
      if (addr >= m.base && addr < m.base + m.size) { m.ops.write(addr - m.base, v & 0xff, 1); return; }
    }
    if (addr < this.ramSize) this.ram[addr] = v;
  }

  /** A little-endian access of 1, 2 or 4 bytes. Aligned MMIO dwords/words reach the device whole. */
  read(addr: number, size: 1 | 2 | 4): number {
    addr >>>= 0;
    if (size !== 1) {
      const m = this.mmioAt(addr);
      if (m !== null && (addr & (size - 1)) === 0) return m.ops.read(addr - m.base, size) >>> 0;
    }
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.read8(addr + i) << (8 * i);
    return size === 4 ? v >>> 0 : v;
  }

  write(addr: number, value: number, size: 1 | 2 | 4): void {
    addr >>>= 0;
    if (size !== 1) {
      const m = this.mmioAt(addr);
      if (m !== null && (addr & (size - 1)) === 0) { m.ops.write(addr - m.base, value >>> 0, size); return; }
    }
    for (let i = 0; i < size; i++) this.write8(addr + i, value >>> (8 * i));
  }

  read32(addr: number): number {
    return this.read(addr, 4);
  }

  write32(addr: number, v: number): void {
    this.write(addr, v, 4);
  }

  /** Copy bytes into guest RAM (loaders). Throws if it does not fit in RAM. */
  load(addr: number, bytes: Uint8Array): void {
    if (addr < 0 || addr + bytes.length > this.ramSize) {
      throw new PhysMemoryError(`cannot load ${bytes.length} bytes at 0x${addr.toString(16)}: RAM is ${this.ramSize} bytes`);
    }
    this.ram.set(bytes, addr);
  }

  private mmioAt(addr: number): { base: number; size: number; ops: MmioOps } | null {
    for (const m of this.mmio) if (addr >= m.base && addr < m.base + m.size) return m;
    return null;
  }
}
