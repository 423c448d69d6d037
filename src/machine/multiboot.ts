/**
 * A Multiboot (version 1) loader, as `qemu-system-x86_64 -kernel` does it
 * (QEMU hw/i386/multiboot.c; Multiboot Specification 0.6.96 §3).
 * Works on a plain Uint8Array of guest RAM and returns the CPU entry state:
 * 32-bit flat protected mode, EAX = 0x2BADB002, EBX = the info structure.
 */

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const MB_FLAG_AOUT_KLUDGE = 1 << 16;
// Multiboot info flags (spec §3.3).
const MBI_MEMORY = 1 << 0;
const MBI_BOOT_DEVICE = 1 << 1;
const MBI_CMDLINE = 1 << 2;
const MBI_MODS = 1 << 3;
const MBI_MMAP = 1 << 6;
const MBI_BOOTLOADER_NAME = 1 << 9;

export class MultibootError extends Error {
  override name = 'MultibootError';
}

export interface MultibootImage {
  entry: number;
  loadAddr: number;
  loadEnd: number;
  bssEnd: number;
  format: 'aout-kludge' | 'elf';
}

export interface MultibootEntry extends MultibootImage {
  eax: number;
  ebx: number;
}

/** Find and check the header (first 8 KiB, 4-byte aligned, magic + flags + checksum == 0). */
export function findMultibootHeader(image: Uint8Array): { offset: number; flags: number } | null {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let off = 0; off + 12 <= Math.min(image.length, 8192); off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true);
    const sum = (MULTIBOOT_HEADER_MAGIC + flags + dv.getUint32(off + 8, true)) >>> 0;
    if (sum === 0) return { offset: off, flags };
  }
  return null;
}

export function parseMultiboot(image: Uint8Array): MultibootImage {
  const hdr = findMultibootHeader(image);
  if (!hdr) throw new MultibootError('no Multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB');
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (hdr.flags & MB_FLAG_AOUT_KLUDGE) {
    if (hdr.offset + 32 > image.length) throw new MultibootError('Multiboot header truncated (a.out kludge fields missing)');
    const headerAddr = dv.getUint32(hdr.offset + 12, true);
    const loadAddr = dv.getUint32(hdr.offset + 16, true);
    let loadEnd = dv.getUint32(hdr.offset + 20, true);
    let bssEnd = dv.getUint32(hdr.offset + 24, true);
    const entry = dv.getUint32(hdr.offset + 28, true);
    // Spec §3.1.3: the file offset of load_addr is header offset - (header_addr - load_addr).
    const fileStart = hdr.offset - (headerAddr - loadAddr);
    if (fileStart < 0 || loadAddr > headerAddr) throw new MultibootError('Multiboot header: load_addr is above header_addr');
    if (loadEnd === 0) loadEnd = loadAddr + (image.length - fileStart);
    if (bssEnd === 0) bssEnd = loadEnd;
    if (loadEnd < loadAddr || bssEnd < loadEnd) throw new MultibootError('Multiboot header: load_end/bss_end are inconsistent');
    return { entry, loadAddr, loadEnd, bssEnd, format: 'aout-kludge' };
  }
  // ELF32: take the PT_LOAD segments.
  if (image.length < 52 || dv.getUint32(0, false) !== 0x7f454c46) throw new MultibootError('kernel is neither an a.out-kludge Multiboot image nor ELF');
  if (image[4] !== 1 || dv.getUint16(18, true) !== 3) throw new MultibootError('only 32-bit x86 ELF kernels are supported');
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  let lo = Infinity;
  let hiFile = 0;
  let hiMem = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + 32 > image.length) throw new MultibootError('ELF program header table is truncated');
    if (dv.getUint32(p, true) !== 1) continue;
    const paddr = dv.getUint32(p + 12, true);
    lo = Math.min(lo, paddr);
    hiFile = Math.max(hiFile, paddr + dv.getUint32(p + 16, true));
    hiMem = Math.max(hiMem, paddr + dv.getUint32(p + 20, true));
  }
  if (lo === Infinity) throw new MultibootError('ELF kernel has no loadable segment');
  return { entry: dv.getUint32(24, true), loadAddr: lo, loadEnd: hiFile, bssEnd: hiMem, format: 'elf' };
}

