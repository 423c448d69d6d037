/**
 * acpidm's built-in firmware: what SeaBIOS does on QEMU's `pc` before it
 * hands over to a `-kernel` image, reduced to the parts a guest can observe.
 *
 *  1. PIIX4 PM function 00:01.3 through PCI configuration mechanism #1
 *     (seabios src/fw/pciinit.c `piix4_pm_config_setup`): interrupt line 9,
 *     PMBA = 0x600|1 ("Moving pm_base to 0x600": QEMU provides the tables),
 *     PMREGMISC = 1, SMBBA = 0x700|1, SMBHSTCFG = 0x09.
 *  2. The local APIC's LINT0 as ExtINT and LINT1 as NMI (seabios src/fw/smp.c),
 *     so the 8259's INTR reaches the CPU.
 *  3. The BIOS data area: base memory 639 KiB, EBDA at 0x9FC00.
 *  4. The profile's ACPI tables: RSDP in the F-segment, the rest at the top of RAM.
 *  5. The `-kernel`: a Linux bzImage ("HdrS" in its setup header, checked first as QEMU's
 *     x86_load_linux does) through the 32-bit Linux boot protocol (linux-boot.ts), otherwise a
 *     Multiboot kernel, loaded as QEMU's multiboot option ROM does.
 *
 * On an S3 resume (the RTC's CMOS shutdown status is 0xFE) SeaBIOS does none of
 * that: `s3_resume` re-initialises the 8259s, the local APIC's LINT0/LINT1 and the
 * PIIX4 PM window, then jumps to the FACS firmware_waking_vector in real mode.
 *
 * Any other reset after POST (QMP system_reset, a guest's 0xCF9/i8042/triple-fault reboot) is a warm entry:
 * SeaBIOS finds `HaveRunPost` set in its shadowed F-segment, which a reset keeps (QEMU resets neither RAM nor the
 * i440FX PAM registers), and hard-reboots the machine instead of running POST on a used machine
 * (romlayout.S entry_post → resume.c handle_resume/handle_resume32 → tryReboot → fw/shadow.c qemu_reboot:
 * "Attempting a hard reboot", the pristine image copied back with HaveRunPost = 0, then 0x02 and 0x06 to 0xCF9).
 * QEMU reports that reset as RESET {guest: true, reason: guest-reset}; POST runs after it. The built-in firmware
 * does the same: HaveRunPost is a dword in the F-segment, and the hard reboot is 16 bytes of real-mode code run at
 * F000:FFF0, so its 0xCF9 write is a guest reset like SeaBIOS's and happens when the CPU runs (after `cont`).
 * The CMOS shutdown statuses that make SeaBIOS jump through 40:67 (0x05, 0x0A-0x0C) never reach it on QEMU: the
 * RTC clears CMOS 0x0F on every reset unless it holds 0xFE (piix4/rtc.ts rtcReset), so the status read here is
 * 0 or 0xFE, as QEMU 7.2 shows with firmware/guests/warm-reset.asm.
 */
import type { MachineProfile } from '../acpi/profiles/types.js';
import { installTables, type InstalledTables } from '../acpi/install/install-tables.js';
import type { Cpu } from '../cpu/cpu.js';
import { LAPIC_BASE, type PhysMemory } from '../memory/phys-memory.js';
import type { PortBus } from '../ioports/port-bus.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';
import type { LinuxEntry } from './linux-boot.js';
import type { MultibootEntry } from './multiboot.js';
import { enterKernel, loadKernel } from './kernel-load.js';

export const tr = {
  pci: defineEvent('firmware', 'seabios_piix4_pm_config_setup', (a: { pmBase: number; smbBase: number }) =>
    `PIIX4 PM 00:01.3: PMBA 0x${hex(a.pmBase, 4)}|1, PMREGMISC 1, SMBBA 0x${hex(a.smbBase, 4)}|1, IRQ line 9`),
  tables: defineEvent('firmware', 'seabios_acpi_tables', (a: { profile: string; rsdp: number; rsdt: number; fadt: number; dsdt: number; facs: number }) =>
    `ACPI tables (${a.profile}): RSDP 0x${hex(a.rsdp)} RSDT 0x${hex(a.rsdt)} FACP 0x${hex(a.fadt)} DSDT 0x${hex(a.dsdt)} FACS 0x${hex(a.facs)}`),
  kernel: defineEvent('firmware', 'multiboot_load', (a: { entry: number; load: number; end: number; info: number }) =>
    `Multiboot kernel 0x${hex(a.load)}-0x${hex(a.end)}, entry 0x${hex(a.entry)}, EAX 0x2BADB002, EBX 0x${hex(a.info)}`),
  linux: defineEvent('firmware', 'linux_load', (a: { version: number; kernelEnd: number; bootParams: number; initrd: number; initrdSize: number; cmdline: string }) =>
    `Linux bzImage (boot protocol ${a.version >> 8}.${(a.version & 0xff).toString().padStart(2, '0')}) at 0x100000-0x${hex(a.kernelEnd)}, boot_params 0x${hex(a.bootParams)}` +
    `${a.initrdSize ? `, initrd 0x${hex(a.initrd)} (${a.initrdSize} bytes)` : ''}, command line "${a.cmdline}"`),
  resume: defineEvent('firmware', 'seabios_s3_resume', (a: { vector: number }) =>
    a.vector ? `S3 resume: jump to the FACS waking vector 0x${hex(a.vector)} in real mode` : 'S3 resume: no resume vector set'),
  hardReboot: defineEvent('firmware', 'seabios_hard_reboot', (a: { status: number }) =>
    `warm entry after POST (HaveRunPost set, CMOS shutdown status 0x${hex(a.status, 2)}): attempting a hard reboot, ` +
    '0x02 then 0x06 to 0xCF9 from F000:FFF0'),
};

