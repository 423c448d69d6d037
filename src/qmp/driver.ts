/**
 * The main loop around a `QmpVm`: run slices while the guest runs, yield to the
 * host event loop between slices (so QMP clients are served during a busy
 * guest), sleep while idle until kicked, and finish when the machine exits
 * or is destroyed. Isomorphic: uses only timers.
 */
import { defineEvent } from '../trace/trace.js';
import type { QmpVm, SliceResult } from './vm.js';

export const trDriver = {
  exit: defineEvent('qmp', 'qmp_driver_exit', (a: { status: number; reason: string }) => `vm exit status ${a.status} (${a.reason})`),
};

export interface DriverOptions {
  /** Guest instructions per slice (default 100 000). */
  sliceInsns?: number;
  /**
   * When every vCPU is idle and a virtual timer is armed, jump the virtual clock to it
   * (QEMU `-icount sleep=off` warp). Off by default: qtest-style tests step the clock themselves.
   */
  warpWhenIdle?: boolean;
  /** How often an idle loop re-checks for requests made behind its back (ms, default 5). */
  idlePollMs?: number;
}

export type ExitReason = 'shutdown' | 'destroyed';
export type PassListener = (result: SliceResult) => void;

const yieldToHost: () => Promise<void> = typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
  ? () => new Promise((r) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(r))
  : () => new Promise((r) => setTimeout(r, 0));

export class VmDriver {
  exitStatus: number | null = null;
  exitReason: ExitReason | null = null;
  readonly exited: Promise<number>;
  private resolveExit!: (status: number) => void;
  private readonly passListeners: PassListener[] = [];
  private readonly exitListeners: ((status: number, reason: ExitReason) => void)[] = [];
  private wake: (() => void) | null = null;
  private running = false;
  private readonly sliceInsns: number;
  private readonly warp: boolean;
  private readonly pollMs: number;

  constructor(readonly vm: QmpVm, opts: DriverOptions = {}) {
    this.sliceInsns = opts.sliceInsns ?? 100_000;
    this.warp = opts.warpWhenIdle ?? false;
    this.pollMs = opts.idlePollMs ?? 5;
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  onPass(fn: PassListener): void {
    this.passListeners.push(fn);
  }

  onExit(fn: (status: number, reason: ExitReason) => void): void {
    this.exitListeners.push(fn);
  }

  /** One slice plus main-loop pass, synchronously. Monitor commands call this with 0 instructions. */
  pass(maxInsns = 0): SliceResult {
    if (this.exitStatus !== null) return 'exit';
    const r = this.vm.runSlice(maxInsns);
    for (const fn of this.passListeners) fn(r);
    if (r === 'exit' || this.vm.runState.exitStatus !== null) {
      this.finish(this.vm.runState.exitStatus ?? 0, 'shutdown');
      return 'exit';
    }
    return r;
  }

  /** Start the loop (idempotent). */
  start(): this {
    if (!this.running) {
      this.running = true;
      void this.loop();
    }
    return this;
  }

  /** Something changed (a command, a port write): run a pass soon. */
  kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Like `virsh destroy` killing QEMU: no events, the monitor sees EOF. */
  destroy(): void {
    this.finish(0, 'destroyed');
  }

  private async loop(): Promise<void> {
    while (this.exitStatus === null) {
      const live = this.vm.runState.isRunning();
      const r = this.pass(live ? this.sliceInsns : 0);
      if (r === 'exit') break;
      if (r === 'budget') {
        await yieldToHost(); // let sockets be served between slices
        continue;
      }
      if (this.warp && this.vm.runState.isRunning()) {
        const d = this.vm.clock.nextWakeDeadline(); // PIT ticks on a masked IRQ 0 fire on the way but never keep the loop busy
        if (d !== Infinity) {
          this.vm.clock.advance(Math.max(0, d - this.vm.clock.ns()));
          await yieldToHost(); // a periodic timer must not starve the sockets
          continue;
        }
      }
      await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const t = setInterval(() => {
        // Requests made outside a command (a qtest port write, a timer) kick nobody: poll for them.
        const rs = this.vm.runState;
        const timerDue = this.warp && rs.isRunning() && this.vm.clock.nextWakeDeadline() !== Infinity; // a timer armed meanwhile
        if (rs.hasPendingRequest() || this.exitStatus !== null || timerDue) this.kick();
      }, this.pollMs);
      this.wake = () => {
        clearInterval(t);
        resolve();
      };
    });
  }

  private finish(status: number, reason: ExitReason): void {
    if (this.exitStatus !== null) return;
    this.exitStatus = status;
    this.exitReason = reason;
    this.vm.trace.emit(trDriver.exit, { status, reason });
    this.kick();
    for (const fn of this.exitListeners) fn(status, reason);
    this.resolveExit(status);
  }
}
