/**
 * The xl command set (Xen tools/xl: xl_vmcontrol.c, xl_info.c, xl_misc.c)
 * over Libxl, with xl's exact messages. Commands that wait (a PV shutdown
 * waits up to 60 s for the guest's ack; -w waits for the domain) finish in
 * virtual time: `XlRun.code` stays null until then, and `onDone` fires.
 * `xl create` starts a monitor per domain that applies the on_* action and
 * writes xl-NAME.log; xend-compatible lines go to `xendLog`.
 */
import type { CauseLink } from '../machine/cause-chain.js';
import { domainInfo } from './domain.js';
import { ERROR_NOPARAVIRT, type DomRecord, type LibxlEvent, Libxl } from './libxl.js';
import type { TimerHandle } from './timer-queue.js';
import { parseXlConfig, XlConfigError, type OnAction, type XlConfig } from './xl-config.js';
import { SHUTDOWN_crash, XEN_DOMINF_blocked, XEN_DOMINF_dying, XEN_DOMINF_paused, XEN_DOMINF_running,
  XEN_DOMINF_shutdown, XEN_DOMINF_shutdownshift } from './xen-abi.js';

export interface XlRun {
  readonly argv: readonly string[];
  readonly out: string[];
  readonly err: string[];
  /** Exit status once finished, else null. */
  code: number | null;
  onDone: ((r: XlRun) => void) | null;
}

/** xend's name for each code (code 4 was "halt" there). */
const XEND_REASONS = ['poweroff', 'reboot', 'suspend', 'crash', 'halt'];
/** xend: how long a requested shutdown may take before xend logs the timeout (Xen tools/python/xen/xend/XendConstants.py: `SHUTDOWN_TIMEOUT = (60.0 * 5)`). */
export const XEND_SHUTDOWN_TIMEOUT_NS = 300e9;

export class Xl {
  /** xl-NAME.log contents, by domain name. */
  readonly monitorLogs = new Map<string, string[]>();
  readonly xendLog: string[] = [];
  private readonly shutdownWatchdogs = new Map<number, TimerHandle>();
  private pid = 4000;
  /** Restarts scheduled by monitors (sleep(2) before `goto start`). */
  pendingRestarts = 0;

  constructor(readonly libxl: Libxl) {}

  private get host() {
    return this.libxl.host;
  }

  private mlog(name: string, line: string): void {
    let l = this.monitorLogs.get(name);
    if (!l) this.monitorLogs.set(name, (l = []));
    l.push(line);
    this.host.note('xl', `[${name}] ${line}`);
  }

  private xend(line: string): void {
    this.xendLog.push(line);
    this.host.note('xend', line);
  }

  /** Run one xl command. Synchronous commands come back finished. */
  exec(argv: readonly string[], files: Record<string, string> = {}): XlRun {
    const run: XlRun = { argv, out: [], err: [], code: null, onDone: null };
    const finish = (code: number): void => {
      if (run.code !== null) return;
      run.code = code;
      run.onDone?.(run);
    };
    const [cmd, ...args] = argv;
    try {
      switch (cmd) {
        case 'create': return this.create(run, args, files, finish), run;
        case 'list': return this.list(run, args, finish), run;
        case 'info': return this.info(run), finish(0), run;
        case 'shutdown': case 'reboot': return this.shutdown(run, cmd, args, finish), run;
        case 'destroy': return this.destroy(run, args, finish), run;
        case 'trigger': return this.trigger(run, args, finish), run;
        case 'console': return this.console(run, args, finish), run;
        case 'dmesg': run.out.push(...this.host.hv.console); finish(0); return run;
        default:
          run.err.push(`command not implemented: ${cmd ?? '(none)'}`);
          finish(1);
          return run;
      }
    } catch (e) {
      run.err.push(String((e as Error).message ?? e));
      finish(1);
      return run;
    }
  }

  /** find_domain: a number is a domid; otherwise a name. */
  private findDomain(run: XlRun, p: string | undefined): number | null {
    if (p === undefined) {
      run.err.push("'xl' requires a domain argument");
      return null;
    }
    if (/^\d+$/.test(p)) {
      const id = Number(p);
      if (this.host.hv.domains.has(id)) return id;
    } else {
      const r = this.libxl.byName(p);
      if (r && this.host.hv.domains.has(r.domid)) return r.domid;
    }
    run.err.push(`${p} is an invalid domain identifier (rc=-6)`);
    return null;
  }

  // ---- create and the monitor ------------------------------------------------------

