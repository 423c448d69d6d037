/**
 * QEMU's `pc` machine at port level: trace, virtual clock, port bus, the
 * PIIX4/PC chipset and the run state, wired as QEMU wires them
 * (hw/i386/pc_piix.c, system/runstate.c). No CPU is needed: tests drive the
 * ports directly (see qtest.ts). A CPU plugs in through `attachCpu`.
 */
import { acpiNotifyWakeup } from '../acpi/acpi-pm.js';
import type { AcpiPm } from '../acpi/pm-regs.js';
import { qemuPcPolicy, type SleepDecode, type SleepPolicy } from '../acpi/sleep-decode.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { PortBus } from '../ioports/port-bus.js';
import { createPcChipset, type PcChipset, type ResetMechanism } from '../piix4/chipset.js';
import { SEABIOS_DEBUG_PORT, DEBUGCON_DEFAULT_IOBASE, type DebugconConfig } from '../piix4/debugcon.js';
import type { DualPic } from '../piix4/i8259.js';
import type { PciHostState } from '../piix4/pci-host.js';
import type { Piix4Pm } from '../piix4/piix4-pm.js';
import { rtcNotifySuspend } from '../piix4/rtc.js';
import { defineEvent, hex, Trace } from '../trace/trace.js';
import type { CauseLink, Evidence, Requester } from './cause-chain.js';
import { ConsoleTail } from './console-tail.js';
import type { CpuExitReason, CpuPort } from './cpu-port.js';
import { DebugconBuffer } from './debugcon-buffer.js';
import { RunStateMachine } from './run-state.js';

export interface PcMachineOptions {
  /** `-machine smm=on|off` (default on, as QEMU TCG). off = ACPI-only PIIX4: SCI_EN from reset. */
  smm?: boolean;
  /** `-global PIIX4_PM.s4_val=N` (default 2). */
  s4Val?: number;
  /** `-global PIIX4_PM.disable_s3=1`: only the DSDT's `\_S3_` goes away; S3 still works (observed on QEMU). */
  disableS3?: boolean;
  disableS4?: boolean;
  /** Override the sleep policy entirely (Xen presets). Wins over s4Val/disableS3/disableS4. */
  policy?: SleepPolicy;
  /**
   * isa-debugcon instances. Default: 0xE9 (QEMU's isa-debugcon default iobase)
   * and 0x402 (SeaBIOS's debug port), both feeding `debugconOutput`. Pass []
   * for none, like a plain `qemu -M pc`.
   */
  debugcon?: DebugconConfig[];
  /** Called for every debugcon byte (in addition to `debugconOutput`). */
  onDebugconOutput?: (byte: number, port: number) => void;
  /** `-no-shutdown`: shutdown action pause. */
  noShutdown?: boolean;
  /** `-no-reboot`: reboot action shutdown. */
  noReboot?: boolean;
  /** `-icount shift=N`: 2^N ns per instruction (default 0). */
  icountShift?: number;
  /** Legacy ISA devices present for PIIX4's machine-ready registers (defaults as QEMU -M pc: LPT, COM1). */
  lpt378?: boolean;
  /** Shorthand for `serialPorts`: com1 false = no serial port, com2 true = COM1 and COM2. */
  com1?: boolean;
  com2?: boolean;
  /** Number of 16550A ports (`-serial` given N times), COM1..COM4; default 1 (COM1), as `qemu -M pc`. */
  serialPorts?: number;
  /** Called for every byte a serial port transmits (index 0 = COM1), in addition to `serialOutput`. */
  onSerialOutput?: (byte: number, index: number) => void;
  /** Guest RAM in MiB as the i440FX (config 0x57) and the CMOS report it; default 128 as `-m`. */
  memoryMiB?: number;
  /** RTC time at virtual time 0 (QEMU `-rtc base=...,clock=vm`); default 2026-01-01T00:00:00Z for replayable runs. */
  rtcBase?: Date | number;
  trace?: Trace;
}

