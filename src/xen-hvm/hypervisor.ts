/**
 * The hypervisor's domain lifecycle (Xen xen/common/domain.c): shutdown with
 * per-vCPU deferral, finalise, kill in preemptible steps, destroy when the
 * last reference drops, and VIRQ_DOM_EXC each time Xen sends it.
 * Hypercall decoding lives in hypercalls.ts; HVM port I/O in hvm-io.ts.
 */
import { defineEvent, Trace } from '../trace/trace.js';
import { Emitter } from '../machine/emitter.js';
import { newDomain, type Domain, type Vcpu } from './domain.js';
import { EventPump, type PortHandler } from './event-channel.js';
import type { GuestMemory } from './hypercall-codec.js';
import {
  EINVAL, ERESTART, SHUTDOWN_CODE_INVALID, SHUTDOWN_crash, SHUTDOWN_NAMES, SHUTDOWN_poweroff, SHUTDOWN_soft_reset,
  SHUTDOWN_suspend, SHUTDOWN_watchdog, VIRQ_DOM_EXC, HVM_PARAM_TRIPLE_FAULT_REASON, EPERM,
} from './xen-abi.js';

const reasonName = (r: number): string => SHUTDOWN_NAMES[r] ?? `unknown(${r})`;

export const tr = {
  create: defineEvent('xen', 'xen_domain_create', (a: { domid: number; vcpus: number; pages: number; hvm: boolean }) =>
    `d${a.domid} ${a.hvm ? 'hvm' : 'pv'} vcpus ${a.vcpus} pages ${a.pages}`),
  shutdown: defineEvent('xen', 'xen_domain_shutdown', (a: { domid: number; reason: number; code: number; already: boolean }) =>
    `d${a.domid} reason ${a.reason} (${reasonName(a.reason)}) code ${a.code}${a.already ? ' (already shutting down)' : ''}`),
  deferred: defineEvent('xen', 'xen_vcpu_shutdown_deferred', (a: { domid: number; vcpu: number }) =>
    `d${a.domid}v${a.vcpu} mid-I/O: pauses when its I/O completes`),
  pausedForShutdown: defineEvent('xen', 'xen_vcpu_paused_for_shutdown', (a: { domid: number; vcpu: number }) => `d${a.domid}v${a.vcpu}`),
  shutDown: defineEvent('xen', 'xen_domain_shut_down', (a: { domid: number; code: number }) =>
    `d${a.domid} is_shut_down, code ${a.code} (${reasonName(a.code)})`),
  virq: defineEvent('xen', 'xen_send_global_virq', (a: { virq: number; n: number; domid: number }) =>
    `VIRQ_DOM_EXC #${a.n} (d${a.domid})`),
  kill: defineEvent('xen', 'xen_domain_kill', (a: { domid: number; state: string; rc: number; freed: number; left: number }) =>
    `d${a.domid} ${a.state} rc ${a.rc} freed ${a.freed} pages, ${a.left} left`),
  destroy: defineEvent('xen', 'xen_domain_destroy', (a: { domid: number }) => `d${a.domid} last reference dropped: domain_destroy`),
  freed: defineEvent('xen', 'xen_complete_domain_destroy', (a: { domid: number }) => `d${a.domid} freed (after RCU)`),
  pause: defineEvent('xen', 'xen_domain_pause', (a: { domid: number; by: string; count: number }) => `d${a.domid} ${a.by} count ${a.count}`),
  resume: defineEvent('xen', 'xen_domain_resume', (a: { domid: number }) => `d${a.domid}`),
  s3: defineEvent('xen', 'xen_hvm_s3', (a: { domid: number; what: string }) => `d${a.domid} ${a.what}`),
  console: defineEvent('xen', 'xen_console', (a: { line: string }) => a.line),
  foreign: defineEvent('xen', 'xen_foreign_map', (a: { backend: number; domid: number; pages: number; held: number }) =>
    `d${a.backend} ${a.pages >= 0 ? 'maps' : 'unmaps'} ${Math.abs(a.pages)} pages of d${a.domid} (held ${a.held})`),
};

