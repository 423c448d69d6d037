/**
 * `query-qmp-schema`, generated from acpidm's own command table (commands.ts argument specs) and the events the
 * run state emits — so it lists exactly what acpidm answers, no more. The shape is QAPI introspection's
 * (qapi/introspect.json SchemaInfo: meta-type builtin/enum/array/object/command/event); type names are acpidm's
 * own (clients such as libvirt follow the references, they do not match names).
 */
import { SHUTDOWN_CAUSES } from '../machine/shutdown-cause.js';
import type { ArgSpec, ArgType } from './args.js';
import type { JsonValue } from './json-stream.js';

type Info = { [k: string]: JsonValue };

/** The events QmpMonitor broadcasts (run-state.ts MachineEventName), with their data members. */
export const QMP_EVENTS: readonly { name: string; members: readonly { name: string; type: string }[] }[] = [
  { name: 'SHUTDOWN', members: [{ name: 'guest', type: 'bool' }, { name: 'reason', type: 'ShutdownCause' }] },
  { name: 'RESET', members: [{ name: 'guest', type: 'bool' }, { name: 'reason', type: 'ShutdownCause' }] },
  { name: 'POWERDOWN', members: [] },
  { name: 'STOP', members: [] },
  { name: 'RESUME', members: [] },
  { name: 'SUSPEND', members: [] },
  { name: 'SUSPEND_DISK', members: [] },
  { name: 'WAKEUP', members: [] },
];

const BUILTIN_JSON: Record<string, string> = { str: 'string', int: 'int', bool: 'boolean', number: 'number', any: 'value', null: 'null' };

/** One schema type per argument type; enum-valued strings get their own enum type. */
function memberType(a: ArgSpec, cmd: string, add: (i: Info) => void): string {
  if (a.values) {
    const name = `${cmd}-${a.name}`;
    add({ name, 'meta-type': 'enum', values: [...a.values], members: a.values.map((v) => ({ name: v })) });
    return name;
  }
  const map: Record<ArgType, string> = { str: 'str', bool: 'bool', int: 'int', number: 'number', any: 'any', dict: 'any', list: '[any]' };
  return map[a.type];
}

export function qmpSchema(commands: readonly { name: string; args: readonly ArgSpec[] }[]): JsonValue[] {
  const out: Info[] = [];
  const add = (i: Info) => out.push(i);
  // QAPI masks every type as an empty object when a command takes no arguments; one shared empty type here.
  add({ name: 'empty', 'meta-type': 'object', members: [] });
  for (const c of commands) {
    let argType = 'empty';
    if (c.args.length) {
      argType = `${c.name}-arg`;
      const members = c.args.map((a) => ({ name: a.name, type: memberType(a, c.name, add), ...(a.optional ? { default: null } : {}) }));
      add({ name: argType, 'meta-type': 'object', members });
    }
    // acpidm's table does not type its replies: 'any' says so rather than inventing a structure
    add({ name: c.name, 'meta-type': 'command', 'arg-type': argType, 'ret-type': 'any', ...(c.name.startsWith('x-') ? { features: ['unstable'] } : {}) });
  }
  add({ name: 'ShutdownCause', 'meta-type': 'enum', values: [...SHUTDOWN_CAUSES], members: SHUTDOWN_CAUSES.map((v) => ({ name: v })) });
  for (const e of QMP_EVENTS) {
    const argType = e.members.length ? `${e.name}-data` : 'empty';
    if (e.members.length) add({ name: argType, 'meta-type': 'object', members: e.members.map((m) => ({ name: m.name, type: m.type })) });
    add({ name: e.name, 'meta-type': 'event', 'arg-type': argType });
  }
  add({ name: '[any]', 'meta-type': 'array', 'element-type': 'any' });
  for (const [name, json] of Object.entries(BUILTIN_JSON)) add({ name, 'meta-type': 'builtin', 'json-type': json });
  return out;
}