  private create(run: XlRun, args: string[], files: Record<string, string>, finish: (c: number) => void): void {
    const file = args.find((a) => !a.startsWith('-'));
    if (!file) {
      run.err.push("'xl create' requires a config file");
      return finish(2);
    }
    run.err.push(`Parsing config from ${file}`);
    const text = files[file];
    if (text === undefined) {
      run.err.push(`Failed to read config file: ${file}: No such file or directory`);
      return finish(1);
    }
    let cfg: XlConfig;
    try {
      cfg = parseXlConfig(text);
    } catch (e) {
      if (e instanceof XlConfigError) {
        run.err.push(e.message);
        return finish(1);
      }
      throw e;
    }
    if (this.libxl.byName(cfg.name) && this.host.hv.domains.has(this.libxl.byName(cfg.name)!.domid)) {
      run.err.push(`libxl: error: Domain ${cfg.name} already exists`);
      return finish(3);
    }
    this.startMonitored(cfg, cfg.name);
    finish(0);
  }

  private startMonitored(cfg: XlConfig, name: string): DomRecord {
    const rec = this.libxl.create(cfg, name);
    const pid = this.pid++;
    this.mlog(name, `Waiting for domain ${name} (domid ${rec.domid}) to die [pid ${pid}]`);
    const off = this.libxl.evenableDeath(rec.domid, (e) => this.monitorEvent(rec, e, () => off()));
    return rec;
  }

  private monitorEvent(rec: DomRecord, e: LibxlEvent, stop: () => void): void {
    const name = rec.name;
    const domid = rec.domid;
    if (e.type === 'DOMAIN_DEATH') {
      this.mlog(name, `Domain ${domid} has been destroyed.`);
      stop();
      return;
    }
    const code = e.reason;
    this.mlog(name, `Domain ${domid} has shut down, reason code ${code} 0x${code.toString(16)}`);
    this.xend(`Domain has shutdown: name=${name} id=${domid} reason=${XEND_REASONS[code] ?? String(code)}.`);
    this.shutdownWatchdogs.get(domid)?.cancel();
    this.shutdownWatchdogs.delete(domid);
    const shutdownLink = rec.hd.chain.last((l) => l.requester !== 'host' || l.mechanism === 'xenstore-control');
    const r = handleDomainDeath(rec.cfg, code, (l) => this.mlog(name, l));
    if (r.suspended) return; // xl keeps waiting
    if (r.coredump) this.mlog(name, `dumping core to /var/lib/xen/dump/${name}`);
    if (r.preserveRename) {
      const suffix = '-19700101T0000Z';
      this.mlog(name, `Preserving domain ${domid} ${name} with suffix${suffix}`);
      rec.name = `${name}${suffix}`;
      this.libxl.host.xs.client(0).write(`/local/domain/${domid}/name`, rec.name);
    }
    if (r.destroy) {
      this.mlog(name, `Domain ${domid} needs to be cleaned up: destroying the domain`);
      this.libxl.destroy(domid, shutdownLink);
    }
    stop();
    if (r.restart) {
      this.mlog(name, 'Done. Rebooting now');
      // sleep(2), then `goto start`: the same config builds a new domain.
      this.pendingRestarts++;
      this.host.at(this.host.clock.ns() + 2e9, `xl-restart-${name}`, () => {
        this.pendingRestarts--;
        this.startMonitored(rec.cfg, name);
      });
    } else {
      this.mlog(name, 'Done. Exiting now');
    }
  }

  // ---- list ------------------------------------------------------------------------

