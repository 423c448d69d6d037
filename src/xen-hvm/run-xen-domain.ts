/**
 * `acpidm run --xen`: one HVM domain from `xl create` to domain_destroy (or
 * a time limit), with the timeline through every layer. Also the scenario
 * runner's engine: actions at virtual times (xl commands, a backend mapping
 * guest pages), and everything each layer logged.
 */
import { Trace } from '../trace/trace.js';
import type { CauseLink } from '../machine/cause-chain.js';
import type { XenGuest } from './guest.js';
import { makeGuest } from './guest-library.js';
import { CpuGuest } from './cpu-guest.js';
import { Libxl, type DmStarter, type LibxlEvent } from './libxl.js';
import { classifyTeardown, type TeardownCause } from './teardown-cause.js';
import { XenHost, type TimelineEntry, type XenHostOptions } from './xen-host.js';
import { Xl, type XlRun } from './xl.js';
import { parseXlConfig, type XlConfig } from './xl-config.js';

export type XenAction =
  | { at: number; xl: string[] }
  | { at: number; backend: 'map'; pages: number; domain?: string }
  | { at: number; backend: 'unmap'; domain?: string }
  /** A dom0 xenstore write (what `xenstore-write PATH VALUE` does); `$DOMID` is the domain's id. */
  | { at: number; xenstoreWrite: [string, string] };

export interface RunXenOptions {
  /** xl config text; default: a one-vCPU guest named "guest" running `guest`. */
  configText?: string;
  /** Scripted guest kind when no config is given (default acpi-poweroff). */
  guest?: string;
  /** Build the guest for a config (overrides `kernel = "scripted:KIND"`); cpu-guest.ts plugs real kernels in here. */
  guestFactory?: (cfg: XlConfig) => XenGuest;
  actions?: XenAction[];
  /** Virtual time limit in ns (default 600 s). */
  limitNs?: number;
  /** Keep running after the domain is gone until the limit (scenarios with later actions). */
  runToLimit?: boolean;
  host?: XenHostOptions;
  trace?: Trace;
  /** Stop once the guests have executed this many instructions (acpidm's --max-insns); `budgetExhausted` then says so. */
  maxInsns?: number;
  /** Start each domain's device model elsewhere (runXenDomainAsync only), e.g. startQemuDmWorker. */
  dmStarter?: DmStarter;
}

export interface RunXenResult {
  host: XenHost;
  xl: Xl;
  libxl: Libxl;
  /** First domain id `xl create` got. */
  domid: number;
  name: string;
  timeline: TimelineEntry[];
  libxlEvents: LibxlEvent[];
  xlLog: string[];
  qemuDmLog: string[];
  xenConsole: string[];
  xendLog: string[];
  guestConsole: string[];
  /** COM1 lines the guest wrote, as qemu-dm's serial port received them over the ioreq ring. */
  serialConsole: string[];
  /** ioreqs the domain's vCPUs sent to qemu-dm (xen_ioreq_send). */
  ioreqs: number;
  commands: XlRun[];
  chain: readonly CauseLink[];
  cause: TeardownCause;
  /** VIRQ_DOM_EXC sends for the first domain. */
  virqDomExc: number;
  /** xl list at the end. */
  list: string[];
  endNs: number;
  /** The run stopped at `maxInsns`, not because the domain went away. */
  budgetExhausted: boolean;
}

export function defaultConfig(guest = 'acpi-poweroff'): string {
  return `name = "guest"\nmemory = 128\nvcpus = 1\nkernel = "scripted:${guest}"\n`;
}

/** Guest for `kernel = "scripted:KIND"`. */
export function scriptedGuestFactory(cfg: XlConfig): XenGuest {
  const m = /^scripted:(.+)$/.exec(cfg.kernel);
  if (!m) throw new Error(`kernel "${cfg.kernel}" is not a scripted guest; real kernels need a guestFactory (the CPU adapter)`);
  return makeGuest(cfg.acpi ? m[1]! : m[1] === 'acpi-poweroff' ? 'acpi-off' : m[1]!);
}

