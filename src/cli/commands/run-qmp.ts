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
import { signalDaemonReady } from '../daemonize-node.js';
import type { VmInventory } from '../../qmp/vm.js';

/** What the command line built, for query-chardev, qom-list /machine/peripheral and the CPU queries. */
function pcInventory(cfg: RunConfig): VmInventory {
  return {
    machine: 'pc',
    cpuModel: cfg.cpuModel,
    memoryBytes: cfg.memoryMiB * 1024 * 1024,
    uuid: cfg.managed.uuid,
    // every socket chardev has its front end: the QMP monitor, or the agent port (the modelled agent is always there)
    chardevs: [...cfg.managed.sockets.values()].map((c) => ({ label: c.id, filename: cfg.managed.chardevLabels.get(c.id) ?? c.id, open: true })),
    peripherals: cfg.managed.peripherals,
  };
}

export async function runWithQmp(sys: PcSystem, cfg: RunConfig, io: CliIo, timeline: Timeline | null): Promise<number> {
  const m = sys.machine;
  // hostThreadId: the vCPU runs on this process's main thread, whose thread id is the pid
  const vm = { ...pcMachineVm(m, { name: cfg.name ?? 'acpidm', agent: true }), inventory: pcInventory(cfg), hostThreadId: process.pid };
  const driver = new VmDriver(vm, { warpWhenIdle: true });
  const monitor = new QmpMonitor(vm, driver);
  const servers: { close(): Promise<void> }[] = [];
  try {
    for (const spec of [...cfg.qmp, ...cfg.managed.qmpSockets]) {
      const s = await startQmpServer(monitor, spec);
      servers.push(s);
      timeline?.note(`QMP monitor listening on ${s.address}`);
    }
    // ---- the guest-agent channel (virtserialport org.qemu.guest_agent.0): served by the modelled agent ----
    if (cfg.managed.agentSocket) {
      const { startAgentChannel } = await import('../../qmp/agent-channel-node.js');
      const a = await startAgentChannel(monitor, cfg.managed.agentSocket);
      servers.push(a);
      timeline?.note(`guest agent channel on ${a.address}: answered by acpidm's modelled agent (host-side, not guest code)`);
    }
    for (const n of cfg.managed.notes) timeline?.note(n);
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
  signalDaemonReady();
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
