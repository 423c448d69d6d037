/**
 * The lifecycle manager: libvirt's qemu driver in miniature. It drives a VM
 * only through QMP (in-process or over a socket), turns QMP events into
 * domain states and lifecycle events (src/qemu/qemu_process.c handlers), and
 * records for every transition who asked and how it came about.
 *
 * Where libvirt's fakeReboot flag is inconsistent (lifecycle.md §4) acpidm
 * binds a reboot intent to the delivered button press: the later request
 * wins; a dropped press discards the intent at once; the first guest S5 after
 * a latched press consumes it; a RESET clears it.
 */
import type { CauseLink } from '../machine/cause-chain.js';
import type { QmpConnection } from '../qmp/connection.js';
import type { EventCause, QmpEventMsg } from '../qmp/messages.js';
import { DomainCore, DomainError, type DomainOptions, type QmpData, type Why } from './domain-core.js';
import { describeRecord, type Intent, type Operation } from './records.js';
import { type DomainStatus, lifecycleEvent, type ShutdownMode } from './states.js';

export { DomainError, type DomainOptions } from './domain-core.js';

export class DomainManager extends DomainCore {
  private hideStop = false;
  private destroyOp: Operation | null = null;
  private suspendOp: Operation | null = null;
  private cancelGrace: (() => void) | null = null;
  private lastPress: { request: number; latched: boolean | null } | null = null;
  private detached = false;
  /** The RESET that the fake reboot itself causes (recorded as part of the reboot, not as a reset). */
  private fakeRebootReset = false;

  constructor(conn: QmpConnection, opts: DomainOptions) {
    super(conn, opts);
    conn.onEvent((ev, cause) => this.enqueue(() => this.handle(ev, cause)));
    conn.onClose(() => this.enqueue(() => this.handleEof()));
  }

  /** Stop managing: close our connection without treating it as the VM going away (a CLI that is done). */
  detach(): void {
    this.detached = true;
    this.cancelGrace?.();
    this.conn.close();
  }

  // ---- operations (virsh commands) -------------------------------------------------

  /** Attach: libvirt starts QEMU with -no-shutdown and -S, then `cont` (Started Booted). */
  async start(): Promise<Operation> {
    const op = this.op('start');
    // libvirt starts QEMU with -no-shutdown, and with -no-reboot unless on_reboot is restart.
    await this.conn.execute('set-action', { shutdown: 'pause', ...(this.opts.onReboot === 'destroy' ? { reboot: 'shutdown' } : {}) });
    const st = await this.conn.execute<{ status: string }>('query-status');
    if (st.status === 'prelaunch' || st.status === 'paused') await this.conn.execute('cont');
    await this.settle();
    this.transition({ state: 'running', reason: 'booted' }, 'Started', 'Booted', { requester: 'host', operation: op, mechanism: 'start (cont)', answers: [op.id], chain: [] });
    return op;
  }

  /** virsh shutdown --mode acpi|agent. */
  async shutdown(mode: ShutdownMode = 'acpi'): Promise<Operation> {
    this.requireActive();
    const op = this.op('shutdown', { mode });
    await this.request(op, 'shutdown', mode);
    return op;
  }

  /** virsh reboot --mode acpi|agent. ACPI mode is libvirt's fake reboot. */
  async reboot(mode: ShutdownMode = 'acpi'): Promise<Operation> {
    this.requireActive();
    const op = this.op('reboot', { mode });
    await this.request(op, 'reboot', mode);
    return op;
  }

