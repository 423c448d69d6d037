/**
 * The toolstack library (Xen tools/libs/light): domain create and destroy,
 * the death watch on @releaseDomain (domain_death_xswatch_callback), the PV
 * control protocol with its 60 s acknowledgement wait, and triggers.
 * Events: DOMAIN_SHUTDOWN (once, with the code from getdomaininfo bits 16-23)
 * and DOMAIN_DEATH (once, when the domain is dying or gone).
 */
import type { CauseLink } from '../machine/cause-chain.js';
import { defineEvent } from '../trace/trace.js';
import type { XenGuest } from './guest.js';
import type { QemuDm, QemuDmOptions } from './qemu-dm.js';
import type { HostDomain, XenHost } from './xen-host.js';
import type { XlConfig } from './xl-config.js';
import type { TimerHandle } from './timer-queue.js';
import {
  HVM_PARAM_CALLBACK_IRQ, HVM_PARAM_STORE_EVTCHN, HVM_PARAM_STORE_PFN, HVM_PARAM_TRIPLE_FAULT_REASON, SHUTDOWN_reboot,
  HVM_PARAM_ACPI_S_STATE, XEN_DOMCTL_SENDTRIGGER_POWER, XEN_DOMCTL_SENDTRIGGER_RESET, XEN_DOMCTL_SENDTRIGGER_SLEEP, XEN_DOMINF_dying,
  XEN_DOMINF_shutdown, XEN_DOMINF_shutdownmask, XEN_DOMINF_shutdownshift, strerror,
} from './xen-abi.js';

/** libxl error codes (libxl_types.idl). */
export const ERROR_FAIL = -3;
export const ERROR_INVAL = -6;
export const ERROR_TIMEDOUT = -9;
export const ERROR_NOPARAVIRT = -10;
export const ERROR_DOMAIN_NOTFOUND = -21;

export type LibxlEvent =
  | { type: 'DOMAIN_SHUTDOWN'; domid: number; reason: number; t: number }
  | { type: 'DOMAIN_DEATH'; domid: number; t: number };

export const tr = {
  event: defineEvent('xl', 'libxl_event', (a: { type: string; domid: number; reason?: number }) =>
    `${a.type} domid ${a.domid}${a.reason !== undefined ? ` reason ${a.reason}` : ''}`),
  deathWatch: defineEvent('xl', 'libxl_death_watch', (a: { domid: number; info: string }) =>
    `domain_death_xswatch_callback: getdomaininfo d${a.domid} -> ${a.info}`),
  log: defineEvent('xl', 'libxl_log', (a: { level: string; msg: string }) => `${a.level}: ${a.msg}`),
};

export type GuestFactory = (cfg: XlConfig) => XenGuest;

/** Starts a device model somewhere else (a worker) for a domain libxl just built; it stays paused until then. */
export type DmStarter = (opts: QemuDmOptions) => Promise<QemuDm>;

interface Watched { domid: number; shutdownReported: boolean; deathReported: boolean; subs: ((e: LibxlEvent) => void)[] }

/** What libxl knows about a domain it created. */
export interface DomRecord {
  domid: number;
  name: string;
  cfg: XlConfig;
  hd: HostDomain;
  /** A power-button press that was delivered (PWRBTN_EN set): the next guest S5 answers it. */
  latchedButton: CauseLink | null;
  /** Every libxl event for this domain, in order. */
  events: LibxlEvent[];
  /** Settles once the device model runs and the domain is unpaused (at once in-thread). */
  ready: Promise<void>;
}

/** Xen tools/libs/light/libxl_domain.c `libxl__domain_pvcontrol`: `pvcontrol->timeout_ms = 60 * 1000` for the guest's ack. */
export const PVCONTROL_TIMEOUT_NS = 60e9;

export class Libxl {
  readonly records = new Map<number, DomRecord>();
  /** libxl's own log (LOG/LOGED lines), newest last. */
  readonly log: string[] = [];
  private readonly watched = new Map<number, Watched>();
  private deathWatch: (() => void) | null = null;
  private readonly xs;

  /** Device-model starts still in flight (worker DMs). */
  pendingDms = 0;
  /** Set to run each domain's device model through this starter (e.g. startQemuDmWorker) instead of in-thread. */
  dmStarter: DmStarter | null = null;

  constructor(readonly host: XenHost, readonly makeGuest: GuestFactory) {
    this.xs = host.xs.client(0);
  }