  /** xl list [-l|--long] [DOMAIN...]: the table, or (-l) the domains' configs as JSON; only the named domains. */
  private list(run: XlRun, args: string[], finish: (c: number) => void): void {
    const long = args.some((a) => a === '-l' || a === '--long' || a === '--json');
    const bad = args.find((a) => a.startsWith('-') && !['-l', '--long', '--json'].includes(a));
    if (bad) {
      run.err.push(`xl list: unknown option '${bad}' (supported: -l, --long)`);
      return finish(2);
    }
    const only: number[] = [];
    for (const a of args.filter((x) => !x.startsWith('-'))) {
      const id = this.findDomain(run, a);
      if (id === null) return finish(1);
      only.push(id);
    }
    const infos = this.host.xc.listInfo().filter((i) => only.length === 0 || only.includes(i.domid));
    const nameOf = (domid: number): string => (domid === 0 ? 'Domain-0' : (this.host.xs.client(0).read(`/local/domain/${domid}/name`) ?? '(null)'));
    if (long) {
      run.out.push(...JSON.stringify(infos.map((info) => {
        const cfg = this.libxl.records.get(info.domid)?.cfg;
        return {
          domid: info.domid,
          config: {
            c_info: { type: info.domid === 0 ? 'pv' : 'hvm', name: nameOf(info.domid) },
            b_info: { max_vcpus: info.nrOnlineVcpus, max_memkb: info.totPages * 4, ...(cfg ? { kernel: cfg.kernel } : {}) },
            ...(cfg ? { on_poweroff: cfg.on_poweroff, on_reboot: cfg.on_reboot, on_crash: cfg.on_crash } : {}),
          },
        };
      }), null, 4).split('\n'));
      return finish(0);
    }
    run.out.push(`${'Name'.padEnd(40)} ${'ID'.padStart(5)} ${'Mem'.padStart(5)} ${'VCPUs'.padStart(5)} ${'State'.padStart(10)} ${'Time(s)'.padStart(9)}`);
    for (const info of infos) {
      const f = info.flags;
      const shut = (f & XEN_DOMINF_shutdown) !== 0;
      const state = [
        f & XEN_DOMINF_running ? 'r' : '-', f & XEN_DOMINF_blocked ? 'b' : '-', f & XEN_DOMINF_paused ? 'p' : '-',
        shut ? 's' : '-', shut && ((f >>> XEN_DOMINF_shutdownshift) & 0xff) === SHUTDOWN_crash ? 'c' : '-', f & XEN_DOMINF_dying ? 'd' : '-',
      ].join('');
      const mem = Math.floor((info.totPages * 4) / 1024);
      run.out.push(`${nameOf(info.domid).padEnd(40)} ${String(info.domid).padStart(5)} ${String(mem).padStart(5)} ${String(info.nrOnlineVcpus).padStart(5)}     ${state}  ${(info.cpuTimeNs / 1e9).toFixed(1).padStart(8)}`);
    }
    finish(0);
  }

  /** xl info: the host as the modelled hypervisor describes it (key : value, as xl prints physinfo). */
  private info(run: XlRun): void {
    const domains = this.host.xc.listInfo();
    const rows: [string, string | number][] = [
      ['host', 'acpidm'], ['machine', 'x86_64'], ['nr_cpus', 1], ['virt_caps', 'hvm'],
      ['nr_domains', domains.length], ['xen_caps', 'hvm-3.0-x86_32'],
    ];
    for (const [k, v] of rows) run.out.push(`${k.padEnd(23)}: ${v}`);
  }

  // ---- shutdown / reboot -------------------------------------------------------------

  private shutdown(run: XlRun, cmd: 'shutdown' | 'reboot', args: string[], finish: (c: number) => void): void {
    let wait = 0;
    let force = false;
    const rest: string[] = [];
    for (const a of args) {
      if (/^-w+$/.test(a)) wait += a.length - 1;
      else if (a === '-F') force = true;
      else if (a === '-a') { run.err.push('xl: -a (all domains) is not modelled'); return finish(2); }
      else rest.push(a);
    }
    const domid = this.findDomain(run, rest[0]);
    if (domid === null) return finish(2);
    const rec = this.libxl.records.get(domid);
    run.err.push(cmd === 'shutdown' ? `Shutting down domain ${domid}` : `Rebooting domain ${domid}`);
    this.libxl.pvcontrol(domid, cmd === 'shutdown' ? 'poweroff' : 'reboot', (rc0) => {
      let rc = rc0;
      if (rc === ERROR_NOPARAVIRT) {
        const what = cmd === 'shutdown' ? 'power' : 'reset';
        if (force) {
          run.err.push(`PV control interface not available: sending ACPI ${what} button event.`);
          rc = this.libxl.sendTrigger(domid, cmd === 'shutdown' ? 'power' : 'reset');
        } else {
          run.err.push(`PV control interface not available: external graceful ${cmd} not possible.`);
          run.err.push(`Use "-F" to fallback to ACPI ${what} event.`);
        }
      }
      if (rc) {
        run.err.push(`${cmd} failed (rc=${rc})`);
        return finish(1);
      }
      if (rec) this.armXendTimeout(rec);
      if (!wait) return finish(0);
      run.err.push('Waiting for 1 domains');
      const off = this.libxl.evenableDeath(domid, (e) => {
        if (e.type === 'DOMAIN_DEATH') run.err.push(`Domain ${domid} has been destroyed`);
        else {
          run.err.push(`Domain ${domid} has been shut down, reason code ${e.reason}`);
          if (wait > 1) return;
        }
        off();
        finish(0);
      });
    });
  }