  /**
   * Graceful-then-forced: a shutdown request, and if the domain is not shut off after
   * `graceNs` of virtual time, destroy it; the record says the grace period ran out.
   */
  async shutdownWithGrace(mode: ShutdownMode, graceNs: number): Promise<Operation> {
    if (!this.opts.timers) throw new DomainError('no virtual-time source for a grace period');
    if (!(graceNs >= 0)) throw new DomainError(`grace period must be a non-negative number of ns, got ${graceNs}`);
    this.requireActive();
    const timers = this.opts.timers;
    const op = this.op('shutdown', { mode, graceNs });
    const deadline = (await timers.now()) + graceNs; // measured from the request, in virtual time
    await this.request(op, 'shutdown', mode);
    if (this.status.state !== 'shutoff' && !this.conn.closed) {
      this.cancelGrace = timers.at(deadline, () => {
        this.cancelGrace = null;
        if (this.status.state === 'shutoff' || this.conn.closed) return; // a later request would have cancelled this timer
        const forced = this.op('grace-expired', { after: op.id });
        this.decide(`grace period of ${graceNs} ns (virtual) after shutdown #op${op.id} expired: destroying`, forced);
        void this.destroyWith(forced).catch(() => {});
      });
    }
    return op;
  }

  /** virsh destroy: kill the VM; no Shutdown event, Stopped Destroyed. */
  async destroy(): Promise<Operation> {
    this.requireActive();
    const op = this.op('destroy');
    await this.destroyWith(op);
    return op;
  }

  /** virsh reset: system_reset; REBOOT event only. */
  async reset(): Promise<Operation> {
    this.requireActive();
    const op = this.op('reset');
    this.supersede(op);
    await this.conn.execute('system_reset');
    await this.settle();
    return op;
  }

  /** virsh suspend: stop the vCPUs (Suspended Paused, paused/user). */
  async suspend(): Promise<Operation> {
    this.requireActive();
    const op = this.op('suspend');
    this.suspendOp = op;
    await this.conn.execute('stop');
    await this.settle();
    return op;
  }

  /** virsh resume (Resumed Unpaused, running/unpaused). */
  async resume(): Promise<Operation> {
    this.requireActive();
    if (this.status.state !== 'paused') throw new DomainError('Requested operation is not valid: domain is not paused');
    const op = this.op('resume');
    await this.conn.execute('cont');
    await this.settle();
    return op;
  }

  /** virsh dompmsuspend mem|disk: through the guest agent (guest-suspend-ram / -disk). */
  async pmSuspend(target: 'mem' | 'disk' = 'mem'): Promise<Operation> {
    this.requireActive();
    if (this.status.state !== 'running') throw new DomainError('Requested operation is not valid: domain is not running');
    const op = this.op('pm-suspend');
    this.decide(`pm-suspend ${target} through the guest agent`, op);
    await this.conn.execute('x-acpidm-guest-agent', { execute: target === 'mem' ? 'guest-suspend-ram' : 'guest-suspend-disk' });
    await this.settle();
    return op;
  }

  /** virsh dompmwakeup: system_wakeup. */
  async pmWakeup(): Promise<Operation> {
    this.requireActive();
    if (this.status.state !== 'pmsuspended') throw new DomainError('Requested operation is not valid: domain is not running');
    const op = this.op('pm-wakeup');
    this.decide('pm-wakeup: system_wakeup', op);
    await this.conn.execute('system_wakeup');
    await this.settle();
    return op;
  }

  /** The cause of the last transition, in one line. */
  lastCause(): string | null {
    const r = this.records[this.records.length - 1];
    return r ? describeRecord(r) : null;
  }

  // ---- requests ------------------------------------------------------------------

