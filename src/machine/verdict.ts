/**
 * The one answer to "who shut this VM down", computed once from the records
 * the machine kept (its event log and cause chain) and rendered by one
 * function. Every client (`acpidm run`'s summary and `--json`/`--quiet`, QMP
 * `x-acpidm-query-cause`, `acpidm domain`, the lifecycle records, the web
 * page) prints this record's sentence; none re-derives a cause from events.
 *
 * Which transition decides: the last one that changed the run state. A second
 * SHUTDOWN after the VM already shut down (libvirt's `quit` after a guest
 * poweroff under -no-shutdown) and the STOP of a paused shutdown only end what
 * was decided; they are kept as `followUp`.
 */
import { type CauseChain, type CauseLink, type Requester } from './cause-chain.js';
import { fmtCount, fmtMs, wrapText } from './cause-summary.js';
import type { MachineEvent } from './run-state.js';
import type { RunState } from './shutdown-cause.js';

export type Outcome =
  | 'shutdown' | 'reset' | 'suspended' | 'hibernated' | 'woken' | 'paused' | 'resumed' | 'running'
  | 'button-ignored' | 'destroyed' | 'halted' | 'budget' | 'not-started';

/** How a run ended when the runner knows more than the run state (HLT with IF=0, budget, destroyed). */
export interface RunEnd {
  readonly kind: 'exit' | 'halted-cli' | 'halted' | 'budget' | 'destroyed' | 'stopped';
  readonly text?: string;
}

export interface Verdict {
  readonly kind: 'verdict';
  readonly outcome: Outcome;
  /** The deciding QMP event (QEMU's own answer: SHUTDOWN/RESET `guest` and `reason`). */
  readonly event?: { readonly event: string; readonly data?: { readonly guest: boolean; readonly reason: string }; readonly t: number };
  /** The same transition with the same cause, repeated (a reboot loop): how many and when the last was. */
  readonly repeats?: { readonly count: number; readonly firstT: number; readonly lastT: number };
  /** Who acted last (the link that made the transition) and who asked first (the chain's root). */
  readonly actor?: Requester;
  readonly root?: Requester;
  /** Root first. */
  readonly chain: readonly CauseLink[];
  /** Links after the deciding transition that only ended it (QMP quit of a shut-down VM). */
  readonly followUp: readonly CauseLink[];
  readonly runState: RunState;
  readonly exitStatus: number | null;
  readonly end?: RunEnd;
  /** The answer in one sentence (what every client prints). */
  readonly sentence: string;
}

export interface VerdictInput {
  readonly log: readonly MachineEvent[];
  readonly chain: CauseChain;
  readonly runState: RunState;
  readonly exitStatus: number | null;
  readonly end?: RunEnd;
}

const OUTCOME_OF: Partial<Record<string, Outcome>> = {
  SHUTDOWN: 'shutdown', RESET: 'reset', SUSPEND: 'suspended', WAKEUP: 'woken', STOP: 'paused', RESUME: 'resumed',
  POWERDOWN: 'button-ignored',
};

/** A RESET requested by the built-in firmware's hard reboot (its link carries `firmware`). */
function isFirmwareReboot(e: MachineEvent): boolean {
  return e.event === 'RESET' && e.cause?.evidence?.['firmware'] !== undefined;
}

/** Pick the deciding event (see the file comment). */
function decide(log: readonly MachineEvent[]): { at: number; followUp: MachineEvent[]; hibernate: boolean } {
  let at = -1;
  let off = false; // a SHUTDOWN happened and nothing has run since
  let hibernate = false;
  const followUp: MachineEvent[] = [];
  for (let i = 0; i < log.length; i++) {
    const e = log[i]!;
    switch (e.event) {
      case 'SHUTDOWN':
        if (off) { followUp.push(e); continue; }
        off = true;
        // acpi_pm1_cnt_write S4: SUSPEND_DISK then the shutdown, from the same write.
        hibernate = i > 0 && log[i - 1]!.event === 'SUSPEND_DISK' && log[i - 1]!.cause?.id === e.cause?.id;
        at = i;
        continue;
      case 'STOP':
        if (off) continue; // do_vm_stop of the paused shutdown
        at = i;
        continue;
      case 'RESUME':
        // Leaving prelaunch or a reset counts as running; leaving a pause is a transition of its own.
        if (at >= 0 && log[at]!.event === 'STOP') at = i;
        else if (at < 0) at = i;
        off = false;
        continue;
      case 'SUSPEND_DISK':
        continue; // decided by the SHUTDOWN that follows
      case 'RESET':
        // The firmware's hard reboot after a warm entry only completes the reset before it (seabios-post.ts).
        if (isFirmwareReboot(e) && at >= 0 && log[at]!.event === 'RESET') continue;
        off = false;
        hibernate = false;
        followUp.length = 0;
        at = i;
        continue;
      default:
        at = i;
    }
  }
  return { at, followUp, hibernate };
}

const WHO: Record<Requester, string> = {
  guest: 'the guest', agent: 'the modelled guest agent (host code, the guest kernel did not run)', host: 'the host', hypervisor: 'the machine',
};

