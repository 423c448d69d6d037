/**
 * `acpidm xen host` in Node: one XenHost running in (scaled) real time, a
 * control socket for `acpidm xl` (newline-delimited JSON), the xenstored
 * socket for xenstore-utils (XENSTORED_PATH), and the log files
 * qemu-dm-NAME.log / xl-NAME.log / xend.log in a log directory.
 *
 * Control protocol: request `{"argv": [...], "files": {"NAME": "TEXT"}}`,
 * reply `{"code": N, "out": [...], "err": [...]}` once the command finishes
 * (in virtual time: a PV shutdown may wait up to 60 s for the guest's ack).
 */
import { appendFileSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { domainVerdict } from './domain-verdict.js';
import type { XenGuest } from './guest.js';
import { Libxl } from './libxl.js';
import { kernelGuestFactory } from './run-xen-domain.js';
import { readFileSync } from 'node:fs';
import type { XlConfig } from './xl-config.js';
import { XenHost } from './xen-host.js';
import { FullXenstore } from './xs-full.js';
import { Xl, type XlRun } from './xl.js';
import { startQemuDmWorker } from './qemu-dm-worker-node.js';
import { listenXenstoredSocket, type XenstoredSocketServer } from './xenstore/xenstored-socket-node.js';

export interface XenHostServerOptions {
  socketPath: string;
  /** Serve the xenstored wire protocol here too (for xenstore-read & co). */
  xenstoredPath?: string;
  logDir?: string;
  /** Virtual seconds per real second (default 1). */
  speed?: number;
  guestFactory?: (cfg: XlConfig) => XenGuest;
  /** Run each domain's qemu-dm in its own worker thread (needs the compiled dist/). */
  dmWorker?: boolean;
}

export interface XenHostServer {
  readonly host: XenHost;
  readonly xl: Xl;
  readonly socketPath: string;
  /** Stop: reply to waiting clients with `why`, close them, remove the sockets. */
  close(why?: string): Promise<void>;
}

/** First line the host sends on every control connection. */
export const HELLO = '{"acpidm-xen-host":1}';
/** How long a client waits for the hello before it gives up (as `acpidm qmp` does for the QMP greeting). */
export const HELLO_TIMEOUT_MS = 5000;

export interface XlReply {
  code: number;
  out: string[];
  err: string[];
}

function writeLogs(dir: string, host: XenHost, libxl: Libxl, xl: Xl): () => void {
  mkdirSync(dir, { recursive: true });
  const seen = { xend: 0, mon: new Map<string, number>(), dm: new Set<number>() };
  return () => {
    for (const rec of libxl.records.values()) {
      if (seen.dm.has(rec.domid) || !rec.hd.dm) continue;
      seen.dm.add(rec.domid);
      const file = join(dir, rec.hd.dm.log.fileName);
      for (const l of rec.hd.dm.log.lines) appendFileSync(file, l + '\n');
      rec.hd.dm.log.subscribe((l) => appendFileSync(file, l + '\n'));
    }
    for (const [name, lines] of xl.monitorLogs) {
      const n = seen.mon.get(name) ?? 0;
      if (lines.length > n) appendFileSync(join(dir, `xl-${name}.log`), lines.slice(n).map((l) => l + '\n').join(''));
      seen.mon.set(name, lines.length);
    }
    if (xl.xendLog.length > seen.xend) appendFileSync(join(dir, 'xend.log'), xl.xendLog.slice(seen.xend).map((l) => l + '\n').join(''));
    seen.xend = xl.xendLog.length;
    void host;
  };
}

export async function startXenHostServer(o: XenHostServerOptions): Promise<XenHostServer> {
  const host = new XenHost(); // the full xenstored by default
  const libxl = new Libxl(host, o.guestFactory ?? kernelGuestFactory((p) => new Uint8Array(readFileSync(p))));
  if (o.dmWorker) libxl.dmStarter = (opts) => startQemuDmWorker(opts);
  const xl = new Xl(libxl);
  const flushLogs = o.logDir ? writeLogs(o.logDir, host, libxl, xl) : () => {};
  let xsSock: XenstoredSocketServer | null = null;
  if (o.xenstoredPath) xsSock = await listenXenstoredSocket((host.xs as FullXenstore).xs, o.xenstoredPath);

  // Virtual time follows the wall clock, scaled.
  const speed = o.speed ?? 1;
  const t0 = performance.now();
  const base = host.clock.ns();
  const tick = setInterval(() => {
    const target = base + (performance.now() - t0) * 1e6 * speed;
    // Catch up in 1 ms steps, but give the event loop (sockets, workers) back after 20 ms of real time:
    // a guest that computes flat out runs slower than real time instead of freezing the host.
    const t1 = performance.now();
    while (host.clock.ns() < target && performance.now() - t1 < 20) host.runUntil(() => false, Math.min(target - host.clock.ns(), 1e6));
    flushLogs();
  }, 5);

  if (existsSync(o.socketPath)) unlinkSync(o.socketPath);
  const clients = new Set<Socket>();
  const server: Server = createServer((sock: Socket) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    // A hello first, so a client knows at once it reached a xen host (and not some other socket).
    sock.write(HELLO + '\n');
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        handle(line, sock);
      }
    });
    sock.on('error', () => {});
  });
  const handle = (line: string, sock: Socket): void => {
    let req: { argv?: unknown; files?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      sock.write(JSON.stringify({ code: 2, out: [], err: ['acpidm xen host: request is not JSON'] }) + '\n');
      return;
    }
    if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string')) {
      sock.write(JSON.stringify({ code: 2, out: [], err: ['acpidm xen host: request needs "argv": [strings]'] }) + '\n');
      return;
    }
    const files = (req.files && typeof req.files === 'object' ? req.files : {}) as Record<string, string>;
    host.note('xl-cli', `xl ${(req.argv as string[]).join(' ')}`);
    if (req.argv[0] === 'cause') {
      // acpidm's extension: the domain's verdict from the chain the host holds (the words every client uses).
      const which = String(req.argv[1] ?? '');
      const rec = xl.libxl.byName(which) ?? xl.libxl.records.get(Number(which));
      sock.write(JSON.stringify(rec ? { code: 0, out: [`verdict: ${domainVerdict(rec).sentence}`], err: [] }
        : { code: 1, out: [], err: [`xl cause: no domain '${which}' (a name or a domid this host created)`] }) + '\n');
      return;
    }
    const run = xl.exec(req.argv as string[], files);
    host.pump();
    const reply = (r: XlRun): void => {
      flushLogs();
      if (!sock.destroyed) sock.write(JSON.stringify({ code: r.code, out: r.out, err: r.err }) + '\n');
    };
    if (run.code !== null) reply(run);
    else run.onDone = reply;
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socketPath, () => resolve());
  });
  return {
    host, xl, socketPath: o.socketPath,
    async close(why = 'shutting down') {
      clearInterval(tick);
      // Tell every waiting client, then hang up: server.close() waits for open connections otherwise.
      for (const c of clients) {
        if (!c.destroyed) c.end(JSON.stringify({ code: 1, out: [], err: [`acpidm xen host: ${why}; the command did not finish`] }) + '\n');
        c.destroySoon();
      }
      await new Promise<void>((r) => server.close(() => r()));
      await xsSock?.close();
      if (existsSync(o.socketPath)) unlinkSync(o.socketPath);
    },
  };
}

