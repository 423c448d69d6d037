/** A PC machine managed by the lifecycle manager over an in-process QMP connection (test helper). */
import { DomainManager } from '../../src/lifecycle/manager.js';
import { clockTimers } from '../../src/lifecycle/timers.js';
import { qtestMachine, type QtestOptions } from '../../src/machine/qtest.js';
import { connectInProcess } from '../../src/qmp/connection.js';
import { VmDriver } from '../../src/qmp/driver.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import { pcMachineVm } from '../../src/qmp/pc-vm.js';
import { QtestGuest } from '../qmp/guest-model.js';

export async function managedDomain(opts: QtestOptions & { agent?: boolean; warpWhenIdle?: boolean; onPoweroff?: 'destroy' | 'restart'; onReboot?: 'restart' | 'destroy' } = {}) {
  const q = qtestMachine({ ...opts, startPaused: true });
  const vm = pcMachineVm(q.machine, { name: 'vm1', agent: opts.agent ?? true });
  const driver = new VmDriver(vm, { idlePollMs: 1, warpWhenIdle: opts.warpWhenIdle ?? false }).start();
  const monitor = new QmpMonitor(vm, driver);
  const conn = connectInProcess(monitor);
  const dom = new DomainManager(conn, {
    name: 'vm1', timers: clockTimers(vm.clock),
    ...(opts.onPoweroff ? { onPoweroff: opts.onPoweroff } : {}), ...(opts.onReboot ? { onReboot: opts.onReboot } : {}),
  });
  await dom.start();
  const guest = new QtestGuest(q);
  guest.boot();
  return {
    q, vm, driver, monitor, conn, dom, guest,
    /** One main-loop pass (services what the guest just requested), then let the manager react. */
    async step() {
      driver.pass(0);
      await dom.settle();
    },
    /** QMP events the machine emitted since start, as strings. */
    qmp() {
      return monitor.transitions.map((t) => (t.data ? `${t.event} ${t.data.guest} ${t.data.reason}` : t.event));
    },
    /** Lifecycle lines since `start()` (Started Booted is always first). */
    lines() {
      return dom.lines.slice(1);
    },
  };
}