  private logLine(level: 'error' | 'debug', msg: string): void {
    this.log.push(`libxl: ${level}: ${msg}`);
    if (this.host.trace.on(tr.log)) this.host.trace.emit(tr.log, { level, msg });
    if (level === 'error') this.host.note('libxl', `libxl: error: ${msg}`);
  }

  /** The newest record with this name (a restarted domain reuses its name). */
  byName(name: string): DomRecord | undefined {
    let found: DomRecord | undefined;
    for (const r of this.records.values()) if (r.name === name) found = r;
    return found;
  }

  /** libxl_domain_create_new for an HVM config: build, wire xenstore, start the DM, unpause. */
  create(cfg: XlConfig, name = cfg.name): DomRecord {
    const guest = this.makeGuest(cfg);
    const hd = this.host.buildDomain({ name, vcpus: cfg.vcpus, memoryMb: cfg.memory, guest, deferDm: this.dmStarter !== null,
      dmVersion: cfg.device_model_version });
    const id = hd.d.id;
    const xc = this.host.xc;
    xc.setParam(id, HVM_PARAM_TRIPLE_FAULT_REASON, BigInt(SHUTDOWN_reboot));
    // The store event channel: unbound in the guest for dom0, bound by xenstored (a kick = the guest wrote its ring).
    const storePort = this.host.hv.allocUnbound(hd.d, 0);
    this.host.hv.bindInterdomain(this.host.hv.dom0, hd.d, storePort, () => this.host.xs.guestKick?.(id));
    xc.setParam(id, HVM_PARAM_STORE_EVTCHN, BigInt(storePort));
    const storePfn = guest.storePfn ?? 0xfeffc;
    xc.setParam(id, HVM_PARAM_STORE_PFN, BigInt(storePfn));
    const base = `/local/domain/${id}`;
    this.host.xs.prepareDomain?.(id, name, true);
    this.xs.write(`${base}/name`, name);
    this.xs.write(`${base}/domid`, String(id));
    if (!this.host.xs.prepareDomain) this.xs.write(`${base}/control/shutdown`, '');
    this.xs.write(`/local/domain/0/device-model/${id}/state`, 'running');
    this.xs.write(`/libxl/${id}/type`, 'hvm');
    const ram = guest.ram;
    if (ram && guest.storePfn !== undefined && (storePfn + 1) * 4096 <= ram.length) {
      const page = ram.subarray(storePfn * 4096, storePfn * 4096 + 4096);
      page.fill(0);
      // xenstored notifies the guest's store port; the guest polls with SCHEDOP_yield, so the wakeup is enough.
      // xenstored notifies the guest's store port: the event-channel upcall (HVM_PARAM_CALLBACK_IRQ), or, for a guest
      // that polls with SCHEDOP_yield, just a wakeup.
      this.host.xs.introduceDomain(id, { mfn: storePfn, port: storePort, page, notify: () => {
        if (guest.onEvtchnUpcall) return guest.onEvtchnUpcall(hd.ctx);
        const v = hd.d.vcpus[0]!;
        if (!v.ioPending && !v.down) v.blocked = false;
      } });
    } else this.host.xs.introduceDomain(id);
    const rec: DomRecord = { domid: id, name, cfg, hd, latchedButton: null, events: [], ready: Promise.resolve() };
    this.records.set(id, rec);
    this.evenableDeath(id, () => {});
    const run = (): void => {
      if (hd.dm) hd.dm.answersFor = () => {
        const l = rec.latchedButton;
        rec.latchedButton = null;
        return l;
      };
      xc.domainUnpause(id);
    };
    if (this.dmStarter) {
      // The domain stays paused (controller pause from createdomain) until its device model is up.
      this.pendingDms++;
      rec.ready = this.dmStarter(hd.dmOptions).then((dm) => {
        this.host.attachDm(hd, dm);
        this.host.note('libxl', `device model for ${name} (domain ${id}) running in a worker`);
        run();
      }).finally(() => void this.pendingDms--);
    } else run();
    this.host.note('libxl', `created ${name} as domain ${id} (${cfg.vcpus} vCPU, ${cfg.memory} MB, ${cfg.kernel})`);
    return rec;
  }

