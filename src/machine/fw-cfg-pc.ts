/**
 * What QEMU's `pc` machine puts in fw_cfg for a firmware image (hw/i386/fw_cfg.c `fw_cfg_arch_create`,
 * hw/i386/pc.c, hw/acpi/core.c `acpi_pm1_cnt_init`, hw/i386/acpi-build.c, hw/i386/multiboot.c): the
 * legacy items SeaBIOS reads, `etc/e820`, `etc/boot-fail-wait`, `etc/system-states`, the ACPI tables through
 * the BIOS linker/loader, and a `-kernel` for the `multiboot_dma.bin` option ROM with its boot order entry.
 */
import type { MachineProfile } from '../acpi/profiles/types.js';
import { ACPI_RSDP_FILE, ACPI_TABLES_FILE, buildTableLoader, TABLE_LOADER_FILE } from '../acpi/install/table-loader.js';
import {
  fwCfgAddBytes, fwCfgAddFile, fwCfgAddI16, fwCfgAddI32, fwCfgAddI64, newFwCfg, type FwCfgState,
} from '../piix4/fw-cfg.js';
import {
  FW_CFG_ACPI_TABLES, FW_CFG_BOOT_MENU, FW_CFG_HPET, FW_CFG_INITRD_ADDR, FW_CFG_INITRD_DATA, FW_CFG_INITRD_SIZE,
  FW_CFG_IRQ0_OVERRIDE, FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_DATA, FW_CFG_KERNEL_ENTRY, FW_CFG_KERNEL_SIZE, FW_CFG_MAX_CPUS,
  FW_CFG_NB_CPUS, FW_CFG_NOGRAPHIC, FW_CFG_NUMA, FW_CFG_RAM_SIZE, FW_CFG_UUID,
} from '../piix4/fw-cfg-keys.js';
import type { Trace } from '../trace/trace.js';
import { isLinuxImage } from './linux-boot.js';
import { linuxFwCfg } from './linux-fw-cfg.js';
import { findMultibootHeader, MultibootError } from './multiboot.js';

export interface PcFwCfgOptions {
  ramBytes: number;
  profile: MachineProfile;
  /** PIIX4_PM globals as `acpi_pm1_cnt_init` passes them on. */
  disableS3: boolean;
  disableS4: boolean;
  s4Val: number;
  /**
   * `-kernel` with the option ROM QEMU boots it with (qemu-system-data): a Multiboot image through
   * multiboot_dma.bin, a Linux bzImage (with `-initrd`) through linuxboot_dma.bin.
   */
  kernel?: { bytes: Uint8Array; name: string; cmdline: string; initrd?: Uint8Array; rom: { name: string; bytes: Uint8Array } };
  /** `-no-reboot`/`-boot reboot-timeout`: QEMU's default -1 means "never retry". */
  rebootTimeout?: number;
}

const le32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };

/** `etc/e820` entries: u64 address, u64 length, u32 type (1 RAM), packed (20 bytes each). */
export function e820File(ramBytes: number): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 0n, true);
  v.setBigUint64(8, BigInt(ramBytes), true);
  v.setUint32(16, 1, true);
  return b;
}

/** `etc/system-states`, one byte per S0..S5: bit 7 = state enabled, low bits = SLP_TYP (acpi_pm1_cnt_init). */
export function systemStatesFile(o: { disableS3: boolean; disableS4: boolean; s4Val: number }): Uint8Array {
  return Uint8Array.of(128, 0, 0, 1 | (o.disableS3 ? 0 : 0x80), (o.s4Val & 7) | (o.disableS4 ? 0 : 0x80), 128);
}

const MULTIBOOT_STRUCT_ADDR = 0x9000;
const ADDR_MBI = MULTIBOOT_STRUCT_ADDR + 0x500;
const MBI_SIZE = 88;
const PAGE = 0x1000;
const pageAlign = (x: number): number => Math.ceil(x / PAGE) * PAGE;

/**
 * hw/i386/multiboot.c for an a.out-kludge image: KERNEL_DATA is the image at its load address with bss,
 * page-aligned, followed by the module table, the command line ("<kernel file> <-append>") and the loader
 * name "qemu"; INITRD_DATA is the 88-byte Multiboot info the option ROM completes and puts at 0x9500.
 */