/** What the host and the timeline see, in order. */
export type HvEvent =
  | { kind: 'shutdown'; domid: number; reason: number; code: number; via: ShutdownVia }
  | { kind: 'shut-down'; domid: number; code: number }
  | { kind: 'virq'; virq: number; n: number; domid: number }
  | { kind: 'dying'; domid: number }
  | { kind: 'dead'; domid: number }
  | { kind: 'destroyed'; domid: number }
  | { kind: 'console'; line: string };

/** Which path called domain_shutdown (for the cause chain; Xen itself does not record it). */
export type ShutdownVia = 'SCHEDOP_shutdown' | 'SCHEDOP_remote_shutdown' | 'XEN_DMOP_remote_shutdown' | 'hlt-all-cpus' | 'triple-fault' | 'domain_crash' | 'watchdog' | 'other';

/** Xen NR_DOMAIN_WATCHDOG_TIMERS. */
export const NR_DOMAIN_WATCHDOG_TIMERS = 2;
const ENOSPC = 28;

/** Pages domain_relinquish_resources frees before it checks for preemption (one continuation step). */
export const RELINQUISH_PAGES_PER_STEP = 16384;

export interface CreateDomainOptions {
  hvm?: boolean;
  vcpus?: number;
  /** Memory in pages (4 KiB). */
  pages?: number;
  /** Bytes of guest memory the model backs (hypercall arguments live here). Default 8 KiB (scripted guests; a CPU guest passes its RAM). */
  mem?: GuestMemory;
  privileged?: boolean;
  domid?: number;
}

export class Hypervisor {
  readonly domains = new Map<number, Domain>();
  readonly pump = new EventPump();
  readonly events = new Emitter<HvEvent>();
  readonly console: string[] = [];
  /** How many times VIRQ_DOM_EXC was sent, per domain id it was sent for. */
  readonly domExcSent = new Map<number, number>();
  hostHalted: string | null = null;
  /** One-shot timers (the host's timer queue); returns a cancel function. Needed by SCHEDOP_watchdog. */
  setTimer: ((deadlineNs: number, name: string, fire: () => void) => () => void) | null = null;
  private nextDomid = 1;
  private readonly rcu: Domain[] = [];
  private readonly virqHandlers: PortHandler[] = [];

  constructor(readonly trace: Trace, readonly now: () => number) {
    this.createDomain({ domid: 0, privileged: true, hvm: false, vcpus: 1, pages: 1024 * 256 });
  }

  get dom0(): Domain {
    return this.domains.get(0)!;
  }

  log(line: string): void {
    this.console.push(line);
    if (this.trace.on(tr.console)) this.trace.emit(tr.console, { line });
    this.events.emit({ kind: 'console', line });
  }

  createDomain(o: CreateDomainOptions = {}): Domain {
    const id = o.domid ?? this.allocDomid();
    if (this.domains.has(id)) throw new Error(`domain ${id} exists`);
    const d = newDomain({
      id, hvm: o.hvm ?? true, privileged: o.privileged ?? false, vcpus: o.vcpus ?? 1, maxPages: o.pages ?? 0,
      mem: o.mem ?? { bytes: new Uint8Array(0x2000) }, now: this.now(),
    });
    d.totPages = o.pages ?? 0;
    if (d.totPages > 0) d.refcnt++; // assign_pages: the first page takes a domain reference
    this.domains.set(id, d);
    if (this.trace.on(tr.create)) this.trace.emit(tr.create, { domid: id, vcpus: d.vcpus.length, pages: d.totPages, hvm: d.hvm });
    return d;
  }

  private allocDomid(): number {
    // Xen hands out domids in increasing order and wraps below DOMID_FIRST_RESERVED.
    for (let i = 0; i < 0x7ff0; i++) {
      const id = this.nextDomid;
      this.nextDomid = this.nextDomid >= 0x7fef ? 1 : this.nextDomid + 1;
      if (!this.domains.has(id)) return id;
    }
    throw new Error('no free domid');
  }

  // ---- event channels ------------------------------------------------------

  /** dom0 binds VIRQ_DOM_EXC (xenstored does). */
  bindDomExc(handler: PortHandler): number {
    const t = this.dom0.evtchn;
    const port = t.alloc();
    Object.assign(t.ports[port]!, { state: 'virq', virq: VIRQ_DOM_EXC, handler });
    this.virqHandlers.push(handler);
    return port;
  }

