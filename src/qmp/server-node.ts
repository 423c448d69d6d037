/**
 * The QMP socket server (Node adapter): `-qmp unix:PATH,server=on,wait=off` or
 * `-qmp tcp:127.0.0.1:PORT,server=on,wait=off`. Every accepted connection is
 * one `QmpSession` of the shared monitor, so any number of clients can watch
 * the same VM at once.
 *
 * For `acpidm run` (the lead wires it):
 *   const driver = new VmDriver(vm, { warpWhenIdle: true });
 *   const monitor = new QmpMonitor(vm, driver);
 *   const server = await startQmpServer(monitor, 'unix:/tmp/vm.qmp,server=on,wait=off');
 *   driver.start();                       // with wait=on, startQmpServer resolved after the first client
 *   const status = await driver.exited;   // process exit status (quit, guest S5 ...)
 *   await server.close();
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { type DriverOptions, VmDriver } from './driver.js';
import { type MonitorOptions, QmpMonitor } from './monitor.js';
import type { QmpVm } from './vm.js';
import { toLine } from './messages.js';
import { parseQmpSpec, type QmpSpec, QmpSpecError } from './spec.js';

/** Output a client may leave unread before it is disconnected. */
export const MAX_UNREAD_BYTES = 16 << 20;

export interface QmpServerHandle {
  readonly spec: QmpSpec;
  /** `unix:PATH` or `tcp:127.0.0.1:PORT` with the real port (when PORT was 0). */
  readonly address: string;
  readonly port?: number;
  close(): Promise<void>;
}

export async function startQmpServer(monitor: QmpMonitor, spec: string | QmpSpec): Promise<QmpServerHandle> {
  const s = typeof spec === 'string' ? parseQmpSpec(spec) : spec;
  const sockets = new Set<Socket>();
  let firstClient!: () => void;
  const gotClient = new Promise<void>((r) => (firstClient = r));
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.setEncoding('utf8');
    sock.setNoDelay?.(true);
    const session = monitor.connect({
      send: (m) => {
        if (sock.destroyed || !sock.writable) return;
        // A client that never reads must not make the VM's process grow without bound: hang up on it.
        if (sock.writableLength > MAX_UNREAD_BYTES) {
          sock.destroy();
          return;
        }
        sock.write(toLine(m));
      },
      close: () => sock.end(),
    });
    sock.on('data', (chunk: string) => session.receive(chunk));
    // A client that vanishes (even mid-command) is just forgotten; the VM is not affected.
    sock.on('error', () => session.disconnect());
    sock.on('close', () => {
      sockets.delete(sock);
      session.disconnect();
    });
    firstClient();
  });
  if (s.kind === 'unix') await claimUnixPath(s.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new QmpSpecError(`-qmp: cannot listen on ${specText(s)}: ${e.code ?? e.message}`)));
    if (s.kind === 'unix') server.listen(s.path, resolve);
    // An inherited listening socket: accept on it as it is (QEMU qio_channel_socket_new_fd); the parent made and owns the path.
    else if (s.kind === 'fd') server.listen({ fd: s.fd }, resolve);
    else server.listen(s.port, s.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : undefined;
  if (s.wait) await gotClient; // QEMU `wait=on`: block until a client connects
  return {
    spec: s,
    address: s.kind === 'tcp' ? `tcp:${s.host}:${port}` : specText(s),
    ...(port !== undefined ? { port } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        // The last events (the SHUTDOWN of a quit or a signal) may still be queued: end each connection so they
        // are flushed before the FIN, as QEMU flushes its monitors at exit; a client that does not read is cut after 1 s.
        const ended = [...sockets].map((k) => new Promise<void>((done) => {
          if (k.destroyed) return done();
          k.once('close', () => done());
          k.end();
          setTimeout(() => k.destroy(), 1000).unref();
        }));
        server.close(() => {
          if (s.kind === 'unix') removeStaleSocket(s.path);
          void Promise.all(ended).then(() => resolve());
        });
      }),
  };
}

function specText(s: QmpSpec): string {
  return s.kind === 'unix' ? `unix:${s.path}` : s.kind === 'fd' ? `fd:${s.fd}` : `${s.host}:${s.port}`;
}

/**
 * Take over a unix socket path only when nobody listens there. QEMU 7.2 unlinks whatever socket is at the path
 * (util/qemu-sockets.c unix_listen_saddr), which silently orphans a VM still running on it; acpidm refuses
 * like a TCP bind does (EADDRINUSE) and removes only a stale socket. Never a regular file.
 */
async function claimUnixPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new QmpSpecError(`-qmp unix:${path}: exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new QmpSpecError(`-qmp unix:${path}: address in use (another process is listening there; stop it or pick another path)`);
  removeStaleSocket(path);
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}

export interface QmpService {
  readonly driver: VmDriver;
  readonly monitor: QmpMonitor;
  readonly servers: QmpServerHandle[];
  /** Stop listening (the VM's own end is `driver.exited`). */
  close(): Promise<void>;
}

/**
 * Everything `acpidm run -qmp SPEC [-qmp SPEC2 ...]` needs: a driver and one monitor for the VM,
 * listening on every spec (all clients see every event). Call `driver.start()` when the VM should run;
 * `await driver.exited` gives the exit status.
 */
export async function startQmp(vm: QmpVm, specs: readonly (string | QmpSpec)[], opts: DriverOptions & MonitorOptions = {}): Promise<QmpService> {
  const driver = new VmDriver(vm, opts);
  const monitor = new QmpMonitor(vm, driver, opts);
  const servers: QmpServerHandle[] = [];
  try {
    for (const spec of specs) servers.push(await startQmpServer(monitor, spec));
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  return { driver, monitor, servers, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
