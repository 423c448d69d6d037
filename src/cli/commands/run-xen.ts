/**
 * `acpidm run --xen [-kernel FILE]`: one HVM domain from boot to destruction
 * on the modelled hypervisor, with qemu-dm, xenstored and an xl toolstack
 * (src/xen-hvm), printing the timeline through every layer.
 *
 * QEMU options map onto the xl config: -m → memory, -no-shutdown →
 * on_poweroff = "preserve" (the shut-down domain stays for inspection),
 * -no-reboot → on_reboot = "destroy". `--dm-worker` runs qemu-dm in its own
 * worker thread on the shared ioreq pages, as qemu-dm lives in dom0.
 * Honoured as in QEMU mode: --max-insns (the guest's instruction budget, exit
 * 4), -trace PATTERN / -D FILE (trace records as JSON lines), --json (the
 * timeline as JSON lines), --quiet, --diagram FILE (the swimlane SVG), DEBUG=acpidm:xen|ioreq|…; refused with a
 * reason: -bios, -qmp, -S, -debugcon. `-kernel bzImage -initrd FILE -append …`
 * boots Linux as an HVM domain (xl's kernel=, ramdisk=, cmdline=).
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isLinuxImage, parseLinuxImage } from '../../machine/linux-boot.js';
import { parseMultiboot } from '../../machine/multiboot.js';
import { attachDebug } from '../../trace/debug-sink.js';
import { globToRegExp, jsonLine, Trace } from '../../trace/trace.js';
import { kernelGuestFactory, formatTimeline, runXenDomain, runXenDomainAsync, type RunXenResult } from '../../xen-hvm/run-xen-domain.js';
import { CliError, type CliIo } from '../cli-io.js';
import type { RunConfig } from '../qemu-args.js';
import { qemuTraceAliases } from '../trace-aliases.js';
import { DEFAULT_KERNEL } from './run.js';
import { printXenSummary } from './run-xen-summary.js';

/** runXenDomain's default virtual time limit (the summary says when it ended the run). */
const XEN_RUN_LIMIT_NS = 600e9;

export async function runXen(cfg: RunConfig, io: CliIo): Promise<number> {
  if (cfg.bios) throw new CliError('--xen boots a -kernel through the modelled hvmloader; -bios is QEMU mode only');
  if (cfg.qmp.length) throw new CliError('--xen has no QMP monitor: drive Xen domains with `acpidm xen host` and `acpidm xl`');
  if (cfg.startPaused) {
    throw new CliError('--xen: -S is QEMU mode only (it waits for QMP `cont`); a Xen domain starts when `xl create` unpauses it: '
      + 'use `acpidm xen host` and `acpidm xl` to control it');
  }
  if (cfg.debugcons.length) {
    throw new CliError('--xen: -debugcon is QEMU mode only; under Xen, port 0xE9 is the hypervisor\'s guest console '
      + '(hvm_print_line), shown in the timeline as "(d1) ..." lines');
  }
  const kernel = cfg.kernel ?? DEFAULT_KERNEL;
  if (!existsSync(kernel)) throw new CliError(`-kernel '${kernel}' does not exist`, 1);
  if (cfg.initrd && !existsSync(cfg.initrd)) throw new CliError(`-initrd '${cfg.initrd}' does not exist`, 1);
  // A clear error before anything runs: xl's direct kernel boot takes a Linux bzImage (with -initrd) or Multiboot.
  const image = new Uint8Array(readFileSync(kernel));
  try {
    if (isLinuxImage(image)) parseLinuxImage(image);
    else if (cfg.initrd) throw new Error('-initrd needs a Linux kernel image (this -kernel is not a bzImage)');
    else parseMultiboot(image);
  } catch (e) {
    throw new CliError(`--xen: -kernel '${kernel}': ${(e as Error).message}`, 1);
  }
  const configText = [
    'name = "guest"',
    `memory = ${cfg.memoryMiB}`,
    'vcpus = 1',
    `kernel = "${kernel}"`,
    ...(cfg.initrd ? [`ramdisk = "${cfg.initrd}"`] : []),
    ...(cfg.append ? [`cmdline = ${JSON.stringify(cfg.append)}`] : []),
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
  const trace = new Trace().recordEverything();
  attachDebug(trace); // DEBUG=acpidm:xen, acpidm:ioreq, ...
  const wanted = cfg.tracePatterns.map((p) => globToRegExp(qemuTraceAliases(p).replace(/^acpidm:/, '')));
  let fd: number | null = null;
  if (cfg.traceFile) {
    try {
      fd = openSync(cfg.traceFile, 'w');
    } catch (e) {
      throw new CliError(`cannot open '${cfg.traceFile}': ${(e as Error).message}`, 1);
    }
  }
  if (wanted.length || fd !== null) {
    trace.subscribe((rec) => {
      if (wanted.length && !wanted.some((re) => re.test(rec.name) || re.test(rec.ns) || re.test(`${rec.ns}:${rec.name}`))) return;
      const line = jsonLine(rec) + '\n';
      if (fd !== null) writeSync(fd, line);
      else io.stderr(line);
    });
  }
  // --max-insns: the guests' total instruction budget (absent: none; cfg.maxInsns is then not finite).
  const sites = cfg.diagram ? (await import('./run-diagram.js')).xenGuestSites(trace) : null;
  const opts = { configText, guestFactory: sites ? sites.wrap(kernelGuestFactory(load)) : kernelGuestFactory(load), ...(Number.isFinite(cfg.maxInsns) ? { maxInsns: cfg.maxInsns } : {}), trace };
  let r: RunXenResult;
  try {
    if (cfg.dmWorker) {
      const { startQemuDmWorker } = await import('../../xen-hvm/qemu-dm-worker-node.js');
      r = await runXenDomainAsync({ ...opts, dmStarter: startQemuDmWorker });
    } else {
      r = runXenDomain(opts);
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
  if (cfg.diagram) (await import('./run-diagram.js')).writeXenDiagram(r, cfg.diagram, `acpidm run --xen -kernel ${kernel}`, sites?.sites);
  const status = r.budgetExhausted ? 4 : r.cause === 'suspended' ? 5 : r.cause === 'running' ? 4 : 0;
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
  if (r.budgetExhausted) io.stderr(`acpidm run --xen: the guest's instruction budget (--max-insns ${cfg.maxInsns}) ran out\n`);
  else if (r.cause === 'suspended') io.stderr('acpidm run --xen: the domain is suspended (S3); `xl trigger DOMAIN s3resume` would wake it\n');
  return status;
}
