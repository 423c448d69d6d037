/**
 * The QMP monitor: one per VM, any number of sessions. Isomorphic: a session
 * takes characters in (`receive`) and hands messages out (`SessionIo`); the
 * socket server is a thin adapter (server-node.ts).
 *
 * Per request (monitor/qmp.c handle_qmp_command, qapi/qmp-dispatch.c qmp_dispatch):
 * parse → must be an object → member check → command lookup (negotiation mode
 * knows only qmp_capabilities) → argument check → run → one main-loop pass →
 * reply. Events raised during the pass are broadcast before the reply.
 */
import { type CauseLink, linkText } from '../machine/cause-chain.js';
import type { MachineEvent } from '../machine/run-state.js';
import { verdictLines } from '../machine/verdict.js';
import { defineEvent, globToRegExp } from '../trace/trace.js';
import { checkArgs } from './args.js';
import { type Args, COMMAND_BY_NAME, COMMANDS, type CommandContext } from './commands.js';
import type { VmDriver } from './driver.js';
import { genericError, QmpError } from './errors.js';
import { JsonStream, type JsonValue } from './json-stream.js';
import type { EventCause, QmpEventMsg, QmpMessage, SessionIo } from './messages.js';
import { versionInfo } from './version.js';
import { PWRBTN, type QmpVm } from './vm.js';

export const trQmp = {
  command: defineEvent('qmp', 'qmp_command', (a: { session: number; command: string }) => `session ${a.session}: ${a.command}`),
  error: defineEvent('qmp', 'qmp_error', (a: { session: number; class: string; desc: string }) => `session ${a.session}: ${a.class}: ${a.desc}`),
  session: defineEvent('qmp', 'qmp_session', (a: { session: number; what: string }) => `session ${a.session} ${a.what}`),
};

/** An event as the monitor recorded it, with the cause link it carried (or was given). */
export interface Transition {
  readonly seq: number;
  readonly event: string;
  readonly data?: { guest: boolean; reason: string };
  /** Virtual time, ns. */
  readonly t: number;
  readonly link?: CauseLink;
  /** The QMP command during which it happened, when that is not already in the link's chain (an agent command → guest S5). */
  readonly during?: CauseLink;
}

/** What the PIIX4 power-down notifier did with a press (sampled right after the main-loop pass). */
export interface PressRecord {
  /** Cause-link id of the request (system_powerdown). */
  readonly request: number;
  /** PWRBTN_STS latched because PWRBTN_EN was set; null when the VM offers no PM1 readback. */
  readonly latched: boolean | null;
  readonly pm1?: { sts: number; en: number };
  /** The link recording the outcome. */
  readonly link: CauseLink;
}

/**
 * The domain's state and reason in libvirt's words (lifecycle.md §1), kept on the VM side from the VM's own
 * events so that every client, and a client that reconnects, reads the same one (libvirtd keeps it, not virsh).
 */
export interface DomainStateRecord {
  readonly state: 'running' | 'paused' | 'shutdown' | 'shutoff' | 'pmsuspended' | 'crashed';
  readonly reason: string;
}

export interface MonitorOptions {
  /** Host wall clock in ms for event timestamps (QEMU uses g_get_real_time). */
  wallClock?: () => number;
}

export class QmpMonitor {
  readonly sessions = new Set<QmpSession>();
  readonly transitions: Transition[] = [];
  readonly presses: PressRecord[] = [];
  private nextSession = 1;
  private seq = 0;
  private inCommand = 0;
  private exiting = false;
  private pendingPress: CauseLink | null = null;
  private lastStopCause: CauseLink | undefined;
  /** Link of the command being run (attached to events the run state does not link: STOP, RESUME, WAKEUP). */
  private commandLink: CauseLink | undefined;
  private readonly wall: () => number;
  /** libvirt's state and reason for this domain (see DomainStateRecord). */
  domain: DomainStateRecord;