export type SliceResult = 'exit' | 'idle' | 'budget';

/**
 * Who is making the port accesses right now: `cpu` while the CPU executes guest code (set around `cpu.run`),
 * `qtest` for a qtest player standing in for the guest, `agent` for the modelled guest agent (host code writing
 * the guest's ports on its behalf), `host` for any other host code. A guest request is named after it.
 */
export type IoOrigin = 'cpu' | 'qtest' | 'agent' | 'host';

export const tr = {
  sleep: defineEvent('machine', 'machine_guest_sleep', (a: { state: string; typ: number; port: number; value: number; advertised: boolean }) =>
    `guest ${a.state} (SLP_TYP ${a.typ}) via outw 0x${hex(a.port, 4)} <== 0x${hex(a.value, 4)}${a.advertised ? '' : ' (state not advertised to the guest)'}`),
  after: defineEvent('machine', 'machine_insns_after_request', (a: { event: string; mechanism: string; insns: number }) =>
    `${a.event}: ${a.insns} guest instruction${a.insns === 1 ? '' : 's'} ran between the ${a.mechanism} request and the main loop servicing it`),
  reset: defineEvent('machine', 'machine_reset', (a: { devices: number }) => `devices reset (${a.devices} handler${a.devices === 1 ? '' : 's'})`),
};

export class PcMachine {
  readonly trace: Trace;
  readonly clock: VirtualClock;
  readonly bus: PortBus;
  readonly runState: RunStateMachine;
  readonly chipset: PcChipset;
  /** The CPU's interrupt source: `pic.intr()` and `pic.ack()`. */
  readonly pic: DualPic;
  /** ACPI PM block (state in `pm.regs`). */
  readonly pm: AcpiPm;
  /** PIIX4 function 3 (config space, PM window). */
  readonly piix4: Piix4Pm;
  /** PCI config mechanism #1 state and devices. */
  readonly pci: PciHostState;
  readonly policy: SleepPolicy;
  cpu: CpuPort | null = null;
  /** How the CPU's last slice ended. */
  cpuExit: CpuExitReason | null = null;
  /** Extra stop callback (QEMU cpu_stop_current) for a CPU that is not a CpuPort. */
  onStopCpu: (() => void) | null = null;
  /** The A20 gate as the guest last set it through port 0x92 or the i8042 (QEMU x86_cpu_set_a20). */
  onA20: ((enabled: boolean) => void) | null = null;
  /** A guest write to port 0xF0 (QEMU ioportF0_write): the CPU lowers FERR# and asserts IGNNE#. */
  onFerrClear: (() => void) | null = null;
  /** The guest wrote the i440FX PAM registers (config 0x59-0x5F); PcSystem maps shadow RAM from them. */
  onPamChanged: ((config: Uint8Array) => void) | null = null;
  /** An SMI raised through APM 0xB2 (acpidm has no SMM: PcSystem stops a -bios run that needs it). */
  onSmi: (() => void) | null = null;
  /**
   * Set by the built-in firmware when it arms its hard reboot after a warm entry (seabios-post.ts): the next guest
   * reset the CPU requests is that firmware's, recorded with this text and as answering the RESET before it.
   */
  firmwareReboot: string | null = null;

  private readonly debugcon = new DebugconBuffer();
  /** The guest's last console lines with their virtual times (evidence for the cause chain). */
  readonly consoleTail = new ConsoleTail();
  private readonly serialOut: DebugconBuffer[] = [];
  private readonly resetHandlers: (() => void)[] = [];
  private readonly suspendNotifiers: (() => void)[] = [];
  /** Last power-button press the guest could see (PWRBTN_STS latched): a guest S5 answers it. */
  private lastPowerButton: CauseLink | null = null;
  /** Who is making port accesses now (see IoOrigin), and the host request they answer (the agent's command). */
  private ioOrigin: IoOrigin = 'host';
  private ioAnswers: number | undefined;

