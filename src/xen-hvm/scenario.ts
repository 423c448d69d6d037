/**
 * Scenario files (scenarios/xen/*.json): an xl config, actions at virtual
 * times (seconds), and the expected events and log lines of every layer.
 * `runScenario` runs one; `checkScenario` lists every mismatch.
 */
import { kernelGuestFactory, runXenDomain, type RunXenResult, type XenAction } from './run-xen-domain.js';

export interface ScenarioSpec {
  name: string;
  description: string;
  /** Where the expected behaviour comes from (Xen/libxl function, reference section). */
  source: string;
  /** Why the guest is `scripted:KIND` instead of a kernel from firmware/guests (required when it is). */
  scripted?: string;
  config: string[];
  actions?: ({ at: number; xl: string[] } | { at: number; backend: 'map'; pages: number } | { at: number; backend: 'unmap' }
    | { at: number; xenstoreWrite: [string, string] })[];
  /** Virtual seconds to run at most. */
  limit?: number;
  /** Keep running to the limit even when every domain is gone. */
  runToLimit?: boolean;
  expect: ScenarioExpect;
}

export interface ScenarioExpect {
  /** libxl events: "DOMAIN_SHUTDOWN <domid> <reason>" / "DOMAIN_DEATH <domid>". */
  libxl?: string[];
  xlLog?: string[];
  qemuDmLog?: string[];
  xendLog?: string[];
  /** libxl's own error/debug lines. */
  libxlLog?: string[];
  /** Lines that must appear in the Xen console, in this order. */
  xenConsole?: string[];
  guestConsole?: string[];
  /** Every xl command, in order: argv, exit code, stderr. */
  commands?: { argv: string[]; code: number | null; err: string[]; out?: string[] }[];
  virqDomExc?: number;
  cause?: string;
  /** Domain names in `xl list` at the end, with their state column. */
  list?: string[];
  /** [layer, text] pairs that must appear in the timeline in this order. */
  sequence?: [string, string][];
}

export function parseScenario(json: string, file = 'scenario'): ScenarioSpec {
  let s: ScenarioSpec;
  try {
    s = JSON.parse(json) as ScenarioSpec;
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (typeof s.name !== 'string' || !Array.isArray(s.config) || typeof s.expect !== 'object') {
    throw new Error(`${file}: a scenario needs "name", "config" (lines) and "expect"`);
  }
  const scripted = s.config.some((l) => /^\s*kernel\s*=\s*["']scripted:/.test(l));
  if (scripted && (typeof s.scripted !== 'string' || !s.scripted.trim())) {
    throw new Error(`${file}: the guest is scripted: say why no kernel from firmware/guests can play it ("scripted": "...")`);
  }
  return s;
}

/**
 * Run one scenario. `loadKernel` reads kernel files named in the config (paths relative to the repository);
 * without it only `kernel = "scripted:KIND"` guests can run.
 */
export function runScenario(s: ScenarioSpec, loadKernel?: (path: string) => Uint8Array): RunXenResult {
  const actions: XenAction[] = (s.actions ?? []).map((a) => ({ ...a, at: a.at * 1e9 }) as XenAction);
  return runXenDomain({
    configText: s.config.join('\n') + '\n', actions, limitNs: (s.limit ?? 600) * 1e9, runToLimit: s.runToLimit ?? false,
    ...(loadKernel ? { guestFactory: kernelGuestFactory(loadKernel) } : {}),
  });
}

/** What the scenario observed, in the shape of `expect`. */
export function observe(r: RunXenResult): Required<Omit<ScenarioExpect, 'sequence' | 'xenConsole'>> {
  return {
    libxl: r.libxlEvents.map((e) => (e.type === 'DOMAIN_SHUTDOWN' ? `DOMAIN_SHUTDOWN ${e.domid} ${e.reason}` : `DOMAIN_DEATH ${e.domid}`)),
    xlLog: r.xlLog, qemuDmLog: r.qemuDmLog, xendLog: r.xendLog, libxlLog: [...r.libxl.log], guestConsole: r.guestConsole,
    commands: r.commands.map((c) => ({ argv: [...c.argv], code: c.code, err: [...c.err], ...(c.out.length ? { out: [...c.out] } : {}) })),
    virqDomExc: r.virqDomExc, cause: r.cause,
    list: r.list.slice(1).map((l) => `${l.slice(0, 40).trim()} ${l.slice(63, 69)}`),
  };
}

function inOrder<T>(hay: readonly T[], needles: readonly T[], eq: (a: T, b: T) => boolean): string | null {
  let i = 0;
  for (const n of needles) {
    while (i < hay.length && !eq(hay[i]!, n)) i++;
    if (i >= hay.length) return JSON.stringify(n);
    i++;
  }
  return null;
}

/** Every mismatch between the scenario's expectations and what happened (empty = pass). */
export function checkScenario(s: ScenarioSpec, r: RunXenResult): string[] {
  const got = observe(r);
  const bad: string[] = [];
  const e = s.expect;
  for (const k of ['libxl', 'xlLog', 'qemuDmLog', 'xendLog', 'libxlLog', 'guestConsole', 'commands', 'virqDomExc', 'cause', 'list'] as const) {
    if (e[k] === undefined) continue;
    if (JSON.stringify(e[k]) !== JSON.stringify(got[k])) bad.push(`${k}: expected ${JSON.stringify(e[k])}, got ${JSON.stringify(got[k])}`);
  }
  if (e.xenConsole) {
    const miss = inOrder(r.xenConsole, e.xenConsole, (a, b) => a === b);
    if (miss) bad.push(`xenConsole: ${miss} not found in order in ${JSON.stringify(r.xenConsole)}`);
  }
  if (e.sequence) {
    const miss = inOrder(r.timeline.map((t) => [t.layer, t.text] as [string, string]), e.sequence, (a, b) => a[0] === b[0] && a[1] === b[1]);
    if (miss) bad.push(`sequence: ${miss} not found in order`);
  }
  return bad;
}
