/** A PC machine behind a real QMP socket, with a node-qemu client attached (test helper). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QMPClient } from 'node-qemu';
import { qtestMachine, type QtestMachine, type QtestOptions } from '../../src/machine/qtest.js';
import { VmDriver } from '../../src/qmp/driver.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import { type PcVm, pcMachineVm } from '../../src/qmp/pc-vm.js';
import { startQmpServer, type QmpServerHandle } from '../../src/qmp/server-node.js';
import { QtestGuest } from './guest-model.js';

export interface Ev {
  event: string;
  data: Record<string, unknown>;
}

export interface Scenario {
  q: QtestMachine;
  vm: PcVm;
  guest: QtestGuest;
  driver: VmDriver;
  monitor: QmpMonitor;
  server: QmpServerHandle;
  client: QMPClient;
  events: Ev[];
  disconnected: Promise<void>;
  /** Wait until `n` events arrived (or the VM exited), then return them all. */
  waitEvents(n: number): Promise<Ev[]>;
  close(): Promise<void>;
}

export async function scenario(opts: QtestOptions & { agent?: boolean; name?: string } = {}): Promise<Scenario> {
  const q = qtestMachine({ ...opts, startPaused: true });
  const vm = pcMachineVm(q.machine, { name: opts.name ?? 'guest1', agent: opts.agent ?? false });
  const driver = new VmDriver(vm, { idlePollMs: 1 }).start();
  const monitor = new QmpMonitor(vm, driver);
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-scn-'));
  const server = await startQmpServer(monitor, `unix:${join(dir, 'qmp.sock')},server=on,wait=off`);
  const client = new QMPClient({ socketPath: join(dir, 'qmp.sock') });
  const events: Ev[] = [];
  const waiters: (() => void)[] = [];
  client.on('rawEvent', (e) => {
    events.push({ event: e.event, data: e.data as Record<string, unknown> });
    for (const w of waiters.splice(0)) w();
  });
  const disconnected = new Promise<void>((r) => client.on('disconnected', () => {
    r();
    for (const w of waiters.splice(0)) w();
  }));
  await client.connect();
  const guest = new QtestGuest(q);
  await client.cont(); // libvirt-style start: -S, then cont → RESUME
  guest.boot();        // firmware and kernel run once the vCPU runs
  return {
    q, vm, guest, driver, monitor, server, client, events, disconnected,
    async waitEvents(n) {
      const deadline = Date.now() + 10_000;
      while (events.length < n && driver.exitStatus === null && Date.now() < deadline) {
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return events;
    },
    async close() {
      await client.close();
      driver.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
