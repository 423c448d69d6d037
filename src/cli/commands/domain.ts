/**
 * `acpidm domain SOCKET OPERATION [options]`: a virsh-like client of a running acpidm,
 * speaking QMP through the lifecycle manager (src/lifecycle), so a person can press the
 * power button on a guest from another terminal and watch what happens.
 *
 *   domstate [--reason]                 shutdown [--mode acpi|agent] [--timeout S]
 *   reboot [--mode acpi|agent]          destroy | reset | suspend | resume
 *   dompmsuspend [mem|disk]             dompmwakeup
 *   event [--loop]                      cause
 *   dominfo                             list [--all] (also `acpidm domain list SOCKET...`)
 * `--json` gives the queries (domstate, dominfo, list, cause, event) as JSON (domain-queries.ts).
 */
import type { CliCommand } from '../main.js';
import { CliError, type CliIo } from '../cli-io.js';
import { DomainError, DomainManager } from '../../lifecycle/manager.js';
import { describeRecord } from '../../lifecycle/records.js';
import { wrapText } from '../../machine/cause-summary.js';
import { type Verdict, verdictLines } from '../../machine/verdict.js';
import { domstateText, type ShutdownMode, STATE_WORDS } from '../../lifecycle/states.js';
import { polledTimers } from '../../lifecycle/timers.js';
import { connectQmp } from '../../qmp/client-node.js';
import { QmpError } from '../../qmp/errors.js';
import { parseQmpAddress } from '../../qmp/spec.js';
import { causeJson, dominfoLines, domstateJson, listJson, listLines, type ListRow, readDomainInfo } from './domain-queries.js';

const USAGE = `usage: acpidm domain SOCKET OPERATION [options]
       acpidm domain list [--all] [--json] SOCKET...
  SOCKET: unix socket path, unix:PATH or tcp:127.0.0.1:PORT (the VM's -qmp)
  domstate [--reason]             state (and reason), as virsh domstate
  dominfo                         name, state and reason, CPUs, (virtual) CPU time, as virsh dominfo
  list [--all]                    one row per SOCKET (Id = its position), as virsh list; --all: also the
                                  sockets nothing answers on, as "shut off"
  --json                          domstate, dominfo, list and cause as one JSON document; event as JSON lines
  shutdown [--mode acpi|agent]    press the power button (acpi, default) or ask the guest agent
           [--timeout SECONDS]    ... then destroy if not shut off after SECONDS of virtual time
  reboot [--mode acpi|agent]      acpi: power button + fake reboot (waits for the guest; sets -no-shutdown)
  destroy | reset | suspend | resume
  dompmsuspend [mem|disk]         suspend through the guest agent
  dompmwakeup                     system_wakeup
  event [--loop]                  print lifecycle events (virsh wording); --loop until the VM exits
  cause                           the recorded cause chain of the last transition
`;

const OPS = ['domstate', 'shutdown', 'reboot', 'destroy', 'reset', 'suspend', 'resume', 'dompmsuspend', 'dompmwakeup', 'event', 'cause', 'dominfo', 'list'] as const;
/** The operations that only read, and so take --json. */
const QUERIES: readonly Op[] = ['domstate', 'dominfo', 'list', 'cause', 'event'];
type Op = (typeof OPS)[number];

export interface DomainArgs {
  socket: string;
  op: Op;
  mode: ShutdownMode;
  timeoutS?: number;
  reason: boolean;
  loop: boolean;
  target: 'mem' | 'disk';
  json: boolean;
  /** list: show sockets nothing answers on. */
  all: boolean;
  /** list: every SOCKET given (the others: [socket]). */
  sockets: string[];
}

