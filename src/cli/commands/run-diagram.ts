/**
 * `--diagram FILE`: the run's swimlane diagram as a standalone SVG (src/diagram, the code the web page uses).
 * QEMU mode records the machine's trace while it runs; Xen mode draws from the host's trace history.
 */
import { writeFileSync } from 'node:fs';
import { buildSwimlane } from '../../diagram/build.js';
import { pcGuestSite } from '../../diagram/pc-site.js';
import { DiagramRecorder } from '../../diagram/recorder.js';
import { renderSvg } from '../../diagram/svg.js';
import type { DiagramRecord } from '../../diagram/swimlane.js';
import type { PcSystem } from '../../machine/pc-system.js';
import { domainVerdict } from '../../xen-hvm/domain-verdict.js';
import type { RunXenResult } from '../../xen-hvm/run-xen-domain.js';
import { CliError } from '../cli-io.js';

function writeSvg(path: string, svg: string): void {
  try {
    writeFileSync(path, svg);
  } catch (e) {
    throw new CliError(`--diagram ${path}: cannot write: ${(e as Error).message}`, 1);
  }
}

/** Start recording a QEMU-mode run (before power-on, so the firmware's steps are in it); `write` at the end. */
export function recordQemuDiagram(sys: PcSystem, path: string, title: string): { write(): void } {
  const rec = new DiagramRecorder(sys.machine.trace, { site: pcGuestSite(sys) });
  return {
    write() {
      rec.stop();
      const rs = sys.machine.runState;
      const s = buildSwimlane({
        mode: 'qemu', title, records: rec.all(), chains: [{ links: rs.chain.links }], verdict: rs.verdict(), dropped: rec.dropped,
      });
      writeSvg(path, renderSvg(s));
    },
  };
}

/** The swimlane of a finished Xen run (`run --xen`, `xen scenario`): every domain's chain, the first domain's verdict. */
export function xenDiagramSvg(r: RunXenResult, title: string): string {
  const recs = [...r.libxl.records.values()];
  const first = recs.find((x) => x.domid === r.domid);
  const s = buildSwimlane({
    mode: 'xen', title, records: r.host.trace.history as readonly DiagramRecord[],
    chains: recs.map((x) => ({ domid: x.domid, name: x.name, links: x.hd.chain.links })),
    ...(first ? { verdict: domainVerdict(first), verdictDomid: first.domid } : {}),
  });
  return renderSvg(s);
}

export function writeXenDiagram(r: RunXenResult, path: string, title: string): void {
  writeSvg(path, xenDiagramSvg(r, title));
}