  /** Allocate an unbound port in `d` for `remoteDom` (EVTCHNOP_alloc_unbound). */
  allocUnbound(d: Domain, remoteDom: number): number {
    const port = d.evtchn.alloc();
    Object.assign(d.evtchn.ports[port]!, { state: 'unbound', remoteDom });
    return port;
  }

  /** `local` binds `remote`'s unbound port (EVTCHNOP_bind_interdomain). Returns the local port or -EINVAL. */
  bindInterdomain(local: Domain, remote: Domain, remotePort: number, handler: PortHandler | null): number {
    const rp = remote.evtchn.get(remotePort);
    if (!rp || rp.state !== 'unbound' || rp.remoteDom !== local.id) return -EINVAL;
    const lp = local.evtchn.alloc();
    Object.assign(local.evtchn.ports[lp]!, { state: 'interdomain', remoteDom: remote.id, remotePort, handler });
    Object.assign(rp, { state: 'interdomain', remotePort: lp });
    return lp;
  }

  /** evtchn_send: set the peer's port pending. -EINVAL for a bad or closed port. */
  evtchnSend(d: Domain, port: number): number {
    const p = d.evtchn.get(port);
    if (!p) return -EINVAL;
    if (p.state === 'interdomain') {
      const rd = this.domains.get(p.remoteDom);
      if (rd && rd.evtchn.get(p.remotePort)) this.pump.raise(rd.evtchn, p.remotePort);
      return 0;
    }
    if (p.state === 'unbound') return 0; // nobody bound yet: dropped
    return -EINVAL;
  }

  sendGlobalVirq(virq: number, forDomid: number): void {
    const n = (this.domExcSent.get(forDomid) ?? 0) + 1;
    this.domExcSent.set(forDomid, n);
    if (this.trace.on(tr.virq)) this.trace.emit(tr.virq, { virq, n, domid: forDomid });
    this.events.emit({ kind: 'virq', virq, n, domid: forDomid });
    const t = this.dom0.evtchn;
    for (let p = 1; p < t.ports.length; p++) {
      const e = t.ports[p]!;
      if (e.state === 'virq' && e.virq === virq) this.pump.raise(t, p);
    }
  }

  // ---- pause ---------------------------------------------------------------

  vcpuPause(v: Vcpu): void {
    v.pauseCount++;
  }

  vcpuUnpause(v: Vcpu): void {
    if (v.pauseCount > 0) v.pauseCount--;
  }

  domainPause(d: Domain): void {
    d.pauseCount++;
    for (const v of d.vcpus) this.vcpuPause(v);
  }

  domainUnpause(d: Domain): void {
    if (d.pauseCount === 0) return;
    d.pauseCount--;
    for (const v of d.vcpus) this.vcpuUnpause(v);
  }

  /**
   * Xen hvm.c hvm_s3_suspend (HVM_PARAM_ACPI_S_STATE = 3, set by the device model): pause the domain, reset its
   * vCPUs and Xen's own devices (vPIC, PIT, RTC, PM timer), vCPU 0 back at the reset vector. A dying domain, or one
   * already suspended, is left alone.
   */
  s3Suspend(d: Domain): void {
    this.domainPause(d);
    if (d.dying !== 'alive' || d.s3Suspended) {
      this.domainUnpause(d);
      return;
    }
    d.s3Suspended = true;
    d.hooks.s3Reset?.();
    if (this.trace.on(tr.s3)) this.trace.emit(tr.s3, { domid: d.id, what: 'hvm_s3_suspend: paused, vCPUs and vPIC/PIT/RTC/PM timer reset, vCPU 0 at F000:FFF0' });
  }

  /** Xen hvm.c hvm_s3_resume (HVM_PARAM_ACPI_S_STATE = 0, `xl trigger s3resume`): unpause a suspended domain. */
  s3Resume(d: Domain): void {
    if (!d.s3Suspended) return;
    d.s3Suspended = false;
    if (this.trace.on(tr.s3)) this.trace.emit(tr.s3, { domid: d.id, what: 'hvm_s3_resume: unpaused' });
    this.domainUnpause(d);
  }

