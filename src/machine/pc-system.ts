/**
 * A whole `qemu-system-x86_64 -M pc`: the port-level machine (PcMachine:
 * chipset + run state), guest RAM, the CPU and the firmware that starts it
 * (a `-bios` ROM, or acpidm's built-in SeaBIOS stand-in with a `-kernel`).
 */
import { qemuPcProfile } from '../acpi/profiles/qemu-pc.js';
import type { MachineProfile } from '../acpi/profiles/types.js';
import { FERR_IRQ } from '../piix4/ioport-f0.js';
import { decodePam } from '../piix4/i440fx-pam.js';
import { Cpu } from '../cpu/cpu.js';
import { PhysMemory } from '../memory/phys-memory.js';
import { defineEvent, hex } from '../trace/trace.js';
import { FW_CFG_DMA_BASE, FW_CFG_IO_BASE, fwCfgDmaOps, fwCfgIoOps, type FwCfgState } from '../piix4/fw-cfg.js';
import { PortRegion } from '../ioports/region.js';
import { pcFwCfg } from './fw-cfg-pc.js';
import { PcMachine, type PcMachineOptions } from './pc-machine.js';
import { haveRunPost, programPiix4Pm, seabiosHardReboot, seabiosPost, seabiosS3Resume, type PostResult } from './seabios-post.js';

export interface PcSystemOptions extends PcMachineOptions {
  /** `-m` in MiB (default 128, as QEMU). */
  memoryMiB?: number;
  /** CPU model (src/cpu/cpu-model.ts), default 'acpidm' */
  cpuModel?: string;
  /** `-bios FILE`: the ROM runs from the reset vector and does everything itself. */
  bios?: Uint8Array;
  /** `-kernel FILE`: a Linux bzImage or a Multiboot kernel started by the built-in firmware. */
  kernel?: Uint8Array;
  /** `-initrd FILE` (Linux bzImage kernels only). */
  initrd?: Uint8Array;
  /** `-append`. */
  cmdline?: string;
  /** ACPI tables the built-in firmware installs (default: QEMU pc with the PIIX4_PM globals). */
  profile?: MachineProfile;
  /**
   * With `-bios` and `-kernel`: the option ROM QEMU loads the kernel with (`multiboot_dma.bin` or, for a Linux
   * bzImage, `linuxboot_dma.bin`, from Debian's qemu-system-data), offered as `genroms/<name>` in fw_cfg; `kernelName` is the file name QEMU puts first in
   * the Multiboot command line.
   */
  kernelRom?: { name: string; bytes: Uint8Array };
  kernelName?: string;
}

/** Why a run stopped. */
export type RunOutcome =
  | { kind: 'exit'; status: number }            // the process would exit (guest poweroff, -no-reboot reset, quit)
  | { kind: 'halted-cli'; firmware?: string }   // every CPU halted with interrupts disabled: nothing can wake it
                                                 // (`firmware`: the -bios image stopped itself; what and its last debug-console line)
  | { kind: 'halted' }                           // HLT with IF=1 and nothing pending (waits for the host)
  | { kind: 'stopped'; state: string }           // not running: paused, shutdown (-no-shutdown), suspended, prelaunch
  | { kind: 'budget'; insns: number };           // the instruction budget ran out

export const tr = {
  haltedCli: defineEvent('machine', 'machine_halted_cli', (a: { eip: number }) =>
    `all CPUs halted with interrupts disabled at 0x${hex(a.eip)}: the guest can never run again (acpi=off poweroff ends here)`),
  firmwareHalted: defineEvent('machine', 'machine_firmware_halted', (a: { eip: number; what: string }) =>
    `at 0x${hex(a.eip)}: ${a.what}`),
};

export class PcSystem {
  readonly machine: PcMachine;
  readonly mem: PhysMemory;
  readonly cpu: Cpu;
  readonly profile: MachineProfile;
  /** Result of the last built-in firmware boot (tables and kernel addresses). */
  post: PostResult | null = null;

