/**
 * One guest run in Xen mode for the page, with no DOM: the kernel boots as an HVM domain on the modelled
 * hypervisor (`xl create`, qemu-dm, xenstored, libxl/xl: src/xen-hvm startXenRun), run in slices of virtual
 * time by the caller. The host's actions are xl commands: `xl trigger guest power` (the power button),
 * `xl shutdown -F guest` (no PV drivers: xl falls back to the ACPI button), `xl trigger guest s3resume` (wake).
 */
import { kernelGuestFactory, formatTimeline, startXenRun, type XenRunHandle } from '../src/xen-hvm/run-xen-domain.js';
import { domainVerdict } from '../src/xen-hvm/domain-verdict.js';
import type { DomRecord } from '../src/xen-hvm/libxl.js';
import { buildSwimlane } from '../src/diagram/build.js';
import { cpuGuestSite } from '../src/diagram/pc-site.js';
import type { DiagramRecord, GuestSite, Swimlane } from '../src/diagram/swimlane.js';
import { CpuGuest } from '../src/xen-hvm/cpu-guest.js';
import { describeCauses, type Phase, type Snapshot } from './session.js';

export interface XenSessionOptions {
  name: string;
  kernel: Uint8Array;
  /** Stop after this many guest instructions. */
  maxInsns?: number;
}

/** Virtual time a run may take at most (runXenDomain's default). */
const LIMIT_NS = 600e9;
/** How long a guest that ran nothing is given before the page says it waits for the host. */
const IDLE_PROBE_NS = 1e9;

export class XenWebSession {
  readonly run: XenRunHandle;
  phase: Phase = 'running';
  note = '';
  private readonly first: DomRecord;
  /** The guest instruction (CS:EIP, bytes) behind each of the guest's port accesses, by trace record seq. */
  private readonly sites = new Map<number, GuestSite>();

  constructor(readonly opts: XenSessionOptions) {
    const path = `firmware/guests/${opts.name}.bin`;
    this.run = startXenRun({
      configText: `name = "guest"\nmemory = 32\nvcpus = 1\nkernel = "${path}"\n`,
      guestFactory: kernelGuestFactory(() => opts.kernel),
      maxInsns: opts.maxInsns ?? 200_000_000,
    });
    this.first = [...this.run.libxl.records.values()][0]!;
    const g = this.first.hd.guest;
    if (g instanceof CpuGuest) {
      // The trace sink runs inside the guest's OUT (hvm-io.ts emits before the ioreq goes out): the CPU is still on it.
      const site = cpuGuestSite(() => g.cpu, g.mem);
      this.run.host.trace.subscribe((rec) => {
        if ((rec.name === 'xen_ioreq_send' || rec.name === 'xen_hvm_intercept') && rec.args['domid'] === this.first.domid) {
          const s = site();
          if (s) this.sites.set(rec.seq, s);
        }
      });
    }
  }

  /** Run for up to `ns` of virtual time (a CPU guest executes one instruction per ns); returns the new phase. */
  step(ns: number): Phase {
    if (this.phase !== 'running') return this.phase;
    const host = this.run.host;
    const insns = host.clock.instructions;
    // A slice in which the guest ran nothing gets one more virtual second (timers jump ahead, so it costs little):
    // a guest still idle after it waits for the host (an xl command), as QEMU mode's 'waiting'.
    const over = this.run.run(ns) || (host.clock.instructions === insns && this.run.run(IDLE_PROBE_NS));
    if (over) {
      const r = this.run.result();
      return this.finish(r.budgetExhausted ? 'budget' : 'exited', r.budgetExhausted ? 'the instruction budget is used up' : `domain ${r.domid} is gone: ${r.cause}`);
    }
    if (host.clock.ns() >= LIMIT_NS) return this.finish('budget', 'stopped after 600 s of virtual time');
    if (host.clock.instructions === insns) {
      const d = host.hv.domains.get(this.first.domid);
      return d?.s3Suspended ? this.finish('suspended', 'the domain is suspended (S3): press Wake up (xl trigger guest s3resume)')
        : this.finish('waiting', 'the guest is idle: press the power button (xl trigger guest power) or xl shutdown -F');
    }
    return this.phase;
  }

  private finish(phase: Phase, note: string): Phase {
    this.phase = phase;
    this.note = note;
    return phase;
  }

  private xl(argv: string[]): void {
    if (this.phase === 'exited' || this.phase === 'budget') return;
    this.run.exec(argv);
    this.phase = 'running';
  }

  /** `xl trigger guest power`: the ACPI power button. */
  pressPowerButton(): void {
    this.xl(['trigger', 'guest', 'power']);
  }

  /** `xl shutdown -F guest`: without PV drivers xl presses the ACPI power button (libxl_domain_shutdown fallback). */
  xlShutdown(): void {
    this.xl(['shutdown', '-F', 'guest']);
  }

  /** `xl trigger guest s3resume`. */
  wakeUp(): string | null {
    if (this.phase !== 'suspended') return 'the domain is not suspended';
    this.xl(['trigger', 'guest', 's3resume']);
    return null;
  }

  diagram(): Swimlane {
    const recs = [...this.run.libxl.records.values()];
    return buildSwimlane({
      mode: 'xen', title: `${this.opts.name} (Xen mode)`,
      records: this.run.host.trace.history.map((r): DiagramRecord => {
        const site = this.sites.get(r.seq);
        return site ? { ...r, site } : r;
      }),
      chains: recs.map((x) => ({ domid: x.domid, name: x.name, links: x.hd.chain.links })),
      verdict: domainVerdict(this.first), verdictDomid: this.first.domid,
    });
  }

  snapshot(tail?: number): Snapshot {
    const host = this.run.host;
    const v = domainVerdict(this.first);
    const links = this.first.hd.chain.links;
    const last = <T>(a: readonly T[]): T[] => (tail === undefined || a.length <= tail ? a.slice() : a.slice(-tail));
    const d = host.hv.domains.get(this.first.domid);
    const state = !d || d.destroyed ? 'destroyed' : d.s3Suspended ? 'suspended' : d.dying !== 'alive' ? d.dying : 'running';
    const consoleLines = this.first.hd.io.consoleLines;
    const timeline = formatTimeline(host.timeline);
    const events = this.first.events.map((e) => ({ event: e.type === 'DOMAIN_SHUTDOWN' ? `DOMAIN_SHUTDOWN(${e.reason})` : e.type, tNs: e.t }));
    return {
      guest: this.opts.name, phase: this.phase, runState: `domain ${state}`, exitStatus: null,
      instructions: host.clock.instructions, virtualNs: host.clock.ns(),
      console: consoleLines.map((l) => `${l}\n`).join(''),
      timeline: last(timeline),
      events: last(events),
      chain: last(links).map((l) => ({ id: l.id, requester: l.requester, mechanism: l.mechanism, what: l.what, tNs: l.t, ...(l.answers !== undefined ? { answers: l.answers } : {}) })),
      whoDidIt: [`verdict: ${v.sentence}`, ...describeCauses(last(links))],
      verdict: v.sentence,
      counts: { console: consoleLines.length, timeline: timeline.length, events: events.length, chain: links.length },
      note: this.note,
    };
  }
}
