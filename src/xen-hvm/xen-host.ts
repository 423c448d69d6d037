/**
 * One Xen host: the hypervisor, xenstored, a device model per HVM domain and
 * the guests, on one virtual clock. `step` is one scheduler round: deliver
 * dom0's pending events (xenstored, device models, the toolstack's watches),
 * then give every runnable vCPU one slice. `runUntil` moves virtual time,
 * jumping straight to the next timer when nothing can run, so a 300 s timeout
 * costs nothing.
 */
import { VirtualClock } from '../clock/virtual-clock.js';
import { CauseChain, type CauseLink } from '../machine/cause-chain.js';
import { defineEvent, Trace, type TraceRecord } from '../trace/trace.js';
import { vcpuRunnable, type Domain, type Vcpu } from './domain.js';
import type { GuestCtx, XenGuest } from './guest.js';
import { HvmIo } from './hvm-io.js';
import { domainClock, type DomainClock } from './domain-clock.js';
import { Hypervisor, type ShutdownVia } from './hypervisor.js';
import { DmLog } from './dm-log.js';
import { QemuDm, type QemuDmOptions } from './qemu-dm.js';
import { XenCtrl } from './xenctrl.js';
import { TimerQueue, type TimerHandle } from './timer-queue.js';
import { MiniXenstore, type XsDomainState, type XsServer } from './xs-port.js';
import { FullXenstore } from './xs-full.js';
import { domainInfo } from './domain.js';
import { XEN_DOMINF_dying, XEN_DOMINF_shutdown } from './xen-abi.js';
import type { DeviceModelVersion } from './xl-config.js';

const TIMELINE_EVENTS = new Set([
  'xen_ioreq_send', 'cpu_handle_ioreq', 'acpi_pm1_cnt_write', 'piix_rcr_write', 'pckbd_kbd_write_command', 'destroy_hvm_domain', 'cpu_ioreq_respond',
  'xen_ioreq_complete', 'xen_vcpu_shutdown_deferred', 'xen_vcpu_paused_for_shutdown', 'xen_domain_kill', 'xen_hypercall',
  'xen_acpi_button', 'xen_pmtimer_sci', 'xen_foreign_map', 'qemu_dm_fatal', 'xen_ioreq_bad_state', 'xen_ioreq_retry',
  // seed 003's steps: xenstored's rescan on VIRQ_DOM_EXC and the watch events it fires, libxl's death-watch
  // getdomaininfo, domain_destroy when the last reference drops, qemu-xen's fallback trace lines.
  'xenstored_domain_cleanup', 'xenstored_watch_event', 'libxl_death_watch', 'xen_domain_destroy', 'destroy_hvm_domain_action',
  'destroy_hvm_domain_failed_action', 'xen_hvm_s3', 'seabios_s3_resume',
]);

const IOREQ_EVENTS = new Set(['xen_ioreq_send', 'cpu_handle_ioreq', 'cpu_ioreq_respond', 'xen_ioreq_complete']);
interface IoreqArgs { domid?: number; vcpu?: number; port?: number }
/** A timeline line that is not itself a trace record (xl, xend and qemu-dm log lines, cause links): in the trace too. */
const traceNote = defineEvent('xen', 'xen_host_note', (a: { layer: string; text: string }) => `${a.layer} ${a.text}`);

