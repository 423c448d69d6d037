/**
 * The swimlane (sequence) diagram of one run, as plain data: the lanes (actors that took part), the messages
 * between them in trace order on the virtual time axis, the cause-chain path, and repeated cycles folded.
 * Built by `buildSwimlane` (build.ts) from trace records and the cause chain only; drawn by `renderSvg` (svg.ts).
 */
import type { CauseLink } from '../machine/cause-chain.js';
import type { Namespace } from '../trace/trace.js';

export type DiagramMode = 'qemu' | 'xen';

/** Where a guest instruction was (CS:EIP) and its bytes, when the recorder could read them. */
export interface GuestSite {
  readonly cs: number;
  readonly eip: number;
  /** The instruction's first bytes (up to 15), read from guest memory when the access happened; absent when paging was on. */
  readonly bytes?: readonly number[];
  /** The code segment's default operand size is 32 bits (CS.D). */
  readonly code32?: boolean;
}

/** One trace record as the diagram keeps it (src/trace TraceRecord, plus the guest site for guest accesses). */
export interface DiagramRecord {
  readonly seq: number;
  readonly t: number;
  readonly ns: Namespace | 'guest';
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly site?: GuestSite;
}

export interface Lane {
  readonly id: string;
  readonly title: string;
}

export type MessageKind =
  | 'port-write' | 'port-read' | 'ioreq' | 'ioresp' | 'hypercall' | 'virq' | 'watch' | 'sci'
  | 'qmp-command' | 'qmp-event' | 'command' | 'request' | 'boot' | 'console' | 'note';

export interface Message {
  /** Index in `Swimlane.messages`. */
  readonly i: number;
  readonly t: number;
  /** Lane ids; `from === to` is a note on that lane (a console line, a state change). */
  readonly from: string;
  readonly to: string;
  readonly kind: MessageKind;
  readonly label: string;
  /** The trace record this message was drawn from. */
  readonly record: DiagramRecord;
  /** Cause-chain link ids this message carries (`#1`), and whether it lies on the highlighted path. */
  links: number[];
  path: boolean;
  /** Xen mode: the domain it concerns (cause links are per domain). */
  readonly domid?: number;
}

/**
 * `count` identical consecutive cycles (a reboot loop) span messages [start, end); the picture shows only the
 * last, [shown, shown + length), in a box with the count.
 */
export interface Fold {
  readonly start: number;
  readonly end: number;
  readonly shown: number;
  readonly length: number;
  readonly count: number;
  readonly firstT: number;
  readonly lastT: number;
}

export interface Swimlane {
  readonly mode: DiagramMode;
  readonly title: string;
  readonly lanes: Lane[];
  /** Every message, in trace order (folded cycles included: `folds` says which rows a picture collapses). */
  readonly messages: Message[];
  readonly folds: Fold[];
  /** The links of the highlighted path (root first), then the follow-ups. */
  readonly path: readonly CauseLink[];
  /** Every chain link (Xen: of every domain). */
  readonly chain: readonly CauseLink[];
  readonly verdict: string;
  /** Records the recorder dropped in the middle of a very long run. */
  readonly dropped: number;
}

/** The deciding chain and its sentence: src/machine Verdict or ChainVerdict (both have these). */
export interface VerdictLike {
  readonly chain: readonly CauseLink[];
  readonly followUp: readonly CauseLink[];
  readonly sentence: string;
}
