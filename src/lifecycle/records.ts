/** What the lifecycle manager remembers: host operations, pending intents, and one record per transition. */
import type { CauseLink, Requester } from '../machine/cause-chain.js';
import type { DomainStatus, ShutdownMode } from './states.js';

export type OperationName =
  | 'start' | 'shutdown' | 'reboot' | 'destroy' | 'reset' | 'suspend' | 'resume' | 'pm-suspend' | 'pm-wakeup'
  | 'grace-expired';

/** One host request made through the manager (libvirt API call). */
export interface Operation {
  readonly id: number;
  readonly op: OperationName;
  readonly mode?: ShutdownMode;
  /** Grace period in virtual ns for a graceful-then-forced shutdown. */
  readonly graceNs?: number;
  /** For grace-expired: the shutdown operation whose grace period ran out. */
  readonly after?: number;
}

export type IntentStatus =
  | 'requested'   // sent; the outcome of the press is not known yet
  | 'delivered'   // the press was latched (PWRBTN_EN=1) or the agent accepted the command
  | 'dropped'     // the press was lost (PWRBTN_EN=0): discarded at once
  | 'consumed'    // the guest acted on it (S5, reset)
  | 'superseded'  // a later request replaced it
  | 'cleared';    // a RESET or the end of the domain cleared it

/**
 * The pending shutdown/reboot intent: libvirt's fakeReboot flag, bound to the delivered
 * button press instead of living forever (lifecycle.md §4).
 */
export interface Intent {
  readonly op: Operation;
  readonly kind: 'shutdown' | 'reboot';
  readonly mode: ShutdownMode;
  status: IntentStatus;
  /** Cause-link id of the power-button request this intent rode on. */
  press?: number;
}

/** A decision the manager took, in order (request id, delivered?, what consumed it). */
export interface Decision {
  readonly text: string;
  readonly operation?: number;
}

/** One transition of the domain and why it happened. */
export interface TransitionRecord {
  readonly status: DomainStatus;
  /** The virsh event line, if a lifecycle event was sent (a fake reboot sends only REBOOT). */
  readonly line: string | null;
  /** Who asked for it in the first place. */
  readonly requester: Requester;
  /** The host operation that asked, if any. */
  readonly operation?: Operation;
  /** How it came about, in words: `power button (latched) → guest S5 (PM1a_CNT)`. */
  readonly mechanism: string;
  /** Operation ids and machine request ids this transition answered. */
  readonly answers: readonly number[];
  /** The QMP events behind it, in order. */
  readonly qmp: readonly { event: string; data?: { readonly [k: string]: unknown } }[];
  /** The machine's cause chain for the final QMP event (root first). */
  readonly chain: readonly CauseLink[];
  /** The VM's own verdict sentence (src/machine/verdict.ts, via `x-acpidm-query-cause`), when the VM offers one. */
  readonly verdict?: string;
}

/**
 * One transition in words: libvirt's state (reason), then the VM's own verdict (the sentence every client prints),
 * and the host operation of this manager it answered. Only a VM without a verdict (a real QEMU) gets the manager's
 * own account of the QMP events instead.
 */
export function describeRecord(r: TransitionRecord): string {
  const op = r.operation ? `host ${r.operation.op}${r.operation.mode ? ` --mode ${r.operation.mode}` : ''} (#op${r.operation.id})` : null;
  if (r.verdict) return `${r.status.state} (${r.status.reason}) ← ${r.verdict}${op ? ` [${op}: ${r.mechanism}]` : ''}`;
  const qmp = r.qmp.map((e) => e.event + (e.data ? ` ${JSON.stringify(e.data)}` : '')).join(', ');
  return `${r.status.state} (${r.status.reason}) ← ${op ?? r.requester}: ${r.mechanism}${qmp ? ` [QMP ${qmp}]` : ''}`;
}