  /** domain_pause_by_systemcontroller: the toolstack's pause (xl pause, createdomain, xl destroy). */
  pauseByController(d: Domain): number {
    if (d.controllerPauseCount >= 255) return -75; // -EOVERFLOW
    d.controllerPauseCount++;
    this.domainPause(d);
    if (this.trace.on(tr.pause)) this.trace.emit(tr.pause, { domid: d.id, by: 'controller-pause', count: d.controllerPauseCount });
    return 0;
  }

  unpauseByController(d: Domain): number {
    if (d.controllerPauseCount === 0) return -EINVAL;
    d.controllerPauseCount--;
    this.domainUnpause(d);
    if (this.trace.on(tr.pause)) this.trace.emit(tr.pause, { domid: d.id, by: 'controller-unpause', count: d.controllerPauseCount });
    return 0;
  }

  // ---- shutdown (xen/common/domain.c) --------------------------------------

  domainShutdown(d: Domain, reason: number, via: ShutdownVia = 'other'): number {
    reason &= 0xff; // domain_shutdown(struct domain *d, u8 reason)
    if (d.shutdownCode === SHUTDOWN_CODE_INVALID) d.shutdownCode = reason;
    const code = d.shutdownCode; // from here on the recorded code is used: first code wins
    const already = d.isShuttingDown;
    if (this.trace.on(tr.shutdown)) this.trace.emit(tr.shutdown, { domid: d.id, reason, code, already });
    if (d.privileged) return this.hwdomShutdown(d, code);
    if (already) return 0;
    d.isShuttingDown = true;
    this.events.emit({ kind: 'shutdown', domid: d.id, reason, code, via });
    // Set shutdown status, then check per-vCPU deferrals.
    for (const v of d.vcpus) {
      if (code === SHUTDOWN_crash) v.deferShutdown = false;
      else if (v.deferShutdown) {
        if (this.trace.on(tr.deferred)) this.trace.emit(tr.deferred, { domid: d.id, vcpu: v.id });
        continue;
      }
      this.vcpuPause(v);
      v.pausedForShutdown = true;
      if (this.trace.on(tr.pausedForShutdown)) this.trace.emit(tr.pausedForShutdown, { domid: d.id, vcpu: v.id });
    }
    this.finaliseShutdown(d);
    return 0;
  }

  private hwdomShutdown(d: Domain, code: number): number {
    // xen/common/shutdown.c hwdom_shutdown
    const line = code === SHUTDOWN_poweroff ? `Hardware Dom${d.id} halted: halting machine`
      : code === SHUTDOWN_crash ? `Hardware Dom${d.id} crashed: rebooting machine in 5 seconds.`
      : code === SHUTDOWN_watchdog ? `Hardware Dom${d.id} shutdown: watchdog rebooting machine`
      : code === SHUTDOWN_soft_reset ? `Hardware domain ${d.id} did unsupported soft reset, rebooting.`
      : `Hardware Dom${d.id} shutdown: rebooting machine`;
    this.log(`(XEN) ${line}`);
    this.hostHalted = line;
    return 0;
  }

  /** __domain_finalise_shutdown: complete once every vCPU is paused for shutdown. */
  private finaliseShutdown(d: Domain): void {
    if (d.isShutDown) return;
    for (const v of d.vcpus) if (!v.pausedForShutdown) return;
    d.isShutDown = true;
    if (this.trace.on(tr.shutDown)) this.trace.emit(tr.shutDown, { domid: d.id, code: d.shutdownCode });
    this.events.emit({ kind: 'shut-down', domid: d.id, code: d.shutdownCode });
    // A suspend with a registered suspend event channel signals that instead (not modelled: no PV suspend channel).
    void SHUTDOWN_suspend;
    this.sendGlobalVirq(VIRQ_DOM_EXC, d.id);
  }

  vcpuCheckShutdown(v: Vcpu): void {
    const d = this.domains.get(v.domid);
    if (!d || !d.isShuttingDown) return;
    if (!v.pausedForShutdown) this.vcpuPause(v);
    v.pausedForShutdown = true;
    v.deferShutdown = false;
    if (this.trace.on(tr.pausedForShutdown)) this.trace.emit(tr.pausedForShutdown, { domid: d.id, vcpu: v.id });
    this.finaliseShutdown(d);
  }