/** SeaBIOS's `HaveRunPost` (romlayout.S entry_post tests it): a dword in the F-segment, which a reset keeps. */
export const HAVE_RUN_POST = 0xfffe0;
/** F000:FFF0, where the CPU enters the shadowed BIOS after a reset. */
const WARM_ENTRY = 0xffff0;
/**
 * What SeaBIOS's qemu_reboot does once it is entered (fw/shadow.c), as real-mode code: HaveRunPost back to 0 (it
 * copies the pristine image, whose HaveRunPost is 0, and clears it last), then the PCI-style reset through the
 * PIIX reset control register: 0x02 (hard reset type), then 0x06 (RST_CPU). SeaBIOS's fall-back is `int3`; a HLT
 * with interrupts off here would stop the run as halted for good.
 */
const HARD_REBOOT = Uint8Array.of(
  0x2e, 0xc6, 0x06, HAVE_RUN_POST & 0xff, (HAVE_RUN_POST >> 8) & 0xff, 0x00, // mov byte [cs:0xffe0], 0
  0xb0, 0x02, //                                                              mov al, 0x02
  0xba, 0xf9, 0x0c, //                                                        mov dx, 0xcf9
  0xee, //                                                                    out dx, al
  0xb0, 0x06, //                                                              mov al, 0x06
  0xee, //                                                                    out dx, al
  0xf4, //                                                                    hlt
);

/** PIIX4 PM function 00:01.3 on `pc`. */
const PIIX4_PM_BDF = (0 << 16) | (1 << 11) | (3 << 8);
const SMB_BASE_OFFSET = 0x100; // SeaBIOS: SMBus I/O right above the PM block

function pciWrite(bus: PortBus, reg: number, value: number, size: 1 | 2 | 4): void {
  bus.write(0xcf8, 0x80000000 | PIIX4_PM_BDF | (reg & 0xfc), 4);
  bus.write(0xcfc + (reg & 3), value, size);
}

/** SeaBIOS `piix4_pm_config_setup` for the profile's PM base. */
export function programPiix4Pm(bus: PortBus, trace: Trace, pmBase: number): void {
  // Traced first: the step, then what it does (the PM block being mapped by the PMBA/PMREGMISC writes).
  if (trace.on(tr.pci)) trace.emit(tr.pci, { pmBase, smbBase: pmBase + SMB_BASE_OFFSET });
  pciWrite(bus, 0x3c, 9, 1);
  pciWrite(bus, 0x40, pmBase | 1, 4);
  pciWrite(bus, 0x80, 0x01, 1);
  pciWrite(bus, 0x90, (pmBase + SMB_BASE_OFFSET) | 1, 4);
  pciWrite(bus, 0xd2, 0x09, 1);
  bus.write(0xcf8, 0, 4);
}

export interface PostResult {
  tables: InstalledTables;
  kernel: MultibootEntry | null;
  linux: LinuxEntry | null;
}

/** Cold boot: program the chipset, install the tables, load the kernel, set the CPU's entry state. */
export function seabiosPost(o: {
  bus: PortBus; mem: PhysMemory; cpu: Cpu; trace: Trace; profile: MachineProfile; kernel: Uint8Array; cmdline?: string;
  initrd?: Uint8Array;
}): PostResult {
  const { bus, mem, cpu, trace, profile } = o;
  programPiix4Pm(bus, trace, profile.pm.pmBase);
  lapicSetup(mem); // LINT0 = ExtINT (0x8700: level), LINT1 = NMI; SVR enabled
  mem.write(HAVE_RUN_POST, 1, 4); // post.c code_mutable_preinit: the next reset is a warm entry
  // BIOS data area: base memory size (KiB) at 0x413, EBDA segment at 0x40E.
  mem.write(0x413, 639, 2);
  mem.write(0x40e, 0x9fc0, 2);
  const tables = installTables(mem.ram, profile, { ramTop: mem.ramSize });
  if (trace.on(tr.tables)) {
    trace.emit(tr.tables, { profile: profile.id, rsdp: tables.rsdp, rsdt: tables.rsdt, fadt: tables.fadt, dsdt: tables.dsdt, facs: tables.facs });
  }
  const k = loadKernel(mem.ram, o.kernel, {
    acpiStart: tables.region.start, ramTop: mem.ramSize,
    ...(o.cmdline !== undefined ? { cmdline: o.cmdline } : {}), ...(o.initrd ? { initrd: o.initrd } : {}),
  });
  enterKernel(cpu, k);
  if (k.kind === 'linux') {
    const linux = k.linux;
    if (trace.on(tr.linux)) {
      trace.emit(tr.linux, {
        version: linux.image.version, kernelEnd: linux.kernelEnd, bootParams: linux.bootParams,
        initrd: linux.initrd?.addr ?? 0, initrdSize: linux.initrd?.size ?? 0, cmdline: o.cmdline ?? '',
      });
    }
    return { tables, kernel: null, linux };
  }
  const kernel = k.multiboot;
  if (trace.on(tr.kernel)) trace.emit(tr.kernel, { entry: kernel.entry, load: kernel.loadAddr, end: kernel.bssEnd, info: kernel.ebx });
  return { tables, kernel, linux: null };
}

