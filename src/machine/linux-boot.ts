/**
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst, protocol 2.02+) for `-kernel bzImage`,
 * `-initrd` and `-append`, entered through the 32-bit boot protocol:
 *
 *  - the setup header (offset 0x1F1 of the image) is read and checked; every problem names its field;
 *  - the protected-mode kernel (the bytes after the (setup_sects + 1) 512-byte sectors) is copied to 1 MiB;
 *  - the zero page (struct boot_params) gets the image's setup header, then what QEMU's x86_load_linux and
 *    SeaBIOS's e820 fill: type_of_loader 0xB0 (QEMU's id), loadflags CAN_USE_HEAP, heap_end_ptr, cmd_line_ptr,
 *    ramdisk_image/size, alt_mem_k, and an e820 table with the BIOS areas and the ACPI tables' pages reserved;
 *  - the initrd goes page-aligned just below min(initrd_addr_max, the ACPI tables), as QEMU places it;
 *  - entry: flat 4 GiB segments __BOOT_CS = 0x10 / __BOOT_DS = 0x18 from a GDT we write, ESI = boot_params,
 *    EBX = EBP = EDI = 0, interrupts off, paging off (boot.rst "32-bit BOOT PROTOCOL").
 */

export const LINUX_HDRS_MAGIC = 0x53726448; // "HdrS" at 0x202

/** Where the loader puts its pieces in low memory (below the EBDA at 0x9FC00). */
export const LINUX_GDT_ADDR = 0x0800;
export const LINUX_BOOT_PARAMS_ADDR = 0x10000; // QEMU's real_addr for a relocatable bzImage
export const LINUX_CMDLINE_ADDR = 0x20000; //     QEMU's cmdline_addr
export const LINUX_KERNEL_ADDR = 0x100000;
const BOOT_PARAMS_SIZE = 0x1000;

// Setup header fields (offsets in the image and in boot_params alike).
const H = {
  setup_sects: 0x1f1, syssize: 0x1f4, boot_flag: 0x1fe, jump: 0x200, header: 0x202, version: 0x206,
  type_of_loader: 0x210, loadflags: 0x211, code32_start: 0x214, ramdisk_image: 0x218, ramdisk_size: 0x21c,
  heap_end_ptr: 0x224, cmd_line_ptr: 0x228, initrd_addr_max: 0x22c, kernel_alignment: 0x230,
  relocatable_kernel: 0x234, cmdline_size: 0x238, init_size: 0x260,
} as const;
// boot_params fields outside the setup header (arch/x86/include/uapi/asm/bootparam.h).
const BP_ALT_MEM_K = 0x1e0;
const BP_E820_ENTRIES = 0x1e8;
const BP_E820_TABLE = 0x2d0;
const E820_MAX_ENTRIES_ZEROPAGE = 128;

const LOADED_HIGH = 0x01;
const CAN_USE_HEAP = 0x80;
const QEMU_LOADER_ID = 0xb0; // QEMU hw/i386/x86.c: header[0x210] = 0xB0

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export class LinuxBootError extends Error {
  override name = 'LinuxBootError';
}

export interface E820Entry {
  addr: number;
  size: number;
  type: number;
}

export interface LinuxImage {
  /** Boot protocol version, e.g. 0x020f. */
  version: number;
  setupSects: number;
  /** File offset of the protected-mode kernel. */
  kernelOffset: number;
  kernelSize: number;
  loadflags: number;
  initrdAddrMax: number;
  cmdlineSize: number;
  /** Memory the kernel needs from its load address while it decompresses (protocol 2.10+; else 0). */
  initSize: number;
  /** Length of the setup header to copy into boot_params (from 0x1F1). */
  headerEnd: number;
}