  constructor(readonly vm: QmpVm, readonly driver: VmDriver, opts: MonitorOptions = {}) {
    this.wall = opts.wallClock ?? (() => Date.now());
    const st = vm.runState.state;
    this.domain = st === 'running' ? { state: 'running', reason: 'booted' }
      : st === 'prelaunch' ? { state: 'paused', reason: 'starting-up' }
      : st === 'suspended' ? { state: 'pmsuspended', reason: 'unknown' }
      : st === 'shutdown' ? { state: 'shutdown', reason: 'unknown' } : { state: 'paused', reason: 'unknown' };
    vm.runState.events.on((e) => this.onMachineEvent(e));
    driver.onPass(() => this.afterPass());
    driver.onExit(() => {
      this.exiting = true;
      if (this.inCommand === 0) this.closeAll();
    });
  }

  /** A new client: sends the greeting (capabilities [] : no out-of-band support). */
  connect(io: SessionIo): QmpSession {
    const s = new QmpSession(this, io, this.nextSession++);
    this.sessions.add(s);
    this.vm.trace.emit(trQmp.session, { session: s.id, what: 'connected' });
    io.send({ QMP: { version: versionInfo(), capabilities: [] } });
    if (this.exiting) s.close();
    return s;
  }

  get exited(): boolean {
    return this.exiting;
  }

  /** The chain behind a link, root first (follows `answers`). */
  chainOf(link: CauseLink | undefined): CauseLink[] {
    return this.vm.runState.chain.ancestry(link);
  }

  /** A transition's chain: the command it happened during (if not already linked), then the link's chain. */
  transitionChain(t: Transition): CauseLink[] {
    const chain = this.chainOf(t.link);
    return t.during && !chain.some((l) => l.id === t.during!.id) ? [t.during, ...chain] : chain;
  }

  /** The VM's verdict in words (verdict.ts: the same sentence every client prints), then its chain, root first. */
  causeSummary(): string[] {
    return verdictLines(this.vm.runState.verdict());
  }

  // ---- called by sessions ---------------------------------------------------------

  /** @internal Run one command for a session; returns the value or throws QmpError. */
  run(session: QmpSession, name: string, args: Args, id: JsonValue | undefined): JsonValue {
    const cmd = COMMAND_BY_NAME.get(name);
    // In negotiation mode only qmp_capabilities exists (qmp_cap_negotiation_commands).
    if (!cmd || (!session.negotiated && name !== 'qmp_capabilities')) {
      throw new QmpError('CommandNotFound', session.negotiated ? `The command ${name} has not been found`
        : "Expecting capabilities negotiation with 'qmp_capabilities'");
    }
    checkArgs(cmd.args, args);
    this.vm.trace.emit(trQmp.command, { session: session.id, command: name });
    this.inCommand++;
    try {
      const v = cmd.run(this.context(session, id), args);
      if (name !== 'qmp_capabilities' && !name.startsWith('query-') && !name.startsWith('x-acpidm-query')) {
        this.driver.pass(0); // the main loop services the request before the reply goes out
        this.driver.kick();
      }
      return v;
    } finally {
      this.commandLink = undefined;
      this.inCommand--;
    }
  }

  /** @internal After a reply went out: if the VM exited meanwhile, hang up (QMP EOF). */
  afterReply(): void {
    if (this.exiting && this.inCommand === 0) this.closeAll();
  }

  /** @internal */
  sessionClosed(s: QmpSession): void {
    if (this.sessions.delete(s)) this.vm.trace.emit(trQmp.session, { session: s.id, what: 'closed' });
  }

  // ---- events ----------------------------------------------------------------------

