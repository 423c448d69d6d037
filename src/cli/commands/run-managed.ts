/**
 * `acpidm run` as a management stack starts it (libvirt's QEMU driver): `-daemonize`/`-pidfile` around the run,
 * and `-machine none`, the CPU-less board libvirt probes capabilities with (only the monitors run).
 */
import { noneMachineVm } from '../../qmp/none-vm.js';
import { startQmp } from '../../qmp/server-node.js';
import { QmpSpecError } from '../../qmp/spec.js';
import { CliError, type CliIo } from '../cli-io.js';
import { daemonChildIo, isDaemonChild, runDaemonParent, signalDaemonReady, writePidfile } from '../daemonize-node.js';
import type { RunConfig } from '../qemu-args.js';

/**
 * Run `body` as QEMU runs with `-daemonize` / `-pidfile`: the parent returns once the child is ready; the child
 * (or a process without -daemonize) writes the pid file, runs, and removes it at the end.
 */
export async function withManagedProcess(cfg: RunConfig, io: CliIo, body: (io: CliIo) => Promise<number>): Promise<number> {
  if (cfg.managed.daemonize && !isDaemonChild()) return runDaemonParent(io);
  const out = isDaemonChild() ? daemonChildIo() : io;
  const unlinkPid = cfg.managed.pidfile ? writePidfile(cfg.managed.pidfile) : null;
  try {
    return await body(out);
  } catch (e) {
    // In a daemon child the parent prints this (main() writes to a stderr that is /dev/null here).
    if (isDaemonChild()) out.stderr(`acpidm run: ${(e as Error).message}\n`);
    throw e;
  } finally {
    unlinkPid?.();
  }
}

/** `-machine none`: the monitors and nothing else, until `quit` or a signal. */
export async function runNoneMachine(cfg: RunConfig, io: CliIo): Promise<number> {
  const specs = [...cfg.qmp, ...cfg.managed.qmpSockets];
  if (specs.length === 0) throw new CliError('-machine none has no CPU: without -qmp or -mon nothing could ever use it');
  const vm = noneMachineVm(cfg.name ?? 'acpidm');
  let svc;
  try {
    svc = await startQmp(vm, specs);
  } catch (e) {
    if (e instanceof QmpSpecError) throw new CliError(e.message);
    throw e;
  }
  // QEMU: SIGINT/SIGTERM/SIGHUP end the process as a host-signal shutdown.
  const onSignal = (sig: NodeJS.Signals) => {
    vm.runState.actions.shutdown = 'poweroff';
    vm.runState.requestShutdown('host-signal', { requester: 'host', mechanism: 'signal', what: sig });
    svc.driver.kick();
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  if (!cfg.startPaused) vm.runState.cont(); // what QEMU does at startup without -S
  svc.driver.start();
  signalDaemonReady();
  try {
    return await svc.driver.exited;
  } finally {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    await svc.close();
    void io;
  }
}
