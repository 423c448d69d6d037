/**
 * `--diagram FILE`: the run's swimlane diagram as a standalone SVG (src/diagram, the code the web page uses).
 * QEMU mode records the machine's trace while it runs; Xen mode draws from the host's trace history.
 */
import { writeFileSync } from 'node:fs';
import { buildSwimlane } from '../../diagram/build.js';
import { cpuGuestSite, pcGuestSite } from '../../diagram/pc-site.js';
import { DiagramRecorder } from '../../diagram/recorder.js';
import { renderSvg } from '../../diagram/svg.js';
import type { DiagramRecord, GuestSite } from '../../diagram/swimlane.js';
import type { Trace } from '../../trace/trace.js';
import { CpuGuest } from '../../xen-hvm/cpu-guest.js';
import type { XenGuest } from '../../xen-hvm/guest.js';
import type { XlConfig } from '../../xen-hvm/xl-config.js';
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

/**
 * Xen mode: the guest instruction behind each of the guest's port accesses, by trace seq. `wrap` the guest factory
 * (CPU guests are noted as they are made); the trace sink runs inside the guest's OUT, with the CPU still on it.
 */
export function xenGuestSites(trace: Trace): { wrap(f: (cfg: XlConfig) => XenGuest): (cfg: XlConfig) => XenGuest; sites: Map<number, GuestSite> } {
  const sites = new Map<number, GuestSite>();
  let site: (() => GuestSite | undefined) | null = null;
  trace.subscribe((rec) => {
    if (site && (rec.name === 'xen_ioreq_send' || rec.name === 'xen_hvm_intercept')) {
      const s = site();
      if (s) sites.set(rec.seq, s);
    }
  });
  return {
    sites,
    wrap: (f) => (cfg) => {
      const g = f(cfg);
      // The newest domain is the one running (a restart replaces the old one).
      if (g instanceof CpuGuest) site = cpuGuestSite(() => g.cpu, g.mem);
      return g;
    },
  };
}

/** The swimlane of a finished Xen run (`run --xen`, `xen scenario`): every domain's chain, the first domain's verdict. */
export function xenDiagramSvg(r: RunXenResult, title: string, sites?: ReadonlyMap<number, GuestSite>): string {
  const recs = [...r.libxl.records.values()];
  const first = recs.find((x) => x.domid === r.domid);
  const s = buildSwimlane({
    mode: 'xen', title,
    records: r.host.trace.history.map((x): DiagramRecord => {
      const site = sites?.get(x.seq);
      return site ? { ...x, site } : x;
    }),
    chains: recs.map((x) => ({ domid: x.domid, name: x.name, links: x.hd.chain.links })),
    ...(first ? { verdict: domainVerdict(first), verdictDomid: first.domid } : {}),
  });
  return renderSvg(s);
}

export function writeXenDiagram(r: RunXenResult, path: string, title: string, sites?: ReadonlyMap<number, GuestSite>): void {
  writeSvg(path, xenDiagramSvg(r, title, sites));
}