  constructor(readonly opts: PcSystemOptions = {}) {
    if (opts.bios && opts.kernel && !opts.kernelRom) {
      throw new Error('-bios with -kernel needs the option ROM QEMU boots the kernel with (multiboot_dma.bin or linuxboot_dma.bin, Debian package qemu-system-data)');
    }
    this.machine = new PcMachine(opts);
    const m = this.machine;
    this.mem = PhysMemory.fromMegabytes(opts.memoryMiB ?? 128);
    if (opts.bios) this.mem.mapBios(opts.bios);
    this.profile = opts.profile ?? qemuPcProfile({
      s4_val: opts.s4Val ?? 2, disable_s3: opts.disableS3 ?? false, disable_s4: opts.disableS4 ?? false, smm: opts.smm ?? true,
      ramBelow4g: this.mem.ramSize,
    });
    if (opts.bios) this.fwCfg = this.mapFwCfg();
    this.cpu = new Cpu({ mem: this.mem, io: m.bus, clock: m.clock, trace: m.trace, intr: m.pic, ...(opts.cpuModel ? { model: opts.cpuModel } : {}) });
    // Service a guest's shutdown request right after its OUT (the deterministic end of QEMU's observed 0..100+).
    m.runState.serviceShutdownAtOnce = true;
    // attachCpu turns a triple fault into a reset request with cause guest-reset, as QEMU's shutdown cycle.
    m.attachCpu(this.cpu);
    // x87 errors with CR0.NE=0: FERR# is IRQ 13 and port 0xF0 acknowledges it (QEMU hw/i386/pc.c)
    this.cpu.fpu.onFerr = (level) => m.pic.setIrq(FERR_IRQ, level);
    m.onFerrClear = () => this.cpu.fpu.acknowledgeFerr();
    // i440FX PAM 0x59-0x5F → shadow RAM at 0xC0000-0xFFFFF (QEMU hw/pci-host/pam.c); SeaBIOS unlocks it to run.
    m.onPamChanged = (config) => {
      for (const s of decodePam(config)) this.mem.setPam(s.addr, s.size, s.readRam, s.writeRam);
    };
    // A -bios image that raises an SMI (SeaBIOS's smm_setup with -machine smm=on) waits for SMM code forever:
    // acpidm has no SMM, so the run stops and says so instead of spinning.
    if (opts.bios) {
      m.onSmi = () => {
        if (this.smiNeeded !== null) return;
        this.smiNeeded = `firmware stopped: it raised an SMI (outb 0xB2 <== 0x${hex(m.chipset.apm.apmc, 2)}, APMC_EN set) and waits ` +
          `for SMM, which acpidm does not model; run with -machine smm=off (last debug-console line: ${this.lastDebugconLine()})`;
        this.cpu.requestStop();
      };
    }
    // Every reset (power-on, guest reset, wakeup) runs the firmware again, as on real hardware.
    m.addResetHandler(() => this.firmware());
  }

  /** The instruction count when the built-in firmware last ran POST (see firmware()). */
  private postAtInsns = -1;

  /** Set when a -bios image raised an SMI that nothing services (see onSmi in the constructor). */
  private smiNeeded: string | null = null;

  /** QEMU's fw_cfg at 0x510 (+ DMA at 0x514), present with a `-bios` image (src/machine/fw-cfg-pc.ts). */
  readonly fwCfg: FwCfgState | null = null;