/**
 * Copy the kernel into RAM, zero its BSS, build the Multiboot info structure
 * (memory sizes, memory map, command line, boot loader name) at `infoAddr`.
 */
export function loadMultiboot(ram: Uint8Array, image: Uint8Array, opts: { cmdline?: string; infoAddr?: number } = {}): MultibootEntry {
  const img = parseMultiboot(image);
  if (img.bssEnd > ram.length) throw new MultibootError(`kernel needs RAM up to 0x${img.bssEnd.toString(16)}, the guest has ${ram.length >> 20} MiB`);
  if (img.loadAddr < 0x100000) throw new MultibootError(`kernel load address 0x${img.loadAddr.toString(16)} is below 1 MiB`);
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (img.format === 'aout-kludge') {
    const hdr = findMultibootHeader(image)!;
    const headerAddr = dv.getUint32(hdr.offset + 12, true);
    const fileStart = hdr.offset - (headerAddr - img.loadAddr);
    ram.set(image.subarray(fileStart, fileStart + (img.loadEnd - img.loadAddr)), img.loadAddr);
  } else {
    const phoff = dv.getUint32(28, true);
    for (let i = 0; i < dv.getUint16(44, true); i++) {
      const p = phoff + i * dv.getUint16(42, true);
      if (dv.getUint32(p, true) !== 1) continue;
      const off = dv.getUint32(p + 4, true);
      const paddr = dv.getUint32(p + 12, true);
      const filesz = dv.getUint32(p + 16, true);
      if (off + filesz > image.length) throw new MultibootError('ELF segment extends past the end of the file');
      ram.set(image.subarray(off, off + filesz), paddr);
    }
  }
  ram.fill(0, img.loadEnd, img.bssEnd);

  // Info structure and its strings in low memory (below 640 KiB, above the BDA).
  const info = opts.infoAddr ?? 0x9000;
  const mv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  ram.fill(0, info, info + 0x400);
  const strAt = (addr: number, s: string): number => {
    const bytes = new TextEncoder().encode(s);
    ram.set(bytes, addr);
    ram[addr + bytes.length] = 0;
    return addr + bytes.length + 1;
  };
  const cmdlineAddr = info + 0x100;
  const nameAddr = strAt(cmdlineAddr, opts.cmdline ?? '');
  const mmapAddr = (strAt(nameAddr, 'acpidm') + 3) & ~3;
  // Memory map: 0..640K RAM, 640K..1M reserved, 1M..top RAM (e820 types 1 and 2).
  const mmap: [number, number, number][] = [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xe0000, 0x20000, 2], [0x100000, ram.length - 0x100000, 1]];
  let p = mmapAddr;
  for (const [base, len, type] of mmap) {
    mv.setUint32(p, 20, true);
    mv.setUint32(p + 4, base, true);
    mv.setUint32(p + 8, 0, true);
    mv.setUint32(p + 12, len, true);
    mv.setUint32(p + 16, 0, true);
    mv.setUint32(p + 20, type, true);
    p += 24;
  }
  mv.setUint32(info + 0, MBI_MEMORY | MBI_BOOT_DEVICE | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_BOOTLOADER_NAME, true);
  mv.setUint32(info + 4, 640, true); // mem_lower (KiB)
  mv.setUint32(info + 8, (ram.length >> 10) - 1024, true); // mem_upper (KiB above 1 MiB)
  mv.setUint32(info + 12, 0x8000ffff, true); // boot_device: first hard disk, as QEMU
  mv.setUint32(info + 16, cmdlineAddr, true);
  mv.setUint32(info + 20, 0, true); // mods_count
  mv.setUint32(info + 24, 0, true);
  mv.setUint32(info + 44, p - mmapAddr, true); // mmap_length
  mv.setUint32(info + 48, mmapAddr, true);
  mv.setUint32(info + 64, nameAddr, true); // boot_loader_name
  return { ...img, eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: info };
}
