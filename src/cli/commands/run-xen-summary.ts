/**
 * The end of `acpidm run --xen`: libxl's events and every domain's cause chain, folded (a restart loop of 300
 * domains is one line) and cut to 100 columns, then one verdict in the words QEMU mode uses
 * (src/machine/chain-verdict.ts). `--json` gives the timeline as JSON lines and a last verdict record with every
 * domain; `--quiet` gives the verdict line on stderr. The timeline says when it dropped lines, and how many.
 */
import type { CauseLink } from '../../machine/cause-chain.js';
import { chainShapeKey, type ChainVerdict } from '../../machine/chain-verdict.js';
import { fitLines, fmtCount, foldRepeats, listLines, wrapText } from '../../machine/cause-summary.js';
import type { LibxlEvent } from '../../xen-hvm/libxl.js';
import type { RunXenResult } from '../../xen-hvm/run-xen-domain.js';
import { classifyTeardown } from '../../xen-hvm/teardown-cause.js';
import { domainVerdict, xlAnswer } from '../../xen-hvm/domain-verdict.js';

export { xlAnswer };
import type { CliIo } from '../cli-io.js';

const WIDTH = 100;
/** Xen public/sched.h SHUTDOWN_* codes. */
const fmtS = (ns: number): string => `${(ns / 1e9).toFixed(6)} s`;

interface DomainView { domid: number; name: string; outcome: string; xl: string; chain: readonly CauseLink[]; events: readonly LibxlEvent[] }

function domains(r: RunXenResult): DomainView[] {
  return [...r.libxl.records.values()].map((rec) => ({
    domid: rec.domid, name: rec.name, outcome: classifyTeardown(rec.hd.chain), xl: xlAnswer(rec.events), chain: rec.hd.chain.links, events: rec.events,
  }));
}

/** The run's verdict: the last domain's chain in QEMU mode's words, and how the run ended. */
export function xenVerdict(r: RunXenResult, limitNs: number): ChainVerdict & { domains: number; endNs: number; limitHit: boolean } {
  const ds = domains(r);
  const last = ds.at(-1)!;
  const limitHit = r.endNs >= limitNs;
  const tail = [
    ds.length > 1 ? `${fmtCount(ds.length)} domains in all (d${ds[0]!.domid}..d${last.domid})` : '',
    limitHit ? `the virtual time limit of ${limitNs / 1e9} s ended the run${r.xl.pendingRestarts ? ' with xl about to restart the domain' : ''}` : '',
  ].filter(Boolean).join('; ');
  const v = domainVerdict([...r.libxl.records.values()].at(-1)!, tail || undefined);
  return { ...v, domains: ds.length, endNs: r.endNs, limitHit };
}

export function printXenSummary(r: RunXenResult, io: CliIo, mode: { json: boolean; quiet: boolean }, limitNs: number, exitStatus: number): void {
  const v = xenVerdict(r, limitNs);
  const dropped = r.host.timelineDropped;
  if (mode.json) {
    io.stdout(JSON.stringify({
      ...v, exitStatus, reason: v.outcome, timelineDropped: dropped,
      domainRecords: domains(r).map((d) => ({ domid: d.domid, name: d.name, outcome: d.outcome, xl: d.xl, libxl: d.events, chain: d.chain })),
    }) + '\n');
    return;
  }
  if (mode.quiet) {
    io.stderr(`verdict: ${v.sentence}\n`);
    return;
  }
  if (dropped) io.stdout(`(the timeline above lost its ${fmtCount(dropped)} oldest lines: the host keeps the last ${fmtCount(r.host.timelineLimit)})\n`);
  const evKey = (e: LibxlEvent) => (e.type === 'DOMAIN_SHUTDOWN' ? `DOMAIN_SHUTDOWN reason ${(e as { reason?: number }).reason}` : e.type);
  const evs = foldRepeats(r.libxlEvents, evKey, 4).map((run) => {
    const body = run.items.map(evKey).join(', ');
    const who = run.count === 1 ? ` d${run.first.domid}` : ` d${run.first.domid}..d${run.last.domid}`;
    return run.count === 1 ? `${body}${who}` : `(${body})${who} ×${fmtCount(run.count)}, last at ${fmtS(run.last.t)}`;
  });
  const more = 'all of them: --json';
  io.stdout(`\nlibxl events:\n${(evs.length ? fitLines(evs, { width: WIDTH, maxLines: 6, indent: '  ', more }) : ['  (none)']).join('\n')}\n`);
  io.stdout(`VIRQ_DOM_EXC sent ${r.virqDomExc} times for d${r.domid}; xl list at the end:\n${r.list.map((l) => `  ${l}`).join('\n')}\n`);
  // Every domain, the same cause with the same chain folded: `d1..d300 ×300 guest-reboot [...]: chain`.
  const ds = domains(r);
  const runs = foldRepeats(ds, (d) => `${d.outcome}|${d.xl}|${chainShapeKey(d.chain)}`, 1, 2).flatMap((run) => {
    const d = run.last;
    const ids = run.count === 1 ? `d${d.domid}` : `d${run.first.domid}..d${d.domid} ×${fmtCount(run.count)} (the chain of d${d.domid})`;
    return [`${ids}: ${d.outcome} [xl: ${d.xl}]`,
      ...d.chain.map((l) => `  #${l.id} ${l.requester} via ${l.mechanism}: ${l.what}${l.answers !== undefined ? ` (answers #${l.answers})` : ' (answers none)'}`)];
  });
  io.stdout(`who did it, per domain:\n${listLines(runs, { width: WIDTH, maxLines: 24, indent: '  ', more }).join('\n')}\n`);
  io.stdout(wrapText(`verdict: ${v.sentence}`, WIDTH, '  ').join('\n') + '\n');
}
