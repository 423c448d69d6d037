/**
 * The body of a device-model worker, for any worker flavour (worker_threads
 * in dm-worker-node.ts; a Web Worker entry would call it the same way):
 * attach to the shared ring, load the device-model module, say "ready", run
 * the DM loop until stopped, say "exit". Isomorphic.
 */
import { DeviceModel } from './device-model.js';
import type { CreateDeviceModel } from './dm-types.js';
import { mailboxHypercall, runDmLoop } from './dm-loop.js';
import { EventChannels } from './evtchn.js';
import { CTL_DM_STATUS, DmStatus, RingMemory } from './ring-memory.js';

/** What the hypervisor side hands the worker (structured-cloneable). */
export interface DmWorkerInit {
  ring: SharedArrayBuffer;
  vcpus: number;
  /** URL of a JavaScript module exporting createDeviceModel. */
  dmModule: string;
  dmOptions: unknown;
  shared: Record<string, SharedArrayBuffer>;
  spin: number;
}

export type DmWorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: string }
  | { type: 'exit'; fatal: { code: string; message: string } | null; stats: DeviceModel['stats'] };

export async function serveDeviceModel(init: DmWorkerInit, post: (m: DmWorkerMessage) => void): Promise<void> {
  const mem = RingMemory.attach(init.ring, init.vcpus);
  const evtchn = new EventChannels(mem);
  let dm: DeviceModel;
  try {
    const mod = (await import(init.dmModule)) as { createDeviceModel?: CreateDeviceModel };
    if (typeof mod.createDeviceModel !== 'function') throw new Error(`${init.dmModule} does not export createDeviceModel`);
    const { devices, hooks } = mod.createDeviceModel({ hypercall: mailboxHypercall(mem, evtchn, init.spin), options: init.dmOptions, shared: init.shared });
    dm = new DeviceModel(mem, evtchn, devices, hooks ?? {});
  } catch (e) {
    post({ type: 'init-error', error: e instanceof Error ? e.stack ?? e.message : String(e) });
    return;
  }
  post({ type: 'ready' });
  try {
    runDmLoop(dm, init.spin);
  } catch (e) {
    // A bug in the loop itself: say so in shared memory rather than leave the vCPUs waiting.
    mem.publishDmError('DM_LOOP_CRASH', e instanceof Error ? e.message : String(e));
    Atomics.store(mem.ctl, CTL_DM_STATUS, DmStatus.Exited);
    evtchn.kickXen();
  }
  post({ type: 'exit', fatal: dm.fatal ? { code: dm.fatal.code, message: dm.fatal.message } : null, stats: dm.stats });
}
