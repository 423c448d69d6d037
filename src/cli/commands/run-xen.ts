/**
 * `acpidm run --xen [-kernel FILE]`: one HVM domain from boot to destruction
 * on the modelled hypervisor, with qemu-dm, xenstored and an xl toolstack
 * (src/xen-hvm), printing the timeline through every layer.
 *
 * QEMU options map onto the xl config: -m → memory, -no-shutdown →
 * on_poweroff = "preserve" (the shut-down domain stays for inspection),
 * -no-reboot → on_reboot = "destroy". `--dm-worker` runs qemu-dm in its own
 * worker thread on the shared ioreq pages, as qemu-dm lives in dom0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { kernelGuestFactory, formatTimeline, runXenDomain, runXenDomainAsync, type RunXenResult } from '../../xen-hvm/run-xen-domain.js';
import { CliError, type CliIo } from '../cli-io.js';
import type { RunConfig } from '../qemu-args.js';
import { DEFAULT_KERNEL } from './run.js';
import { printXenSummary } from './run-xen-summary.js';

/** runXenDomain's default virtual time limit (the summary says when it ended the run). */
const XEN_RUN_LIMIT_NS = 600e9;

export async function runXen(cfg: RunConfig, io: CliIo): Promise<number> {
  if (cfg.bios) throw new CliError('--xen boots a -kernel through the modelled hvmloader; -bios is QEMU mode only');
  if (cfg.qmp.length) throw new CliError('--xen has no QMP monitor: drive Xen domains with `acpidm xen host` and `acpidm xl`');
  const kernel = cfg.kernel ?? DEFAULT_KERNEL;
  if (!existsSync(kernel)) throw new CliError(`-kernel '${kernel}' does not exist`, 1);
  const configText = [
    'name = "guest"',
    `memory = ${cfg.memoryMiB}`,
    'vcpus = 1',
    `kernel = "${kernel}"`,
    ...(cfg.noShutdown ? ['on_poweroff = "preserve"'] : []),
    ...(cfg.noReboot ? ['on_reboot = "destroy"'] : []),
  ].join('\n') + '\n';
  const load = (p: string): Uint8Array => {
    try {
      return new Uint8Array(readFileSync(p));
    } catch (e) {
      throw new CliError(`cannot read kernel '${p}': ${(e as Error).message}`, 1);
    }
  };
  const opts = { configText, guestFactory: kernelGuestFactory(load, Number.isFinite(cfg.maxInsns) ? cfg.maxInsns : 200_000_000) /* per-slice budget, unchanged when --max-insns is absent */ };
  let r: RunXenResult;
  if (cfg.dmWorker) {
    const { startQemuDmWorker } = await import('../../xen-hvm/qemu-dm-worker-node.js');
    r = await runXenDomainAsync({ ...opts, dmStarter: startQemuDmWorker });
  } else {
    r = runXenDomain(opts);
  }
  const status = r.cause === 'running' ? 4 : 0;
  if (cfg.json) {
    for (const e of r.timeline) io.stdout(JSON.stringify({ t: e.t, layer: e.layer, text: e.text }) + '\n');
  } else if (!cfg.quiet) {
    io.stdout(`acpidm: Xen HVM domain "${r.name}" (domid ${r.domid}), ${cfg.memoryMiB} MiB, kernel ${kernel}` +
      `${cfg.dmWorker ? ', qemu-dm in a worker thread' : ''}\n`);
    if (r.host.timelineDropped) io.stdout(`(${r.host.timelineDropped} older timeline lines were dropped)\n`);
    for (const l of formatTimeline(r.timeline)) io.stdout(l + '\n');
  }
  // Every domain's chain, folded, and one verdict in QEMU mode's words (run-xen-summary.ts).
  printXenSummary(r, io, { json: cfg.json, quiet: cfg.quiet }, XEN_RUN_LIMIT_NS, status);
  return status;
}