  private async request(op: Operation, asked: 'shutdown' | 'reboot', mode: ShutdownMode): Promise<void> {
    this.supersede(op);
    let kind = asked;
    // qemuDomainReboot / qemuDomainShutdownFlags: the domain's on_reboot / on_poweroff override the request.
    if (asked === 'reboot' && mode === 'acpi' && this.opts.onReboot === 'destroy') {
      kind = 'shutdown';
      this.decide('Domain on_reboot setting overridden, shutting down', op);
    } else if (asked === 'shutdown' && mode === 'acpi' && this.opts.onPoweroff === 'restart') {
      kind = 'reboot';
      this.decide('Domain on_poweroff setting overridden, attempting reboot', op);
    }
    const intent: Intent = { op, kind, mode, status: 'requested' };
    this.intent = intent;
    if (mode === 'acpi') {
      this.decide(`${kind} #op${op.id} --mode acpi: power button press requested`, op);
      await this.conn.execute('system_powerdown');
    } else {
      // Agent mode: libvirt clears fakeReboot and sends guest-shutdown (powerdown or reboot).
      // The agent channel is synchronous: the guest may act before the reply, so the intent counts as delivered now.
      intent.status = 'delivered';
      // Seed 002 (an ACPI reboot, then at once this): the guest may already have answered that press with its S5.
      // Events received so far are handled first, so a fake reboot already under way runs to its end and the agent
      // then meets a running guest; a guest still stopped in that S5 is already off, which is what this later
      // request asks for: its SHUTDOWN consumes this intent (libvirt would ask the stopped guest's agent, fail, and
      // let the fake reboot win: lifecycle.md §4, the later request wins).
      await this.eventsSoFar();
      if (this.intent !== intent) return; // the guest's S5 consumed it meanwhile: the domain is shutting down
      if (kind === 'shutdown' && (await this.stoppedInS5())) {
        this.decide(`${kind} #op${op.id} --mode agent: the guest is already stopped in its S5; no agent command needed`, op);
        await this.settle();
        return;
      }
      this.decide(`${kind} #op${op.id} --mode agent: guest-shutdown sent to the guest agent`, op);
      try {
        await this.conn.execute('x-acpidm-guest-agent', { execute: 'guest-shutdown', arguments: { mode: kind === 'reboot' ? 'reboot' : 'powerdown' } });
      } catch (e) {
        // The guest wrote its S5 between our look and the agent command: as above, the shutdown takes it as is.
        if (kind === 'shutdown' && this.intent === intent && (await this.stoppedInS5())) {
          this.decide(`${kind} #op${op.id}: the guest stopped in its S5 before the agent answered; that S5 completes the shutdown`, op);
          await this.settle();
          return;
        }
        if (this.intent === intent) this.intent = null;
        intent.status = 'cleared';
        this.decide(`${kind} intent #op${op.id} cleared: the guest agent failed (${(e as Error).message})`, op);
        throw e;
      }
    }
    await this.settle();
  }

  /** Wait for the handlers of the events received so far (not for events that arrive meanwhile). */
  private async eventsSoFar(): Promise<void> {
    await this.queue;
  }

  /** Is the VM stopped after a guest S5 (QMP status `shutdown`, -no-shutdown)? */
  private async stoppedInS5(): Promise<boolean> {
    const st = await this.conn.execute<{ status: string }>('query-status').catch(() => null);
    return st?.status === 'shutdown';
  }

  /** Rule 1: the later request wins. */
  private supersede(by: Operation): void {
    const i = this.intent;
    if (i && (i.status === 'requested' || i.status === 'delivered')) {
      i.status = 'superseded';
      this.decide(`${i.kind} intent #op${i.op.id} superseded by ${by.op} #op${by.id}`, by);
    }
    this.intent = null;
    this.cancelGrace?.();
    this.cancelGrace = null;
  }

  private async destroyWith(op: Operation): Promise<void> {
    this.supersede(op);
    if (this.intent === null && op.op === 'grace-expired') this.decide(`forced destroy #op${op.id}`, op);
    this.destroyOp = op;
    await this.conn.execute('x-acpidm-destroy').catch(() => {}); // the reply may race the EOF
    await new Promise<void>((r) => this.conn.onClose(r)); // the domain is gone only at EOF
    await this.settle();
  }

  // ---- QMP events (qemu_process.c qemuProcessHandle*) ---------------------------------

