/** `acpidm run -qmp …`: the main loop becomes the QMP driver, so clients can press buttons and watch. */
import { pcMachineVm } from '../../qmp/pc-vm.js';
import { VmDriver } from '../../qmp/driver.js';
import { QmpMonitor } from '../../qmp/monitor.js';
import { startQmpServer } from '../../qmp/server-node.js';
import { QmpSpecError } from '../../qmp/spec.js';
import type { PcSystem } from '../../machine/pc-system.js';
import { CliError, type CliIo } from '../cli-io.js';
import type { RunConfig } from '../qemu-args.js';
import type { Timeline } from '../../machine/timeline.js';
import { finish } from './run.js';

export async function runWithQmp(sys: PcSystem, cfg: RunConfig, io: CliIo, timeline: Timeline | null): Promise<number> {
  const m = sys.machine;
  const vm = pcMachineVm(m, { name: cfg.name ?? 'acpidm', agent: true });
  const driver = new VmDriver(vm, { warpWhenIdle: true });
  const monitor = new QmpMonitor(vm, driver);
  const servers: { close(): Promise<void> }[] = [];
  try {
    for (const spec of cfg.qmp) {
      const s = await startQmpServer(monitor, spec);
      servers.push(s);
      timeline?.note(`QMP monitor listening on ${s.address}`);
    }
    for (const spec of cfg.monitors) {
      const { startHmp } = await import('../hmp-monitor-node.js');
      const h = await startHmp(monitor, spec, (s) => io.stdout(s));
      servers.push(h);
      timeline?.note(`human monitor (HMP) on ${h.address}`);
    }
  } catch (e) {
    for (const s of servers) await s.close();
    if (e instanceof QmpSpecError || (e as Error).message?.startsWith('-monitor')) throw new CliError((e as Error).message);
    throw e;
  }
  if (!cfg.startPaused) m.start();
  // The instruction budget still applies with a monitor.
  const start = m.clock.instructions;
  driver.onPass(() => {
    if (m.clock.instructions - start >= cfg.maxInsns) driver.destroy();
  });
  const onSignal = (sig: NodeJS.Signals) => {
    // QEMU: SIGINT/SIGTERM/SIGHUP force the poweroff action with cause host-signal.
    io.stderr(`acpidm: terminating on signal ${sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1}\n`);
    m.runState.actions.shutdown = 'poweroff';
    m.runState.requestShutdown('host-signal', { requester: 'host', mechanism: 'signal', what: sig });
    driver.kick();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  driver.start();
  let status: number;
  try {
    status = await driver.exited;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    for (const s of servers) await s.close();
  }
  const budgetHit = m.clock.instructions - start >= cfg.maxInsns;
  return finish(budgetHit ? { kind: 'budget', insns: m.clock.instructions - start } : { kind: 'exit', status }, sys, cfg, io, timeline);
}