  private mapFwCfg(): FwCfgState {
    const o = this.opts;
    const m = this.machine;
    const s = pcFwCfg(m.trace, {
      ramBytes: this.mem.ramSize, profile: this.profile,
      disableS3: o.disableS3 ?? false, disableS4: o.disableS4 ?? false, s4Val: o.s4Val ?? 2,
      ...(o.kernel && o.kernelRom ? {
        kernel: { bytes: o.kernel, name: o.kernelName ?? 'kernel', cmdline: o.cmdline ?? '', rom: o.kernelRom, ...(o.initrd ? { initrd: o.initrd } : {}) },
      } : {}),
    });
    const mem = this.mem;
    s.dma = {
      read: (addr, len) => {
        const b = new Uint8Array(len);
        for (let i = 0; i < len; i++) b[i] = mem.read8(addr + i);
        return b;
      },
      write: (addr, bytes) => {
        for (let i = 0; i < bytes.length; i++) mem.write8(addr + i, bytes[i]!);
        this.cpu.invalidateCode(); // a device wrote guest RAM behind the CPU's back (it may hold code)
      },
    };
    m.bus.map(new PortRegion(fwCfgIoOps, s), FW_CFG_IO_BASE);
    m.bus.map(new PortRegion(fwCfgDmaOps, s), FW_CFG_DMA_BASE);
    return s;
  }

  /** Power on: reset everything and run the firmware. Call `machine.start()` (or QMP `cont`) to run. */
  powerOn(): this {
    this.machine.reset();
    return this;
  }

  private firmware(): void {
    const m = this.machine;
    if (this.opts.bios) return; // the ROM starts at F000:FFF0 after the CPU reset
    if (!this.opts.kernel) return;
    // SeaBIOS handle_resume: CMOS shutdown status 0xFE (written by the RTC's suspend notifier) means S3 resume.
    const cmos = m.chipset.rtc.cmos;
    if (cmos[0x0f] === 0xfe) {
      cmos[0x0f] = 0;
      if (this.post && seabiosS3Resume(this.mem, this.cpu, m.trace, this.post.tables.facs, { bus: m.bus, pmBase: this.profile.pm.pmBase })) return;
    }
    // Any other reset after POST is SeaBIOS's warm entry: a hard reboot (RESET guest-reset) when the CPU runs, and
    // POST only after that (seabios-post.ts). The reset it requests completes this one: recorded as answering it.
    // SeaBIOS's POST runs on the CPU, so it has run only once the CPU ran after the reset that started it (QEMU 7.2:
    // -S, system_reset, cont gives one RESET); the built-in POST is done at the reset itself, hence the count.
    if (haveRunPost(this.mem) && m.clock.instructions !== this.postAtInsns) {
      seabiosHardReboot(this.mem, this.cpu, m.trace, cmos);
      m.firmwareReboot = 'built-in firmware (SeaBIOS stand-in): hard reboot after POST';
      this.cpu.invalidateCode();
      return;
    }
    this.postAtInsns = m.clock.instructions;
    this.post = seabiosPost({
      bus: m.bus, mem: this.mem, cpu: this.cpu, trace: m.trace, profile: this.profile, kernel: this.opts.kernel,
      ...(this.opts.cmdline !== undefined ? { cmdline: this.opts.cmdline } : {}),
      ...(this.opts.initrd ? { initrd: this.opts.initrd } : {}),
    });
    this.cpu.invalidateCode(); // the kernel and tables were just written by the host, not by guest stores
  }

  /** Re-program the PIIX4 PM block as the firmware does (for tests that start the CPU elsewhere). */
  programPm(): void {
    programPiix4Pm(this.machine.bus, this.machine.trace, this.profile.pm.pmBase);
  }

  /**
   * A guest that halts every CPU with interrupts off ends its life without a run-state request (QEMU sits
   * there): record it in the cause chain once, saying whether the guest ever enabled ACPI (PM1_CNT.SCI_EN):
   * Linux's poweroff with acpi=off ends in `machine_halt` like this (seed 004).
   */
  private haltNotedAt = -1;

  /**
   * With a -bios image, a halt whose code runs from the BIOS areas (0xC0000-0xFFFFF, the ROM below 4 GiB) is the
   * firmware stopping (SeaBIOS `panic` ends in `hlt` there), not a guest: returns its last debug-console line.
   */
  private firmwareHaltLine(): string | null {
    if (!this.opts.bios) return null;
    const cs = this.cpu.segment('cs');
    const pc = (cs.base + this.cpu.getReg('eip')) >>> 0;
    const inBios = (pc >= 0xc0000 && pc < 0x100000) || pc >= 0x1_0000_0000 - this.opts.bios.length;
    if (!inBios) return null;
    return this.lastDebugconLine();
  }

