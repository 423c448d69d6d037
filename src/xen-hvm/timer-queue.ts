/**
 * Many short-lived timers (per-domain PM timer overflow, vCPU sleeps, xl
 * timeouts) multiplexed onto one VirtualClock timer, so destroyed domains
 * leave nothing behind in the clock.
 */
import type { VirtualClock } from '../clock/virtual-clock.js';

export interface TimerHandle {
  deadline: number;
  readonly name: string;
  cancel(): void;
}

interface Entry extends TimerHandle { fire: () => void; live: boolean }

export class TimerQueue {
  private entries: Entry[] = [];
  private readonly clockTimer;

  constructor(readonly clock: VirtualClock) {
    this.clockTimer = clock.timer('xen-host-timers', () => this.run());
  }

  /** A timer that fires once at `deadline` (absolute ns); set `deadline` again to re-arm. */
  add(name: string, fire: () => void, deadline = Infinity): TimerHandle {
    const self = this;
    let dl = deadline;
    const e: Entry = {
      name, fire, live: true,
      get deadline() { return dl; },
      set deadline(v: number) { dl = v; self.rearm(); },
      cancel() { e.live = false; dl = Infinity; self.entries = self.entries.filter((x) => x !== e); self.rearm(); },
    };
    this.entries.push(e);
    this.rearm();
    return e;
  }

  get size(): number {
    return this.entries.length;
  }

  private rearm(): void {
    let d = Infinity;
    for (const e of this.entries) if (e.deadline < d) d = e.deadline;
    this.clockTimer.deadline = d;
  }

  private run(): void {
    const now = this.clock.ns();
    for (const e of [...this.entries]) {
      if (e.live && e.deadline <= now) {
        e.deadline = Infinity;
        e.fire();
      }
    }
    this.rearm();
  }
}