/** True when the image carries the "HdrS" signature of a Linux bzImage (checked before Multiboot, as QEMU does). */
export function isLinuxImage(image: Uint8Array): boolean {
  if (image.length < H.header + 4) return false;
  return new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(H.header, true) === LINUX_HDRS_MAGIC;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/** Reads and checks the setup header. Errors name the field that is wrong. */
export function parseLinuxImage(image: Uint8Array): LinuxImage {
  if (image.length < 0x264) throw new LinuxBootError(`bzImage truncated: ${image.length} bytes cannot hold the setup header (needs at least 0x264)`);
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const magic = dv.getUint32(H.header, true);
  if (magic !== LINUX_HDRS_MAGIC) throw new LinuxBootError(`setup header field 'header' is ${hex(magic)}, expected 0x53726448 ("HdrS")`);
  const bootFlag = dv.getUint16(H.boot_flag, true);
  if (bootFlag !== 0xaa55) throw new LinuxBootError(`setup header field 'boot_flag' is ${hex(bootFlag)}, expected 0xaa55`);
  const version = dv.getUint16(H.version, true);
  if (version < 0x0202) throw new LinuxBootError(`setup header field 'version' is ${hex(version)}: boot protocol 2.02 or newer is needed (32-bit entry, cmd_line_ptr)`);
  const loadflags = image[H.loadflags]!;
  if (!(loadflags & LOADED_HIGH)) throw new LinuxBootError(`setup header field 'loadflags' is ${hex(loadflags)}: LOADED_HIGH is clear (a zImage loaded at 0x10000 is not supported, only a bzImage)`);
  const setupSects = image[H.setup_sects]! || 4;
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= image.length) {
    throw new LinuxBootError(`setup header field 'setup_sects' is ${setupSects}: the setup code would end at ${hex(kernelOffset)}, past the end of the ${image.length}-byte file`);
  }
  const syssize = dv.getUint32(H.syssize, true);
  const kernelSize = image.length - kernelOffset;
  if (syssize !== 0 && syssize * 16 > kernelSize + 15) {
    throw new LinuxBootError(`bzImage truncated: setup header field 'syssize' says the protected-mode kernel is ${syssize * 16} bytes, the file holds ${kernelSize}`);
  }
  const code32 = dv.getUint32(H.code32_start, true);
  if (code32 !== LINUX_KERNEL_ADDR) throw new LinuxBootError(`setup header field 'code32_start' is ${hex(code32)}, expected 0x100000`);
  const headerEnd = Math.min(0x202 + image[0x201]!, 0x280);
  const initrdAddrMax = version >= 0x0203 ? dv.getUint32(H.initrd_addr_max, true) : 0x37ffffff;
  const cmdlineSize = version >= 0x0206 ? dv.getUint32(H.cmdline_size, true) : 255;
  const initSize = version >= 0x020a ? dv.getUint32(H.init_size, true) : 0;
  return { version, setupSects, kernelOffset, kernelSize, loadflags, initrdAddrMax, cmdlineSize, initSize, headerEnd };
}

export interface LinuxLoadOptions {
  cmdline?: string;
  initrd?: Uint8Array;
  /** First byte of the ACPI table block at the top of RAM (reserved in the e820 map). */
  acpiStart: number;
  /** End of RAM (the ACPI tables run up to here). */
  ramTop: number;
}

export interface LinuxEntry {
  image: LinuxImage;
  bootParams: number;
  cmdline: number;
  initrd: { addr: number; size: number } | null;
  e820: E820Entry[];
  kernelEnd: number;
  gdt: { base: number; limit: number };
}

/** The e820 map SeaBIOS reports on QEMU pc below 4 GiB, with our ACPI block reserved. */
export function pcE820(acpiStart: number, ramTop: number): E820Entry[] {
  return [
    { addr: 0, size: 0x9fc00, type: E820_RAM },
    { addr: 0x9fc00, size: 0x400, type: E820_RESERVED }, // EBDA
    { addr: 0xe0000, size: 0x20000, type: E820_RESERVED }, // BIOS ROM area (RSDP lives in the F-segment)
    { addr: LINUX_KERNEL_ADDR, size: acpiStart - LINUX_KERNEL_ADDR, type: E820_RAM },
    { addr: acpiStart, size: ramTop - acpiStart, type: E820_RESERVED }, // SeaBIOS reserves its high tables
    { addr: 0xfffc0000, size: 0x40000, type: E820_RESERVED }, // the BIOS ROM mapped below 4 GiB
  ];
}