  /** Called by ioreq_send. Returns false when the domain is going down: the vCPU was paused and must not start I/O. */
  vcpuStartShutdownDeferral(v: Vcpu): boolean {
    if (v.deferShutdown) return true;
    v.deferShutdown = true;
    const d = this.domains.get(v.domid);
    // Set deferral status, then check for a shutdown already under way.
    if (d?.isShuttingDown) this.vcpuCheckShutdown(v);
    return v.deferShutdown;
  }

  /** Called when the I/O completes: this is where the vCPU that asked for the shutdown is paused. */
  vcpuEndShutdownDeferral(v: Vcpu): void {
    v.deferShutdown = false;
    const d = this.domains.get(v.domid);
    if (d?.isShuttingDown) this.vcpuCheckShutdown(v);
  }

  /** domain_resume (XEN_DOMCTL_resumedomain). */
  domainResume(d: Domain): void {
    this.domainPause(d);
    d.isShuttingDown = false;
    d.isShutDown = false;
    d.shutdownCode = SHUTDOWN_CODE_INVALID;
    for (const v of d.vcpus) {
      if (v.pausedForShutdown) this.vcpuUnpause(v);
      v.pausedForShutdown = false;
    }
    if (this.trace.on(tr.resume)) this.trace.emit(tr.resume, { domid: d.id });
    this.domainUnpause(d);
  }

  /** __domain_crash. `by` is the reporting domain when it is not the crashed one. */
  domainCrash(d: Domain, vcpu = 0, by: number | null = null): void {
    this.log(by === null || by === d.id ? `(XEN) Domain ${d.id} (vcpu#${vcpu}) crashed on cpu#0:` : `(XEN) Domain ${d.id} reported crashed by domain ${by} on cpu#0:`);
    this.domainShutdown(d, SHUTDOWN_crash, 'domain_crash');
  }

  /** hvm_hlt with IF=0 → hvm_vcpu_down; the last vCPU going down powers the domain off. */
  vcpuDown(v: Vcpu): void {
    v.down = true;
    const d = this.domains.get(v.domid);
    if (!d) return;
    if (d.vcpus.some((x) => !x.down)) return;
    this.log(`(XEN) d${d.id}v${v.id} All CPUs offline -- powering off.`);
    this.domainShutdown(d, SHUTDOWN_poweroff, 'hlt-all-cpus');
  }

  /** hvm_triple_fault: the action is HVM_PARAM_TRIPLE_FAULT_REASON (the toolstack sets reboot). */
  tripleFault(v: Vcpu): void {
    const d = this.domains.get(v.domid);
    if (!d) return;
    const reason = Number(d.params[HVM_PARAM_TRIPLE_FAULT_REASON]! & 0xffn);
    this.log(`(XEN) d${d.id}v${v.id} Triple fault - invoking HVM shutdown action ${reason}`);
    this.domainShutdown(d, reason, 'triple-fault');
  }

  // ---- watchdog (xen/common/sched/core.c domain_watchdog) ------------------

  /** SCHEDOP_watchdog: id 0 allocates a timer (returns its id 1..2), timeout 0 deletes, otherwise re-arms. */
  domainWatchdog(d: Domain, id: number, timeoutS: number): number {
    const slots = d.watchdogs;
    if (id > NR_DOMAIN_WATCHDOG_TIMERS) return -EINVAL;
    const arm = (slot: number): void => {
      slots[slot]?.();
      slots[slot] = this.setTimer ? this.setTimer(this.now() + timeoutS * 1e9, `d${d.id}-watchdog${slot}`, () => {
        slots[slot] = null;
        if (d.isShuttingDown || d.dying !== 'alive') return;
        this.log(`(XEN) Watchdog timer ${slot} fired for d${d.id}`);
        this.domainShutdown(d, SHUTDOWN_watchdog, 'watchdog');
      }) : () => {};
    };
    if (id === 0) {
      for (let slot = 0; slot < NR_DOMAIN_WATCHDOG_TIMERS; slot++) {
        if (slots[slot] !== null && slots[slot] !== undefined) continue;
        arm(slot);
        return slot + 1;
      }
      return -ENOSPC;
    }
    const slot = id - 1;
    if (!slots[slot]) return -EINVAL;
    if (timeoutS === 0) {
      slots[slot]!();
      slots[slot] = null;
    } else arm(slot);
    return 0;
  }

