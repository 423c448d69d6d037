// A PcSystem served over QMP on a unix socket, as `acpidm run … -qmp unix:PATH,server=on,wait=off` serves it:
// the socket lives in a tempDir() folder, virtual time warps while the guest idles.
import { join } from 'node:path';
import type { PcSystem } from '../src/machine/pc-system.js';
import { pcMachineVm } from '../src/qmp/pc-vm.js';
import { startQmp, type QmpService } from '../src/qmp/server-node.js';
import { tempDir } from './tmp-dir.js';

export interface QmpVm {
  svc: QmpService;
  /** The monitor's socket path. */
  path: string;
  /** Stops the driver and closes the monitor. */
  close(): Promise<void>;
}

/**
 * QMP on a fresh socket for `sys`'s machine; `agent` models the guest agent; `start` starts the machine as a run
 * without -S does (otherwise a client's `cont` does). The driver is started.
 */
export async function serveQmp(sys: PcSystem, vm: { name?: string; agent?: boolean; start?: boolean } = {}): Promise<QmpVm> {
  const path = join(tempDir('acpidm-qmp-'), 'q.sock');
  const svc = await startQmp(pcMachineVm(sys.machine, { name: vm.name, agent: vm.agent }), [`unix:${path},server=on,wait=off`],
    { warpWhenIdle: true, idlePollMs: 1 });
  if (vm.start) sys.machine.start();
  svc.driver.start();
  return { svc, path, close: async () => { svc.driver.destroy(); await svc.close(); } };
}

/** Polls `what` every 5 ms until it holds, `stop()` holds, or `ms` pass; resolves with `what()`. */
export async function pollUntil(what: () => boolean, ms = 20_000, stop: () => boolean = () => false): Promise<boolean> {
  const t = Date.now() + ms;
  while (!what() && !stop() && Date.now() < t) await new Promise((r) => setTimeout(r, 5));
  return what();
}
