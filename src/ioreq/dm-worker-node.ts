/**
 * Worker entry of the cross-thread transport: attach to the shared ring, load
 * the device-model module, and run the DM loop until stopped. Started by
 * worker-transport-node.ts from the compiled dist/ioreq/dm-worker-node.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DeviceModel } from './device-model.js';
import type { CreateDeviceModel } from './dm-types.js';
import { mailboxHypercall, runDmLoop } from './dm-loop.js';
import { EventChannels } from './evtchn.js';
import { CTL_DM_STATUS, DmStatus, RingMemory } from './ring-memory.js';

interface DmWorkerData {
  ring: SharedArrayBuffer;
  vcpus: number;
  dmModule: string;
  dmOptions: unknown;
  shared: Record<string, SharedArrayBuffer>;
  spin: number;
}

const wd = workerData as DmWorkerData;
const mem = RingMemory.attach(wd.ring, wd.vcpus);
const evtchn = new EventChannels(mem);
let dm: DeviceModel;
try {
  const mod = (await import(wd.dmModule)) as { createDeviceModel?: CreateDeviceModel };
  if (typeof mod.createDeviceModel !== 'function') throw new Error(`${wd.dmModule} does not export createDeviceModel`);
  const { devices, hooks } = mod.createDeviceModel({ hypercall: mailboxHypercall(mem, evtchn, wd.spin), options: wd.dmOptions, shared: wd.shared });
  dm = new DeviceModel(mem, evtchn, devices, hooks ?? {});
} catch (e) {
  parentPort?.postMessage({ type: 'init-error', error: e instanceof Error ? e.stack ?? e.message : String(e) });
  process.exit(1);
}
parentPort?.postMessage({ type: 'ready' });
try {
  runDmLoop(dm, wd.spin);
} catch (e) {
  // A bug in the loop itself: say so in shared memory rather than leave the vCPUs waiting.
  mem.publishDmError('DM_LOOP_CRASH', e instanceof Error ? e.message : String(e));
  Atomics.store(mem.ctl, CTL_DM_STATUS, DmStatus.Exited);
  evtchn.kickXen();
}
parentPort?.postMessage({ type: 'exit', fatal: dm.fatal ? { code: dm.fatal.code, message: dm.fatal.message } : null, stats: dm.stats });