  constructor(opts: PcMachineOptions = {}) {
    this.clock = new VirtualClock(0);
    if (opts.icountShift !== undefined) this.clock.setShift(opts.icountShift); // validates: integer 0..10
    this.trace = opts.trace ?? new Trace();
    this.trace.clock = () => this.clock.ns();
    this.bus = new PortBus(this.trace);
    this.policy = opts.policy ?? qemuPcPolicy({
      ...(opts.s4Val !== undefined ? { s4Val: opts.s4Val } : {}),
      ...(opts.disableS3 !== undefined ? { disableS3: opts.disableS3 } : {}),
      ...(opts.disableS4 !== undefined ? { disableS4: opts.disableS4 } : {}),
    });
    this.runState = new RunStateMachine({
      stopCpu: () => {
        this.cpu?.requestStop();
        this.onStopCpu?.();
      },
      resetMachine: () => this.reset(),
      powerdown: (link) => {
        const latched = this.piix4.powerButton();
        const { sts, en } = this.pm.regs.pm1;
        // QEMU hw/acpi/core.c acpi_pm1_evt_power_down: PWRBTN_STS is set only if PWRBTN_EN is set.
        const l = this.runState.chain.add({
          requester: 'hypervisor', mechanism: 'acpi-power-button',
          what: latched ? 'PIIX4 latched PWRBTN_STS (PWRBTN_EN=1), SCI raised' : 'press dropped: PWRBTN_EN=0',
          evidence: { pm1_sts: sts, pm1_en: en, latched }, answers: link.id, t: this.clock.ns(),
        });
        this.lastPowerButton = latched ? l : null;
      },
      suspend: () => {
        rtcNotifySuspend(this.chipset.rtc); // the RTC's notifier: CMOS 0x0F = 0xFE
        for (const fn of this.suspendNotifiers) fn();
      },
      wakeup: (reason) => acpiNotifyWakeup(this.pm, reason),
    }, this.trace, () => this.clock.ns());
    // qemu-pm.md §10: TCG runs a variable number of instructions after an S5 OUT; acpidm records how many.
    this.runState.events.on((e) => {
      const at = e.cause?.evidence?.insns;
      if (typeof at === 'number' && this.trace.on(tr.after)) {
        this.trace.emit(tr.after, { event: e.event, mechanism: e.cause!.mechanism, insns: this.clock.instructions - at });
      }
    });
    if (opts.noShutdown) this.runState.actions.shutdown = 'pause';
    if (opts.noReboot) this.runState.actions.reboot = 'shutdown';

    const onByte = opts.onDebugconOutput;
    const onSerial = opts.onSerialOutput;
    this.chipset = createPcChipset(this.bus, this.clock, {
      smm: opts.smm ?? true,
      policy: this.policy,
      debugcon: opts.debugcon ?? [{ iobase: DEBUGCON_DEFAULT_IOBASE }, { iobase: SEABIOS_DEBUG_PORT }],
      ...(opts.lpt378 !== undefined ? { lpt378: opts.lpt378 } : {}),
      serialPorts: opts.serialPorts ?? (opts.com1 === false ? 0 : opts.com2 ? 2 : 1),
      ...(opts.memoryMiB !== undefined ? { ramMiB: opts.memoryMiB } : {}),
      ...(opts.rtcBase !== undefined ? { rtcBaseMs: typeof opts.rtcBase === 'number' ? opts.rtcBase : opts.rtcBase.getTime() } : {}),
    }, {
      resetRequest: (mechanism, what, evidence) => this.guestReset(mechanism, what, evidence),
      acpi: {
        wakeupEnable: (reason, on) => {
          if (on) this.runState.wakeupMask.add(reason);
          else this.runState.wakeupMask.delete(reason);
        },
        // qemu_system_wakeup_request(PMTIMER, NULL): outside `suspended` the error is dropped.
        pmTimerWakeup: () => {
          if (this.runState.state === 'suspended') this.runState.requestWakeup('pmtimer');
        },
        sleep: (d, value, port) => this.guestSleep(d, value, port),
      },
      a20: (on) => this.onA20?.(on),
      ferrClear: () => this.onFerrClear?.(),
      pamChanged: (config) => this.onPamChanged?.(config),
      smi: () => this.onSmi?.(),
      serialByte: (b, i) => {
        (this.serialOut[i] ??= new DebugconBuffer()).push(b);
        if (i === 0) this.consoleTail.push(b, this.clock.ns());
        onSerial?.(b, i);
      },
      debugconByte: (b, port) => {
        this.debugcon.push(b);
        this.consoleTail.push(b, this.clock.ns());
        onByte?.(b, port);
      },
    });
    this.pic = this.chipset.pic;
    this.pm = this.chipset.acpi;
    this.piix4 = this.chipset.pm;
    this.pci = this.chipset.pciHost;
    // A PIT tick can wake only a running CPU, and only through an unmasked IRQ 0 (edges still latch in IRR when masked).
    // ... and only when the CPU could take a PIC interrupt at all (a halted CPU with LINT0 masked never wakes).
    const cpuOpen = () => this.cpu?.picInterruptsOpen?.() ?? true;
    this.chipset.pit.irqTimer.wakes = () => this.runState.isRunning() && (this.pic.master.imr & 1) === 0 && cpuOpen();
    // RTC: IRQ 8 (slave IRQ 0 behind master IRQ 2) wakes a running CPU; an alarm with AIE wakes a suspended machine.
    const rtc = this.chipset.rtc;
    const irq8Open = () => (this.pic.slave.imr & 1) === 0 && (this.pic.master.imr & 4) === 0;
    rtc.periodicTimer.wakes = () => this.runState.isRunning() && irq8Open() && cpuOpen();
    rtc.updateTimer.wakes = () => (this.runState.isRunning()
      ? (rtc.cmos[0x0b]! & 0x30) !== 0 && irq8Open() && cpuOpen()
      : this.runState.state === 'suspended' && (rtc.cmos[0x0b]! & 0x20) !== 0);
    rtc.onAlarm = () => {
      if (this.runState.state === 'suspended') this.runState.requestWakeup('rtc');
    };
    // QEMU resets the machine once after creating it (qemu_system_reset(SHUTDOWN_CAUSE_NONE)):
    // the power-on state is the post-reset state.
    this.chipset.reset();
  }

