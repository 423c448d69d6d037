/**
 * Puts the cause chain on the diagram: each link goes on the message that carried it (the guest's OUT, the
 * host's command, qemu-dm's hypercall, xl's destroy), and the deciding chain plus what it set off (the QMP
 * event; in Xen mode VIRQ_DOM_EXC, @releaseDomain, libxl's event) is the highlighted path. Links are matched
 * by who sent the message and when: a link is recorded at the access it describes (src/machine/cause-chain.ts).
 */
import type { CauseLink, Requester } from '../machine/cause-chain.js';
import type { DiagramMode, Message } from './swimlane.js';

/** The lanes a requester's messages leave from. */
function senders(mode: DiagramMode, l: CauseLink): string[] {
  const by: Record<Requester, string[]> = mode === 'qemu'
    ? { guest: ['guest'], agent: ['guest'], host: ['qmp', 'lifecycle'], hypervisor: ['pm', 'runstate'] }
    : { guest: ['guest'], agent: ['guest'], host: ['xl'], hypervisor: l.mechanism === 'dmop-remote-shutdown' || l.mechanism === 'schedop-remote-shutdown' ? ['qemu-dm'] : ['xen', 'qemu-dm'] };
  return by[l.requester];
}

const arrow = (m: Message): boolean => m.from !== m.to;

/**
 * The message carrying `l`: the last message its requester sent before the link was recorded, preferring an
 * arrow; for the host in Xen mode (xl's destroy, its xenstore control write) the first one after it, since
 * libxl records the link before it calls the hypervisor. `seq` is where the link was recorded in the trace
 * (Xen mode: the host notes each link); without it, the link's virtual time decides.
 */
export function messageOfLink(mode: DiagramMode, msgs: readonly Message[], l: CauseLink, domid?: number, seq?: number): Message | undefined {
  const from = senders(mode, l);
  const fits = (m: Message) => from.includes(m.from) && (domid === undefined || m.domid === undefined || m.domid === domid);
  // Messages are in trace order (seq and time both ascending): binary search for the link's place, then walk from it.
  const key = (m: Message) => (seq !== undefined ? m.record.seq : m.t);
  const at = seq !== undefined ? seq : l.t;
  const firstAfter = (strict: boolean): number => {
    let lo = 0;
    let hi = msgs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (strict ? key(msgs[mid]!) > at : key(msgs[mid]!) >= at) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  if (mode === 'xen' && l.requester === 'host') {
    // after the link: seq strictly after its note; by time, at or after it
    for (let i = firstAfter(seq !== undefined), n = 0; i < msgs.length && n < WALK; i++, n++) if (fits(msgs[i]!) && arrow(msgs[i]!)) return msgs[i];
    return undefined;
  }
  // before the link: seq strictly before its note; by time, at or before it. The last arrow it sent, else its last note.
  let note: Message | undefined;
  for (let i = firstAfter(seq === undefined) - 1, n = 0; i >= 0 && n < WALK; i--, n++) {
    const m = msgs[i]!;
    if (!fits(m)) continue;
    if (arrow(m)) return m;
    note ??= m;
  }
  return note && (l.mechanism === 'hlt-all-cpus' || l.requester === 'hypervisor') ? note : undefined;
}

/** How far from a link's place the search for its message goes. */
const WALK = 5000;

/** The first message at or after `from` (index) that `pred` accepts. */
function firstFrom(msgs: readonly Message[], from: number, pred: (m: Message) => boolean): Message | undefined {
  for (let i = from; i < msgs.length; i++) if (pred(msgs[i]!)) return msgs[i];
  return undefined;
}

/** What the decision set off, up to the management layer: QEMU's event; Xen's VIRQ → @releaseDomain → libxl event. */
export function effects(mode: DiagramMode, msgs: readonly Message[], after: Message): Message[] {
  if (mode === 'qemu') {
    const e = firstFrom(msgs, after.i + 1, (m) => m.kind === 'qmp-event');
    const req = firstFrom(msgs, after.i + 1, (m) => m.kind === 'request' && m.to === 'runstate');
    return [req, e].filter((m): m is Message => !!m && (!e || m.i <= e.i));
  }
  const out: Message[] = [];
  let at = after.i + 1;
  for (const pred of [(m: Message) => m.kind === 'virq', (m: Message) => m.kind === 'watch' && m.to === 'xl', (m: Message) => m.from === 'xl' && m.kind === 'note' && /^DOMAIN_/.test(m.label)]) {
    const m = firstFrom(msgs, at, pred);
    if (!m) break;
    out.push(m);
    at = m.i + 1;
  }
  return out;
}
