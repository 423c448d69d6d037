/**
 * The device model's main loop when it owns a thread (a worker_threads Worker
 * or a Web Worker): serve events, otherwise sleep on the DM doorbell (spin
 * briefly first), until the hypervisor side sets CTL_STOP or the model stops
 * on a fatal error. Also the DM's end of the hypercall mailbox. Isomorphic:
 * Atomics.wait is allowed in any worker.
 */
import type { DeviceModel } from './device-model.js';
import type { HypercallPort } from './dm-types.js';
import type { EventChannels } from './evtchn.js';
import { CTL_DM_STATUS, CTL_HC_ARGS, CTL_HC_OP, CTL_HC_RET, CTL_HC_STATE, CTL_STOP, DmStatus, HC_MAX_ARGS, type RingMemory } from './ring-memory.js';
import { ioreqTrace as tr } from './ioreq-trace.js';
import type { Trace } from '../trace/trace.js';

/** How long one sleep lasts before the loop re-checks CTL_STOP on its own (ms). */
const SLEEP_SLICE_MS = 500;

export function runDmLoop(dm: DeviceModel, spin: number): void {
  const { evtchn, mem } = dm;
  for (;;) {
    if (Atomics.load(mem.ctl, CTL_STOP) !== 0) break;
    // Read the bell before looking for work, so a notification after this point wakes us.
    const seen = evtchn.dmBell();
    if (dm.handleEvent()) continue;
    if (!dm.running) break;
    if (Atomics.load(mem.ctl, CTL_STOP) !== 0) break;
    evtchn.waitDm(seen, spin, SLEEP_SLICE_MS);
  }
  if (dm.fatal === null) Atomics.store(mem.ctl, CTL_DM_STATUS, DmStatus.Stopped);
  evtchn.kickXen();
}

/**
 * The DM's side of the hypercall mailbox: post the call, wake the hypervisor
 * side, and wait for its answer (it answers while a vCPU waits for I/O, or
 * from serviceHypercalls()). Returns -EINTR (-4) if the loop is stopped meanwhile.
 */
export function mailboxHypercall(mem: RingMemory, evtchn: EventChannels, spin: number, trace?: Trace): HypercallPort {
  const ctl = mem.ctl;
  return {
    call(op: number, args: ArrayLike<number>): number {
      if (args.length > HC_MAX_ARGS) throw new RangeError(`a hypercall takes at most ${HC_MAX_ARGS} arguments`);
      Atomics.store(ctl, CTL_HC_OP, op);
      for (let i = 0; i < HC_MAX_ARGS; i++) Atomics.store(ctl, CTL_HC_ARGS + i, (args[i] ?? 0) | 0);
      Atomics.store(ctl, CTL_HC_STATE, 1); // after op and args
      evtchn.kickXen();
      let ret = -4;
      for (;;) {
        const seen = evtchn.dmBell();
        if (Atomics.load(ctl, CTL_HC_STATE) === 2) {
          ret = Atomics.load(ctl, CTL_HC_RET);
          break;
        }
        if (Atomics.load(ctl, CTL_STOP) !== 0) break;
        evtchn.waitDm(seen, spin, SLEEP_SLICE_MS);
      }
      Atomics.store(ctl, CTL_HC_STATE, 0);
      if (trace?.on(tr.hypercall)) trace.emit(tr.hypercall, { op, ret });
      return ret;
    },
  };
}
