/**
 * `buildSwimlane`: trace records + cause chain(s) → the swimlane model (swimlane.ts). The one place that
 * decides what the page and `--diagram FILE` draw.
 */
import type { CauseLink } from '../machine/cause-chain.js';
import { effects, messageOfLink } from './cause-path.js';
import { foldCycles } from './fold-cycles.js';
import { classifyQemu, QEMU_LANES, type Classified } from './qemu-lanes.js';
import type { DiagramMode, DiagramRecord, Message, Swimlane, VerdictLike } from './swimlane.js';
import { classifyXen, domidOf, XEN_LANES } from './xen-lanes.js';

export interface SwimlaneInput {
  readonly mode: DiagramMode;
  readonly title: string;
  /** Trace records in trace order (QEMU mode: a DiagramRecorder's `all()`; Xen mode: the host trace's history). */
  readonly records: readonly DiagramRecord[];
  /** The cause chain(s): one in QEMU mode, one per domain in Xen mode. */
  readonly chains: readonly { readonly domid?: number; readonly name?: string; readonly links: readonly CauseLink[] }[];
  /** The deciding chain (root first) and its follow-ups, with the verdict sentence. */
  readonly verdict?: VerdictLike;
  /** Xen mode: the domain the verdict is about. */
  readonly verdictDomid?: number;
  readonly dropped?: number;
}

export function buildSwimlane(input: SwimlaneInput): Swimlane {
  const { mode } = input;
  const messages: Message[] = [];
  let prev: DiagramRecord | undefined;
  for (const r of input.records) {
    const c: Classified | null = mode === 'qemu' ? classifyQemu(r, prev) : classifyXen(r);
    prev = r;
    if (!c) continue;
    const domid = mode === 'xen' ? domidOf(r) : undefined;
    messages.push({ i: messages.length, t: r.t, ...c, record: r, links: [], path: false, ...(domid !== undefined ? { domid } : {}) });
  }
  const used = new Set(messages.flatMap((m) => [m.from, m.to]));
  const lanes = (mode === 'qemu' ? QEMU_LANES : XEN_LANES).filter((l) => used.has(l.id));

  // Xen mode: the host notes each link as it is recorded (`[NAME] #ID ...`): that is its place in the trace.
  const noted = new Map<string, number>();
  for (const r of input.records) {
    if (r.name !== 'xen_host_note' || r.args['layer'] !== 'cause') continue;
    const m = /^\[(.*?)\] #(\d+) /.exec(String(r.args['text']));
    if (m && !noted.has(`${m[1]}#${m[2]}`)) noted.set(`${m[1]}#${m[2]}`, r.seq);
  }
  const seqOf = (name: string | undefined, l: CauseLink) => (name === undefined ? undefined : noted.get(`${name}#${l.id}`));
  const carrier = new Map<CauseLink, Message | undefined>();
  const chain: CauseLink[] = [];
  for (const c of input.chains) {
    for (const l of c.links) {
      chain.push(l);
      const m = messageOfLink(mode, messages, l, c.domid, seqOf(c.name, l));
      carrier.set(l, m);
      m?.links.push(l.id);
    }
  }

  const path: CauseLink[] = [];
  const v = input.verdict;
  if (v) {
    const mark = (m: Message | undefined): void => {
      if (m) m.path = true;
    };
    const carriers = v.chain.map((l) => carrier.get(l) ?? messageOfLink(mode, messages, l, input.verdictDomid));
    carriers.forEach(mark);
    // QEMU: a host request starts at the client's QMP command (`system_powerdown`), just before the run state's record of it.
    for (const c of [...carriers, ...v.followUp.map((l) => carrier.get(l))]) {
      if (mode !== 'qemu' || !c || c.from !== 'qmp') continue;
      const cmd = messages.slice(0, c.i).reverse().find((x) => x.kind === 'qmp-command');
      if (cmd && cmd.t === c.t) mark(cmd);
    }
    // Xen: the guest's ioreq goes on through the ring to qemu-dm (cpu_handle_ioreq) before qemu-dm acts.
    for (const c of carriers) if (c?.kind === 'ioreq' && c.from === 'guest') mark(messages.find((x) => x.i > c.i && x.from === 'ring' && x.to === 'qemu-dm'));
    const decisive = carriers.at(-1);
    if (decisive) effects(mode, messages, decisive).forEach(mark);
    for (const l of v.followUp) {
      const m = carrier.get(l) ?? messageOfLink(mode, messages, l, input.verdictDomid);
      mark(m);
      if (m && mode === 'xen') {
        // xl's destroy ends in domain_destroy and libxl's DOMAIN_DEATH.
        mark(messages.find((x) => x.i > m.i && x.label.startsWith('domain_destroy')));
        mark(messages.find((x) => x.i > m.i && x.from === 'xl' && x.label.startsWith('DOMAIN_DEATH')));
      }
    }
    path.push(...v.chain, ...v.followUp);
  }

  const isEnd = mode === 'qemu'
    ? (m: Message) => m.kind === 'qmp-event' && m.label.startsWith('RESET')
    : (m: Message) => m.from === 'xl' && m.label.startsWith('DOMAIN_DEATH');
  return {
    mode, title: input.title, lanes, messages, folds: foldCycles(messages, isEnd), path, chain,
    verdict: v?.sentence ?? '', dropped: input.dropped ?? 0,
  };
}
