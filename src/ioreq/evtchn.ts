/**
 * Interdomain event channels between the hypervisor side and the device
 * model: one per vCPU plus one for the buffered ring (Xen ioreq server
 * `ioreq_evtchn` per vCPU and `bufioreq_evtchn`; HVM_PARAM_BUFIOREQ_EVTCHN).
 *
 * Channel c has two ends: Xen's port (`xenPort(c)`, what `vp_eport` holds)
 * and the port the DM bound locally (`dmPort(c)`). Each direction has a
 * pending word per channel and one doorbell per side, so a side waits on a
 * single word whatever channel fires (like select() on /dev/xen/evtchn).
 *
 * Wake-up protocol (no lost wake-ups, and no Atomics.notify when nobody
 * sleeps): the notifier sets pending, bumps the bell, then notifies only if
 * the sleeping flag is set; the waiter sets the sleeping flag, re-reads the
 * bell, and only then Atomics.wait()s on the bell value it saw. All of these
 * are seq-cst, so at least one side sees the other's write.
 */
import {
  CTL_CHAN_BASE, CTL_DM_BELL, CTL_STRAY, CTL_DM_SLEEPING, CTL_XEN_BELL, CTL_XEN_SLEEPING, MAX_CHANNELS, type RingMemory,
} from './ring-memory.js';

/** Xen's end of channel c: ports start at 1 (port 0 is never valid in Xen). */
export const XEN_PORT_BASE = 1;
/** The DM's locally bound end of channel c (a different number space, as in dom0). */
export const DM_PORT_BASE = 0x200;

export class EvtchnError extends Error {
  override name = 'EvtchnError';
}

export class EventChannels {
  readonly ctl: Int32Array;
  /** Channels: 0..vcpus-1 are the vCPUs', `bufChannel` is the buffered ring's. */
  readonly count: number;
  readonly bufChannel: number;
  private cursor = 0;

  constructor(mem: RingMemory) {
    this.ctl = mem.ctl;
    this.count = mem.vcpus + 1;
    this.bufChannel = mem.vcpus;
    if (this.count > MAX_CHANNELS) throw new EvtchnError(`${this.count} channels do not fit the control page (max ${MAX_CHANNELS})`);
  }

  xenPort(c: number): number {
    return XEN_PORT_BASE + c;
  }
  dmPort(c: number): number {
    return DM_PORT_BASE + c;
  }
  /** Channel of a DM-local port, or -1 (QEMU compares against ioreq_local_port[] and bufioreq_local_port). */
  channelOfDmPort(port: number): number {
    const c = port - DM_PORT_BASE;
    return c >= 0 && c < this.count ? c : -1;
  }

  // ---- hypervisor -> DM ------------------------------------------------------------
  /** Xen notify_via_xen_event_channel(d, port) for channel c. */
  notifyDm(c: number): void {
    Atomics.store(this.ctl, CTL_CHAN_BASE + 2 * c, 1);
    Atomics.add(this.ctl, CTL_DM_BELL, 1);
    if (Atomics.load(this.ctl, CTL_DM_SLEEPING) !== 0) Atomics.notify(this.ctl, CTL_DM_BELL);
  }

  /** Raise a pending event on any raw channel index (tests: an event on a port the DM never bound). */
  notifyDmRaw(index: number): void {
    if (index < 0 || index >= MAX_CHANNELS) throw new EvtchnError(`no channel ${index}`);
    if (index >= this.count) Atomics.store(this.ctl, CTL_STRAY, 1);
    this.notifyDm(index);
  }

  /**
   * xenevtchn_pending(): the DM-local port of one pending channel (clearing
   * it, i.e. read + unmask), or -1. Bound channels are scanned round-robin so
   * no vCPU starves. An event on a channel the DM never bound is still seen
   * (QEMU: "Fatal error while trying to get io event!").
   */
  takeDmPending(): number {
    // Unbound channels first: the real fd would deliver that port in firing order, and it is fatal either way.
    if (this.ctl[CTL_STRAY] !== 0) {
      for (let c = this.count; c < MAX_CHANNELS; c++) {
        if (Atomics.exchange(this.ctl, CTL_CHAN_BASE + 2 * c, 0) !== 0) return DM_PORT_BASE + c;
      }
      Atomics.store(this.ctl, CTL_STRAY, 0);
    }
    const n = this.count;
    for (let k = 0; k < n; k++) {
      let c = this.cursor + k;
      if (c >= n) c -= n;
      const i = CTL_CHAN_BASE + 2 * c;
      if (this.ctl[i] !== 0 && Atomics.exchange(this.ctl, i, 0) !== 0) {
        this.cursor = c + 1 >= n ? 0 : c + 1;
        return DM_PORT_BASE + c;
      }
    }
    return -1;
  }

  dmBell(): number {
    return Atomics.load(this.ctl, CTL_DM_BELL);
  }

  /** Block the DM until the bell moves past `seen` (spin first). false on timeout. */
  waitDm(seen: number, spin: number, timeoutMs: number): boolean {
    return waitBell(this.ctl, CTL_DM_BELL, CTL_DM_SLEEPING, seen, spin, timeoutMs);
  }

  /** Wake the DM without an event (stop requests, hypercall answers). */
  kickDm(): void {
    Atomics.add(this.ctl, CTL_DM_BELL, 1);
    if (Atomics.load(this.ctl, CTL_DM_SLEEPING) !== 0) Atomics.notify(this.ctl, CTL_DM_BELL);
  }

  // ---- DM -> hypervisor ------------------------------------------------------------
  /** xenevtchn_notify(local port of channel c). */
  notifyXen(c: number): void {
    Atomics.store(this.ctl, CTL_CHAN_BASE + 2 * c + 1, 1);
    this.kickXen();
  }

  kickXen(): void {
    Atomics.add(this.ctl, CTL_XEN_BELL, 1);
    if (Atomics.load(this.ctl, CTL_XEN_SLEEPING) !== 0) Atomics.notify(this.ctl, CTL_XEN_BELL);
  }

  /** Consume the pending flag of channel c towards Xen. */
  takeXen(c: number): boolean {
    return this.ctl[CTL_CHAN_BASE + 2 * c + 1] !== 0 && Atomics.exchange(this.ctl, CTL_CHAN_BASE + 2 * c + 1, 0) !== 0;
  }

  xenBell(): number {
    return Atomics.load(this.ctl, CTL_XEN_BELL);
  }

  waitXen(seen: number, spin: number, timeoutMs: number): boolean {
    return waitBell(this.ctl, CTL_XEN_BELL, CTL_XEN_SLEEPING, seen, spin, timeoutMs);
  }
}

/**
 * Spin `spin` times, then sleep in Atomics.wait until the bell moves. Needs a
 * SharedArrayBuffer and a thread that may block (a worker, or Node's main
 * thread); in-thread code never calls it.
 */
export function waitBell(ctl: Int32Array, bell: number, sleeping: number, seen: number, spin: number, timeoutMs: number): boolean {
  for (let i = 0; i < spin; i++) if (Atomics.load(ctl, bell) !== seen) return true;
  Atomics.store(ctl, sleeping, 1);
  // Re-check after announcing the sleep: a notifier that bumped the bell before it saw our flag is caught here.
  if (Atomics.load(ctl, bell) !== seen) {
    Atomics.store(ctl, sleeping, 0);
    return true;
  }
  const r = Atomics.wait(ctl, bell, seen, timeoutMs);
  Atomics.store(ctl, sleeping, 0);
  return r !== 'timed-out';
}
