/**
 * Node adapter: xenstored on a Unix-domain socket (xenstored_core.c init_sockets). Every client is a
 * privileged dom0 connection, as on the real socket. Point libxenstore tools at it with
 * XENSTORED_PATH=<path>.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { unlinkSync, existsSync } from 'node:fs';
import type { XsConnection } from './xs-connection.js';
import type { Xenstored } from './xenstored.js';

export interface XenstoredSocketServer {
  readonly path: string;
  readonly server: Server;
  /** Connections currently open. */
  readonly clients: ReadonlySet<XsConnection>;
  close(): Promise<void>;
}

export async function listenXenstoredSocket(xs: Xenstored, path: string): Promise<XenstoredSocketServer> {
  // Like xenstored: a stale socket file from an earlier run is replaced.
  if (existsSync(path)) unlinkSync(path);
  const clients = new Set<XsConnection>();
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    const conn = xs.connect({
      deliver(msg) {
        if (sock.destroyed) return true;
        sock.write(msg);
        return true;
      },
      // A client that breaks the framing is dropped (handle_input: bad_client).
      abandon() {
        sock.destroy();
      },
    }, 0, true);
    clients.add(conn);
    sock.on('data', (chunk: Uint8Array) => {
      xs.feed(conn, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    const gone = (): void => {
      clients.delete(conn);
      sockets.delete(sock);
      xs.disconnect(conn);
    };
    sock.on('close', gone);
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    path,
    server,
    clients,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
