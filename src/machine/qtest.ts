/**
 * A qtest-style driver (QEMU tests/qtest/libqtest.h): a PC machine with no
 * CPU, driven by port accesses, PCI config cycles and clock steps; management
 * events come out of `nextEvent()` / `events()` after a main-loop pass.
 */
import { PIIX4_PM_DEVFN, PMBA, PMREGMISC } from '../piix4/piix4-pm.js';
import { pciConfigAddress } from '../piix4/pci-host.js';
import type { MachineEvent } from './run-state.js';
import { PcMachine, type PcMachineOptions } from './pc-machine.js';

export interface QtestOptions extends PcMachineOptions {
  /** Program PMBA = base|1 and PMREGMISC = 1 through 0xCF8/0xCFC as SeaBIOS does. */
  pmBase?: number;
  /** `-S`: stay in prelaunch (default: `cont` at startup; its RESUME is not returned by events()). */
  startPaused?: boolean;
}

export class QtestMachine {
  private cursor = 0;

  constructor(readonly machine: PcMachine) {}

  // The player stands in for guest code: requests it makes are recorded as the guest's, marked `origin: qtest`.
  outb(port: number, v: number): void { this.machine.withIoOrigin('qtest', undefined, () => this.machine.bus.write(port, v, 1)); }
  outw(port: number, v: number): void { this.machine.withIoOrigin('qtest', undefined, () => this.machine.bus.write(port, v, 2)); }
  outl(port: number, v: number): void { this.machine.withIoOrigin('qtest', undefined, () => this.machine.bus.write(port, v, 4)); }
  inb(port: number): number { return this.machine.bus.read(port, 1); }
  inw(port: number): number { return this.machine.bus.read(port, 2); }
  inl(port: number): number { return this.machine.bus.read(port, 4); }

  /** Config read through mechanism #1 (0xCF8 dword, then 0xCFC + (reg & 3)). */
  pciConfigRead(devfn: number, reg: number, size: 1 | 2 | 4 = 4): number {
    this.outl(0xcf8, pciConfigAddress(devfn, reg));
    const port = 0xcfc + (reg & 3);
    return size === 1 ? this.inb(port) : size === 2 ? this.inw(port) : this.inl(port);
  }

  pciConfigWrite(devfn: number, reg: number, value: number, size: 1 | 2 | 4 = 4): void {
    this.outl(0xcf8, pciConfigAddress(devfn, reg));
    const port = 0xcfc + (reg & 3);
    if (size === 1) this.outb(port, value);
    else if (size === 2) this.outw(port, value);
    else this.outl(port, value);
  }

  /** Firmware's PM setup (seabios `piix4_pm_config_setup`): PMBA = base|1, PMREGMISC = 1. */
  programPm(base: number): void {
    this.pciConfigWrite(PIIX4_PM_DEVFN, PMBA, base | 1, 4);
    this.pciConfigWrite(PIIX4_PM_DEVFN, PMREGMISC, 0x01, 1);
  }

  /** qtest `clock_step`: move virtual time, firing timers at their deadlines, then a main-loop pass. */
  clockStep(ns: number): number {
    this.machine.clock.advance(ns);
    this.machine.runState.service();
    return this.machine.clock.ns();
  }

  /** Run a main-loop pass; true when the process would have exited. */
  service(): boolean {
    return this.machine.runState.service();
  }

  /** Next event not yet returned (after a main-loop pass), or undefined. */
  nextEvent(): MachineEvent | undefined {
    this.machine.runState.service();
    const log = this.machine.runState.log;
    return this.cursor < log.length ? log[this.cursor++] : undefined;
  }

  /** All events not yet returned (after a main-loop pass). */
  events(): MachineEvent[] {
    this.machine.runState.service();
    const log = this.machine.runState.log;
    const out = log.slice(this.cursor);
    this.cursor = log.length;
    return out;
  }

  // ---- host commands, as QMP issues them (the QMP server lives in src/qmp) ----

  /** QMP `system_powerdown`: POWERDOWN, then PIIX4 sets PWRBTN_STS if PWRBTN_EN. */
  systemPowerdown(): void {
    this.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'acpi-power-button', what: 'system_powerdown' });
  }

  /** QMP `system_reset`: RESET {guest: false, reason: host-qmp-system-reset}. */
  systemReset(): void {
    this.machine.runState.requestReset('host-qmp-system-reset', { requester: 'host', mechanism: 'qmp', what: 'system_reset' });
  }

  /** QMP `system_wakeup`; throws QEMU's GenericError text unless suspended. */
  systemWakeup(): void {
    this.machine.runState.requestWakeup('other');
  }

  /** QMP `quit`. */
  quit(): void {
    this.machine.runState.quit({ requester: 'host', mechanism: 'qmp', what: 'quit' });
  }

  /** QMP `query-status`. */
  status(): { running: boolean; status: string } {
    const rs = this.machine.runState;
    return { running: rs.isRunning(), status: rs.state };
  }

  /** Exit status once the machine would have exited, else null. */
  get exitStatus(): number | null {
    return this.machine.runState.exitStatus;
  }
}

export function qtestMachine(opts: QtestOptions = {}): QtestMachine {
  const m = new PcMachine(opts);
  const q = new QtestMachine(m);
  if (!opts.startPaused) {
    m.start();
    q.events(); // startup RESUME is not part of what a test asserts
  }
  if (opts.pmBase !== undefined) q.programPm(opts.pmBase);
  return q;
}