/** SeaBIOS hw/pic.c `pic_setup`: both 8259s initialised (ICW1-4) with the BIOS vector bases 0x08 and 0x70, every IRQ masked but the cascade. */
function picSetup(bus: PortBus): void {
  for (const [cmd, base, icw3] of [[0x20, 0x08, 0x04], [0xa0, 0x70, 0x02]] as const) {
    bus.write(cmd, 0x11, 1); // ICW1: edge, cascade, ICW4 follows
    bus.write(cmd + 1, base, 1); // ICW2
    bus.write(cmd + 1, icw3, 1); // ICW3
    bus.write(cmd + 1, 0x01, 1); // ICW4: 8086 mode
  }
  bus.write(0x21, 0xfb, 1);
  bus.write(0xa1, 0xff, 1);
}

/** SeaBIOS src/fw/smp.c `smp_scan` (cold boot and `smp_resume`): APIC software-enabled, LINT0 = ExtINT, LINT1 = NMI. */
function lapicSetup(mem: PhysMemory): void {
  mem.write(LAPIC_BASE + 0xf0, mem.read(LAPIC_BASE + 0xf0, 4) | 0x100, 4);
  mem.write(LAPIC_BASE + 0x350, 0x8700, 4);
  mem.write(LAPIC_BASE + 0x360, 0x8400, 4);
}

/**
 * SeaBIOS `s3_resume`: jump to the FACS firmware_waking_vector in real mode
 * (ACPI 6.5 §5.2.10: CS = vector >> 4, IP = vector & 0xF). Returns false when
 * no vector is set, in which case the caller boots normally.
 *
 * With `devices` (QEMU `pc`: the wakeup reset every device, RAM survives) it first redoes what SeaBIOS's
 * resume.c does before the jump: `pic_setup`, `smp_resume` (the local APIC's LINT0 back to ExtINT: without it
 * a kernel that never touches the APIC gets no 8259 interrupt after resume) and `pci_resume` (fw/pciinit.c
 * re-runs `piix4_pm_config_setup`; observed on QEMU 7.2: acpi-evt/cnt/tmr are mapped at 0x600 again right
 * after WAKEUP).
 */
export function seabiosS3Resume(mem: PhysMemory, cpu: Cpu, trace: Trace, facs: number, devices?: { bus: PortBus; pmBase: number }): boolean {
  const vector = mem.read(facs + 12, 4) >>> 0;
  if (trace.on(tr.resume)) trace.emit(tr.resume, { vector });
  if (vector === 0) return false;
  cpu.reset();
  if (devices) {
    picSetup(devices.bus);
    lapicSetup(mem);
    programPiix4Pm(devices.bus, trace, devices.pmBase);
  }
  cpu.setReg('cs', vector >>> 4);
  cpu.setReg('eip', vector & 0xf);
  return true;
}

/** SeaBIOS entry_post: has POST run since power-on (HaveRunPost in the F-segment)? */
export function haveRunPost(mem: PhysMemory): boolean {
  return mem.read(HAVE_RUN_POST, 4) !== 0;
}

/**
 * SeaBIOS's warm entry after POST (resume.c handle_resume, status other than an S3 resume): the CMOS shutdown
 * status is cleared and the machine is hard-rebooted (fw/shadow.c qemu_reboot). The CPU starts at F000:FFF0 in
 * the code above, so the reset is requested by the CPU's own OUT when it runs.
 */
export function seabiosHardReboot(mem: PhysMemory, cpu: Cpu, trace: Trace, cmos: Uint8Array): void {
  const status = cmos[0x0f]!;
  cmos[0x0f] = 0; // handle_resume: rtc_write(CMOS_RESET_CODE, 0)
  if (trace.on(tr.hardReboot)) trace.emit(tr.hardReboot, { status });
  for (let i = 0; i < HARD_REBOOT.length; i++) mem.write8(WARM_ENTRY + i, HARD_REBOOT[i]!);
  cpu.reset();
  cpu.setReg('cs', 0xf000); // F000:FFF0 = WARM_ENTRY
  cpu.setReg('eip', 0xfff0);
}
