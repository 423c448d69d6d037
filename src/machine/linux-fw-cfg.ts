/**
 * `-kernel bzImage` for a `-bios` firmware, as QEMU's x86_load_linux (hw/i386/x86.c) hands it to the
 * `linuxboot_dma.bin` option ROM through fw_cfg: the real-mode setup (with its header patched: type_of_loader
 * 0xB0, CAN_USE_HEAP + heap_end_ptr, cmd_line_ptr, ramdisk_image/size) for 0x10000, the protected-mode kernel for
 * 1 MiB, the command line for 0x20000 and the initrd page-aligned below min(initrd_addr_max, RAM - 160 KiB).
 * The ROM copies them and enters the kernel's real-mode setup, which asks the BIOS for e820, video and so on.
 */
import { fwCfgAddBytes, fwCfgAddI32, type FwCfgState } from '../piix4/fw-cfg.js';
import {
  FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_DATA, FW_CFG_CMDLINE_SIZE, FW_CFG_INITRD_ADDR, FW_CFG_INITRD_DATA, FW_CFG_INITRD_SIZE,
  FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_DATA, FW_CFG_KERNEL_SIZE, FW_CFG_SETUP_ADDR, FW_CFG_SETUP_DATA, FW_CFG_SETUP_SIZE,
} from '../piix4/fw-cfg-keys.js';
import { LINUX_BOOT_PARAMS_ADDR, LINUX_CMDLINE_ADDR, LINUX_KERNEL_ADDR, LinuxBootError, parseLinuxImage } from './linux-boot.js';

/** QEMU pc: the top of RAM the ACPI tables may use (acpi_data_size 0x20000 + 0x8000), kept free of the initrd. */
const ACPI_DATA_SIZE = 0x28000;

export function linuxFwCfg(s: FwCfgState, image: Uint8Array, o: { cmdline: string; initrd?: Uint8Array; ramBelow4g: number }): void {
  const img = parseLinuxImage(image);
  const setupSize = img.kernelOffset;
  const setup = image.slice(0, setupSize);
  const kernel = image.slice(setupSize);
  const v = new DataView(setup.buffer);
  const cmd = new TextEncoder().encode(o.cmdline);
  if (cmd.length + 1 > img.cmdlineSize + 1) throw new LinuxBootError(`-append is ${cmd.length} bytes; the kernel's cmdline_size is ${img.cmdlineSize}`);
  const cmdline = new Uint8Array(cmd.length + 1);
  cmdline.set(cmd);
  v.setUint32(0x228, LINUX_CMDLINE_ADDR, true); // cmd_line_ptr (protocol >= 2.02)
  setup[0x210] = 0xb0; // type_of_loader: QEMU
  v.setUint16(0x224, LINUX_CMDLINE_ADDR - LINUX_BOOT_PARAMS_ADDR - 0x200, true); // heap_end_ptr
  setup[0x211] = setup[0x211]! | 0x80; // CAN_USE_HEAP
  if (o.initrd) {
    let max = img.initrdAddrMax;
    if (max >= o.ramBelow4g - ACPI_DATA_SIZE) max = o.ramBelow4g - ACPI_DATA_SIZE - 1;
    if (o.initrd.length >= max) throw new LinuxBootError(`-initrd of ${o.initrd.length} bytes is too large (max 0x${max.toString(16)})`);
    const addr = Math.floor((max - o.initrd.length) / 4096) * 4096;
    v.setUint32(0x218, addr, true); // ramdisk_image
    v.setUint32(0x21c, o.initrd.length, true); // ramdisk_size
    fwCfgAddI32(s, FW_CFG_INITRD_ADDR, addr);
    fwCfgAddI32(s, FW_CFG_INITRD_SIZE, o.initrd.length);
    fwCfgAddBytes(s, FW_CFG_INITRD_DATA, o.initrd);
  }
  fwCfgAddI32(s, FW_CFG_KERNEL_ADDR, LINUX_KERNEL_ADDR);
  fwCfgAddI32(s, FW_CFG_KERNEL_SIZE, kernel.length);
  fwCfgAddBytes(s, FW_CFG_KERNEL_DATA, kernel);
  fwCfgAddI32(s, FW_CFG_CMDLINE_ADDR, LINUX_CMDLINE_ADDR);
  fwCfgAddI32(s, FW_CFG_CMDLINE_SIZE, cmdline.length);
  fwCfgAddBytes(s, FW_CFG_CMDLINE_DATA, cmdline);
  fwCfgAddI32(s, FW_CFG_SETUP_ADDR, LINUX_BOOT_PARAMS_ADDR);
  fwCfgAddI32(s, FW_CFG_SETUP_SIZE, setup.length);
  fwCfgAddBytes(s, FW_CFG_SETUP_DATA, setup);
}