/**
 * Guests for a config: `kernel = "scripted:KIND"` is a scripted guest; anything else is a kernel file (a Linux
 * bzImage with xl's `ramdisk=` and `cmdline=`, or Multiboot) read with `load` and run on the CPU interpreter
 * with hvmloader's tables (none with acpi = 0): xl's direct kernel boot.
 */
export function kernelGuestFactory(load: (path: string) => Uint8Array, budget?: number): (cfg: XlConfig) => XenGuest {
  return (cfg) => {
    if (cfg.kernel.startsWith('scripted:')) return scriptedGuestFactory(cfg);
    const name = cfg.kernel.split('/').pop()!.replace(/\.bin$/, '');
    // xl's direct kernel boot: `cmdline=` (Linux or Multiboot command line) and `ramdisk=` (the initrd).
    const cmdline = typeof cfg.extra['cmdline'] === 'string' ? cfg.extra['cmdline'] : undefined;
    const ramdisk = typeof cfg.extra['ramdisk'] === 'string' ? cfg.extra['ramdisk'] : undefined;
    return new CpuGuest({ kernel: load(cfg.kernel), memoryMb: cfg.memory, name, noAcpi: !cfg.acpi, ...(budget ? { budget } : {}),
      ...(cmdline !== undefined ? { cmdline } : {}), ...(ramdisk !== undefined ? { initrd: load(ramdisk) } : {}) });
  };
}

function setupRun(o: RunXenOptions) {
  const trace = o.trace ?? new Trace().recordEverything();
  const host = new XenHost({ ...o.host, trace });
  const libxl = new Libxl(host, o.guestFactory ?? scriptedGuestFactory);
  if (o.dmStarter) libxl.dmStarter = o.dmStarter;
  const xl = new Xl(libxl);
  const text = o.configText ?? defaultConfig(o.guest);
  const commands: XlRun[] = [];
  const exec = (argv: string[]): void => {
    host.note('xl-cli', `xl ${argv.join(' ')}`);
    const r = xl.exec(argv, { 'guest.cfg': text });
    commands.push(r);
    const report = (run: XlRun): void => {
      for (const l of run.err) host.note('xl-cli', l);
      for (const l of run.out) host.note('xl-cli', l);
      host.note('xl-cli', `exit ${run.code}`);
    };
    if (r.code !== null) report(r);
    else r.onDone = report;
  };
  exec(['create', 'guest.cfg']);
  const rec = [...libxl.records.values()][0];
  if (!rec) {
    const err = commands[0]!.err.join('\n');
    throw new Error(`xl create failed: ${err}`);
  }
  const cfg = rec.cfg;
  for (const a of o.actions ?? []) {
    host.at(a.at, 'action', () => {
      if ('xl' in a) return exec(a.xl);
      if ('xenstoreWrite' in a) {
        const cur = libxl.byName(cfg.name);
        const path = a.xenstoreWrite[0].replace('$DOMID', String(cur?.domid ?? rec.domid));
        host.note('xenstore', `dom0 write ${path} = "${a.xenstoreWrite[1]}"`);
        host.xs.client(0).write(path, a.xenstoreWrite[1]);
        return;
      }
      const target = libxl.byName(a.domain ?? cfg.name);
      const d = target && host.hv.domains.get(target.domid);
      if (!d) return host.note('backend', `no domain ${a.domain ?? cfg.name} to ${a.backend}`);
      if (a.backend === 'map') {
        host.hv.mapForeign(host.hv.dom0, d, a.pages);
        host.note('backend', `dom0 backend maps ${a.pages} pages of d${d.id}`);
      } else {
        host.note('backend', `dom0 backend unmaps d${d.id}`);
        host.hv.unmapForeign(host.hv.dom0, d);
        host.pump();
      }
    });
  }
  const limit = o.limitNs ?? 600e9;
  const lastAction = Math.max(0, ...(o.actions ?? []).map((a) => a.at));
  const budgetOut = (): boolean => o.maxInsns !== undefined && host.clock.instructions >= o.maxInsns;
  const finished = (): boolean => budgetOut() || !o.runToLimit && host.clock.ns() >= lastAction && host.hv.domains.size === 1 && xl.pendingRestarts === 0
    && libxl.pendingDms === 0 && commands.every((c) => c.code !== null);
  return { host, libxl, xl, rec, cfg, commands, limit, finished, budgetOut, exec };
}

