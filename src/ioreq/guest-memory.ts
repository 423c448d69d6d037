/**
 * GuestMemory adapters for the device model's COPY and data_is_ptr accesses.
 * Structural, so ioreq needs no import of memory/: anything with
 * read8/write8 (memory/PhysMemory) or a plain RAM array will do.
 */
import type { GuestMemory } from './dm-types.js';

/** Guest RAM as one array starting at guest-physical `base`; anything else is not backed. */
export function ramGuestMemory(ram: Uint8Array, base = 0): GuestMemory {
  return {
    read(addr, dst, size) {
      const o = addr - base;
      if (o < 0 || o + size > ram.length) return false;
      for (let i = 0; i < size; i++) dst[i] = ram[o + i]!;
      return true;
    },
    write(addr, src, size) {
      const o = addr - base;
      if (o < 0 || o + size > ram.length) return false;
      for (let i = 0; i < size; i++) ram[o + i] = src[i]!;
      return true;
    },
  };
}

/** The byte interface of memory/PhysMemory (RAM, ROM, MMIO pages; unmapped reads all-ones). */
export interface ByteAddressable {
  read8(addr: number): number;
  write8(addr: number, value: number): void;
}

/** A whole 32-bit physical address space (e.g. PhysMemory): backed up to 4 GiB, what lies there decides. */
export function physGuestMemory(pm: ByteAddressable): GuestMemory {
  const LIMIT = 0x1_0000_0000;
  return {
    read(addr, dst, size) {
      if (addr + size > LIMIT) return false;
      for (let i = 0; i < size; i++) dst[i] = pm.read8(addr + i) & 0xff;
      return true;
    },
    write(addr, src, size) {
      if (addr + size > LIMIT) return false;
      for (let i = 0; i < size; i++) pm.write8(addr + i, src[i]!);
      return true;
    },
  };
}
