/**
 * The read-only queries of `acpidm domain`, as virsh prints them (tools/virsh-domain-monitor.c: `list`,
 * `dominfo`, `domstate`), each also as JSON with `--json`. They read the VM through QMP and change nothing.
 */
import type { Verdict } from '../../machine/verdict.js';
import { domstateText, type DomainStatus, STATE_REASONS, STATE_WORDS } from '../../lifecycle/states.js';
import type { QmpConnection } from '../../qmp/connection.js';

/** What `dominfo` and `list` know of one VM. */
export interface DomainInfo {
  /** acpidm has no libvirt domain ids: the VM's position among the SOCKETs given (1 for a single one). */
  id: number;
  name: string;
  socket: string;
  state: DomainStatus['state'];
  reason: string;
  /** virsh's words: `running`, `shut off`... */
  stateText: string;
  /** `-uuid` (QMP query-uuid: all zeros when none was given, as QEMU answers). */
  uuid: string | null;
  /** `-m` in KiB (QMP query-memory-size-summary base-memory), or null when the VM does not say. */
  memoryKiB: number | null;
  cpus: number;
  /** Virtual time since the machine started (acpidm's clock, 1 ns per instruction at -icount shift=0). */
  cpuTimeNs: number;
  instructions: number;
}

/** The JSON of `domstate --json`. */
export const domstateJson = (s: DomainStatus): { state: string; reason: string; text: string } => ({ state: s.state, reason: s.reason, text: domstateText(s) });

/** Reads what dominfo shows; `status` is the lifecycle manager's view (the state and reason the VM keeps). */
export async function readDomainInfo(conn: QmpConnection, id: number, name: string, socket: string, status: DomainStatus): Promise<DomainInfo> {
  const cpus = await conn.execute<unknown[]>('query-cpus-fast');
  const clock = await conn.execute<{ ns: number; instructions: number }>('x-acpidm-query-clock');
  const uuid = await conn.execute<{ UUID: string }>('query-uuid').then((r) => r.UUID, () => null);
  const memoryKiB = await conn.execute<{ 'base-memory': number }>('query-memory-size-summary').then((r) => r['base-memory'] / 1024, () => null);
  return {
    id, name, socket, state: status.state, reason: status.reason, stateText: STATE_WORDS[status.state], uuid, memoryKiB,
    cpus: Array.isArray(cpus) ? cpus.length : 0, cpuTimeNs: clock.ns, instructions: clock.instructions,
  };
}

/** `virsh dominfo`: `Key:` padded to 16 columns, the fields acpidm can back with a value. */
export function dominfoLines(d: DomainInfo): string[] {
  const reason = STATE_REASONS[d.state].find(([n]) => n === d.reason)?.[1] ?? d.reason;
  const rows: [string, string][] = [
    ['Id', String(d.id)],
    ['Name', d.name],
    ...(d.uuid !== null ? [['UUID', d.uuid] as [string, string]] : []),
    ['OS Type', 'hvm'],
    ['State', d.stateText],
    ['State reason', reason],
    ['CPU(s)', String(d.cpus)],
    // virsh prints CPU time as %.1lfs; here it is virtual time (acpidm's guest clock), said so.
    ['CPU time', `${(d.cpuTimeNs / 1e9).toFixed(1)}s (virtual, ${d.instructions.toLocaleString('en-US')} instructions)`],
    // virsh: Max memory is the definition's, Used memory the balloon's; acpidm has no balloon, so both are -m.
    ...(d.memoryKiB !== null ? [['Max memory', `${d.memoryKiB} KiB`], ['Used memory', `${d.memoryKiB} KiB`]] as [string, string][] : []),
    ['Persistent', 'no'],
    ['Autostart', 'disable'],
    ['QMP socket', d.socket],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`);
}

/** One row of `list`: a VM that answered, or a socket nothing answers on (shown with --all as virsh shows an inactive domain). */
export type ListRow = { kind: 'vm'; info: DomainInfo } | { kind: 'absent'; socket: string; error: string };

/** `virsh list [--all]`: ` Id   Name   State` then a rule, columns as wide as their widest cell. */
export function listLines(rows: readonly ListRow[], all: boolean): string[] {
  const cells = rows.flatMap((r) => r.kind === 'vm' ? [[String(r.info.id), r.info.name, r.info.stateText]]
    : all ? [['-', r.socket, 'shut off']] : []);
  const head = ['Id', 'Name', 'State'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => ` ${c.map((x, i) => x.padEnd(w[i]!)).join('   ')}`.trimEnd();
  // the rule spans the row with a space either side of it, as vshTable draws it
  return [line(head), '-'.repeat(w.reduce((s, n) => s + n, 0) + 3 * (w.length - 1) + 2), ...cells.map(line)];
}

export function listJson(rows: readonly ListRow[], all: boolean): unknown[] {
  return rows.flatMap((r): unknown[] => r.kind === 'vm' ? [r.info]
    : all ? [{ id: null, name: null, socket: r.socket, state: 'shutoff', reason: 'unknown', stateText: 'shut off', error: r.error }] : []);
}

/** The JSON of `cause --json`: the VM's verdict and its last transition, as x-acpidm-query-cause gives them. */
export const causeJson = (r: { verdict?: Verdict; last?: { event: string; summary: string[] } }): unknown => ({ verdict: r.verdict ?? null, last: r.last ?? null });
