/**
 * A real guest kernel in Xen mode: acpidm's CPU interpreter runs a Linux
 * bzImage (with its initrd and command line: xl's direct kernel boot) or a
 * Multiboot kernel in the domain's RAM, loaded by the same loader as QEMU
 * mode (src/machine/kernel-load.ts), with hvmloader's ACPI tables installed
 * (the Xen profile of src/acpi). The devices Xen emulates itself are here as
 * hypervisor intercepts (Xen xen/arch/x86/hvm/): the vPIC (vpic.c), the vPIT
 * and port 0x61 (i8254.c), the vRTC at 0x70/0x71 (rtc.c), besides the PM
 * timer and PM1a_STS/EN of hvm-io.ts (pmtimer.c); the 16550, PCI config and
 * PM1a_CNT are qemu-dm's, over the ioreq ring. The Xen interface an HVM guest
 * with PV drivers uses (Xen xen/arch/x86/cpuid.c, hvm/hypercall.c):
 *  - CPUID 0x40000000 "XenVMMXenVMM", 0x40000001 version 4.17, 0x40000002
 *    one hypercall page at MSR 0x40000000;
 *  - writing the MSR fills the page with Xen's stubs `mov eax, nr; vmcall; ret`;
 *  - VMCALL: eax = hypercall number, ebx, ecx, edx, esi, edi = arguments,
 *    result in eax (32-bit HVM guest ABI).
 * Port I/O goes through the domain's HvmIo. After any access that paused the
 * vCPU (the shutdown completed), the CPU stops at once: the guest never
 * executes another instruction.
 */
import { installTables } from '../acpi/install/index.js';
import { xenHvmloaderProfile } from '../acpi/profiles/xen-hvmloader.js';
import type { MachineProfile } from '../acpi/profiles/types.js';
import { Cpu } from '../cpu/cpu.js';
import type { AccessSize } from '../ioports/region.js';
import { enterKernel, loadKernel, type LoadedKernel } from '../machine/kernel-load.js';
import { seabiosS3Resume } from '../machine/seabios-post.js';
import { LAPIC_BASE, PhysMemory } from '../memory/phys-memory.js';
import { newPit, pitOps, PIT_PORT } from '../piix4/i8254.js';
import { newPort61, port61Ops, PORT61 } from '../piix4/port61.js';
import { newRtc, rtcOps, RTC_PORT } from '../piix4/rtc.js';
import type { Vcpu } from './domain.js';
import type { GuestCtx, XenGuest } from './guest.js';
import { hypercall } from './hypercalls.js';
import { HVM_PARAM_CALLBACK_IRQ, SCHEDOP_block, SCHEDOP_yield, HYPERVISOR_sched_op } from './xen-abi.js';
import type { DualPic } from '../piix4/i8259.js';
import { attachVpic, sciToVpic } from './vpic.js';

/** The MSR Xen's CPUID leaf 0x40000002 names for the hypercall page. */
export const XEN_HYPERCALL_MSR = 0x40000000;
const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffff_ffff] as const;

export interface CpuGuestOptions {
  kernel: Uint8Array;
  /** Guest RAM in MiB (the xl `memory`). */
  memoryMb: number;
  name?: string;
  profile?: MachineProfile;
  cmdline?: string;
  /** xl `ramdisk=` / `-initrd`: a Linux kernel's initramfs. */
  initrd?: Uint8Array;
  /** Instructions per scheduler slice (default 20,000). */
  budget?: number;
  /** acpi = 0: hvmloader builds no ACPI tables. */
  noAcpi?: boolean;
}

export class CpuGuest implements XenGuest {
  readonly kind: string;
  readonly mem: PhysMemory;
  readonly loaded: LoadedKernel;
  cpu: Cpu | null = null;
  /** Xen's vPIC for this domain (the SCI arrives on IRQ 9). */
  pic: DualPic | null = null;
  /** Set when the CPU triple-faulted or stopped for a reason the guest cannot leave. */
  lastExit = '';
  private readonly budget: number;
  /** Where hvmloader put the FACS (its firmware_waking_vector is the S3 resume entry); 0 without ACPI tables. */
  private facs = 0;
  /** hvm_s3_suspend reset vCPU 0 to the reset vector: the firmware runs when the domain is unpaused. */
  private atResetVector = false;
  /** The GSI an event-channel upcall holds asserted until the vCPU takes it (-1: none). */
  private upcallLine = -1;
  /** The guest yielded or blocked in its last slice: idle until an event (or 1 ms) instead of spinning the scheduler. */
  private idle = false;

  constructor(o: CpuGuestOptions) {
    this.kind = `cpu:${o.name ?? 'kernel'}`;
    this.mem = PhysMemory.fromMegabytes(o.memoryMb);
    let acpiStart = this.mem.ramSize;
    if (!o.noAcpi) {
      const t = installTables(this.mem.ram, o.profile ?? xenHvmloaderProfile(), { ramTop: this.mem.ramSize });
      this.facs = t.facs;
      acpiStart = t.region.start;
    }
    this.loaded = loadKernel(this.mem.ram, o.kernel, {
      acpiStart, ramTop: this.mem.ramSize, ...(o.cmdline !== undefined ? { cmdline: o.cmdline } : {}), ...(o.initrd ? { initrd: o.initrd } : {}),
    });
    this.budget = o.budget ?? 20_000;
  }