  private onMachineEvent(e: MachineEvent): void {
    let link = e.cause ?? this.commandLink;
    if (e.event === 'SHUTDOWN') this.lastStopCause = e.cause;
    // do_vm_stop after a shutdown with action pause: the STOP answers the same request.
    if (e.event === 'STOP' && !e.cause && this.lastStopCause && !this.commandLink) link = this.lastStopCause;
    if (e.event === 'POWERDOWN' && e.cause) this.pendingPress = e.cause;
    this.trackDomain(e, link);
    const during = this.commandLink && link !== this.commandLink ? this.commandLink : undefined;
    const tr: Transition = { seq: this.seq++, event: e.event, t: e.t, ...(e.data ? { data: e.data } : {}), ...(link ? { link } : {}), ...(during ? { during } : {}) };
    this.transitions.push(tr);
    if (this.transitions.length > 4096) this.transitions.splice(0, 2048);
    const ms = this.wall();
    const msg: QmpEventMsg = {
      event: e.event,
      ...(e.data ? { data: { guest: e.data.guest, reason: e.data.reason } } : {}),
      timestamp: { seconds: Math.floor(ms / 1000), microseconds: Math.floor((ms % 1000) * 1000) },
    };
    const cause: EventCause = { ...(link ? { link } : {}), chain: this.transitionChain(tr) };
    // No events during capabilities negotiation (qmp-spec.rst).
    for (const s of this.sessions) if (s.negotiated) s.io.send(msg, cause);
  }

  /** libvirt's state and reason from the VM's own events (qemu_process.c handlers; lifecycle.md §1, §3). */
  private trackDomain(e: MachineEvent, link: CauseLink | undefined): void {
    const d = this.domain;
    switch (e.event) {
      case 'RESUME':
        // Leaving a pause is `unpaused`; leaving prelaunch or a (fake-)rebooted shutdown is a boot.
        this.domain = d.state === 'paused' && d.reason !== 'starting-up' ? { state: 'running', reason: 'unpaused' } : { state: 'running', reason: 'booted' };
        return;
      case 'STOP':
        if (d.state === 'shutdown') return; // "Ignoring STOP event after SHUTDOWN"
        // libvirt qemuProcessHandleStop: paused (unknown) unless the manager says it asked (it sets `user` then).
        this.domain = { state: 'paused', reason: 'unknown' };
        return;
      case 'SHUTDOWN':
        if (d.state !== 'shutdown') this.domain = { state: 'shutdown', reason: 'unknown' };
        return;
      case 'SUSPEND': case 'SUSPEND_DISK':
        this.domain = { state: 'pmsuspended', reason: 'unknown' };
        return;
      case 'WAKEUP':
        this.domain = { state: 'running', reason: 'wakeup' };
        return;
      default:
    }
  }

  /** `x-acpidm-domain-state`: read, or (a lifecycle manager) set the state and reason the VM side keeps. */
  private domainState(a: Args): JsonValue {
    if (a['state'] !== undefined || a['reason'] !== undefined) {
      const states: readonly DomainStateRecord['state'][] = ['running', 'paused', 'shutdown', 'shutoff', 'pmsuspended', 'crashed'];
      const st = a['state'] as DomainStateRecord['state'];
      if (!states.includes(st)) throw genericError(`Parameter 'state' does not accept value '${String(a['state'])}'`);
      const reason = a['reason'];
      if (typeof reason !== 'string' || !/^[a-z][a-z-]*$/.test(reason)) throw genericError("Parameter 'reason' expects a libvirt reason name such as 'user'");
      this.domain = { state: st, reason };
    }
    return { ...this.domain };
  }