  /** Everything written to the debug console(s), as Latin-1 text. */
  get debugconOutput(): string {
    return this.debugcon.text();
  }

  /** Everything serial port `index` (0 = COM1) transmitted, as Latin-1 text. */
  serialOutput(index = 0): string {
    return this.serialOut[index]?.text() ?? '';
  }

  /** Debug console bytes. */
  debugconBytes(): Uint8Array {
    return this.debugcon.bytes();
  }

  /** Plug in the CPU (see cpu-port.ts for the contract). A triple fault becomes a guest-reset request. */
  attachCpu(cpu: CpuPort): void {
    this.cpu = cpu;
    if ('onTripleFault' in cpu) {
      cpu.onTripleFault = () => {
        this.runState.requestReset('guest-reset', {
          requester: 'guest', mechanism: 'triple-fault', what: 'CPU triple fault',
          evidence: { ...this.cpuSite(), tNs: this.clock.ns(), insns: this.clock.instructions, ...this.consoleTail.evidence() },
        });
      };
    }
  }

  /** True when the CPU sits in HLT with interrupts disabled (a guest booted with acpi=off ends this way). */
  get haltedForever(): boolean {
    return this.cpuExit === 'halted-cli';
  }

  /** Extra reset handler (QEMU qemu_register_reset), run after the chipset and the CPU. Returns an unregister function. */
  addResetHandler(fn: () => void): () => void {
    this.resetHandlers.push(fn);
    return () => {
      const i = this.resetHandlers.indexOf(fn);
      if (i >= 0) this.resetHandlers.splice(i, 1);
    };
  }

