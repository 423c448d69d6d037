/**
 * The QMP command table: name, argument schema, handler. Handlers only make
 * requests on the run state (as QEMU's qmp_* functions do); the monitor runs
 * the main-loop pass right after, so the events a command raises go out
 * before its reply (observed on QEMU 7.2, qemu-pm.md §11.1).
 */
import type { CauseLink } from '../machine/cause-chain.js';
import { WakeupError } from '../machine/run-state.js';
import type { ArgSpec } from './args.js';
import { genericError, QmpError } from './errors.js';
import type { JsonValue } from './json-stream.js';
import { runHmp } from './hmp.js';
import { versionInfo } from './version.js';
import { INTROSPECT_COMMANDS } from './commands-introspect.js';
import { qmpSchema } from './qmp-schema.js';
import type { QmpVm } from './vm.js';

export type Args = { readonly [k: string]: JsonValue };

/** What a handler may touch. */
export interface CommandContext {
  readonly vm: QmpVm;
  /** A host cause link for this command (requester host, mechanism, the QMP id as evidence). */
  hostLink(mechanism: CauseLink['mechanism'], what: string): Omit<CauseLink, 'id' | 't'>;
  /** Record a link in the machine's chain (for requests the run state does not link itself). */
  record(link: Omit<CauseLink, 'id' | 't'>): CauseLink;
  /** Log a request that changed nothing (not a link: cause-chain.ts). */
  logRequest(link: Omit<CauseLink, 'id' | 't'>, outcome: string): void;
  /** The libvirt-style domain state the VM side keeps across clients (`x-acpidm-domain-state`). */
  domainState(args: Args): JsonValue;
  negotiate(args: Args): void;
  commandNames(): string[];
  queryTrace(args: Args): JsonValue;
  queryCause(args: Args): JsonValue;
  destroy(): void;
}

export interface QmpCommand {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  run(ctx: CommandContext, args: Args): JsonValue;
}

const EMPTY = {};

/** Run-state methods throw WakeupError (named GenericError) with QEMU's text. */
function generic<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WakeupError) throw genericError(e.message);
    throw e;
  }
}

