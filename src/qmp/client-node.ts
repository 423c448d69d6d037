/**
 * A small QMP client over a socket (Node adapter), used by `acpidm qmp` and
 * `acpidm domain`. Reads the greeting, negotiates, then matches replies by id.
 */
import { createConnection } from 'node:net';
import { ConnectionCore, type QmpConnection } from './connection.js';
import { JsonStream } from './json-stream.js';
import type { QmpGreeting, QmpMessage } from './messages.js';
import { parseQmpAddress, QmpSpecError } from './spec.js';

export interface SocketQmpConnection extends QmpConnection {
  readonly greeting: QmpGreeting;
}

export function connectQmp(address: string, timeoutMs = 5000): Promise<SocketQmpConnection> {
  const spec = parseQmpAddress(address);
  return new Promise((resolve, reject) => {
    if (spec.kind === 'fd') throw new QmpSpecError('a QMP client connects to a socket path or TCP port, not a descriptor');
    const sock = spec.kind === 'unix' ? createConnection(spec.path) : createConnection(spec.port, spec.host);
    sock.setEncoding('utf8');
    const core = new ConnectionCore();
    const stream = new JsonStream();
    let greeting: QmpGreeting | null = null;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no QMP greeting from ${address} within ${timeoutMs} ms`));
    }, timeoutMs);
    const conn = core.connection((cmd) => sock.write(JSON.stringify(cmd) + '\r\n'), () => sock.end()) as SocketQmpConnection;
    Object.defineProperty(conn, 'greeting', { get: () => greeting!, enumerable: true });
    sock.on('data', (chunk: string) => {
      for (const item of stream.push(chunk)) {
        if (!item.ok || typeof item.value !== 'object' || item.value === null) continue;
        const msg = item.value as unknown as QmpMessage;
        if (!greeting && 'QMP' in msg) {
          greeting = msg;
          const { id, done } = core.newRequest();
          sock.write(JSON.stringify({ execute: 'qmp_capabilities', id }) + '\r\n');
          done.then(() => {
            clearTimeout(timer);
            resolve(conn);
          }, () => reject(new Error(`QMP connection to ${address} closed during negotiation (has the VM exited?)`)));
          continue;
        }
        core.deliver(msg);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      core.hangup();
      reject(new Error(`cannot connect to QMP socket ${address}: ${e.code ?? e.message}`));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      core.hangup();
    });
  });
}