  private lastDebugconLine(): string {
    const lines = this.machine.debugconOutput.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    return lines[lines.length - 1] ?? '(none: SeaBIOS prints on port 0x402, see -device isa-debugcon,iobase=0x402)';
  }

  private noteHaltedForGood(firmware?: string): void {
    const m = this.machine;
    const chain = m.runState.chain;
    const eip = this.cpu.getReg('eip');
    // Once per halt: the CPU has not run since the last note (a power-button press does not wake it).
    if (this.haltNotedAt === m.clock.instructions) return;
    this.haltNotedAt = m.clock.instructions;
    const sciEn = (m.pm.regs.pm1.cnt & 1) !== 0;
    if (firmware !== undefined) {
      chain.add({
        requester: 'guest', mechanism: 'hlt-all-cpus',
        what: firmware,
        evidence: { eip, firmware: true, tNs: m.clock.ns(), insns: m.clock.instructions, ...m.consoleTail.evidence() },
        t: m.clock.ns(),
      });
      return;
    }
    chain.add({
      requester: 'guest', mechanism: 'hlt-all-cpus',
      what: sciEn
        ? 'every CPU halted with interrupts off (ACPI was enabled but no sleep state was written)'
        : 'every CPU halted with interrupts off without ACPI: SCI_EN never set, no PM1a_CNT write (a poweroff with acpi=off halts here)',
      evidence: { eip, sciEn, tNs: m.clock.ns(), insns: m.clock.instructions, ...m.consoleTail.evidence() },
      t: m.clock.ns(),
    });
  }

  /** True when the CPU sits in HLT with IF=0: nothing can ever wake it (lifecycle.md §5.1). */
  haltedWithInterruptsOff(): boolean {
    return this.cpu.halted && (this.cpu.getReg('eflags') & 0x200) === 0;
  }

  /**
   * Run the main loop until something a host must react to: exit, a stop,
   * an unwakeable halt, a wait for the host, or `maxInsns` instructions.
   */
  run(maxInsns: number, slice = 1_000_000): RunOutcome {
    const m = this.machine;
    const start = m.clock.instructions;
    for (;;) {
      const left = maxInsns - (m.clock.instructions - start);
      if (left <= 0) return { kind: 'budget', insns: m.clock.instructions - start };
      const r = m.runSlice(Math.min(slice, left));
      if (this.smiNeeded !== null) {
        if (m.trace.on(tr.firmwareHalted)) m.trace.emit(tr.firmwareHalted, { eip: this.cpu.getReg('eip'), what: this.smiNeeded });
        this.noteHaltedForGood(this.smiNeeded);
        return { kind: 'halted-cli', firmware: this.smiNeeded };
      }
      if (r === 'exit') return { kind: 'exit', status: m.runState.exitStatus ?? 0 };
      if (r === 'idle') {
        if (!m.runState.isRunning()) return { kind: 'stopped', state: m.runState.state };
        if (this.haltedWithInterruptsOff()) {
          const line = this.firmwareHaltLine();
          if (line !== null) {
            const fw = `firmware halted: last debug-console line: ${line}`;
            if (m.trace.on(tr.firmwareHalted)) m.trace.emit(tr.firmwareHalted, { eip: this.cpu.getReg('eip'), what: fw });
            this.noteHaltedForGood(fw);
            return { kind: 'halted-cli', firmware: fw };
          }
          if (m.trace.on(tr.haltedCli)) m.trace.emit(tr.haltedCli, { eip: this.cpu.getReg('eip') });
          this.noteHaltedForGood();
          return { kind: 'halted-cli' };
        }
        return { kind: 'halted' };
      }
    }
  }
}