export const COMMANDS: readonly QmpCommand[] = [
  {
    name: 'qmp_capabilities',
    args: [{ name: 'enable', type: 'list', optional: true }],
    run: (ctx, a) => (ctx.negotiate(a), EMPTY),
  },
  {
    name: 'query-status',
    args: [],
    // qmp_query_status: running = runstate_is_running(); upstream has no `singlestep` (qemu-pm.md §4.3).
    run: (ctx) => ({ running: ctx.vm.runState.isRunning(), status: ctx.vm.runState.state }),
  },
  { name: 'query-version', args: [], run: () => versionInfo() },
  // qmp_query_name: {"name": ...} when the VM has one (-name)
  { name: 'query-name', args: [], run: (ctx) => (ctx.vm.name ? { name: ctx.vm.name } : {}) },
  { name: 'query-commands', args: [], run: (ctx) => ctx.commandNames().map((name) => ({ name })) },
  // qmp_query_current_machine: pc always reports S3 support (even with disable_s3=1, qemu-pm.md §3.2).
  { name: 'query-current-machine', args: [], run: () => ({ 'wakeup-suspend-support': true }) },
  {
    name: 'cont',
    args: [],
    run: (ctx) => {
      const rs = ctx.vm.runState;
      // A cont that changes nothing (already running, suspended, or needing a reset) is a request, not a link.
      if (!rs.contWouldAct()) {
        const outcome = rs.needsReset() ? 'refused: Resetting the Virtual Machine is required' : `changed nothing (${rs.state})`;
        ctx.logRequest(ctx.hostLink('qmp', 'cont'), outcome);
        generic(() => rs.cont());
        return EMPTY;
      }
      rs.cont(ctx.record(ctx.hostLink('qmp', 'cont')));
      return EMPTY;
    },
  },
  {
    name: 'stop',
    args: [],
    run: (ctx) => {
      const rs = ctx.vm.runState;
      if (!rs.stopWouldAct()) ctx.logRequest(ctx.hostLink('qmp', 'stop'), `changed nothing (${rs.state})`);
      else rs.stop(ctx.record(ctx.hostLink('qmp', 'stop')));
      return EMPTY;
    },
  },
  {
    name: 'system_powerdown',
    args: [],
    run: (ctx) => (ctx.vm.runState.requestPowerdown(ctx.hostLink('acpi-power-button', 'system_powerdown')), EMPTY),
  },
  {
    name: 'system_reset',
    args: [],
    run: (ctx) => {
      const rs = ctx.vm.runState;
      // A reset of a VM that shut down and stayed paused (-no-shutdown) acts on that shutdown: libvirt's fake reboot.
      let off: CauseLink | undefined;
      for (let i = rs.log.length - 1; i >= 0 && rs.state === 'shutdown' && !off; i--) if (rs.log[i]!.event === 'SHUTDOWN') off = rs.log[i]!.cause;
      rs.requestReset('host-qmp-system-reset', { ...ctx.hostLink('qmp', 'system_reset'), ...(off ? { answers: off.id } : {}) });
      return EMPTY;
    },
  },
  {
    name: 'system_wakeup',
    args: [],
    run: (ctx) => {
      // qmp_system_wakeup: qemu_system_wakeup_request(QEMU_WAKEUP_REASON_OTHER); errors outside `suspended`.
      try {
        generic(() => ctx.vm.runState.requestWakeup('other'));
      } catch (e) {
        ctx.logRequest(ctx.hostLink('wakeup', 'system_wakeup'), `refused: ${(e as Error).message}`);
        throw e;
      }
      ctx.record(ctx.hostLink('wakeup', 'system_wakeup'));
      return EMPTY;
    },
  },
  {
    // qapi/run-state.json set-action (6.0+): libvirt's -no-shutdown is shutdown=pause, -no-reboot is reboot=shutdown.
    // panic and watchdog actions are not modelled (no pvpanic, no watchdog device), so they are refused as unexpected.
    name: 'set-action',
    args: [
      { name: 'reboot', type: 'str', optional: true, values: ['reset', 'shutdown'] },
      { name: 'shutdown', type: 'str', optional: true, values: ['poweroff', 'pause'] },
    ],
    run: (ctx, a) => {
      if (a['reboot'] !== undefined) ctx.vm.runState.actions.reboot = a['reboot'] as 'reset' | 'shutdown';
      if (a['shutdown'] !== undefined) ctx.vm.runState.actions.shutdown = a['shutdown'] as 'poweroff' | 'pause';
      return EMPTY;
    },
  },
  {
    name: 'quit',
    args: [],
    run: (ctx) => (ctx.vm.runState.quit(ctx.hostLink('qmp', 'quit')), EMPTY),
  },
  {
    // qmp_human_monitor_command: the HMP command's output as one string (hmp.ts)
    name: 'human-monitor-command',
    args: [{ name: 'command-line', type: 'str' }, { name: 'cpu-index', type: 'int', optional: true }],
    run: (ctx, a) => runHmp(ctx, a['command-line'] as string, COMMAND_BY_NAME),
  },
  // The introspection a management stack makes (libvirt's probe and start): commands-introspect.ts
  ...INTROSPECT_COMMANDS,
  // qapi/introspect.json: generated from this very table and the events the run state emits (qmp-schema.ts)
  { name: 'query-qmp-schema', args: [], run: () => qmpSchema(COMMANDS) },
  // ---- acpidm extensions (x- prefix: QEMU's convention for unstable interfaces) ----
  {
    name: 'x-acpidm-query-trace',
    args: [
      { name: 'name', type: 'str', optional: true },
      { name: 'ns', type: 'str', optional: true },
      { name: 'since', type: 'int', optional: true },
      { name: 'limit', type: 'int', optional: true },
    ],
    run: (ctx, a) => ctx.queryTrace(a),
  },
  {
    name: 'x-acpidm-query-cause',
    args: [
      { name: 'all', type: 'bool', optional: true },
      // The full chain on request: links with id >= from, at most limit of them (default: none listed).
      { name: 'from', type: 'int', optional: true },
      { name: 'limit', type: 'int', optional: true },
    ],
    run: (ctx, a) => ctx.queryCause(a),
  },
  {
    // The libvirt-side state reason, kept by the VM so that it survives the client (virsh reconnects to libvirtd).
    name: 'x-acpidm-domain-state',
    args: [{ name: 'state', type: 'str', optional: true }, { name: 'reason', type: 'str', optional: true }],
    run: (ctx, a) => ctx.domainState(a),
  },
  {
    name: 'x-acpidm-query-clock',
    args: [],
    run: (ctx) => ({ ns: ctx.vm.clock.ns(), instructions: ctx.vm.clock.instructions }),
  },
  {
    name: 'x-acpidm-guest-agent',
    // via: the channel the command came in on (the agent socket of -device virtserialport), for the cause chain
    args: [{ name: 'execute', type: 'str' }, { name: 'arguments', type: 'dict', optional: true }, { name: 'via', type: 'str', optional: true }],
    run: (ctx, a) => {
      const agent = ctx.vm.agent;
      // libvirt's text when no agent channel is connected (qemu_agent.c)
      if (!agent) throw genericError('QEMU guest agent is not connected');
      const via = a['via'] !== undefined ? ` on channel ${String(a['via'])} (modelled agent: host code)` : '';
      const link = ctx.record(ctx.hostLink('agent', `guest agent ${String(a['execute'])}${via}`));
      let r: JsonValue | undefined;
      try {
        r = agent.execute(a['execute'] as string, (a['arguments'] ?? {}) as Args, link.id);
      } catch (e) {
        // An agent command that failed changed nothing: it leaves the chain for the request log.
        ctx.vm.runState.chain.retract(link, e instanceof QmpError ? `${e.errorClass}: ${e.desc}` : `failed: ${(e as Error).message}`);
        throw e;
      }
      // One that succeeded without making the guest do anything (guest-ping, a halt) is not a link either.
      ctx.vm.runState.chain.retract(link, 'answered; changed nothing');
      return r ?? EMPTY;
    },
  },
  {
    name: 'x-acpidm-destroy',
    args: [],
    run: (ctx) => {
      ctx.record(ctx.hostLink('domctl-destroy', 'destroy (process killed, no SHUTDOWN)'));
      ctx.destroy();
      return EMPTY;
    },
  },
];

export const COMMAND_BY_NAME: ReadonlyMap<string, QmpCommand> = new Map(COMMANDS.map((c) => [c.name, c]));

export { QmpError };