  // ---- kill and destroy ----------------------------------------------------

  /**
   * domain_kill, one preemptible step. Returns 0 when done, -ERESTART when the
   * caller must continue (the hypercall continuation), -EINVAL for self-kill.
   */
  domainKill(d: Domain, caller: Domain): number {
    if (d === caller) return -EINVAL;
    if (d.privileged) return -EPERM;
    if (d.dying === 'dead') return 0;
    if (d.dying === 'alive') {
      this.domainPause(d);
      d.dying = 'dying';
      this.events.emit({ kind: 'dying', domid: d.id });
    }
    for (let i = 0; i < d.watchdogs.length; i++) {
      d.watchdogs[i]?.();
      d.watchdogs[i] = null;
    }
    if (!d.evtchnDestroyed) {
      d.evtchn.closeAll();
      d.evtchnDestroyed = true;
    }
    // domain_relinquish_resources: free pages not held by a foreign mapping, preemptibly.
    const freed = Math.min(d.totPages - d.foreignMapped, RELINQUISH_PAGES_PER_STEP);
    if (freed > 0) this.freePages(d, freed);
    if (d.totPages - d.foreignMapped > 0) {
      if (this.trace.on(tr.kill)) this.trace.emit(tr.kill, { domid: d.id, state: 'dying', rc: -ERESTART, freed, left: d.totPages });
      return -ERESTART;
    }
    d.dying = 'dead';
    if (this.trace.on(tr.kill)) this.trace.emit(tr.kill, { domid: d.id, state: 'dead', rc: 0, freed, left: d.totPages });
    this.events.emit({ kind: 'dead', domid: d.id });
    // Xen drops the domain's self-reference, then sends the second VIRQ_DOM_EXC.
    this.putDomain(d);
    this.sendGlobalVirq(VIRQ_DOM_EXC, d.id);
    return 0;
  }

  private freePages(d: Domain, n: number): void {
    const before = d.totPages;
    d.totPages -= n;
    // The last page freed drops the reference assign_pages took.
    if (before > 0 && d.totPages === 0) this.putDomain(d);
  }

  getDomain(d: Domain): void {
    d.refcnt++;
  }

  putDomain(d: Domain): void {
    d.refcnt--;
    if (d.refcnt > 0) return;
    // domain_destroy: off the domain list now (the domid is gone), freed after an RCU grace period.
    d.destroyed = true;
    this.domains.delete(d.id);
    if (this.trace.on(tr.destroy)) this.trace.emit(tr.destroy, { domid: d.id });
    this.rcu.push(d);
  }

  /** End of an RCU grace period: complete_domain_destroy for each destroyed domain. */
  rcuQuiesce(): void {
    while (this.rcu.length > 0) {
      const d = this.rcu.shift()!;
      if (this.trace.on(tr.freed)) this.trace.emit(tr.freed, { domid: d.id });
      this.events.emit({ kind: 'destroyed', domid: d.id });
      this.sendGlobalVirq(VIRQ_DOM_EXC, d.id);
    }
  }

  /** A backend (e.g. a disk backend in dom0) maps `pages` of `d`: the pages stay allocated while mapped. */
  mapForeign(backend: Domain, d: Domain, pages: number): number {
    if (d.dying !== 'alive') return -EINVAL;
    const n = Math.min(pages, d.totPages - d.foreignMapped);
    d.foreignMapped += n; // the mapping holds page references; the pages keep the domain referenced
    if (this.trace.on(tr.foreign)) this.trace.emit(tr.foreign, { backend: backend.id, domid: d.id, pages: n, held: d.foreignMapped });
    return 0;
  }

  /** Drop the mapping: if the domain is dying the pages are freed now, which may destroy it. */
  unmapForeign(backend: Domain, d: Domain): void {
    const n = d.foreignMapped;
    d.foreignMapped = 0;
    if (this.trace.on(tr.foreign)) this.trace.emit(tr.foreign, { backend: backend.id, domid: d.id, pages: -n, held: 0 });
    if (d.dying !== 'alive' && n > 0) this.freePages(d, n);
    this.rcuQuiesce();
  }
}
