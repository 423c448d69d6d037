/**
 * `-kernel` / `-initrd` / `-append` for both modes: one loader that QEMU mode's built-in firmware
 * (seabios-post.ts) and Xen mode's direct kernel boot (src/xen-hvm/cpu-guest.ts: xl `kernel=`, `ramdisk=`,
 * `cmdline=`) share. A Linux bzImage ("HdrS", checked first as QEMU's x86_load_linux does) goes through the
 * 32-bit Linux boot protocol (linux-boot.ts); anything else must be Multiboot v1 (multiboot.ts).
 */
import type { Cpu } from '../cpu/cpu.js';
import { isLinuxImage, loadLinux, type LinuxEntry } from './linux-boot.js';
import { loadMultiboot, MultibootError, type MultibootEntry } from './multiboot.js';

export type LoadedKernel = { kind: 'linux'; linux: LinuxEntry } | { kind: 'multiboot'; multiboot: MultibootEntry };

export interface KernelLoadOptions {
  cmdline?: string;
  initrd?: Uint8Array;
  /** First byte of the ACPI tables at the top of RAM (the e820 map reserves them; the initrd goes below). */
  acpiStart: number;
  /** End of RAM. */
  ramTop: number;
}

/** Put the kernel (and initrd, command line, zero page or Multiboot info) into guest RAM. */
export function loadKernel(ram: Uint8Array, kernel: Uint8Array, o: KernelLoadOptions): LoadedKernel {
  if (isLinuxImage(kernel)) {
    return { kind: 'linux', linux: loadLinux(ram, kernel, {
      cmdline: o.cmdline ?? '', acpiStart: o.acpiStart, ramTop: o.ramTop, ...(o.initrd ? { initrd: o.initrd } : {}),
    }) };
  }
  if (o.initrd) throw new MultibootError('-initrd needs a Linux kernel image (this -kernel is not a bzImage)');
  return { kind: 'multiboot', multiboot: loadMultiboot(ram, kernel, { cmdline: o.cmdline ?? '' }) };
}

/** The CPU state the loaded kernel expects at its entry point. */
export function enterKernel(cpu: Cpu, k: LoadedKernel): void {
  if (k.kind === 'linux') {
    // boot.rst, 32-bit boot protocol: __BOOT_CS/__BOOT_DS flat, ESI = boot_params, EBP = EDI = EBX = 0, IF = 0.
    const l = k.linux;
    cpu.setFlatProtectedMode(0x100000, { esi: l.bootParams, ebx: 0, ebp: 0, edi: 0, esp: l.bootParams },
      { cs: 0x10, ds: 0x18, gdtBase: l.gdt.base, gdtLimit: l.gdt.limit });
  } else {
    cpu.setFlatProtectedMode(k.multiboot.entry, { eax: k.multiboot.eax, ebx: k.multiboot.ebx });
  }
}