  /** xend: a requested shutdown that has not happened after 300 s is only logged. */
  private armXendTimeout(rec: DomRecord): void {
    if (this.shutdownWatchdogs.has(rec.domid)) return;
    const domid = rec.domid;
    const h = this.host.at(this.host.clock.ns() + XEND_SHUTDOWN_TIMEOUT_NS, `xend-shutdown-timeout-${domid}`, () => {
      this.shutdownWatchdogs.delete(domid);
      const d = this.host.hv.domains.get(domid);
      if (!d || domainInfo(d).flags & (XEN_DOMINF_shutdown | XEN_DOMINF_dying)) return;
      this.xend(`Domain shutdown timeout expired: name=${rec.name} id=${domid}`);
      rec.hd.chain.add({ requester: 'host', mechanism: 'timeout', what: `xend shutdown timeout (${XEND_SHUTDOWN_TIMEOUT_NS / 1e9} s) expired; domain left running`,
        t: this.host.clock.ns() });
    });
    this.shutdownWatchdogs.set(domid, h);
  }

  // ---- destroy / trigger / console ------------------------------------------------

  private destroy(run: XlRun, args: string[], finish: (c: number) => void): void {
    const force = args.includes('-f');
    const domid = this.findDomain(run, args.find((a) => a !== '-f'));
    if (domid === null) return finish(2);
    if (domid === 0 && !force) {
      run.err.push('Not destroying domain 0; use -f to force.');
      return finish(1);
    }
    const rc = this.libxl.destroy(domid);
    if (rc) {
      run.err.push(`destroy failed (rc=${rc})`);
      return finish(1);
    }
    finish(0);
  }

  private trigger(run: XlRun, args: string[], finish: (c: number) => void): void {
    const domid = this.findDomain(run, args[0]);
    if (domid === null) return finish(2);
    const t = args[1];
    if (t !== 'power' && t !== 'sleep' && t !== 'reset' && t !== 's3resume') {
      run.err.push(`Invalid trigger "${t ?? ''}"`);
      return finish(2);
    }
    // xl ignores libxl_send_trigger's status (main_trigger returns EXIT_SUCCESS); libxl logs the error.
    const rc = this.libxl.sendTrigger(domid, t);
    if (rc) run.err.push(`libxl: error: Domain ${domid}:Send trigger '${t}' failed`);
    finish(0);
  }

  private console(run: XlRun, args: string[], finish: (c: number) => void): void {
    const domid = this.findDomain(run, args.find((a) => !a.startsWith('-')));
    if (domid === null) return finish(2);
    const rec = this.libxl.records.get(domid);
    run.out.push(...(rec?.hd.io.consoleLines ?? []));
    finish(0);
  }
}

/** xl_vmcontrol.c handle_domain_death: which action for which code, with its log lines. */
export function handleDomainDeath(cfg: XlConfig, code: number, log: (l: string) => void):
  { destroy: boolean; restart: boolean; preserveRename: boolean; coredump: boolean; suspended: boolean } {
  let action: OnAction;
  switch (code) {
    case 0: action = cfg.on_poweroff; break;
    case 1: action = cfg.on_reboot; break;
    case 2:
      log('Domain has suspended.');
      return { destroy: false, restart: false, preserveRename: false, coredump: false, suspended: true };
    case 3: action = cfg.on_crash; break;
    case 4: action = cfg.on_watchdog; break;
    case 5: action = cfg.on_soft_reset; break;
    default:
      log(`Unknown shutdown reason code ${code}. Destroying domain.`);
      action = 'destroy';
  }
  log(`Action for shutdown reason code ${code} is ${action}`);
  let coredump = false;
  if (action === 'coredump-destroy' || action === 'coredump-restart') {
    coredump = true;
    action = action === 'coredump-destroy' ? 'destroy' : 'restart';
  }
  switch (action) {
    case 'preserve': return { destroy: false, restart: false, preserveRename: false, coredump, suspended: false };
    case 'rename-restart': return { destroy: false, restart: true, preserveRename: true, coredump, suspended: false };
    case 'restart': return { destroy: true, restart: true, preserveRename: false, coredump, suspended: false };
    // soft-reset: modelled as a restart into a new domain (libxl_domain_soft_reset keeps the domid; not modelled).
    case 'soft-reset': return { destroy: true, restart: true, preserveRename: false, coredump, suspended: false };
    default: return { destroy: true, restart: false, preserveRename: false, coredump, suspended: false };
  }
}

export type { CauseLink };
