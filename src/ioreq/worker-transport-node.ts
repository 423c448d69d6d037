/**
 * The cross-thread transport (Node): the device model runs in a
 * worker_threads Worker on SharedArrayBuffer pages, as qemu-dm runs in dom0.
 * The vCPUs stay on the calling thread; a waiting vCPU spins briefly on the
 * event channel, then sleeps in Atomics.wait.
 *
 * The worker runs the compiled dist/ioreq/dm-worker-node.js (from src/ under
 * vitest as well): run `npm run build` first. The device-model module it
 * loads must be runnable JavaScript exporting `createDeviceModel`
 * (default: the compiled loopback-dm.js).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Trace } from '../trace/trace.js';
import { HVM_IOREQSRV_BUFIOREQ_ATOMIC } from './abi.js';
import { packageFile } from './package-file.js';
import { EventChannels } from './evtchn.js';
import type { IoreqLink, IoreqLinkOptions } from './inline-transport.js';
import { CTL_DM_STATUS, CTL_STOP, DmStatus, RingMemory } from './ring-memory.js';
import { XenIoreqServer } from './xen-ioreq-server.js';

export interface WorkerIoreqOptions extends IoreqLinkOptions {
  /** URL or path of a JS module exporting createDeviceModel (default: dist/ioreq/loopback-dm.js). */
  dmModule?: string | URL;
  /** Spin iterations before Atomics.wait, on both sides (default 4000). */
  spin?: number;
}

/** The compiled file `name` of dist/ioreq, whether we run from src/ (vitest), dist/ or the CLI's bundle. */
export function distIoreqFile(name: string): URL {
  return packageFile(`dist/ioreq/${name}`);
}

export class WorkerIoreqLink implements IoreqLink {
  readonly kind = 'worker' as const;
  private exited = false;
  private readonly exitPromise: Promise<number>;

  constructor(readonly server: XenIoreqServer, readonly mem: RingMemory, readonly evtchn: EventChannels, readonly worker: Worker) {
    this.exitPromise = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.exited = true;
        // A DM that vanished without saying so: later waits must not block on it.
        Atomics.compareExchange(mem.ctl, CTL_DM_STATUS, DmStatus.Running, DmStatus.Exited);
        evtchn.kickXen();
        resolve(code);
      });
    });
  }

  dmError(): { code: string; message: string } | null {
    return this.mem.dmError();
  }

  /** Ask the DM loop to stop, then wait for the worker to exit. */
  async close(): Promise<void> {
    if (this.exited) return;
    Atomics.store(this.mem.ctl, CTL_STOP, 1);
    this.evtchn.kickDm();
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exitPromise;
    clearTimeout(timer);
  }

  /** Kill the DM without telling it (a vanished qemu-dm). */
  async kill(): Promise<void> {
    await this.worker.terminate();
    await this.exitPromise;
  }
}

export async function startWorkerIoreq(opts: WorkerIoreqOptions = {}): Promise<WorkerIoreqLink> {
  const script = distIoreqFile('dm-worker-node.js');
  if (!existsSync(fileURLToPath(script))) {
    throw new Error(`${fileURLToPath(script)} is missing: run \`npm run build\` (the device-model worker runs the compiled dist/ build)`);
  }
  const dmModule = opts.dmModule === undefined ? distIoreqFile('loopback-dm.js')
    : opts.dmModule instanceof URL ? opts.dmModule
    : /^[a-z]+:/.test(opts.dmModule) ? new URL(opts.dmModule) : pathToFileURL(opts.dmModule);
  const vcpus = opts.vcpus ?? 1;
  const mem = RingMemory.create(vcpus, true);
  const evtchn = new EventChannels(mem);
  const spin = opts.spin ?? 4000;
  for (const [k, b] of Object.entries(opts.shared ?? {})) {
    if (!(b instanceof SharedArrayBuffer)) throw new TypeError(`shared buffer "${k}" must be a SharedArrayBuffer to cross to the DM worker`);
  }
  const server = new XenIoreqServer(mem, evtchn, {
    bufioreq: opts.bufioreq ?? HVM_IOREQSRV_BUFIOREQ_ATOMIC,
    ...(opts.xenHooks ? { hooks: opts.xenHooks } : {}),
    trace: opts.trace ?? new Trace(),
    idle: (_s, _v, seen, timeoutMs) => {
      evtchn.waitXen(seen, spin, Math.min(timeoutMs, 500));
      return true; // waitForIo re-checks the slot, the DM status and the deadline
    },
  });
  const worker = new Worker(script, {
    workerData: { ring: mem.buffer, vcpus, bufioreq: server.bufioreq, dmModule: dmModule.href, dmOptions: opts.dmOptions, shared: opts.shared ?? {}, spin },
  });
  const link = new WorkerIoreqLink(server, mem, evtchn, worker);
  await new Promise<void>((resolve, reject) => {
    const onMsg = (m: { type?: string; error?: string }): void => {
      if (m?.type === 'ready') { cleanup(); resolve(); }
      if (m?.type === 'init-error') { cleanup(); reject(new Error(`device-model worker failed to start: ${m.error}`)); }
    };
    const onErr = (e: Error): void => { cleanup(); reject(e); };
    const onExit = (code: number): void => { cleanup(); reject(new Error(`device-model worker exited during start (code ${code})`)); };
    const cleanup = (): void => { worker.off('message', onMsg); worker.off('error', onErr); worker.off('exit', onExit); };
    worker.on('message', onMsg);
    worker.on('error', onErr);
    worker.on('exit', onExit);
  });
  return link;
}