/** A cause chain that also writes each link to the host timeline. */
class NotingChain extends CauseChain {
  constructor(private readonly host: XenHost, private readonly domName: string) {
    super();
  }
  override add(link: Omit<CauseLink, 'id'>): CauseLink {
    const l = super.add(link);
    this.host.note('cause', `[${this.domName}] #${l.id} ${l.requester} via ${l.mechanism}: ${l.what}${l.answers ? ` (answers #${l.answers})` : ''}`);
    return l;
  }
}

/** Virtual time one vCPU slice takes (one scripted operation ≈ one instruction burst). */
export const SLICE_NS = 1000;

export interface HostDomain {
  readonly d: Domain;
  readonly name: string;
  readonly io: HvmIo;
  /** The device model (null while a worker DM is still starting). */
  dm: QemuDm | null;
  /** What the device model is built with (a DM starter uses it). */
  readonly dmOptions: QemuDmOptions;
  readonly guest: XenGuest;
  readonly ctx: GuestCtx;
  readonly chain: CauseChain;
  booted: boolean;
  /** The domain's device timers (vPIT, vRTC, the DM's UART) on the host clock; stopped when the domain goes. */
  readonly devClock: DomainClock;
}

export interface TimelineEntry {
  /** Virtual ns. */
  readonly t: number;
  readonly layer: string;
  readonly text: string;
}

export interface XenHostOptions {
  clock?: VirtualClock;
  trace?: Trace;
  /** The xenstore server: default the full xenstored (src/xen-hvm/xenstore); 'mini' = MiniXenstore. */
  xenstore?: 'mini' | ((host: XenHost) => XsServer);
}

export class XenHost {
  readonly clock: VirtualClock;
  readonly trace: Trace;
  readonly hv: Hypervisor;
  readonly xs: XsServer;
  readonly xc: XenCtrl;
  readonly domains = new Map<number, HostDomain>();
  /** Merged, ordered record of what every layer did (for `acpidm run --xen` and scenarios). */
  readonly timeline: TimelineEntry[] = [];
  readonly timers: TimerQueue;
  private readonly sleepTimers = new Map<Vcpu, TimerHandle>();

  constructor(o: XenHostOptions = {}) {
    this.clock = o.clock ?? new VirtualClock();
    this.trace = o.trace ?? new Trace(() => this.clock.ns());
    this.trace.clock = () => this.clock.ns();
    this.timers = new TimerQueue(this.clock);
    this.hv = new Hypervisor(this.trace, () => this.clock.ns());
    const state = (domid: number): XsDomainState | undefined => {
      const d = this.hv.domains.get(domid);
      if (!d) return undefined;
      const f = domainInfo(d).flags;
      return { shutdownOrDying: (f & (XEN_DOMINF_shutdown | XEN_DOMINF_dying)) !== 0, dying: (f & XEN_DOMINF_dying) !== 0 };
    };
    this.xs = o.xenstore === 'mini' ? new MiniXenstore(state) : o.xenstore ? o.xenstore(this) : new FullXenstore(state, this.trace);
    this.hv.bindDomExc(() => this.xs.domExc()); // xenstored owns VIRQ_DOM_EXC
    this.hv.setTimer = (deadline, name, fire) => {
      const h = this.timers.add(name, () => {
        h.cancel();
        fire();
      }, deadline);
      return () => h.cancel();
    };
    this.xc = new XenCtrl(this.hv, this.hv.dom0.vcpus[0]!);
    // Trace events that belong in the timeline (the rest stay in the trace only).
    for (const n of TIMELINE_EVENTS) this.trace.enable(n);
    this.trace.subscribe((rec, def) => {
      if (!TIMELINE_EVENTS.has(rec.name) || this.chattyIoreq(rec.name, rec.args as IoreqArgs)) return;
      this.push(rec.ns, `${rec.name} ${def.format(rec.args as never)}`);
    });
    this.hv.events.on((e) => {
      if (e.kind === 'console') this.note('xen', e.line);
      else if (e.kind === 'virq') this.note('xen', `VIRQ_DOM_EXC #${e.n} for d${e.domid}`);
      else if (e.kind === 'shutdown') {
        this.note('xen', `domain_shutdown(d${e.domid}, ${e.reason}) code ${e.code} via ${e.via}`);
        this.recordShutdownCause(e.domid, e.reason, e.via);
      }
      else if (e.kind === 'shut-down') this.note('xen', `d${e.domid} is_shut_down (code ${e.code})`);
      else this.note('xen', `d${e.domid} ${e.kind === 'destroyed' ? 'freed (complete_domain_destroy)' : e.kind}`);
    });
  }

  /** vCPUs (`domid:vcpu`) whose ioreq in flight is console or PCI-config traffic. */
  private readonly quietIoreqs = new Set<string>();
  /** ioreqs left off the timeline (COM1 and PCI config traffic: a Linux boot sends tens of thousands). */
  ioreqsOffTimeline = 0;

  /**
   * A Linux guest's console and PCI probing cross the ring as ioreqs by the thousand: their four lines each
   * (send, cpu_handle_ioreq, respond, complete) stay in the trace but not on the timeline, which counts them.
   */
  private chattyIoreq(name: string, a: IoreqArgs): boolean {
    if (!IOREQ_EVENTS.has(name) || a.domid === undefined || a.vcpu === undefined) return false;
    const key = `${a.domid}:${a.vcpu}`;
    if (name === 'xen_ioreq_send') {
      const port = a.port ?? -1;
      if ((port >= 0x3f8 && port <= 0x3ff) || (port >= 0xcf8 && port <= 0xcff)) {
        this.quietIoreqs.add(key);
        this.ioreqsOffTimeline++;
        return true;
      }
      this.quietIoreqs.delete(key);
      return false;
    }
    if (!this.quietIoreqs.has(key)) return false;
    if (name === 'xen_ioreq_complete') this.quietIoreqs.delete(key);
    return true;
  }

  /** Cause links for the shutdown paths the device model does not record itself. */
  private recordShutdownCause(domid: number, reason: number, via: ShutdownVia): void {
    const chain = this.domains.get(domid)?.chain;
    if (!chain) return;
    const t = this.clock.ns();
    if (via === 'SCHEDOP_shutdown') {
      const ack = chain.last((l) => l.requester === 'guest' && l.mechanism === 'xenstore-control');
      chain.add({ requester: 'guest', mechanism: 'schedop-shutdown', what: `SCHEDOP_shutdown(${reason})`, evidence: { reason },
        ...(ack ? { answers: ack.id } : {}), t });
    } else if (via === 'hlt-all-cpus') {
      chain.add({ requester: 'hypervisor', mechanism: 'hlt-all-cpus', what: 'All CPUs offline -- powering off.', evidence: { reason }, t });
    } else if (via === 'triple-fault') {
      chain.add({ requester: 'guest', mechanism: 'triple-fault', what: `triple fault: HVM shutdown action ${reason}`, evidence: { reason }, t });
    } else if (via === 'watchdog') {
      chain.add({ requester: 'hypervisor', mechanism: 'other', what: 'SCHEDOP_watchdog timer expired', evidence: { watchdog: true, reason }, t });
    } else if (via === 'domain_crash') {
      chain.add({ requester: 'hypervisor', mechanism: 'other', what: 'domain_crash', evidence: { crash: true, reason }, t });
    }
  }

  /** Entries kept in `timeline` (a long-running host drops the oldest half when full). */
  timelineLimit = 200_000;
  /** How many of the oldest timeline entries were dropped (the run's summary says so). */
  timelineDropped = 0;

  note(layer: string, text: string): void {
    this.push(layer, text);
    if (this.trace.on(traceNote)) this.trace.emit(traceNote, { layer, text });
  }

  private push(layer: string, text: string): void {
    if (this.timeline.length >= this.timelineLimit) this.timelineDropped += this.timeline.splice(0, this.timeline.length >> 1).length;
    this.timeline.push({ t: this.clock.ns(), layer, text });
  }

  /**
   * Build an HVM domain with its device model, paused by the controller (XEN_DOMCTL_createdomain).
   * With `deferDm` the device model is attached later (`attachDm`), e.g. once a DM worker has started.
   */
  buildDomain(o: { name: string; vcpus: number; memoryMb: number; guest: XenGuest; acpi?: boolean; dmLog?: DmLog; noDmop?: boolean; deferDm?: boolean; dmVersion?: DeviceModelVersion }): HostDomain {
    const d = this.hv.createDomain({ hvm: true, vcpus: o.vcpus, pages: o.memoryMb * 256, ...(o.guest.ram ? { mem: { bytes: o.guest.ram } } : {}) });
    this.hv.pauseByController(d);
    const io = new HvmIo(this.hv, d, this.clock, this.trace, this.timers);
    const devClock = domainClock(this.clock, this.timers, d.id);
    const chain = new NotingChain(this, o.name);
    const dmOptions: QemuDmOptions = { hv: this.hv, io, name: o.name, trace: this.trace, chain, now: () => this.clock.ns(),
      log: o.dmLog ?? new DmLog(o.name), clock: devClock.clock, ...(o.noDmop ? { noDmop: true } : {}), ...(o.dmVersion ? { version: o.dmVersion } : {}) };
    const self = this;
    const ctx: GuestCtx = {
      hv: this.hv, d, io, xs: this.xs.client(d.id), xc: new XenCtrl(this.hv, d.vcpus[0]!),
      now: () => self.clock.ns(),
      clock: this.clock,
      devClock: devClock.clock,
      takeCmosShutdownStatus: () => hd.dm?.model?.takeCmosShutdownStatus() ?? 0,
      sleep: (v, ns) => self.sleepVcpu(v, ns),
    };
    const hd: HostDomain = { d, name: o.name, io, dm: null, dmOptions, guest: o.guest, ctx, chain, booted: false, devClock };
    io.onSci = (level) => o.guest.onSci?.(ctx, level);
    this.domains.set(d.id, hd);
    if (!o.deferDm) this.attachDm(hd, new QemuDm(dmOptions));
    return hd;
  }

  /** Attach a domain's device model (in-thread, or the dom0 side of a worker DM). */
  attachDm(hd: HostDomain, dm: QemuDm): void {
    hd.dm = dm;
    dm.log.subscribe((line) => this.note('qemu-dm', `[${hd.name}] ${line}`));
    // The guest's COM1 lines, as qemu-dm's serial chardev received them over the ioreq ring.
    dm.onSerialLine = (line) => this.note('ttyS0', `[${hd.name}] ${line}`);
  }

  private sleepVcpu(v: Vcpu, ns: number): void {
    v.blocked = true;
    let t = this.sleepTimers.get(v);
    if (!t) {
      t = this.timers.add(`d${v.domid}v${v.id}-sleep`, () => {
        if (!v.ioPending && !v.down) v.blocked = false;
      });
      this.sleepTimers.set(v, t);
    }
    t.deadline = this.clock.ns() + ns;
  }

  /** Forget a domain the hypervisor has destroyed, and stop its device model. */
  private reap(): void {
    for (const [id, hd] of this.domains) {
      if (hd.d.destroyed) {
        hd.dm?.stop();
        hd.io.stop();
        hd.devClock.stop();
        for (const v of hd.d.vcpus) {
          const t = this.sleepTimers.get(v);
          t?.cancel();
          this.sleepTimers.delete(v);
        }
        this.domains.delete(id);
      }
    }
  }

  /** Deliver dom0's pending work until nothing is left. */
  pump(): void {
    for (let i = 0; i < 1000; i++) {
      const n = this.hv.pump.drain();
      this.hv.rcuQuiesce();
      const m = this.xs.pump();
      if (n + m === 0 && this.hv.pump.idle && this.xs.idle) break;
    }
    this.reap();
  }

  /** Scripted-guest slices in the current round (each moves the clock by SLICE_NS after the round). */
  private scriptedSlices = 0;

  /** One scheduler round. Returns true when some vCPU ran. */
  step(): boolean {
    this.pump();
    let ran = false;
    this.scriptedSlices = 0;
    for (const hd of [...this.domains.values()]) {
      const d = hd.d;
      if (d.destroyed || d.dying !== 'alive') continue;
      if (!hd.booted && d.controllerPauseCount === 0) {
        hd.booted = true;
        hd.guest.boot(hd.ctx);
      }
      for (const v of d.vcpus) {
        if (v.ioPending && v.pauseCount === 0 && !hd.io.resume(v)) continue; // hvm_do_resume
        if (!vcpuRunnable(v) || !hd.booted) continue;
        const t0 = this.clock.ns();
        hd.guest.step(hd.ctx, v);
        const used = this.clock.ns() - t0;
        // A CPU guest's instructions moved the clock themselves; a scripted operation costs one slice.
        if (used === 0) this.scriptedSlices++;
        v.runtimeNs += used || SLICE_NS;
        ran = true;
      }
    }
    this.pump();
    return ran;
  }

  /** Run until `pred` holds or `limitNs` of virtual time has passed. Returns whether `pred` held. */
  runUntil(pred: () => boolean, limitNs: number): boolean {
    const end = this.clock.ns() + limitNs;
    for (;;) {
      this.pump();
      if (pred()) return true;
      if (this.clock.ns() >= end) return false;
      if (this.step()) {
        // One pCPU: the round took what its CPU guests executed (already on the clock) plus a slice for each
        // scripted operation (at most one slice per round, as before: scripted vCPUs run side by side).
        if (this.scriptedSlices > 0) this.clock.advance(Math.max(0, Math.min(SLICE_NS, end - this.clock.ns())));
        continue;
      }
      if (pred()) return true;
      const next = this.clock.nextDeadline();
      this.clock.advance(Math.max(0, Math.min(next, end) - this.clock.ns()));
    }
  }

  runFor(ns: number): void {
    this.runUntil(() => false, ns);
  }

  /** Do `fn` at virtual time `t` (absolute ns). */
  at(t: number, name: string, fn: () => void): TimerHandle {
    const h = this.timers.add(name, () => {
      h.cancel();
      fn();
    });
    h.deadline = Math.max(t, this.clock.ns());
    return h;
  }

  traceRecords(): readonly TraceRecord[] {
    return this.trace.history;
  }
}
