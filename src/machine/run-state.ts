/**
 * The machine's run state and the requests that change it, serviced in the
 * order of QEMU's main loop (system/runstate.c `main_loop_should_exit`):
 * debug → suspend → shutdown → reset → wakeup → powerdown → vm-stop.
 *
 * Requests only set flags (and, for reset and suspend, stop the current vCPU:
 * `cpu_stop_current`). `service()` is the main-loop pass. Every state change
 * is emitted as a QMP-named event, so the QMP server only serialises them.
 */
import { defineEvent, Trace } from '../trace/trace.js';
import { CauseChain, type CauseLink } from './cause-chain.js';
import { Emitter } from './emitter.js';
import { causedByGuest, type RunState, type ShutdownCause, type WakeupReason } from './shutdown-cause.js';
import { computeVerdict, type RunEnd, type Verdict } from './verdict.js';

export type MachineEventName = 'SHUTDOWN' | 'POWERDOWN' | 'RESET' | 'STOP' | 'RESUME' | 'SUSPEND' | 'SUSPEND_DISK' | 'WAKEUP';

export interface MachineEvent {
  readonly event: MachineEventName;
  readonly data?: { guest: boolean; reason: ShutdownCause };
  /** Virtual time (ns). */
  readonly t: number;
  /** acpidm extension: the cause link that produced this event (not part of QMP's event). */
  readonly cause?: CauseLink;
}

/** `-no-shutdown` = shutdown action pause; `-no-reboot` = reboot action shutdown (QEMU `set-action`). */
export interface Actions {
  shutdown: 'poweroff' | 'pause';
  reboot: 'reset' | 'shutdown';
}

/** What the rest of the machine plugs in: the notifier lists of QEMU's runstate.c. */
export interface RunStateHooks {
  /** Stop the current vCPU at the next instruction boundary (`cpu_stop_current`). */
  stopCpu(): void;
  /** `qemu_system_reset`: reset every device and the CPU. */
  resetMachine(cause: ShutdownCause): void;
  /** Powerdown notifiers (PIIX4 sets PWRBTN_STS if PWRBTN_EN). */
  powerdown(link: CauseLink): void;
  /** Suspend notifiers (RTC writes the CMOS resume marker). */
  suspend(): void;
  /** Wakeup notifiers (ACPI sets WAK_STS | reason bits). */
  wakeup(reason: WakeupReason): void;
}

export const tr = {
  request: defineEvent('machine', 'machine_request', (a: { kind: string; cause: string }) => `${a.kind} requested (${a.cause})`),
  event: defineEvent('machine', 'machine_event', (a: { event: string; guest?: boolean; reason?: string }) =>
    `${a.event}${a.reason ? ` {guest: ${a.guest}, reason: ${a.reason}}` : ''}`),
  state: defineEvent('machine', 'machine_runstate', (a: { from: string; to: string }) => `${a.from} -> ${a.to}`),
};

export class WakeupError extends Error {
  override name = 'GenericError';
}

export class RunStateMachine {
  state: RunState = 'prelaunch';
  readonly actions: Actions = { shutdown: 'poweroff', reboot: 'reset' };
  readonly events = new Emitter<MachineEvent>();
  readonly chain = new CauseChain();
  /** Exit status once the process would have exited (QEMU leaves the main loop), else null. */
  exitStatus: number | null = null;
  /** Wakeup reasons that may wake the guest (QEMU `wakeup_reason_mask`); RTC/PM timer are armed by PM1_EN. */
  wakeupMask = new Set<WakeupReason>(['other']);
  /** End the CPU slice right after a shutdown request (see requestShutdown). Off: QEMU's literal "no stop". */
  serviceShutdownAtOnce = false;

  private debugRequested = false;
  private suspendRequested: CauseLink | null = null;
  private shutdownRequested: { cause: ShutdownCause; link: CauseLink } | null = null;
  private resetRequested: { cause: ShutdownCause; link: CauseLink } | null = null;
  private wakeupRequested: WakeupReason | null = null;
  private powerdownRequested: CauseLink | null = null;
  private vmstopRequested: RunState | null = null;
  /** Log of every event emitted, in order. */
  readonly log: MachineEvent[] = [];

  constructor(private readonly hooks: RunStateHooks, private readonly trace: Trace, private readonly now: () => number) {}