  private async handle(ev: QmpEventMsg, cause?: EventCause): Promise<void> {
    this.qmpSince.push({ event: ev.event, ...(ev.data ? { data: ev.data } : {}) });
    const data = ev.data as QmpData;
    switch (ev.event) {
      case 'POWERDOWN': return this.onPowerdown(cause);
      case 'SHUTDOWN': return this.onShutdown(data, cause);
      case 'STOP': return this.onStop(cause);
      case 'RESUME':
        if (this.status.state === 'paused') {
          this.transition({ state: 'running', reason: 'unpaused' }, 'Resumed', 'Unpaused', await this.why(cause, 'RESUME', 'cont'));
        }
        return;
      case 'RESET': return this.onReset(data, cause);
      case 'SUSPEND':
        this.transition({ state: 'pmsuspended', reason: 'unknown' }, 'PMSuspended', 'Memory', await this.why(cause, 'SUSPEND', 'guest S3 (PM1a_CNT SLP_TYP=S3)'));
        return;
      case 'SUSPEND_DISK':
        this.transition({ state: 'pmsuspended', reason: 'unknown' }, 'PMSuspended', 'Disk', await this.why(cause, 'SUSPEND_DISK', 'guest S4 (PM1a_CNT SLP_TYP=S4)'));
        return;
      case 'WAKEUP':
        if (this.status.state === 'pmsuspended') {
          this.transition({ state: 'running', reason: 'wakeup' }, 'Started', 'Event wakeup', await this.why(cause, 'WAKEUP', 'system_wakeup'));
        }
        return;
      default:
        return;
    }
  }

  /** acpidm: learn whether the press was latched, and bind or discard the intent (rule 2). */
  private async onPowerdown(cause?: EventCause): Promise<void> {
    const press = await this.pressOutcome(cause?.link?.id);
    this.lastPress = press;
    const i = this.intent;
    if (!i || i.mode !== 'acpi' || i.status !== 'requested') return;
    if (press?.latched === false) {
      i.status = 'dropped';
      this.decide(`${i.kind} intent #op${i.op.id} discarded: power button press #${press.request} was dropped (PWRBTN_EN=0, only POWERDOWN)`, i.op);
      this.intent = null;
      return;
    }
    i.status = 'delivered';
    if (press) i.press = press.request;
    this.decide(press?.latched ? `${i.kind} intent #op${i.op.id} bound to power button press #${press.request} (latched: PWRBTN_EN=1)`
      : press ? `${i.kind} intent #op${i.op.id} bound to power button press #${press.request} (the VM cannot tell whether it latched)`
      : `${i.kind} intent #op${i.op.id} bound to the power button press (the VM reported no press record)`, i.op);
  }