export function multibootFwCfg(s: FwCfgState, image: Uint8Array, name: string, cmdline: string): void {
  const hdr = findMultibootHeader(image);
  if (!hdr) throw new MultibootError('no Multiboot header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB');
  if (!(hdr.flags & 0x10000)) throw new MultibootError('-bios with -kernel loads Multiboot a.out-kludge images only (header flag 16); this one is ELF');
  if (hdr.offset + 32 > image.length) throw new MultibootError('Multiboot header truncated (a.out kludge fields missing)');
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const headerAddr = dv.getUint32(hdr.offset + 12, true);
  const loadAddr = dv.getUint32(hdr.offset + 16, true);
  const loadEnd = dv.getUint32(hdr.offset + 20, true);
  const bssEnd = dv.getUint32(hdr.offset + 24, true);
  const entry = dv.getUint32(hdr.offset + 28, true);
  if (headerAddr < loadAddr) throw new MultibootError('invalid mh_load_addr address');
  const textOffset = hdr.offset - (headerAddr - loadAddr);
  if (textOffset < 0) throw new MultibootError('Multiboot header_addr - load_addr is beyond the header offset');
  const loadSize = loadEnd ? loadEnd - loadAddr : image.length - textOffset;
  if (loadEnd && loadEnd < loadAddr) throw new MultibootError('invalid mh_load_end_addr address');
  if (textOffset + loadSize > image.length) throw new MultibootError(`Multiboot image is ${image.length} bytes, the header asks for ${textOffset + loadSize}`);
  if (bssEnd && bssEnd < loadAddr + loadSize) throw new MultibootError('invalid mh_bss_end_addr address');
  const kernelSize = bssEnd ? bssEnd - loadAddr : loadSize;
  const enc = new TextEncoder();
  const kcmd = enc.encode(`${name} ${cmdline}`);
  const loader = enc.encode('qemu');
  const offMbinfo = pageAlign(kernelSize);
  const cmdlineLen = enc.encode(name).length + 1 + enc.encode(cmdline).length + 1;
  const size = pageAlign(offMbinfo + cmdlineLen + loader.length + 1); // no modules: mb_mods_avail 0
  const buf = new Uint8Array(size);
  buf.set(image.subarray(textOffset, textOffset + loadSize), 0);
  const offCmd = offMbinfo; // offset_cmdlines = offset_mbinfo + 0 module slots
  buf.set(kcmd, offCmd);
  const offLoader = offCmd + cmdlineLen;
  buf.set(loader, offLoader);
  const mbi = new Uint8Array(MBI_SIZE);
  const mv = new DataView(mbi.buffer);
  mv.setUint32(0, 1 | 2 | 4 | 8 | 64 | 512, true); // MEMORY, BOOT_DEVICE, CMDLINE, MODULES, MMAP, BOOTLOADER
  mv.setUint32(12, 0x8000ffff, true); // boot device
  mv.setUint32(16, loadAddr + offCmd, true);
  mv.setUint32(20, 0, true); // mods_count
  mv.setUint32(24, loadAddr + offMbinfo, true);
  mv.setUint32(48, MULTIBOOT_STRUCT_ADDR, true); // mmap_addr: the ROM puts the e820 map there
  mv.setUint32(64, loadAddr + offLoader, true);
  fwCfgAddI32(s, FW_CFG_KERNEL_ENTRY, entry);
  fwCfgAddI32(s, FW_CFG_KERNEL_ADDR, loadAddr);
  fwCfgAddI32(s, FW_CFG_KERNEL_SIZE, size);
  fwCfgAddBytes(s, FW_CFG_KERNEL_DATA, buf);
  fwCfgAddI32(s, FW_CFG_INITRD_ADDR, ADDR_MBI);
  fwCfgAddI32(s, FW_CFG_INITRD_SIZE, MBI_SIZE);
  fwCfgAddBytes(s, FW_CFG_INITRD_DATA, mbi);
}

export function pcFwCfg(trace: Trace, o: PcFwCfgOptions): FwCfgState {
  const s = newFwCfg(trace);
  fwCfgAddBytes(s, FW_CFG_UUID, new Uint8Array(16));
  fwCfgAddI16(s, FW_CFG_NOGRAPHIC, 0);
  fwCfgAddI16(s, FW_CFG_BOOT_MENU, 0);
  fwCfgAddFile(s, 'etc/boot-fail-wait', le32(o.rebootTimeout ?? -1));
  fwCfgAddI16(s, FW_CFG_NB_CPUS, 1);
  fwCfgAddI16(s, FW_CFG_MAX_CPUS, 1);
  fwCfgAddI64(s, FW_CFG_RAM_SIZE, BigInt(o.ramBytes));
  fwCfgAddBytes(s, FW_CFG_ACPI_TABLES, new Uint8Array(0));
  fwCfgAddI32(s, FW_CFG_IRQ0_OVERRIDE, 1);
  fwCfgAddFile(s, 'etc/e820', e820File(o.ramBytes));
  fwCfgAddBytes(s, FW_CFG_HPET, new Uint8Array(121)); // struct hpet_fw_config: no HPET blocks
  fwCfgAddBytes(s, FW_CFG_NUMA, new Uint8Array(16)); // no NUMA nodes, one CPU
  fwCfgAddFile(s, 'etc/system-states', systemStatesFile(o));
  const t = buildTableLoader(o.profile);
  fwCfgAddFile(s, ACPI_TABLES_FILE, t.tables);
  fwCfgAddFile(s, TABLE_LOADER_FILE, t.loader);
  fwCfgAddFile(s, ACPI_RSDP_FILE, t.rsdp);
  if (o.kernel) {
    if (isLinuxImage(o.kernel.bytes)) {
      linuxFwCfg(s, o.kernel.bytes, { cmdline: o.kernel.cmdline, ramBelow4g: o.ramBytes, ...(o.kernel.initrd ? { initrd: o.kernel.initrd } : {}) });
    } else {
      multibootFwCfg(s, o.kernel.bytes, o.kernel.name, o.kernel.cmdline);
    }
    const rom = `genroms/${o.kernel.rom.name}`;
    fwCfgAddFile(s, rom, o.kernel.rom.bytes);
    // bootindex 0: the option ROM boots first ("/rom@genroms/..." in the NUL-terminated boot order list)
    fwCfgAddFile(s, 'bootorder', new TextEncoder().encode(`/rom@${rom}\0`));
  }
  return s;
}
