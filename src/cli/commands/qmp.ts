/**
 * `acpidm qmp SOCKET COMMAND [JSON-ARGS] [--events]`: connect to a running acpidm's QMP
 * monitor (a unix socket path, unix:PATH or tcp:127.0.0.1:PORT), negotiate, send one
 * command, print the reply as one JSON line. With --events, keep printing events as JSON
 * lines until the VM goes away (or Ctrl-C).
 */
import type { CliCommand } from '../main.js';
import { CliError, type CliIo } from '../cli-io.js';
import { connectQmp } from '../../qmp/client-node.js';
import { QmpError } from '../../qmp/errors.js';
import { parseQmpAddress } from '../../qmp/spec.js';
import { type JsonValue, parseJson } from '../../qmp/json-stream.js';

const USAGE = `usage: acpidm qmp SOCKET COMMAND [JSON-ARGS] [--events]
  SOCKET     unix socket path, unix:PATH, or tcp:127.0.0.1:PORT (what -qmp was given)
  COMMAND    a QMP command, e.g. query-status, system_powerdown, x-acpidm-query-cause
  JSON-ARGS  the command's arguments as a JSON object, e.g. '{"all": true}'
  --events   after the reply, print QMP events until the VM exits (Ctrl-C to stop)
`;

export function parseQmpArgs(args: string[]): { socket: string; command: string; arguments?: { [k: string]: JsonValue }; events: boolean } {
  let events = false;
  const pos: string[] = [];
  for (const a of args) {
    if (a === '--events') events = true;
    else if (a === '-h' || a === '--help') throw new CliError(USAGE, 0);
    else if (a.startsWith('--')) throw new CliError(`unknown option '${a}'\n${USAGE}`);
    else pos.push(a);
  }
  const [socket, command, json, ...extra] = pos;
  if (!socket || !command) throw new CliError(`missing ${socket ? 'COMMAND' : 'SOCKET and COMMAND'}\n${USAGE}`);
  if (extra.length) throw new CliError(`unexpected argument '${extra[0]}' (put all arguments in one JSON object)`);
  if (json === undefined) return { socket, command, events };
  let v: JsonValue;
  try {
    v = parseJson(json);
  } catch (e) {
    throw new CliError(`JSON-ARGS is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`JSON-ARGS must be a JSON object, got ${json}`);
  return { socket, command, arguments: v, events };
}

export const command: CliCommand = {
  async run(args: string[], io: CliIo): Promise<number> {
    const p = parseQmpArgs(args);
    try {
      parseQmpAddress(p.socket); // bad addresses (not loopback, no port) are bad input: exit 2
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const conn = await connectQmp(p.socket).catch((e: Error) => {
      throw new CliError(e.message, 1);
    });
    const closed = new Promise<void>((r) => conn.onClose(r));
    if (p.events) conn.onEvent((ev) => io.stdout(JSON.stringify(ev) + '\n'));
    let status = 0;
    try {
      const ret = await conn.execute(p.command, p.arguments);
      io.stdout(JSON.stringify({ return: ret }) + '\n');
    } catch (e) {
      if (!(e instanceof QmpError)) throw e;
      io.stdout(JSON.stringify({ error: { class: e.errorClass, desc: e.desc } }) + '\n');
      status = 1;
    }
    if (p.events && !conn.closed) {
      const stop = new Promise<void>((r) => process.once('SIGINT', () => r()));
      await Promise.race([closed, stop]);
    }
    conn.close();
    return status;
  },
};
