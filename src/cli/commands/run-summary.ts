/**
 * The end of `acpidm run` in QEMU mode: the events, the cause chain and the
 * verdict, readable at any length (repeats folded, lines cut to a budget), and
 * the same verdict as the last `--json` record or the one line of `--quiet`.
 */
import type { PcMachine } from '../../machine/pc-machine.js';
import { fitLines, listLines, summarizeEvents, summarizeLinks } from '../../machine/cause-summary.js';
import { computeVerdict, type RunEnd, type Verdict, verdictLines } from '../../machine/verdict.js';
import type { CliIo } from '../cli-io.js';

/** Width of every summary line (a terminal's), and how many lines each list may take. */
export const SUMMARY_WIDTH = 100;
const EVENT_LINES = 6;
const CHAIN_LINES = 16;

export function runVerdict(m: PcMachine, end: RunEnd, status: number): Verdict {
  const rs = m.runState;
  return computeVerdict({ log: rs.log, chain: rs.chain, runState: rs.state, exitStatus: status, end });
}

/** `--json`: the verdict record, with every link and request (the full list the terminal summary folds). */
export function verdictRecord(m: PcMachine, v: Verdict): string {
  const rs = m.runState;
  return JSON.stringify({
    ...v, reason: v.end?.text ?? v.outcome, instructions: m.clock.instructions, ns: m.clock.ns(),
    links: rs.chain.links, requests: rs.chain.requests,
  });
}

export function printSummary(m: PcMachine, v: Verdict, io: CliIo, mode: { json: boolean; quiet: boolean }): void {
  if (mode.json) {
    io.stdout(verdictRecord(m, v) + '\n');
    return;
  }
  if (mode.quiet) {
    // On stderr: standard output may be the guest's own console (-serial stdio, -nographic, -debugcon stdio).
    io.stderr(`verdict: ${v.sentence}\n`);
    return;
  }
  const rs = m.runState;
  const ev = summarizeEvents(rs.log.filter((e) => e.event !== 'RESUME'));
  const more = 'all of them: --json, or x-acpidm-query-cause with from/limit';
  const evLines = ev.length ? fitLines(ev, { width: SUMMARY_WIDTH, maxLines: EVENT_LINES, indent: '  ', more }) : ['  (none)'];
  io.stdout(`\nevents:\n${evLines.join('\n')}\n`);
  io.stdout(`instructions: ${m.clock.instructions}, virtual time ${(m.clock.ns() / 1e6).toFixed(3)} ms\n`);
  const links = summarizeLinks(rs.chain.links);
  const chain = links.length
    ? listLines(links, { width: SUMMARY_WIDTH, maxLines: CHAIN_LINES, indent: '  ', more })
    : ['  (no request was made)'];
  io.stdout(`who did it:\n${chain.join('\n')}\n`);
  if (rs.chain.requests.length) io.stdout(`  (${rs.chain.requests.length} request(s) changed nothing: not links; listed in --json)\n`);
  io.stdout(verdictLines(v, SUMMARY_WIDTH).join('\n') + '\n');
}