type RunCtx = ReturnType<typeof setupRun>;

function collect({ host, libxl, xl, rec, cfg, commands, budgetOut }: RunCtx): RunXenResult {
  const list = xl.exec(['list']).out;
  let cause = classifyTeardown(rec.hd.chain);
  if (cause === 'running' && host.hv.domains.get(rec.domid)?.s3Suspended) cause = 'suspended';
  return {
    host, xl, libxl, domid: rec.domid, name: cfg.name, timeline: host.timeline,
    libxlEvents: [...libxl.records.values()].flatMap((r) => r.events),
    xlLog: xl.monitorLogs.get(cfg.name) ?? [], qemuDmLog: [...libxl.records.values()].flatMap((r) => r.hd.dm?.log.lines ?? []),
    xenConsole: host.hv.console, xendLog: xl.xendLog,
    guestConsole: [...libxl.records.values()].flatMap((r) => r.hd.io.consoleLines),
    serialConsole: [...libxl.records.values()].flatMap((r) => r.hd.dm?.serialLines ?? []),
    ioreqs: [...libxl.records.values()].reduce((n, r) => n + r.hd.io.ioreqsSent, 0),
    commands, chain: rec.hd.chain.links, cause,
    virqDomExc: host.hv.domExcSent.get(rec.domid) ?? 0, list, endNs: host.clock.ns(),
    budgetExhausted: budgetOut() && host.hv.domains.has(rec.domid),
  };
}

export function runXenDomain(o: RunXenOptions = {}): RunXenResult {
  if (o.dmStarter) throw new Error('runXenDomain: a dmStarter (worker DM) needs runXenDomainAsync');
  const c = setupRun(o);
  c.host.runUntil(c.finished, c.limit);
  return collect(c);
}

/**
 * As runXenDomain, with device models started asynchronously (`dmStarter`, e.g. startQemuDmWorker: qemu-dm
 * in its own worker thread). Virtual time stops while a device model starts; the domain stays paused until then.
 */
export async function runXenDomainAsync(o: RunXenOptions = {}): Promise<RunXenResult> {
  const c = setupRun(o);
  const end = c.host.clock.ns() + c.limit;
  for (;;) {
    await Promise.all([...c.libxl.records.values()].map((r) => r.ready));
    const left = end - c.host.clock.ns();
    if (left <= 0) break;
    c.host.runUntil(() => c.finished() || c.libxl.pendingDms > 0, left);
    if (c.libxl.pendingDms === 0) break;
  }
  return collect(c);
}

/** A run driven step by step (the web page: it yields to the browser between steps, and sends xl commands while it runs). */
export interface XenRunHandle {
  readonly host: XenHost;
  readonly libxl: Libxl;
  /** Run an xl command now, as `xl ARGV...` from dom0 (`['shutdown', '-F', 'guest']`, `['trigger', 'guest', 'power']`). */
  exec(argv: string[]): void;
  /** Run for up to `ns` of virtual time; true once the run is over (the domain is gone, or the budget is used up). */
  run(ns: number): boolean;
  result(): RunXenResult;
}

/** As runXenDomain, but the caller moves time on (synchronous device models only). */
export function startXenRun(o: RunXenOptions = {}): XenRunHandle {
  if (o.dmStarter) throw new Error('startXenRun: a dmStarter (worker DM) needs runXenDomainAsync');
  const c = setupRun(o);
  return {
    host: c.host, libxl: c.libxl,
    exec: (argv) => c.exec(argv),
    run: (ns) => c.host.runUntil(c.finished, ns),
    result: () => collect(c),
  };
}

/** The timeline as text lines: `  12.000001000 s  layer  text`. */
export function formatTimeline(t: readonly TimelineEntry[]): string[] {
  return t.map((e) => `${(e.t / 1e9).toFixed(9).padStart(14)} s  ${e.layer.padEnd(8)} ${e.text}`);
}
