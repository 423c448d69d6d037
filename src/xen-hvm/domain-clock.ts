/**
 * A domain's view of the host's one virtual clock, for the device models that take a VirtualClock (src/piix4's
 * i8254, MC146818 and 16550, src/acpi's PM block): `ns()` is the host's time, and each `timer()` is a TimerQueue
 * entry, so the domain's timers fire on the host's schedule and all go away with the domain (`stop`), leaving
 * nothing in the host clock's own timer list.
 */
import type { VirtualClock, VirtualTimer } from '../clock/virtual-clock.js';
import type { TimerHandle, TimerQueue } from './timer-queue.js';

export interface DomainClock {
  /** What the devices are given: the host clock's time, the domain's timers. */
  readonly clock: VirtualClock;
  /** Cancel every timer the domain's devices made. */
  stop(): void;
}

export function domainClock(host: VirtualClock, timers: TimerQueue, domid: number): DomainClock {
  const handles: TimerHandle[] = [];
  const view = {
    ns: () => host.ns(),
    get instructions(): number { return host.instructions; },
    timer(name: string, fire: (now: number) => void): VirtualTimer {
      const h = timers.add(`d${domid}-${name}`, () => fire(host.ns()));
      handles.push(h);
      return h as VirtualTimer & TimerHandle;
    },
  };
  return {
    // Only ns(), instructions and timer() are used by the devices: the rest of VirtualClock (setShift, advance)
    // belongs to the host.
    clock: view as unknown as VirtualClock,
    stop: () => {
      for (const h of handles) h.cancel();
      handles.length = 0;
    },
  };
}