  // ---- requests (QEMU qemu_system_*_request) ------------------------------

  requestShutdown(cause: ShutdownCause, link: Omit<CauseLink, 'id' | 't'>): CauseLink {
    const l = this.link(link);
    this.trace.emit(tr.request, { kind: 'shutdown', cause });
    this.shutdownRequested = { cause, link: l };
    // QEMU does not stop the vCPU for a shutdown request: the main loop is only kicked, and TCG was observed to
    // run 0 to 100+ more loop iterations (qemu-pm.md §10). acpidm picks the deterministic end of that range and
    // ends the slice at the next instruction boundary, so the request is serviced right after the OUT.
    if (this.serviceShutdownAtOnce) this.hooks.stopCpu();
    return l;
  }

  requestReset(cause: ShutdownCause, link: Omit<CauseLink, 'id' | 't'>): CauseLink {
    const l = this.link(link);
    this.trace.emit(tr.request, { kind: 'reset', cause });
    // qemu_system_reset_request: with reboot action "shutdown" a reset becomes a shutdown with the same cause.
    if (this.actions.reboot === 'shutdown' && cause !== 'subsystem-reset') this.shutdownRequested = { cause, link: l };
    else this.resetRequested = { cause, link: l };
    this.hooks.stopCpu();
    return l;
  }

  requestSuspend(link: Omit<CauseLink, 'id' | 't'>): CauseLink | null {
    if (this.state === 'suspended') return null; // a second request while suspended is ignored
    const l = this.link(link);
    this.trace.emit(tr.request, { kind: 'suspend', cause: link.what });
    this.suspendRequested = l;
    this.hooks.stopCpu();
    return l;
  }

  /** QEMU `qemu_system_wakeup_request`; throws QEMU's GenericError text outside `suspended`. */
  requestWakeup(reason: WakeupReason): void {
    if (this.state !== 'suspended') throw new WakeupError('Unable to wake up: guest is not in suspended state');
    if (!this.wakeupMask.has(reason)) return; // masked reasons are silently ignored
    this.setState('running');
    this.wakeupRequested = reason;
  }

  requestPowerdown(link: Omit<CauseLink, 'id' | 't'>): CauseLink {
    const l = this.link(link);
    this.trace.emit(tr.request, { kind: 'powerdown', cause: link.what });
    this.powerdownRequested = l;
    return l;
  }

  requestDebug(): void {
    this.debugRequested = true;
  }

  requestVmStop(state: RunState): void {
    this.vmstopRequested = state;
  }

  /** Emit an event that happens synchronously inside an I/O (S4's SUSPEND_DISK). */
  emitNow(event: MachineEventName, cause?: CauseLink): void {
    this.emit({ event, t: this.now(), ...(cause ? { cause } : {}) });
  }

  hasPendingRequest(): boolean {
    return this.debugRequested || !!this.suspendRequested || !!this.shutdownRequested || !!this.resetRequested ||
      !!this.wakeupRequested || !!this.powerdownRequested || !!this.vmstopRequested;
  }

  /** Peek at pending shutdown/reset (Xen's cpu_handle_ioreq checks these before responding). */
  pendingShutdown(): ShutdownCause | null {
    return this.shutdownRequested?.cause ?? null;
  }
  pendingReset(): ShutdownCause | null {
    return this.resetRequested?.cause ?? null;
  }

  // ---- host commands (QMP) --------------------------------------------------

  /** QMP `cont` (qmp_cont / vm_start). `link`: the host request, recorded on the RESUME. */
  cont(link?: CauseLink): void {
    if (this.needsReset()) throw new WakeupError('Resetting the Virtual Machine is required');
    if (this.state === 'suspended') return;
    if (this.state === 'running') return; // vm_prepare_start: already running, no event
    this.emit({ event: 'RESUME', t: this.now(), ...(link ? { cause: link } : {}) });
    this.setState('running');
  }

  /** Would `cont` change anything? (A `cont` that changes nothing is a request, not a cause link.) */
  contWouldAct(): boolean {
    return !this.needsReset() && this.state !== 'suspended' && this.state !== 'running';
  }

  /** QMP `stop` (vm_stop(RUN_STATE_PAUSED)). */
  stop(link?: CauseLink): void {
    this.vmStop('paused', link);
  }