  /** Suspend notifier (QEMU qemu_register_suspend_notifier; the RTC writes its resume marker here). */
  addSuspendNotifier(fn: () => void): () => void {
    this.suspendNotifiers.push(fn);
    return () => {
      const i = this.suspendNotifiers.indexOf(fn);
      if (i >= 0) this.suspendNotifiers.splice(i, 1);
    };
  }

  /** qemu_system_reset without the event: every device, the CPU, then registered handlers. */
  reset(): void {
    this.chipset.reset();
    this.cpu?.reset();
    this.cpuExit = null;
    // Traced before the handlers: the firmware is one of them, and its steps come after the reset, as on a PC.
    if (this.trace.on(tr.reset)) this.trace.emit(tr.reset, { devices: this.resetHandlers.length });
    for (const fn of this.resetHandlers) fn();
    this.lastPowerButton = null;
  }

  /** Leave prelaunch (QMP `cont`; what QEMU does at startup without -S). */
  start(): void {
    this.runState.cont();
  }

  /**
   * One main-loop pass: service pending requests, run the CPU for at most
   * `maxInsns` (stopping at the next timer deadline), service again.
   * 'exit' = the process would exit; 'idle' = nothing can make progress
   * (no CPU, not running, or halted with no timer due); 'budget' = ran and can go on.
   */
  runSlice(maxInsns: number): SliceResult {
    const rs = this.runState;
    if (rs.service()) return 'exit';
    const cpu = this.cpu;
    if (!cpu || !rs.isRunning()) return 'idle';
    // Stop at the next timer deadline so timers fire at their virtual time.
    const budget = Math.max(1, Math.min(maxInsns, this.clock.insnsUntilNextDeadline()));
    // Port accesses made while the CPU runs are the guest's own (the evidence names the instruction).
    const outer = this.ioOrigin;
    this.ioOrigin = 'cpu';
    let exit: CpuExitReason;
    try {
      exit = cpu.run(budget); // the CPU advances the clock itself (cpu-port.ts)
    } finally {
      this.ioOrigin = outer;
    }
    this.cpuExit = exit;
    // An INTR the CPU cannot take (LINT0 masked) must not count as a wake-up, or a halted guest would spin here.
    const wakeable = cpu.canTakeInterrupt ? cpu.canTakeInterrupt() : this.pic.intr();
    if (exit === 'halted' && !wakeable && !rs.hasPendingRequest()) {
      // Halted with IF=1: warp to the next timer deadline (icount with sleep=off), or report idle
      // when no armed timer could ever wake it (e.g. only PIT ticks on a masked IRQ 0).
      // Timers that cannot wake it still fire on the way, in deadline order (clock.advance).
      const wake = this.clock.nextWakeDeadline();
      if (wake === Infinity) return 'idle';
      this.clock.advance(Math.max(0, wake - this.clock.ns()));
    }
    if (rs.service()) return 'exit';
    // HLT with IF=0 never wakes on its own (QEMU: nothing happens; Xen: the vCPU goes down).
    if (exit === 'halted-cli' && !rs.hasPendingRequest()) return 'idle';
    return 'budget';
  }

  /**
   * Run `fn` with its port accesses marked as coming from `origin` (the modelled agent, a qtest player), answering
   * the host request `answers`. Guest requests made inside are recorded as that origin's, never as guest code's.
   */
  withIoOrigin<T>(origin: Exclude<IoOrigin, 'cpu'>, answers: number | undefined, fn: () => T): T {
    const o = this.ioOrigin;
    const a = this.ioAnswers;
    this.ioOrigin = origin;
    this.ioAnswers = answers;
    try {
      return fn();
    } finally {
      this.ioOrigin = o;
      this.ioAnswers = a;
    }
  }