/**
 * `acpidm xl`: send one command to a running host and wait for its reply. Fails with a message when the
 * socket is not a xen host (no hello within `helloMs`), when the host goes away before replying, or after
 * `timeoutMs` without a reply.
 */
export function xlRequest(socketPath: string, argv: string[], files: Record<string, string> = {}, timeoutMs = 600_000, helloMs = HELLO_TIMEOUT_MS): Promise<XlReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = '';
    let greeted = false;
    let settled = false;
    const done = (e: Error | null, r?: XlReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(helloTimer);
      clearTimeout(timer);
      sock.destroy();
      if (e) reject(e);
      else resolve(r!);
    };
    const helloTimer = setTimeout(() => done(new Error(`no greeting from ${socketPath} within ${helloMs / 1000} s: not an acpidm xen host socket?`)), helloMs);
    const timer = setTimeout(() => done(new Error(`no reply from ${socketPath} within ${timeoutMs / 1000} s`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!greeted) {
          if (line !== HELLO) return done(new Error(`${socketPath} is not an acpidm xen host socket (it said ${JSON.stringify(line.slice(0, 80))})`));
          greeted = true;
          clearTimeout(helloTimer);
          sock.write(JSON.stringify({ argv, files }) + '\n');
          continue;
        }
        let r: XlReply;
        try {
          r = JSON.parse(line) as XlReply;
        } catch {
          return done(new Error(`malformed reply from ${socketPath}: ${JSON.stringify(line.slice(0, 80))}`));
        }
        if (typeof r?.code !== 'number' || !Array.isArray(r.out) || !Array.isArray(r.err)) return done(new Error(`malformed reply from ${socketPath}: ${JSON.stringify(line.slice(0, 80))}`));
        return done(null, r);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => done(new Error(e.code === 'ENOENT' ? `${socketPath} does not exist` : `connect ${e.code ?? e.message}`)));
    sock.on('close', () => done(new Error(greeted ? 'the host closed the connection before replying (was it stopped or killed?)' : `${socketPath} closed the connection without a greeting`)));
  });
}