  private async onShutdown(data: QmpData, cause?: EventCause): Promise<void> {
    if (this.gotShutdown || this.status.state === 'shutoff') {
      this.decide('Ignoring repeated SHUTDOWN event');
      return;
    }
    // Ask the VM first, while it still exists (the verdict says who shut it down).
    const fetched = await this.fetchCause('SHUTDOWN');
    const chain = cause?.chain ?? fetched.chain;
    const guestS5 = data?.['guest'] === true && data?.['reason'] === 'guest-shutdown';
    const i = this.intent;
    if (i && i.kind === 'reboot' && i.mode === 'acpi' && i.status === 'delivered' && guestS5) {
      i.status = 'consumed';
      this.intent = null;
      this.decide(`reboot intent #op${i.op.id} consumed by the guest's S5: fake reboot (system_reset + cont)`, i.op);
      await this.fakeReboot(chain, {
        requester: 'host', operation: i.op, mechanism: 'power button (latched) → guest S5 (PM1a_CNT) → fake reboot (system_reset + cont)',
        answers: [i.op.id, ...(i.press !== undefined ? [i.press] : [])],
      });
      return;
    }
    if (this.opts.onPoweroff === 'restart' && data?.['guest'] === true && !(i && i.status === 'delivered' && i.kind === 'shutdown')) {
      // on_poweroff=restart: libvirt fake-reboots every guest shutdown it did not itself ask to keep off.
      if (i) i.status = 'cleared';
      this.intent = null;
      this.decide('on_poweroff=restart: the guest powered off; fake reboot (system_reset + cont)');
      await this.fakeReboot(chain, { requester: 'guest', mechanism: 'guest S5 (PM1a_CNT) with on_poweroff=restart → fake reboot', answers: [] });
      return;
    }
    if (i && i.status === 'delivered' && guestS5 && i.kind === 'shutdown') {
      i.status = 'consumed';
      this.decide(`shutdown intent #op${i.op.id} consumed by the guest's S5`, i.op);
    } else if (i && (i.status === 'delivered' || i.status === 'requested')) {
      // The guest (or someone else) ended it by other means: the intent dies with the domain.
      i.status = 'cleared';
      this.decide(`${i.kind} intent #op${i.op.id} cleared: the domain shut down (${String(data?.['reason'])})`, i.op);
    }
    this.intent = null;
    // The VM's verdict now: after the quit below the VM is gone and cannot be asked.
    this.gotShutdown = { data, chain, intent: i && i.status === 'consumed' ? i : null, verdict: fetched.verdict };
    const detail = data?.['guest'] === true ? 'Finished after guest request' : data?.['guest'] === false ? 'Finished after host request' : 'Finished';
    this.setStatus({ state: 'shutdown', reason: 'unknown' });
    this.emitEvent(lifecycleEvent('Shutdown', detail));
    // libvirt then terminates QEMU (SIGTERM); acpidm's equivalent is `quit`. The EOF ends the domain.
    await this.conn.execute('quit').catch(() => {});
  }

  /** qemuProcessFakeReboot: hide the SHUTDOWN's STOP, system_reset + cont, state running (booted). */
  private async fakeReboot(chain: readonly CauseLink[], why: Omit<Why, 'chain'>): Promise<void> {
    this.hideStop = true;
    this.fakeRebootReset = true;
    await this.conn.execute('system_reset').catch(() => {});
    await this.conn.execute('cont').catch(() => {});
    this.setStatus({ state: 'running', reason: 'booted' });
    const verdict = await this.vmVerdict();
    this.record({ state: 'running', reason: 'booted' }, null, { ...why, chain, ...(verdict ? { verdict } : {}) });
  }

  private async onStop(cause?: EventCause): Promise<void> {
    if (this.hideStop) {
      this.hideStop = false; // pausedShutdown: the STOP of a fake reboot's shutdown is not shown
      return;
    }
    if (this.gotShutdown) return; // "Ignoring STOP event after SHUTDOWN"
    if (this.status.state !== 'running') return;
    const op = this.suspendOp;
    this.suspendOp = null;
    const verdict = await this.vmVerdict();
    // libvirt qemuProcessHandleStop: its own suspend is paused (user); a STOP it did not ask for is paused (unknown).
    this.transition({ state: 'paused', reason: op ? 'user' : 'unknown' }, 'Suspended', 'Paused', {
      requester: 'host', ...(op ? { operation: op } : {}), mechanism: op ? 'suspend (QMP stop)' : 'QMP stop from another client',
      answers: op ? [op.id] : [], chain: cause?.chain ?? [], ...(verdict ? { verdict } : {}),
    });
  }