/** `the guest: outw 0x0604 <== 0x2001 (S5) at 0008:00100123, insn 50,247 (#3)`. */
export function phrase(l: CauseLink): string {
  const ev = l.evidence ?? {};
  const at = typeof ev['cs'] === 'number' && typeof ev['eip'] === 'number'
    ? ` at ${ev['cs'].toString(16).padStart(4, '0')}:${ev['eip'].toString(16).padStart(8, '0')}` : '';
  const insn = at && typeof ev['insns'] === 'number' ? `, insn ${fmtCount(ev['insns'])}` : '';
  const qtest = ev['origin'] === 'qtest' ? ' (qtest, standing in for guest code)' : '';
  return `${WHO[l.requester]}${qtest}: ${l.what}${at}${insn} (#${l.id})`;
}

const HEAD: Record<Outcome, string> = {
  shutdown: 'shut down', reset: 'reset', suspended: 'suspended to RAM (S3)', hibernated: 'suspended to disk (S4) and shut down',
  woken: 'woken from S3', paused: 'paused', resumed: 'running again after a pause', running: 'running',
  'button-ignored': 'power button pressed; nothing followed', destroyed: 'destroyed from outside (no SHUTDOWN)',
  halted: 'halted', budget: 'instruction budget used up', 'not-started': 'not started',
};

export function verdictSentence(v: Omit<Verdict, 'sentence'>): string {
  const ev = v.event ? ` [${v.event.event}${v.event.data ? ` {guest: ${v.event.data.guest}, reason: ${v.event.data.reason}}` : ''}]` : '';
  const rep = v.repeats && v.repeats.count > 1 ? ` ×${fmtCount(v.repeats.count)}, last at ${fmtMs(v.repeats.lastT)}` : '';
  let who = '';
  if (v.chain.length) {
    // The actor first, then each link it answered, back to the root.
    who = ` by ${[...v.chain].reverse().map(phrase).join(', answering ')}`;
    if (v.chain.length === 1) who += ', answering none';
  } else if (v.outcome !== 'running' && v.outcome !== 'not-started' && v.outcome !== 'halted' && v.outcome !== 'budget') {
    who = ' (no request recorded)';
  }
  const end = v.end?.text ? `; ${v.end.text}` : '';
  const exit = v.exitStatus !== null ? `; exit ${v.exitStatus}` : `; run state ${v.runState}`;
  return `${HEAD[v.outcome]}${rep}${ev}${who}${end}${exit}`;
}

export function computeVerdict(i: VerdictInput): Verdict {
  const { at, followUp, hibernate } = decide(i.log);
  const e = at >= 0 ? i.log[at] : undefined;
  let outcome: Outcome = e ? (OUTCOME_OF[e.event] ?? 'running') : i.runState === 'prelaunch' ? 'not-started' : 'running';
  if (e?.event === 'SHUTDOWN' && hibernate) outcome = 'hibernated';
  if (e?.event === 'RESUME') outcome = at > 0 && i.log.slice(0, at).some((x) => x.event === 'STOP') ? 'resumed' : 'running';
  let chain = e?.cause ? i.chain.ancestry(e.cause) : [];
  // A destroy that came after the deciding event (or with none) ends it from outside.
  const destroy = i.chain.last((l) => l.mechanism === 'domctl-destroy');
  if (destroy && (!e || destroy.t >= e.t) && (!e?.cause || destroy.id > e.cause.id)) {
    outcome = 'destroyed';
    chain = i.chain.ancestry(destroy);
  } else if (i.end && (i.end.kind === 'halted-cli' || i.end.kind === 'halted') && (!e || e.event === 'RESUME' || e.event === 'RESET')) outcome = 'halted';
  else if (i.end?.kind === 'budget' && (!e || e.event === 'RESUME')) outcome = 'budget';
  // A reboot loop: count the same transition with the same kind of cause, back to back.
  let repeats: Verdict['repeats'];
  if (e && e.event === 'RESET') {
    const key = (x: MachineEvent) => `${x.event}|${x.data?.reason}|${x.cause?.requester}|${x.cause?.mechanism}|${x.cause?.what}`;
    const k = key(e);
    let n = 0;
    let firstT = e.t;
    for (let j = at; j >= 0; j--) {
      const x = i.log[j]!;
      if (x.event === 'RESUME' || isFirmwareReboot(x)) continue;
      if (key(x) !== k) break;
      n++;
      firstT = x.t;
    }
    if (n > 1) repeats = { count: n, firstT, lastT: e.t };
  }
  const fu = followUp.flatMap((x) => (x.cause ? [x.cause] : []));
  const base = {
    kind: 'verdict' as const, outcome,
    ...(e && !['destroyed', 'halted', 'budget', 'running'].includes(outcome) ? { event: { event: e.event, ...(e.data ? { data: e.data } : {}), t: e.t } } : {}),
    ...(repeats ? { repeats } : {}),
    ...(chain.length ? { actor: chain.at(-1)!.requester, root: chain[0]!.requester } : {}),
    chain, followUp: fu, runState: i.runState, exitStatus: i.exitStatus, ...(i.end ? { end: i.end } : {}),
  };
  return { ...base, sentence: verdictSentence(base) };
}

/** The verdict for a terminal: the sentence wrapped to `width`, then what only ended it. */
export function verdictLines(v: Verdict, width = 100): string[] {
  return [...wrapText(`verdict: ${v.sentence}`, width, '  '),
    ...v.followUp.map((l) => `  then #${l.id} ${l.requester} via ${l.mechanism}: ${l.what} (ended the shut-down VM)`)];
}