  /** The domain's memory is this RAM: hypercall arguments are read from it. */
  get ram(): Uint8Array {
    return this.mem.ram;
  }

  /**
   * Where libxl puts the xenstore ring: the page in the middle of RAM, clear of the kernel (at 1 MiB) and of
   * the ACPI tables (at the top). Real Xen uses a special page above RAM.
   */
  get storePfn(): number {
    return this.mem.ramSize >>> 13;
  }

  boot(ctx: GuestCtx): void {
    const v0 = ctx.d.vcpus[0]!;
    // HVM secondary vCPUs start down until the guest brings them up (INIT-SIPI, not modelled).
    for (const v of ctx.d.vcpus) if (v.id > 0) v.down = true;
    const io = {
      read: (port: number, size: AccessSize): number => {
        const st = ctx.io.in(v0, port, size);
        if (st !== 'done') {
          cpu.requestStop();
          return ALL_ONES[size];
        }
        if (v0.pauseCount > 0) cpu.requestStop();
        return ctx.io.readValue[0]!;
      },
      write: (port: number, value: number, size: AccessSize): void => {
        const st = ctx.io.out(v0, port, size, value);
        // Paused for shutdown, or waiting for the device model: not one more instruction.
        if (st !== 'done' || v0.pauseCount > 0 || v0.ioPending) cpu.requestStop();
      },
    };
    const pic = attachVpic(ctx.io, ctx.hv.trace);
    this.pic = pic;
    // An ISA line of the vPIC changed (Xen's vPIT/vRTC, or qemu-dm's UART through XEN_DMOP_set_isa_irq_level):
    // an interrupt the vCPU can take wakes it from hlt (vcpu_kick).
    const setIrq = (irq: number, level: boolean): void => {
      pic.setIrq(irq, level);
      if (level && this.cpu && !v0.ioPending && !v0.down && this.cpu.picInterruptsOpen() && pic.intr()) v0.blocked = false;
    };
    ctx.d.hooks.setIsaIrq = setIrq;
    // Xen's own vPIT (i8254.c, with the speaker port 0x61) and vRTC (rtc.c) on the domain's device clock.
    const devClock = ctx.devClock ?? ctx.clock;
    const pit = newPit(devClock, ctx.hv.trace, (l) => setIrq(0, l));
    ctx.io.addIntercept(PIT_PORT, 4, pitOps, pit);
    ctx.io.addIntercept(PORT61, 1, port61Ops, newPort61(pit));
    const rtc = newRtc(devClock, ctx.hv.trace, { ramMiB: this.mem.ramSize >>> 20 }, (l) => setIrq(8, l));
    ctx.io.addIntercept(RTC_PORT, 2, rtcOps, rtc);
    // Cause links name the guest instruction behind an access: CS:EIP of the IN/OUT and the instruction count.
    ctx.io.siteOf = () => ({ cs: cpu.getReg('cs'), eip: cpu.insnStart >>> 0, insns: ctx.clock.instructions });
    // The upcall's GSI line stays asserted until the vCPU takes the interrupt (Xen keeps it up while
    // evtchn_upcall_pending is set; with no shared_info modelled, taking the vector is the guest clearing it).
    const intr = {
      intr: () => pic.intr(),
      ack: (): number => {
        const v = pic.ack();
        const line = this.upcallLine;
        if (line >= 0 && (v & 0xff) === (line < 8 ? pic.master.irqBase + line : pic.slave.irqBase + line - 8)) {
          this.upcallLine = -1;
          pic.setIrq(line, false);
        }
        return v;
      },
      // the CPU wires itself to the vPIC's output (IntrLine.onIntr)
      set onIntr(f: ((level: boolean) => void) | null) { pic.onIntr = f; },
    };
    // The host's clock, not one of its own: the guest's instructions are the host's time (1 ns each).
    const cpu = new Cpu({ mem: this.mem, io, clock: ctx.clock, trace: ctx.hv.trace, intr });
    this.cpu = cpu;
    const ram = this.mem.ram;
    cpu.cpuidHook = (leaf) =>
      leaf === 0x40000000 ? [0x40000005, 0x566e6558, 0x65584d4d, 0x4d4d566e] // "XenVMMXenVMM"
        : leaf === 0x40000001 ? [0x00040011, 0, 0, 0] // 4.17
          : leaf === 0x40000002 ? [1, XEN_HYPERCALL_MSR, 0, 0] : null;
    cpu.msrHook = {
      read: () => null,
      write: (msr, value) => {
        if (msr !== XEN_HYPERCALL_MSR) return false;
        const page = (value >>> 0) - ((value >>> 0) % 4096);
        if (page + 4096 > ram.length) return false;
        for (let nr = 0; nr < 128; nr++) ram.set([0xb8, nr, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3], page + nr * 32);
        return true;
      },
    };
    cpu.onVmcall = (c) => {
      const nr = c.getReg('eax');
      const args = [c.getReg('ebx'), c.getReg('ecx'), c.getReg('edx'), c.getReg('esi'), c.getReg('edi')];
      const rc = hypercall(ctx.hv, v0, nr, args);
      c.setReg('eax', rc >>> 0);
      // Yield/block, or a hypercall that paused us: give the host (xenstored, the toolstack) a turn.
      if (nr === HYPERVISOR_sched_op && (args[0] === SCHEDOP_yield || args[0] === SCHEDOP_block)) {
        this.idle = true;
        c.requestStop();
      } else if (v0.pauseCount > 0) c.requestStop();
    };
    cpu.onTripleFault = () => {
      this.lastExit = 'triple-fault';
      ctx.hv.tripleFault(v0);
      cpu.requestStop();
    };
    this.enter(cpu);
    // hvm_s3_suspend: vpic_reset, and vCPU 0 back at F000:FFF0 (the registers are set when the firmware runs).
    ctx.io.s3ResetHooks.push(() => {
      pic.reset();
      this.atResetVector = true;
    });
  }