  /** The PIIX4 power-down notifier ran inside the pass: record whether the press was latched. */
  private afterPass(): void {
    const press = this.pendingPress;
    if (!press) return;
    this.pendingPress = null;
    const pm1 = this.vm.readPm1?.();
    // The PC machine records the press's outcome itself (pc-machine.ts); other VMs get it from the PM1 readback.
    const own = this.vm.runState.chain.last((l) => l.answers === press.id && l.requester === 'hypervisor' && l.mechanism === 'acpi-power-button');
    if (own) {
      const latched = own.evidence?.['latched'] === true;
      this.presses.push({ request: press.id, latched, ...(pm1 ? { pm1: { sts: pm1.sts, en: pm1.en } } : {}), link: own });
      return;
    }
    const latched = pm1 ? (pm1.sts & PWRBTN) !== 0 && (pm1.en & PWRBTN) !== 0 : null;
    const link = this.vm.runState.chain.add({
      requester: 'hypervisor',
      mechanism: 'acpi-power-button',
      // QEMU hw/acpi/core.c acpi_pm1_evt_power_down: PWRBTN_STS is set only if PWRBTN_EN is set.
      what: latched === null ? 'power button press (no PM1 readback)'
        : latched ? 'PIIX4 latched PWRBTN_STS (PWRBTN_EN=1), SCI raised' : 'press dropped: PWRBTN_EN=0',
      evidence: pm1 ? { pm1_sts: pm1.sts, pm1_en: pm1.en, latched: latched === true } : {},
      answers: press.id,
      t: this.vm.clock.ns(),
    });
    this.presses.push({ request: press.id, latched, ...(pm1 ? { pm1: { sts: pm1.sts, en: pm1.en } } : {}), link });
  }

  private closeAll(): void {
    for (const s of [...this.sessions]) s.close();
  }

  // ---- the command context ----------------------------------------------------------

  private context(session: QmpSession, id: JsonValue | undefined): CommandContext {
    return {
      vm: this.vm,
      hostLink: (mechanism, what) => ({
        requester: 'host', mechanism, what: `QMP ${what}`,
        evidence: { session: session.id, ...(id !== undefined ? { 'qmp-id': JSON.stringify(id) } : {}) },
      }),
      record: (l) => (this.commandLink = this.vm.runState.chain.add({ ...l, t: this.vm.clock.ns() })),
      logRequest: (l, outcome) => void this.vm.runState.chain.request({ ...l, outcome, t: this.vm.clock.ns() }),
      domainState: (a) => this.domainState(a),
      negotiate: (a) => session.negotiate(a),
      commandNames: () => COMMANDS.map((c) => c.name),
      queryTrace: (a) => this.queryTrace(a),
      queryCause: (a) => this.queryCause(a),
      destroy: () => this.driver.destroy(),
    };
  }

  private queryTrace(a: Args): JsonValue {
    const name = typeof a['name'] === 'string' ? globToRegExp(a['name']) : null;
    const ns = typeof a['ns'] === 'string' ? a['ns'].replace(/^acpidm:/, '') : null;
    const since = typeof a['since'] === 'number' ? a['since'] : -1;
    const limit = typeof a['limit'] === 'number' ? a['limit'] : 1000;
    if (limit < 0) throw genericError("Parameter 'limit' expects a non-negative integer");
    const out: JsonValue[] = [];
    for (const r of this.vm.trace.history) {
      if (r.seq <= since || (name && !name.test(r.name)) || (ns && r.ns !== ns)) continue;
      if (out.length >= limit) break;
      out.push(JSON.parse(JSON.stringify({ seq: r.seq, t: r.t, ns: r.ns, name: r.name, args: r.args })) as JsonValue);
    }
    return out;
  }

  private describe(t: Transition): JsonValue {
    const chain = this.transitionChain(t);
    return JSON.parse(JSON.stringify({
      seq: t.seq, event: t.event, t: t.t, ...(t.data ? { data: t.data } : {}),
      chain, summary: chain.map(linkText),
    })) as JsonValue;
  }

  /**
   * `{verdict, last?, power-button, links-total, requests-total}`; `all` adds every transition; `from`/`limit`
   * list the chain's links (id >= from, at most limit) and the request log over the same ids.
   */
  private queryCause(a: Args): JsonValue {
    const chain = this.vm.runState.chain;
    const presses = this.presses.map((p) => ({ request: p.request, latched: p.latched, ...(p.pm1 ? { pm1: p.pm1 } : {}), link: p.link.id }));
    const out: Record<string, unknown> = {
      verdict: this.vm.runState.verdict(), 'power-button': presses,
      'links-total': chain.links.length, 'requests-total': chain.requests.length,
    };
    const last = this.transitions[this.transitions.length - 1];
    if (last) out['last'] = this.describe(last);
    if (a['all'] === true) out['transitions'] = this.transitions.map((t) => this.describe(t));
    if (a['from'] !== undefined || a['limit'] !== undefined) {
      const from = typeof a['from'] === 'number' ? a['from'] : 1;
      const limit = typeof a['limit'] === 'number' ? a['limit'] : 1000;
      if (limit < 0) throw genericError("Parameter 'limit' expects a non-negative integer");
      out['links'] = chain.links.filter((l) => l.id >= from).slice(0, limit);
      out['requests'] = chain.requests.filter((r) => r.id >= from).slice(0, limit);
    }
    return JSON.parse(JSON.stringify(out)) as JsonValue;
  }
}

