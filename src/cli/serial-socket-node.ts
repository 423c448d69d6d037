/**
 * The listening end of a socket chardev for a serial port (Node adapter for chardev-socket.ts), as QEMU's
 * char-socket.c server: one client at a time (a second connection waits, unanswered, until the first one
 * leaves), the guest's output goes to the client and is dropped while nobody is connected, and what the client
 * types is the port's input (a ByteSource for run-serial-input.ts). A unix path is taken over only when nobody
 * listens there (QEMU 7.2 would unlink it; acpidm refuses, as -qmp does); TCP listens on loopback only.
 */
import { EventEmitter } from 'node:events';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection, createServer, type Socket } from 'node:net';
import { CliError, type ByteSource } from './cli-io.js';
import { socketAddressText, type SocketChardev } from './chardev-socket.js';

export interface SerialSocket extends ByteSource {
  /** `unix:PATH` or `tcp:HOST:PORT` with the real port (when PORT was 0). */
  readonly address: string;
  /** Guest output: one byte, sent to the client (buffered, flushed when the event loop next runs). */
  write(b: number): void;
  /** Resolves once a client is connected (QEMU wait=on). */
  connected(): Promise<void>;
  close(): Promise<void>;
}

const CODE_TEXT: Record<string, string> = {
  EADDRINUSE: 'address in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available',
  EINVAL: 'invalid address (a unix socket path is at most 107 bytes)',
};

/** Take over a unix socket path only when nobody listens there; never a regular file. */
async function claimUnixPath(where: string, path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new CliError(`${where}: ${path} exists and is not a socket`, 1);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new CliError(`${where}: address in use (another process is listening on ${path}; stop it or pick another path)`, 1);
  unlinkSync(path);
}

export async function listenSerialSocket(spec: SocketChardev, where: string): Promise<SerialSocket> {
  const events = new EventEmitter();
  const waiting: Socket[] = [];
  let client: Socket | null = null;
  let onConnect: (() => void) | null = null;
  let out: number[] = [];
  const early: Uint8Array[] = [];
  let flushQueued = false;

  const promote = (): void => {
    client = waiting.shift() ?? null;
    if (!client) return;
    client.resume();
    onConnect?.();
    onConnect = null;
  };
  const server = createServer({ pauseOnConnect: true }, (sock) => {
    sock.setNoDelay?.(true);
    sock.on('data', (chunk: Uint8Array) => {
      if (sock !== client) return;
      // Typed before the run loop listens (a client may connect while the machine is still being set up): keep it.
      if (events.listenerCount('data') === 0) early.push(new Uint8Array(chunk));
      else events.emit('data', new Uint8Array(chunk));
    });
    sock.on('error', () => {}); // a client that vanishes is just forgotten (its 'close' follows)
    sock.on('close', () => {
      const i = waiting.indexOf(sock);
      if (i >= 0) waiting.splice(i, 1);
      if (sock === client) promote();
    });
    waiting.push(sock);
    if (!client) promote();
  });
  const a = spec.addr;
  if (a.kind === 'unix') await claimUnixPath(where, a.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      // libuv reports a unix path in a missing directory as EACCES: name the real problem.
      const noDir = a.kind === 'unix' && !existsSync(dirname(a.path));
      const why = noDir ? `directory ${dirname(a.path)} does not exist` : (e.code && CODE_TEXT[e.code]) ?? e.message;
      reject(new CliError(`${where}: cannot listen on ${socketAddressText(a)}: ${why}${e.code && !noDir ? ` (${e.code})` : ''}`, 1));
    });
    if (a.kind === 'unix') server.listen(a.path, resolve);
    else server.listen(a.port, a.host, resolve);
  });
  const bound = server.address();
  const address = a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${typeof bound === 'object' && bound ? bound.port : a.port}`;

  const flush = (): void => {
    flushQueued = false;
    const bytes = Uint8Array.from(out);
    out = [];
    // QEMU char-socket.c: with no client connected, output is dropped.
    if (client && !client.destroyed && client.writable) client.write(bytes);
  };
  return {
    address,
    on: (ev, fn) => {
      events.on(ev, fn);
      if (ev === 'data') for (const c of early.splice(0)) fn(c);
      return undefined;
    },
    off: (ev, fn) => events.off(ev, fn),
    write(b) {
      out.push(b);
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(flush);
      }
    },
    connected: () => (client ? Promise.resolve() : new Promise<void>((r) => (onConnect = r))),
    close: () =>
      new Promise<void>((resolve) => {
        if (out.length) flush();
        const socks = [...waiting, ...(client ? [client] : [])];
        client = null;
        for (const s of socks) s.end();
        server.close(() => {
          if (a.kind === 'unix') {
            try {
              if (lstatSync(a.path).isSocket()) unlinkSync(a.path);
            } catch {
              // already gone
            }
          }
          resolve();
        });
        // Clients that do not hang up do not keep the process alive.
        setTimeout(() => { for (const s of socks) s.destroy(); }, 100).unref();
      }),
  };
}