  /**
   * The firmware at the reset vector after hvm_s3_resume: with CMOS 0x0F = 0xFE (qemu-dm's cmos_set_s3_resume) and a
   * FACS waking vector, jump there in real mode as the BIOS's s3_resume does (ACPI 6.5 §5.2.10); otherwise boot the
   * kernel again, as hvmloader would.
   */
  private firmwareAtResetVector(ctx: GuestCtx, cpu: Cpu): void {
    this.atResetVector = false;
    const status = ctx.takeCmosShutdownStatus?.() ?? 0;
    if (status === 0xfe && this.facs !== 0 && seabiosS3Resume(this.mem, cpu, ctx.hv.trace, this.facs)) return;
    cpu.reset();
    this.enter(cpu);
  }

  /**
   * The kernel's entry state. For Linux, also what the firmware before it leaves in the local APIC: LINT0 as
   * ExtINT and LINT1 as NMI (SeaBIOS smp.c, which hvmloader runs too), so the vPIC's interrupts reach the vCPU.
   */
  private enter(cpu: Cpu): void {
    if (this.loaded.kind === 'linux') {
      this.mem.write(LAPIC_BASE + 0xf0, 0x1ff, 4);
      this.mem.write(LAPIC_BASE + 0x350, 0x8700, 4);
      this.mem.write(LAPIC_BASE + 0x360, 0x8400, 4);
    }
    enterKernel(cpu, this.loaded);
    cpu.invalidateCode();
  }

  /**
   * Xen hvm_assert_evtchn_irq with HVM_PARAM_CALLBACK_IRQ of type GSI (bits 63:56 = 0): an ISA GSI is asserted on the
   * vPIC (hvm_set_callback_irq_level). Other callback types (PCI INTx, vector) are not modelled.
   */
  onEvtchnUpcall(ctx: GuestCtx): void {
    const via = ctx.d.params[HVM_PARAM_CALLBACK_IRQ] ?? 0n;
    const v = ctx.d.vcpus[0]!;
    if (via !== 0n && via >> 56n === 0n && via < 16n && this.pic) {
      this.upcallLine = Number(via);
      this.pic.setIrq(this.upcallLine, true);
      if (this.pic.intr() && !v.ioPending && !v.down) v.blocked = false;
      return;
    }
    if (!v.ioPending && !v.down) v.blocked = false; // a polling guest: just let it run
  }

  /** The SCI changed: IRQ 9 on the vPIC; an interrupt wakes a vCPU halted with IF=1. */
  onSci(ctx: GuestCtx, level: boolean): void {
    if (!this.pic) return;
    sciToVpic(this.pic, level);
    const v = ctx.d.vcpus[0]!;
    if (level && this.pic.intr() && !v.ioPending && !v.down) v.blocked = false;
  }

  step(ctx: GuestCtx, v: Vcpu): void {
    const cpu = this.cpu;
    if (!cpu || v.id !== 0) {
      v.blocked = true;
      return;
    }
    this.idle = false;
    if (this.atResetVector) this.firmwareAtResetVector(ctx, cpu);
    // The slice ends at the next host timer (xl/libxl/xend timeouts, the PM timer, a sleeping vCPU), so the
    // timer fires between slices, never while this guest's instruction is half done.
    const exit = cpu.run(Math.min(this.budget, ctx.clock.insnsUntilNextDeadline()));
    this.lastExit = exit;
    // A polling guest (the xen-pv kernel waits for xenstore with SCHEDOP_yield): sleep until the ring is
    // notified (the store port wakes the vCPU) or 1 ms passes.
    if (this.idle && exit === 'stopped' && v.pauseCount === 0) ctx.sleep(v, 1e6);
    if (exit === 'halted-cli') ctx.hv.vcpuDown(v); // hvm_hlt with IF=0
    else if (exit === 'halted') v.blocked = true; // waits for an interrupt (no vPIC delivery modelled)
    else if (exit === 'triple-fault' && !ctx.d.isShuttingDown) ctx.hv.tripleFault(v);
  }
}