  /** Would `stop` change anything? */
  stopWouldAct(): boolean {
    return this.state === 'running' || this.state === 'suspended';
  }

  /** "Who shut this VM down?" from this machine's own records (verdict.ts). */
  verdict(end?: RunEnd): Verdict {
    return computeVerdict({ log: this.log, chain: this.chain, runState: this.state, exitStatus: this.exitStatus, ...(end ? { end } : {}) });
  }

  needsReset(): boolean {
    return this.state === 'shutdown' || this.state === 'guest-panicked' || this.state === 'internal-error';
  }

  isRunning(): boolean {
    return this.state === 'running';
  }

  // ---- the main-loop pass -----------------------------------------------------

  /** Service pending requests in QEMU's order. Returns true when the process would exit. */
  service(): boolean {
    if (this.exitStatus !== null) return true;
    if (this.debugRequested) {
      this.debugRequested = false;
      this.vmStop('debug');
    }
    if (this.suspendRequested) {
      const l = this.suspendRequested;
      this.suspendRequested = null;
      // qemu_system_suspend: pause vCPUs, notifiers, state, then the event.
      this.hooks.suspend();
      this.setState('suspended');
      this.emit({ event: 'SUSPEND', t: this.now(), cause: l });
    }
    if (this.shutdownRequested) {
      const { cause, link } = this.shutdownRequested;
      this.shutdownRequested = null;
      this.emit({ event: 'SHUTDOWN', data: { guest: causedByGuest(cause), reason: cause }, t: this.now(), cause: link });
      if (this.actions.shutdown === 'pause') {
        this.vmStop('shutdown');
      } else {
        this.exitStatus = 0;
        return true;
      }
    }
    if (this.resetRequested) {
      const { cause, link } = this.resetRequested;
      this.resetRequested = null;
      this.hooks.resetMachine(cause);
      if (cause !== 'none' && cause !== 'subsystem-reset' && cause !== 'snapshot-load') {
        this.emit({ event: 'RESET', data: { guest: causedByGuest(cause), reason: cause }, t: this.now(), cause: link });
      }
      if (this.state !== 'running' && this.state !== 'inmigrate' && this.state !== 'finish-migrate') this.setState('prelaunch');
    }
    if (this.wakeupRequested) {
      const reason = this.wakeupRequested;
      this.wakeupRequested = null;
      // pc has no machine wakeup hook: qemu_system_wakeup is a full reset with no RESET event.
      this.hooks.resetMachine('none');
      this.hooks.wakeup(reason);
      this.emit({ event: 'WAKEUP', t: this.now() });
    }
    if (this.powerdownRequested) {
      const l = this.powerdownRequested;
      this.powerdownRequested = null;
      // POWERDOWN is emitted first, every time, before the notifiers run.
      this.emit({ event: 'POWERDOWN', t: this.now(), cause: l });
      this.hooks.powerdown(l);
    }
    if (this.vmstopRequested) {
      const s = this.vmstopRequested;
      this.vmstopRequested = null;
      this.vmStop(s);
    }
    return false;
  }

  /** QMP `quit`: the shutdown action is forced to poweroff (qmp_quit). */
  quit(link: Omit<CauseLink, 'id' | 't'>): void {
    this.actions.shutdown = 'poweroff';
    this.requestShutdown('host-qmp-quit', link);
  }

  // ---- internals ----------------------------------------------------------------

  private vmStop(to: RunState, link?: CauseLink): void {
    // do_vm_stop: only a live VM (running or suspended) stops and sends STOP.
    if (this.state === 'running' || this.state === 'suspended') {
      this.setState(to);
      this.emit({ event: 'STOP', t: this.now(), ...(link ? { cause: link } : {}) });
    }
  }

  private link(l: Omit<CauseLink, 'id' | 't'>): CauseLink {
    return this.chain.add({ ...l, t: this.now() });
  }

  setState(to: RunState): void {
    if (to === this.state) return;
    this.trace.emit(tr.state, { from: this.state, to });
    this.state = to;
  }

  private emit(e: MachineEvent): void {
    this.trace.emit(tr.event, { event: e.event, ...(e.data ?? {}) });
    this.log.push(e);
    this.events.emit(e);
  }
}