export function parseDomainArgs(args: string[]): DomainArgs {
  const pos: string[] = [];
  const out: Partial<DomainArgs> & { reason: boolean; loop: boolean; mode: ShutdownMode; target: 'mem' | 'disk'; json: boolean; all: boolean } = {
    reason: false, loop: false, mode: 'acpi', target: 'mem', json: false, all: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CliError(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') throw new CliError(USAGE, 0);
    else if (a === '--reason') out.reason = true;
    else if (a === '--loop') out.loop = true;
    else if (a === '--json') out.json = true;
    else if (a === '--all') out.all = true;
    else if (a === '--mode') {
      const m = value();
      if (m !== 'acpi' && m !== 'agent') throw new CliError(`--mode must be acpi or agent (acpidm's QEMU driver accepts only these, like libvirt's), got '${m}'`);
      out.mode = m;
    } else if (a === '--timeout') {
      const t = Number(value());
      if (!(t >= 0) || !Number.isFinite(t)) throw new CliError(`--timeout must be a number of seconds >= 0, got '${args[i]}'`);
      out.timeoutS = t;
    } else if (a.startsWith('--')) throw new CliError(`unknown option '${a}'\n${USAGE}`);
    else pos.push(a);
  }
  // `list` names any number of VMs: `domain list S1 S2` or `domain S1 list S2`.
  if (pos[0] === 'list' || pos[1] === 'list') {
    const sockets = pos.filter((p, i) => !(p === 'list' && i === pos.indexOf('list')));
    if (sockets.length === 0) throw new CliError(`list needs at least one SOCKET\n${USAGE}`);
    if (out.reason || out.loop || out.timeoutS !== undefined) throw new CliError('list takes only --all and --json');
    return { ...out, socket: sockets[0]!, op: 'list', sockets };
  }
  if (out.all) throw new CliError('--all only applies to list');
  const [socket, op, target, ...extra] = pos;
  if (!socket || !op) throw new CliError(`missing ${socket ? 'OPERATION' : 'SOCKET and OPERATION'}\n${USAGE}`);
  if (!(OPS as readonly string[]).includes(op)) throw new CliError(`unknown operation '${op}' (one of: ${OPS.join(', ')})`);
  if (target !== undefined) {
    if (op !== 'dompmsuspend') throw new CliError(`unexpected argument '${target}'`);
    if (target !== 'mem' && target !== 'disk') throw new CliError(`dompmsuspend target must be mem or disk, got '${target}'`);
    out.target = target;
  }
  if (extra.length) throw new CliError(`unexpected argument '${extra[0]}'`);
  if (out.timeoutS !== undefined && op !== 'shutdown') throw new CliError('--timeout only applies to shutdown');
  if (out.json && !QUERIES.includes(op as Op)) throw new CliError(`--json applies to the queries (${QUERIES.join(', ')}), not to ${op}`);
  return { ...out, socket, op: op as Op, sockets: [socket] };
}

function checkAddress(socket: string): void {
  try {
    parseQmpAddress(socket); // bad addresses (not loopback, no port) are bad input: exit 2
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Connects to the VM at `socket` and attaches a lifecycle manager (which reads its state; it changes nothing). */
async function openDomain(socket: string) {
  const conn = await connectQmp(socket).catch((e: Error) => {
    throw new CliError(e.message, 1);
  });
  const name = ((await conn.execute<{ name?: string }>('query-name').catch(() => ({}))) as { name?: string }).name ?? socket;
  const dom = new DomainManager(conn, { name, timers: polledTimers(conn) });
  return { conn, name, dom, status: await dom.attach() };
}

/** `list`: every VM in turn; one nothing answers on is left out (a note on stderr) or, with --all, shown as shut off. */
async function list(a: DomainArgs, io: CliIo): Promise<number> {
  for (const s of a.sockets) checkAddress(s);
  const rows: ListRow[] = [];
  for (const [i, socket] of a.sockets.entries()) {
    let d: Awaited<ReturnType<typeof openDomain>>;
    try {
      d = await openDomain(socket);
    } catch (e) {
      rows.push({ kind: 'absent', socket, error: (e as Error).message });
      if (!a.all) io.stderr(`acpidm domain: ${socket}: not listed: ${(e as Error).message} (--all lists it as shut off)\n`);
      continue;
    }
    try {
      rows.push({ kind: 'vm', info: await readDomainInfo(d.conn, i + 1, d.name, socket, d.status) });
    } finally {
      d.dom.detach();
    }
  }
  io.stdout(a.json ? JSON.stringify(listJson(rows, a.all)) + '\n' : listLines(rows, a.all).join('\n') + '\n');
  return 0;
}

export const command: CliCommand = {
  async run(args: string[], io: CliIo): Promise<number> {
    const a = parseDomainArgs(args);
    if (a.op === 'list') return list(a, io);
    checkAddress(a.socket);
    const { conn, name, dom, status } = await openDomain(a.socket);
    const closed = new Promise<void>((r) => conn.onClose(r));
    dom.onEvent.on(({ event, line }) => io.stdout((a.json ? JSON.stringify({ domain: name, ...event }) : line) + '\n'));
    const recordsBefore = dom.records.length;
    const waitUntil = async (done: () => boolean): Promise<void> => {
      while (!done() && !conn.closed) await Promise.race([closed, new Promise((r) => setTimeout(r, 20))]);
      await dom.settle();
    };
    try {
      switch (a.op) {
        case 'domstate':
          io.stdout((a.json ? JSON.stringify(domstateJson(status)) : a.reason ? domstateText(status) : STATE_WORDS[status.state]) + '\n');
          break;
        case 'dominfo': {
          const info = await readDomainInfo(conn, 1, name, a.socket, status);
          io.stdout(a.json ? JSON.stringify(info) + '\n' : dominfoLines(info).join('\n') + '\n');
          break;
        }
        case 'shutdown':
          if (a.timeoutS === undefined) {
            await dom.shutdown(a.mode);
            io.stdout(`Domain '${name}' is being shutdown\n`);
          } else {
            await dom.shutdownWithGrace(a.mode, a.timeoutS * 1e9);
            io.stdout(`Domain '${name}' is being shutdown (destroyed if still running after ${a.timeoutS} s of virtual time)\n`);
            await waitUntil(() => dom.status.state === 'shutoff');
          }
          break;
        case 'reboot':
          if (a.mode === 'acpi') await conn.execute('set-action', { shutdown: 'pause' }); // libvirt always runs -no-shutdown
          await dom.reboot(a.mode);
          io.stdout(`Domain '${name}' is being rebooted\n`);
          // The fake reboot needs this manager when the guest's SHUTDOWN arrives: wait for the intent's outcome.
          if (a.mode === 'acpi') await waitUntil(() => dom.intent === null);
          break;
        case 'destroy':
          await dom.destroy();
          io.stdout(`Domain '${name}' destroyed\n`);
          break;
        case 'reset':
          await dom.reset();
          io.stdout(`Domain '${name}' was reset\n`);
          break;
        case 'suspend':
          await dom.suspend();
          io.stdout(`Domain '${name}' suspended\n`);
          break;
        case 'resume':
          await dom.resume();
          io.stdout(`Domain '${name}' resumed\n`);
          break;
        case 'dompmsuspend':
          await dom.pmSuspend(a.target);
          io.stdout(`Domain '${name}' successfully suspended\n`);
          break;
        case 'dompmwakeup':
          await dom.pmWakeup();
          io.stdout(`Domain '${name}' successfully woken up\n`);
          break;
        case 'event': {
          const n = dom.lines.length;
          await waitUntil(() => !a.loop && dom.lines.length > n);
          break;
        }
        case 'cause': {
          // The VM's own verdict, rendered by the same function `acpidm run` uses; then the last transition's chain.
          const r = await conn.execute<{ verdict?: Verdict; last?: { event: string; summary: string[] } }>('x-acpidm-query-cause');
          if (a.json) {
            io.stdout(JSON.stringify(causeJson(r)) + '\n');
            break;
          }
          if (r.verdict) io.stdout(verdictLines(r.verdict).join('\n') + '\n');
          if (!r.last) io.stdout('no transition recorded yet\n');
          else io.stdout(`${r.last.event}:\n${r.last.summary.map((s) => `  ${s}`).join('\n')}\n`);
          break;
        }
      }
      await dom.settle();
      for (const d of dom.decisions) io.stderr(`acpidm domain: ${d.text}\n`);
      const last = dom.records.at(-1);
      if (!a.json && a.op !== 'domstate' && a.op !== 'cause' && a.op !== 'dominfo') {
        // This client's own record, or (it leaves before the VM ends) the VM's verdict as it last read it.
        const text = dom.records.length > recordsBefore && last ? describeRecord(last)
          : dom.lastVerdict ? `${dom.status.state} (${dom.status.reason}) ← ${dom.lastVerdict}` : null;
        if (text) io.stdout(wrapText(`cause: ${text}`).join('\n') + '\n');
      }
      return 0;
    } catch (e) {
      if (e instanceof QmpError || e instanceof DomainError) throw new CliError(`error: ${(e as Error).message}`, 1);
      throw e;
    } finally {
      dom.detach();
    }
  },
};
