/**
 * The bookkeeping half of the lifecycle manager: domain status, lifecycle events
 * (virsh lines), transition records, decisions, host operations, and the QMP
 * look-ups that recover a cause chain over a socket. `DomainManager` (manager.ts)
 * adds the operations and the QMP event handlers.
 */
import type { CauseLink } from '../machine/cause-chain.js';
import { Emitter } from '../machine/emitter.js';
import type { QmpConnection } from '../qmp/connection.js';
import type { EventCause } from '../qmp/messages.js';
import type { Decision, Intent, Operation, OperationName, TransitionRecord } from './records.js';
import { type DomainEvent, type DomainStatus, eventLine, lifecycleEvent, type LifecycleEventName } from './states.js';
import type { DomainTimers } from './timers.js';

/** libvirt's error for an operation the domain's state does not allow (VIR_ERR_OPERATION_INVALID). */
export class DomainError extends Error {
  override name = 'DomainError';
}

export interface DomainOptions {
  name: string;
  /** Virtual-time timers (graceful-then-forced shutdown). */
  timers?: DomainTimers;
  /** Domain XML `<on_poweroff>`: destroy (default) or restart (every guest poweroff becomes a fake reboot). */
  onPoweroff?: 'destroy' | 'restart';
  /** Domain XML `<on_reboot>`: restart (default) or destroy (QEMU runs with -no-reboot; reboot requests shut down). */
  onReboot?: 'restart' | 'destroy';
}

export type QmpData = { readonly [k: string]: unknown } | undefined;
export type Why = Omit<TransitionRecord, 'status' | 'line' | 'qmp'>;

export class DomainCore {
  status: DomainStatus = { state: 'nostate', reason: 'unknown' };
  readonly events: DomainEvent[] = [];
  readonly lines: string[] = [];
  readonly records: TransitionRecord[] = [];
  readonly decisions: Decision[] = [];
  readonly onEvent = new Emitter<{ event: DomainEvent; line: string }>();
  /** The pending shutdown/reboot intent (libvirt's fakeReboot, bound to the press). */
  intent: Intent | null = null;
  protected readonly ops: Operation[] = [];
  private nextOp = 1;
  protected queue: Promise<void> = Promise.resolve();
  /** QMP events since the last recorded transition. */
  protected qmpSince: { event: string; data?: QmpData }[] = [];
  /** Set by the first SHUTDOWN (libvirt priv->gotShutdown): later SHUTDOWN and STOP events are ignored. */
  protected gotShutdown: { data: QmpData; chain: readonly CauseLink[]; intent: Intent | null; verdict: string | null } | null = null;

  constructor(readonly conn: QmpConnection, readonly opts: DomainOptions) {}

  get name(): string {
    return this.opts.name;
  }

  /** The last state pushed to the VM side (see setStatus). */
  private pushed: Promise<unknown> = Promise.resolve();

  /** Wait until every QMP event received so far has been handled (and the state it gave is kept by the VM). */
  async settle(): Promise<void> {
    let q;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
    await this.pushed;
  }

  /**
   * Attach to a VM that is already running (the CLI, another terminal) without changing its actions. The state
   * and reason come from the VM side (`x-acpidm-domain-state`), so they survive clients and reconnects; a VM
   * without it (a real QEMU) gives `query-status`, with reasons `unknown` where QEMU cannot tell.
   */
  async attach(): Promise<DomainStatus> {
    const kept = await this.conn.execute<{ state: DomainStatus['state']; reason: string }>('x-acpidm-domain-state').catch(() => null);
    if (kept) {
      this.status = { state: kept.state, reason: kept.reason };
      if (kept.state === 'shutdown') this.gotShutdown = { data: undefined, chain: [], intent: null, verdict: null };
      return this.status;
    }
    const st = await this.conn.execute<{ status: string }>('query-status');
    const map: Record<string, DomainStatus> = {
      running: { state: 'running', reason: 'unknown' },
      paused: { state: 'paused', reason: 'unknown' },
      prelaunch: { state: 'paused', reason: 'starting-up' },
      suspended: { state: 'pmsuspended', reason: 'unknown' },
      shutdown: { state: 'shutdown', reason: 'unknown' },
      'guest-panicked': { state: 'crashed', reason: 'panicked' },
      'io-error': { state: 'paused', reason: 'ioerror' },
      'internal-error': { state: 'paused', reason: 'unknown' },
    };
    this.status = map[st.status] ?? { state: 'nostate', reason: 'unknown' };
    if (st.status === 'shutdown') this.gotShutdown = { data: undefined, chain: [], intent: null, verdict: null };
    return this.status;
  }

