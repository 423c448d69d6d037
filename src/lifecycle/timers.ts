/**
 * Virtual-time timers for the lifecycle manager (the grace period of a
 * graceful-then-forced shutdown is measured in guest time, so a test replays
 * exactly and a slow host does not shorten the guest's chance to shut down).
 */
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { QmpConnection } from '../qmp/connection.js';

export interface DomainTimers {
  /** Current virtual time, ns. */
  now(): Promise<number>;
  /** Call `fn` once virtual time reaches `deadlineNs` (at once if it already has). Returns a cancel function. */
  at(deadlineNs: number, fn: () => void): () => void;
}

/** In-process: a timer on the VM's own VirtualClock (fires inside the machine's time accounting). */
export function clockTimers(clock: VirtualClock): DomainTimers {
  let n = 0;
  return {
    now: () => Promise.resolve(clock.ns()),
    at(deadlineNs, fn) {
      let cancelled = false;
      const fire = () => queueMicrotask(() => !cancelled && fn()); // never act inside a CPU slice
      if (deadlineNs <= clock.ns()) {
        fire();
        return () => void (cancelled = true);
      }
      const t = clock.timer(`lifecycle-grace-${++n}`, fire);
      t.deadline = deadlineNs;
      return () => {
        cancelled = true;
        t.deadline = Infinity;
      };
    },
  };
}

/** Over QMP: poll `x-acpidm-query-clock` (host-time polling, virtual-time deadline). */
export function polledTimers(conn: QmpConnection, pollMs = 20): DomainTimers {
  const now = () => conn.execute<{ ns: number }>('x-acpidm-query-clock').then((r) => r.ns);
  return {
    now,
    at(deadlineNs, fn) {
      let cancelled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const poll = async (): Promise<void> => {
        if (cancelled || conn.closed) return;
        const t = await now().catch(() => null);
        if (t === null || cancelled) return;
        if (t >= deadlineNs) fn();
        else timer = setTimeout(() => void poll(), pollMs);
      };
      void poll();
      return () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
      };
    },
  };
}