  /** libxl_evenable_domain_death: one @releaseDomain watch serves every domain. */
  evenableDeath(domid: number, sub: (e: LibxlEvent) => void): () => void {
    let w = this.watched.get(domid);
    if (!w) {
      w = { domid, shutdownReported: false, deathReported: false, subs: [] };
      this.watched.set(domid, w);
    }
    w.subs.push(sub);
    if (!this.deathWatch) this.deathWatch = this.xs.watch('@releaseDomain', 'domain-death', () => this.deathCallback());
    const ww = w;
    return () => {
      const i = ww.subs.indexOf(sub);
      if (i >= 0) ww.subs.splice(i, 1);
    };
  }

  /** domain_death_xswatch_callback: rescan every watched domain with getdomaininfo. */
  private deathCallback(): void {
    for (const w of [...this.watched.values()].sort((a, b) => a.domid - b.domid)) {
      if (w.deathReported) continue;
      const info = this.host.xc.getInfo(w.domid);
      if (this.host.trace.on(tr.deathWatch)) {
        const f = info?.flags ?? 0;
        const what = !info ? 'no such domain' : `flags 0x${f.toString(16)}${f & XEN_DOMINF_dying ? ' dying' : ''}${f & XEN_DOMINF_shutdown
          ? ` shutdown code ${(f >>> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask}` : ''}`;
        this.host.trace.emit(tr.deathWatch, { domid: w.domid, info: what });
      }
      if (!info || (info.flags & XEN_DOMINF_dying)) {
        w.deathReported = true;
        this.watched.delete(w.domid);
        this.emit(w, { type: 'DOMAIN_DEATH', domid: w.domid, t: this.host.clock.ns() });
        continue;
      }
      if (!w.shutdownReported && (info.flags & XEN_DOMINF_shutdown)) {
        w.shutdownReported = true;
        const reason = (info.flags >>> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
        this.emit(w, { type: 'DOMAIN_SHUTDOWN', domid: w.domid, reason, t: this.host.clock.ns() });
      }
    }
  }

  private emit(w: Watched, e: LibxlEvent): void {
    if (this.host.trace.on(tr.event)) this.host.trace.emit(tr.event, { type: e.type, domid: e.domid, ...(e.type === 'DOMAIN_SHUTDOWN' ? { reason: e.reason } : {}) });
    this.host.note('libxl', `${e.type}${e.type === 'DOMAIN_SHUTDOWN' ? `(${e.reason})` : ''} domid ${e.domid}`);
    this.records.get(e.domid)?.events.push(e);
    for (const s of [...w.subs]) s(e);
  }

  /** libxl_domain_destroy: pause, kill the DM, remove devices and xenstore paths, destroy. Returns 0 or ERROR_*. */
  destroy(domid: number, answers?: CauseLink): number {
    const d = this.host.hv.domains.get(domid);
    if (!d) {
      this.logLine('error', `libxl_domain.c:libxl__destroy_domid: Domain ${domid}:Non-existant domain`);
      return ERROR_DOMAIN_NOTFOUND;
    }
    const rec = this.records.get(domid);
    const xc = this.host.xc;
    rec?.hd.chain.add({ requester: 'host', mechanism: 'domctl-destroy', what: `libxl_domain_destroy(${domid})`,
      ...(answers ? { answers: answers.id } : {}), t: this.host.clock.ns() });
    if (d.dying === 'alive') {
      const rc = xc.domainPause(domid);
      if (rc < 0) this.logLine('error', `Domain ${domid}:xc_domain_pause failed: ${strerror(rc)}`);
    }
    rec?.hd.dm?.stop(); // libxl__destroy_device_model
    this.xs.rm(`/local/domain/0/device-model/${domid}`);
    if (this.host.xs.removeDomain) this.host.xs.removeDomain(domid);
    else {
      this.xs.rm(`/local/domain/${domid}`);
      this.xs.rm(`/libxl/${domid}`);
    }
    const rc = xc.domainDestroy(domid);
    if (rc < 0) {
      this.logLine('error', `Domain ${domid}:xc_domain_destroy failed: ${strerror(rc)}`);
      return ERROR_FAIL;
    }
    return 0;
  }

  /** libxl__domain_pvcontrol_available: HVM counts as PV-capable only with HVM_PARAM_CALLBACK_IRQ != 0. */
  pvcontrolAvailable(domid: number): number {
    const { rc, value } = this.host.xc.getParam(domid, HVM_PARAM_CALLBACK_IRQ);
    if (rc < 0) {
      this.logLine('error', `Domain ${domid}:getting HVM callback IRQ: ${strerror(rc)}`);
      return ERROR_FAIL;
    }
    return value !== 0n ? 1 : 0;
  }

  /**
   * libxl_domain_shutdown / libxl_domain_reboot: write the command and wait
   * (60 s of virtual time) for the guest's "" acknowledgement. `done(rc)`
   * runs when acked (0), timed out (ERROR_TIMEDOUT), or at once on failure.
   */
  pvcontrol(domid: number, cmd: 'poweroff' | 'reboot', done: (rc: number) => void): void {
    const avail = this.pvcontrolAvailable(domid);
    if (avail < 0) return done(avail);
    if (avail === 0) return done(ERROR_NOPARAVIRT);
    const path = `/local/domain/${domid}/control/shutdown`;
    this.xs.write(path, cmd);
    const rec = this.records.get(domid);
    const req = rec?.hd.chain.add({ requester: 'host', mechanism: 'xenstore-control', what: `control/shutdown = ${cmd}`, evidence: { path }, t: this.host.clock.ns() });
    let timer: TimerHandle | null = null;
    let finished = false;
    const finish = (rc: number): void => {
      if (finished) return;
      finished = true;
      unwatch();
      timer?.cancel();
      done(rc);
    };
    // libxl__xswait: the first fire is the registration; "" (or the node gone) is the answer.
    const unwatch = this.xs.watch(path, `pvcontrol-${domid}`, () => {
      const v = this.xs.read(path);
      if (v === '' || v === null) {
        rec?.hd.chain.add({ requester: 'guest', mechanism: 'xenstore-control', what: 'guest acknowledged: control/shutdown = ""',
          ...(req ? { answers: req.id } : {}), t: this.host.clock.ns() });
        // An HVM guest with PV drivers acts on it with ACPI S5: that write answers the toolstack's request.
        if (rec && req && cmd === 'poweroff') rec.latchedButton = req;
        finish(0);
      }
    });
    timer = this.host.at(this.host.clock.ns() + PVCONTROL_TIMEOUT_NS, `pvcontrol-${domid}`, () => {
      this.logLine('error', `Domain ${domid}:guest didn't acknowledge control request: ${ERROR_TIMEDOUT}`);
      finish(ERROR_TIMEDOUT);
    });
  }

  /** libxl_send_trigger: libxl trigger → XEN_DOMCTL_SENDTRIGGER_*. */
  sendTrigger(domid: number, trigger: 'power' | 'sleep' | 'reset' | 's3resume'): number {
    if (trigger === 's3resume') {
      // libxl_domain.c libxl_send_trigger, LIBXL_TRIGGER_S3RESUME: xc_hvm_param_set(HVM_PARAM_ACPI_S_STATE, 0).
      this.records.get(domid)?.hd.chain.add({ requester: 'host', mechanism: 'other', what: 'xl trigger s3resume', evidence: { trigger: 's3resume' },
        t: this.host.clock.ns() });
      const rc = this.host.xc.setParam(domid, HVM_PARAM_ACPI_S_STATE, 0n);
      if (rc < 0) {
        this.logLine('error', `Domain ${domid}:Send trigger '${trigger}' failed: ${strerror(rc)}`);
        return ERROR_FAIL;
      }
      return 0;
    }
    const t = trigger === 'power' ? XEN_DOMCTL_SENDTRIGGER_POWER : trigger === 'sleep' ? XEN_DOMCTL_SENDTRIGGER_SLEEP : XEN_DOMCTL_SENDTRIGGER_RESET;
    const rec = this.records.get(domid);
    const link = rec?.hd.chain.add({ requester: 'host', mechanism: trigger === 'power' ? 'acpi-power-button' : 'other', what: `xl trigger ${trigger}`, evidence: { trigger: t }, t: this.host.clock.ns() });
    const rc = this.host.xc.sendTrigger(domid, t, 0);
    if (rc < 0) {
      this.logLine('error', `Domain ${domid}:Send trigger '${trigger}' failed: ${strerror(rc)}`);
      return ERROR_FAIL;
    }
    // The press is only latched as a request if the guest enabled the button (lifecycle.md §4).
    if (rec && trigger === 'power') rec.latchedButton = (rec.hd.io.pm.pm1aEn & 0x0100) !== 0 ? link ?? null : null;
    return 0;
  }
}
