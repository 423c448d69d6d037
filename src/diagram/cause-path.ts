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
  const before = (m: Message) => (seq !== undefined ? m.record.seq < seq : m.t <= l.t);
  if (mode === 'xen' && l.requester === 'host') {
    for (const m of msgs) if ((seq !== undefined ? m.record.seq > seq : m.t >= l.t) && fits(m) && arrow(m)) return m;
    return undefined;
  }
  let best: Message | undefined;
  for (const m of msgs) {
    if (!before(m)) break;
    if (!fits(m)) continue;
    if (arrow(m) || !best || !arrow(best)) best = m;
  }
  if (best && l.mechanism === 'hlt-all-cpus') return best;
  return best && (arrow(best) || l.requester === 'hypervisor') ? best : undefined;
}

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