/** Load a bzImage (and initrd) into `ram`, write the zero page, command line and GDT; returns the entry state. */
export function loadLinux(ram: Uint8Array, image: Uint8Array, o: LinuxLoadOptions): LinuxEntry {
  const img = parseLinuxImage(image);
  const mv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const cmd = new TextEncoder().encode(o.cmdline ?? '');
  if (cmd.length > img.cmdlineSize) throw new LinuxBootError(`-append is ${cmd.length} bytes; the kernel's cmdline_size allows ${img.cmdlineSize}`);
  const kernelEnd = LINUX_KERNEL_ADDR + Math.max(img.kernelSize, img.initSize);
  if (kernelEnd > o.acpiStart) {
    throw new LinuxBootError(`the kernel needs memory up to ${hex(kernelEnd)} (setup header field 'init_size' ${hex(img.initSize)}), but RAM for it ends at ${hex(o.acpiStart)}: give the guest more memory (-m)`);
  }
  ram.set(image.subarray(img.kernelOffset), LINUX_KERNEL_ADDR);

  let initrd: LinuxEntry['initrd'] = null;
  if (o.initrd) {
    // QEMU x86_load_linux: initrd_max = min(below-4G RAM - ACPI data - 1, initrd_addr_max); addr page-aligned below it.
    const initrdMax = Math.min(o.acpiStart - 1, img.initrdAddrMax);
    const addr = Math.floor((initrdMax + 1 - o.initrd.length) / 0x1000) * 0x1000;
    if (addr < kernelEnd) {
      throw new LinuxBootError(`initrd of ${o.initrd.length} bytes does not fit between the kernel (up to ${hex(kernelEnd)}) and ${hex(initrdMax + 1)} (initrd_addr_max ${hex(img.initrdAddrMax)}, ACPI tables at ${hex(o.acpiStart)})`);
    }
    ram.set(o.initrd, addr);
    initrd = { addr, size: o.initrd.length };
  }

  const bp = LINUX_BOOT_PARAMS_ADDR;
  ram.fill(0, bp, bp + BOOT_PARAMS_SIZE);
  ram.set(image.subarray(0x1f1, img.headerEnd), bp + 0x1f1);
  ram[bp + H.type_of_loader] = QEMU_LOADER_ID;
  ram[bp + H.loadflags] = img.loadflags | CAN_USE_HEAP;
  mv.setUint16(bp + H.heap_end_ptr, 0xfe00, true); // QEMU: heap end below the real-mode stack
  mv.setUint32(bp + H.cmd_line_ptr, LINUX_CMDLINE_ADDR, true);
  mv.setUint32(bp + H.ramdisk_image, initrd?.addr ?? 0, true);
  mv.setUint32(bp + H.ramdisk_size, initrd?.size ?? 0, true);
  mv.setUint32(bp + BP_ALT_MEM_K, (o.ramTop - LINUX_KERNEL_ADDR) >>> 10, true);
  const e820 = pcE820(o.acpiStart, o.ramTop);
  if (e820.length > E820_MAX_ENTRIES_ZEROPAGE) throw new LinuxBootError('e820 map has too many entries for the zero page');
  ram[bp + BP_E820_ENTRIES] = e820.length;
  e820.forEach((e, i) => {
    const p = bp + BP_E820_TABLE + i * 20;
    mv.setUint32(p, e.addr, true);
    mv.setUint32(p + 4, 0, true);
    mv.setUint32(p + 8, e.size, true);
    mv.setUint32(p + 12, 0, true);
    mv.setUint32(p + 16, e.type, true);
  });

  ram.fill(0, LINUX_CMDLINE_ADDR, LINUX_CMDLINE_ADDR + cmd.length + 1);
  ram.set(cmd, LINUX_CMDLINE_ADDR);

  // GDT: null, null, __BOOT_CS (0x10: flat 4 GiB code, 32-bit), __BOOT_DS (0x18: flat 4 GiB data).
  const g = LINUX_GDT_ADDR;
  ram.fill(0, g, g + 32);
  mv.setUint32(g + 0x10, 0x0000ffff, true);
  mv.setUint32(g + 0x14, 0x00cf9b00, true);
  mv.setUint32(g + 0x18, 0x0000ffff, true);
  mv.setUint32(g + 0x1c, 0x00cf9300, true);

  return { image: img, bootParams: bp, cmdline: LINUX_CMDLINE_ADDR, initrd, e820, kernelEnd, gdt: { base: g, limit: 0x1f } };
}