/** One client connection. */
export class QmpSession {
  negotiated = false;
  closed = false;
  private readonly stream = new JsonStream();

  constructor(private readonly monitor: QmpMonitor, readonly io: SessionIo, readonly id: number) {}

  /** Characters from the client, in any chunking. */
  receive(chunk: string): void {
    for (const item of this.stream.push(chunk)) {
      if (this.closed) return;
      if (!item.ok) this.reply({ error: { class: 'GenericError', desc: item.error } });
      else this.request(item.value);
    }
  }

  /** One parsed request (in-process clients call this directly). */
  request(req: JsonValue): void {
    if (this.closed) return;
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      this.reply({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
      return;
    }
    const id = req['id'];
    const withId = <T extends object>(m: T): T & { id?: JsonValue } => (id !== undefined ? { ...m, id } : m);
    try {
      // qmp_dispatch_check_obj
      for (const [k, v] of Object.entries(req)) {
        if (k === 'execute') {
          if (typeof v !== 'string') throw genericError("QMP input member 'execute' must be a string");
        } else if (k === 'arguments') {
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw genericError("QMP input member 'arguments' must be an object");
        } else if (k !== 'id') throw genericError(`QMP input member '${k}' is unexpected`);
      }
      if (!('execute' in req)) throw genericError("QMP input lacks member 'execute'");
      const value = this.monitor.run(this, req['execute'] as string, (req['arguments'] ?? {}) as Args, id);
      this.reply(withId({ return: value }));
    } catch (e) {
      const err = e instanceof QmpError ? e : genericError(`internal error: ${(e as Error)?.message ?? String(e)}`);
      this.reply(withId({ error: { class: err.errorClass, desc: err.desc } }));
    }
    this.monitor.afterReply();
  }

  /** @internal qmp_capabilities (monitor/qmp-cmds-control.c). */
  negotiate(a: Args): void {
    if (this.negotiated) throw new QmpError('CommandNotFound', 'Capabilities negotiation is already complete, command ignored');
    const enable = (a['enable'] ?? []) as JsonValue[];
    enable.forEach((c, i) => {
      // QAPI enum QMPCapability has only `oob`; its visitor names list members `enable[i]`.
      if (typeof c !== 'string') throw genericError(`Invalid parameter type for 'enable[${i}]', expected: string`);
      if (c !== 'oob') throw genericError(`Parameter 'enable[${i}]' does not accept value '${c}'`);
    });
    // monitor/qmp-cmds-control.c qmp_caps_accept: acpidm offers no capability (the greeting lists none).
    if (enable.length) throw genericError('Capability oob not available');
    this.negotiated = true;
  }

  /** Client went away (mid-command or not): forget it. */
  disconnect(): void {
    if (this.closed) return;
    this.closed = true;
    this.monitor.sessionClosed(this);
  }

  /** Server side hang-up (the VM exited). */
  close(): void {
    if (this.closed) return;
    this.disconnect();
    this.io.close();
  }

  private reply(m: QmpMessage): void {
    if (this.closed) return;
    if ('error' in m) this.monitorTraceError(m.error.class, m.error.desc);
    this.io.send(m);
  }

  private monitorTraceError(cls: string, desc: string): void {
    this.monitor.vm.trace.emit(trQmp.error, { session: this.id, class: cls, desc });
  }
}