  /** CS:EIP of the instruction the CPU is executing (the OUT), when the CPU exposes it. */
  private cpuSite(): Evidence {
    const c = this.cpu;
    return c && c.insnStart !== undefined && c.segSel ? { cs: c.segSel[1]!, eip: c.insnStart >>> 0 } : {};
  }

  /** Who made the access that is requesting something now, the evidence for it, and what it answers. */
  private requestOrigin(): { requester: Requester; evidence: Evidence; answers: number | undefined } {
    switch (this.ioOrigin) {
      case 'cpu':
        return { requester: 'guest', evidence: { ...this.cpuSite(), insns: this.clock.instructions }, answers: undefined };
      case 'qtest':
        return { requester: 'guest', evidence: { origin: 'qtest' }, answers: undefined };
      case 'agent':
        return { requester: 'agent', evidence: { origin: 'modelled guest agent' }, answers: this.ioAnswers };
      default:
        return { requester: 'host', evidence: { origin: 'host code' }, answers: this.ioAnswers };
    }
  }

  // ---- guest requests ----------------------------------------------------------

  private guestSleep(d: SleepDecode & { kind: 'sleep' }, value: number, port: number): void {
    const rs = this.runState;
    if (this.trace.on(tr.sleep)) this.trace.emit(tr.sleep, { state: d.state, typ: d.typ, port, value, advertised: d.advertised });
    const o = this.requestOrigin();
    // Only guest code can have seen the latched button; the agent's write answers the agent command.
    const answers = o.requester === 'guest' ? (d.state === 'S5' || d.state === 'S4' ? this.lastPowerButton?.id : undefined) : o.answers;
    const link = {
      requester: o.requester,
      mechanism: 'pm1a-cnt' as const,
      what: `outw 0x${hex(port, 4)} <== 0x${hex(value, 4)} (${d.state})`,
      evidence: {
        port, value, slpTyp: d.typ, state: d.state, advertised: d.advertised,
        policy: this.policy.name, tNs: this.clock.ns(), insns: this.clock.instructions, ...o.evidence,
        ...this.consoleTail.evidence(),
      },
      ...(answers !== undefined ? { answers } : {}),
    };
    if (d.state === 'S5') {
      rs.requestShutdown('guest-shutdown', link);
    } else if (d.state === 'S3') {
      rs.requestSuspend(link);
    } else {
      // acpi_pm1_cnt_write: SUSPEND_DISK is sent at once, inside the I/O write, and the shutdown is queued;
      // both come from the same write, so they share one cause link.
      const l = rs.requestShutdown('guest-shutdown', link);
      rs.emitNow('SUSPEND_DISK', l);
    }
  }

  private lastResetLink(): number | undefined {
    const log = this.runState.log;
    for (let i = log.length - 1; i >= 0; i--) if (log[i]!.event === 'RESET') return log[i]!.cause?.id;
    return undefined;
  }

  private guestReset(mechanism: ResetMechanism, what: string, evidence: Record<string, number | string>): void {
    const o = this.requestOrigin();
    // The firmware's hard reboot after a warm entry completes the reset before it (seabios-post.ts): it answers it.
    const fw = this.ioOrigin === 'cpu' ? this.firmwareReboot : null;
    this.firmwareReboot = null;
    const answers = fw !== null ? this.lastResetLink() : o.answers;
    this.runState.requestReset('guest-reset', {
      requester: o.requester, mechanism, what,
      evidence: { ...evidence, tNs: this.clock.ns(), insns: this.clock.instructions, ...o.evidence, ...this.consoleTail.evidence(), ...(fw !== null ? { firmware: fw } : {}) },
      ...(answers !== undefined ? { answers } : {}),
    });
  }
}
