/**
 * The guest-agent channel (Node adapter): the socket behind `-device virtserialport,name=org.qemu.guest_agent.0`,
 * answered by acpidm's modelled agent (guest-agent.ts) as qemu-guest-agent answers it inside a real guest.
 *
 * The wire protocol is qemu-ga's (qga/main.c, docs/interop/qemu-ga-ref): JSON commands in, one JSON reply each;
 * `guest-sync-delimited` is answered after a 0xFF byte so the client can flush stale output, and a 0xFF byte from
 * the client resets the parser. `guest-shutdown` sends no reply on success (its schema says
 * `success-response: false`): libvirt waits for QEMU's SHUTDOWN event instead.
 *
 * Everything the modelled agent makes the machine do goes through the monitor's `x-acpidm-guest-agent`, so the
 * cause chain records it as host-side modelling answering this channel's command, never as guest code.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { connectInProcess } from './connection.js';
import { QmpError } from './errors.js';
import { JsonStream, type JsonValue } from './json-stream.js';
import type { QmpMonitor } from './monitor.js';
import type { QmpSpec } from './spec.js';

/** What the modelled agent answers, with qemu-ga's `success-response` for each (guest-info lists them). */
export const AGENT_COMMANDS: readonly { name: string; successResponse: boolean }[] = [
  { name: 'guest-sync-delimited', successResponse: true },
  { name: 'guest-sync', successResponse: true },
  { name: 'guest-ping', successResponse: true },
  { name: 'guest-info', successResponse: true },
  { name: 'guest-shutdown', successResponse: false },
  { name: 'guest-suspend-ram', successResponse: false },
  { name: 'guest-suspend-disk', successResponse: false },
];

/** The version the modelled agent reports in guest-info: acpidm's, not a qemu-ga release. */
const AGENT_VERSION = 'acpidm-modelled-agent';

export interface AgentChannelHandle {
  readonly address: string;
  close(): Promise<void>;
}

export async function startAgentChannel(monitor: QmpMonitor, spec: QmpSpec, via = 'org.qemu.guest_agent.0'): Promise<AgentChannelHandle> {
  const conn = connectInProcess(monitor);
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    const stream = new JsonStream();
    const decoder = new TextDecoder();
    const reply = (v: JsonValue, delimited = false) => {
      if (sock.destroyed) return;
      if (delimited) sock.write(new Uint8Array([0xff]));
      sock.write(JSON.stringify(v) + '\n');
    };
    // Commands run one at a time, in order, as qemu-ga does.
    let queue = Promise.resolve();
    sock.on('data', (chunk: Uint8Array) => {
      // 0xFF is never part of UTF-8 JSON: qemu-ga treats it as "reset the parser".
      const bytes = Uint8Array.from(chunk, (b) => (b === 0xff ? 0x0a : b));
      for (const item of stream.push(decoder.decode(bytes, { stream: true }))) {
        if (!item.ok) {
          reply({ error: { class: 'GenericError', desc: item.error } });
          continue;
        }
        const msg = item.value;
        queue = queue.then(() => handle(msg)).catch(() => {});
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));

    const handle = async (msg: JsonValue): Promise<void> => {
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof msg['execute'] !== 'string') {
        reply({ error: { class: 'GenericError', desc: 'Invalid JSON syntax' } });
        return;
      }
      const name = msg['execute'];
      const args = (typeof msg['arguments'] === 'object' && msg['arguments'] !== null && !Array.isArray(msg['arguments']) ? msg['arguments'] : {}) as { [k: string]: JsonValue };
      const id = msg['id'];
      const withId = (v: { [k: string]: JsonValue }) => (id !== undefined ? { ...v, id } : v);
      switch (name) {
        case 'guest-sync-delimited':
        case 'guest-sync':
          // qga/commands.c qmp_guest_sync: echo the id (the client matches it to discard stale replies)
          reply(withId({ return: args['id'] ?? null }), name === 'guest-sync-delimited');
          return;
        case 'guest-info':
          reply(withId({ return: { version: AGENT_VERSION, supported_commands: AGENT_COMMANDS.map((c) => ({ name: c.name, enabled: true, 'success-response': c.successResponse })) } }));
          return;
        default:
      }
      const known = AGENT_COMMANDS.find((c) => c.name === name);
      if (!known) {
        reply(withId({ error: { class: 'CommandNotFound', desc: `The command ${name} has not been found` } }));
        return;
      }
      try {
        const r = await conn.execute('x-acpidm-guest-agent', { execute: name, arguments: args, via });
        if (known.successResponse) reply(withId({ return: r }));
      } catch (e) {
        const err = e instanceof QmpError ? { class: e.errorClass, desc: e.desc } : { class: 'GenericError', desc: (e as Error).message };
        reply(withId({ error: err }));
      }
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`guest agent channel: cannot listen: ${e.code ?? e.message}`)));
    if (spec.kind === 'fd') server.listen({ fd: spec.fd }, resolve);
    else if (spec.kind === 'unix') server.listen(spec.path, resolve);
    else server.listen(spec.port, spec.host, resolve);
  });
  return {
    address: spec.kind === 'fd' ? `fd:${spec.fd}` : spec.kind === 'unix' ? `unix:${spec.path}` : `tcp:${spec.host}:${spec.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        conn.close();
        server.close(() => resolve());
      }),
  };
}