  /** virsh domstate --reason. */
  domstate(): DomainStatus {
    return this.status;
  }

  protected enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => this.decide(`event handling failed: ${(e as Error)?.message ?? String(e)}`));
  }

  protected op(op: OperationName, extra: Partial<Omit<Operation, 'id' | 'op'>> = {}): Operation {
    const o: Operation = { id: this.nextOp++, op, ...extra };
    this.ops.push(o);
    return o;
  }

  protected lastOperation(): Operation | undefined {
    return this.ops[this.ops.length - 1];
  }

  protected requireActive(): void {
    if (this.status.state === 'shutoff' || this.conn.closed) throw new DomainError('Requested operation is not valid: domain is not running');
  }

  protected decide(text: string, op?: Operation): void {
    this.decisions.push({ text, ...(op ? { operation: op.id } : {}) });
  }

  protected async pressOutcome(request: number | undefined): Promise<{ request: number; latched: boolean | null } | null> {
    const r = await this.conn.execute<{ 'power-button': { request: number; latched: boolean | null }[] }>('x-acpidm-query-cause').catch(() => null);
    const presses = r?.['power-button'] ?? [];
    return (request !== undefined ? presses.find((p) => p.request === request) : presses[presses.length - 1]) ?? null;
  }

  /** The VM's verdict as last read (a client that leaves before the VM ends prints this one). */
  lastVerdict: string | null = null;

  /** The VM's verdict sentence (src/machine/verdict.ts), or null when the VM has none (a real QEMU). */
  protected async vmVerdict(): Promise<string | null> {
    const r = await this.conn.execute<{ verdict?: { sentence: string } }>('x-acpidm-query-cause').catch(() => null);
    if (r?.verdict) this.lastVerdict = r.verdict.sentence;
    return r?.verdict?.sentence ?? null;
  }

  /** Over a socket, events carry no cause: ask the monitor for the chain of the latest such event. */
  protected async fetchChain(event: string): Promise<readonly CauseLink[]> {
    return (await this.fetchCause(event)).chain;
  }

  /**
   * The chain of the latest `event` and the VM's verdict, in one request (another client's `quit` may end the VM
   * right after this event, so ask once and early).
   */
  protected async fetchCause(event: string): Promise<{ chain: readonly CauseLink[]; verdict: string | null }> {
    const r = await this.conn.execute<{ verdict?: { sentence: string }; transitions: { event: string; chain: CauseLink[] }[] }>(
      'x-acpidm-query-cause', { all: true }).catch(() => null);
    const ts = r?.transitions ?? [];
    let chain: readonly CauseLink[] = [];
    for (let k = ts.length - 1; k >= 0; k--) if (ts[k]!.event === event) { chain = ts[k]!.chain; break; }
    if (r?.verdict) this.lastVerdict = r.verdict.sentence;
    return { chain, verdict: r?.verdict?.sentence ?? null };
  }

  protected async why(cause: EventCause | undefined, event: string, mechanism: string): Promise<Omit<TransitionRecord, 'status' | 'line' | 'qmp'>> {
    const chain = cause?.chain ?? (await this.fetchChain(event));
    const op = this.lastOperation();
    const root = chain[0];
    const host = root ? root.requester === 'host' : false;
    const verdict = await this.vmVerdict();
    return { requester: root?.requester ?? 'guest', ...(host && op ? { operation: op } : {}), mechanism, answers: host && op ? [op.id] : [], chain,
      ...(verdict ? { verdict } : {}) };
  }

  protected transition(status: DomainStatus, event: LifecycleEventName, detail: string, why: Omit<TransitionRecord, 'status' | 'line' | 'qmp'>): void {
    this.setStatus(status);
    const line = this.emitEvent(lifecycleEvent(event, detail));
    this.record(status, line, why);
  }

  protected record(status: DomainStatus, line: string | null, why: Omit<TransitionRecord, 'status' | 'line' | 'qmp'>): void {
    this.records.push({ status, line, qmp: this.qmpSince, ...why });
    this.qmpSince = [];
  }

  protected setStatus(s: DomainStatus): void {
    this.status = s;
    // The VM side keeps the state and reason for every client and for the next connection (libvirtd's status
    // XML, not virsh, holds it); a VM that is gone or has no such command (a real QEMU) is not asked.
    if (s.state !== 'shutoff' && !this.conn.closed) {
      this.pushed = this.conn.execute('x-acpidm-domain-state', { state: s.state, reason: s.reason }).catch(() => null);
    }
  }

  protected emitEvent(e: DomainEvent): string {
    const line = eventLine(this.name, e);
    this.events.push(e);
    this.lines.push(line);
    this.onEvent.emit({ event: e, line });
    return line;
  }
}