  private async onReset(data: QmpData, cause?: EventCause): Promise<void> {
    if (this.fakeRebootReset && data?.['guest'] === false) {
      this.fakeRebootReset = false;
      this.emitEvent({ kind: 'reboot' }); // libvirt sends REBOOT for every RESET; the record is the fake reboot's
      return;
    }
    const chain = cause?.chain ?? (await this.fetchChain('RESET'));
    // The firmware's hard reboot after a warm entry (SeaBIOS, and acpidm's built-in firmware, after every reset
    // once POST ran) completes the reset before it: a REBOOT event as libvirt sends, no decision of its own.
    if (chain[chain.length - 1]?.evidence?.['firmware'] !== undefined) {
      const verdict = await this.vmVerdict();
      this.emitEvent({ kind: 'reboot' });
      this.record(this.status, null, {
        requester: 'guest', mechanism: 'firmware hard reboot after the reset (SeaBIOS warm entry)', answers: [], chain,
        ...(verdict ? { verdict } : {}),
      });
      return;
    }
    const i = this.intent;
    if (i && (i.status === 'requested' || i.status === 'delivered')) {
      const agentReboot = i.kind === 'reboot' && i.mode === 'agent' && data?.['guest'] === true;
      i.status = agentReboot ? 'consumed' : 'cleared';
      this.decide(`${i.kind} intent #op${i.op.id} ${agentReboot ? 'consumed by the guest reset' : 'cleared by RESET'}`, i.op);
      this.intent = null;
    }
    const verdict = await this.vmVerdict();
    this.emitEvent({ kind: 'reboot' });
    const lastOp = this.lastOperation();
    const host = data?.['guest'] === false;
    this.record(this.status, null, {
      requester: host ? 'host' : 'guest',
      ...(lastOp && (host || (i && i.status === 'consumed')) ? { operation: lastOp } : {}),
      mechanism: host ? 'system_reset' : i?.status === 'consumed' ? 'guest agent guest-shutdown(reboot) → reset written by the agent' : `guest reset (${String(data?.['reason'])})`,
      answers: lastOp && host ? [lastOp.id] : [], chain, ...(verdict ? { verdict } : {}),
    });
  }

  private async handleEof(): Promise<void> {
    if (this.detached) return;
    this.cancelGrace?.();
    this.cancelGrace = null;
    const d = this.destroyOp;
    if (d) {
      this.transition({ state: 'shutoff', reason: 'destroyed' }, 'Stopped', 'Destroyed', {
        requester: 'host', operation: d,
        mechanism: d.op === 'grace-expired' ? `grace period expired after shutdown #op${d.after} → destroy` : 'destroy (process killed)',
        answers: d.after !== undefined ? [d.after, d.id] : [d.id], chain: [],
      });
      return;
    }
    const s = this.gotShutdown;
    if (s) {
      const i = s.intent;
      const guest = s.data?.['guest'] === true;
      const reason = String(s.data?.['reason']);
      // No intent of ours: the machine's chain still says whether a host request (another client's) started it.
      const root = s.chain[0];
      const hostRoot = !i && guest && root?.requester === 'host';
      this.transition({ state: 'shutoff', reason: 'shutdown' }, 'Stopped', 'Shutdown', {
        requester: i || hostRoot ? 'host' : guest ? 'guest' : 'host',
        ...(i ? { operation: i.op } : {}),
        mechanism: i ? (i.mode === 'acpi' ? 'power button → S5 (PM1a_CNT)' : 'guest agent guest-shutdown → S5 (PM1a_CNT) written by the agent')
          : hostRoot ? `${root!.what} (not through this manager) → guest S5 (PM1a_CNT)`
          : guest ? (reason === 'guest-reset' ? 'guest reset with reboot action shutdown (-no-reboot)' : 'guest S5 on its own (PM1a_CNT)')
          : `host ${reason}`,
        answers: i ? [i.op.id, ...(i.press !== undefined ? [i.press] : [])] : [], chain: s.chain,
        ...(s.verdict ? { verdict: s.verdict } : {}),
      });
      return;
    }
    this.decide(`Monitor connection to '${this.name}' closed without SHUTDOWN event; assuming the domain crashed`);
    this.transition({ state: 'shutoff', reason: 'crashed' }, 'Stopped', 'Failed', { requester: 'hypervisor', mechanism: 'monitor EOF without SHUTDOWN', answers: [], chain: [] });
  }

}

