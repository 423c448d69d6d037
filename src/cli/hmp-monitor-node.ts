/**
 * `-monitor stdio | unix:PATH,server=on,wait=off`: a human monitor (HMP) for `acpidm run`. Each line typed is
 * sent to the VM's QMP monitor as `human-monitor-command` (src/qmp/hmp.ts does the work), its output printed,
 * then the `(qemu) ` prompt, as QEMU's readline monitor does.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { QmpMonitor } from '../qmp/monitor.js';
import { QMP_PACKAGE, QEMU_COMPAT } from '../qmp/version.js';

export interface HmpHandle {
  readonly address: string;
  close(): Promise<void>;
}

const BANNER = `QEMU ${QEMU_COMPAT.major}.${QEMU_COMPAT.minor}.${QEMU_COMPAT.micro} monitor (${QMP_PACKAGE}) - type 'help' for more information\n`;
const PROMPT = '(qemu) ';

/** One HMP session over a line-based text stream. */
function session(monitor: QmpMonitor, write: (s: string) => void, end: () => void): { line(l: string): void; close(): void } {
  let id = 0;
  const s = monitor.connect({
    send: (m) => {
      const r = m as { return?: unknown; error?: { desc: string } };
      if (typeof r.return === 'string') write(r.return + PROMPT);
      else if (r.error) write(`Error: ${r.error.desc}\n${PROMPT}`);
    },
    close: end,
  });
  s.receive(JSON.stringify({ execute: 'qmp_capabilities', id: id++ }) + '\n');
  write(BANNER + PROMPT);
  return {
    line: (l) => {
      if (!l.trim()) return write(PROMPT);
      s.receive(JSON.stringify({ execute: 'human-monitor-command', arguments: { 'command-line': l }, id: id++ }) + '\n');
    },
    close: () => s.disconnect(),
  };
}

function lines(onLine: (l: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      onLine(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
  };
}

export async function startHmp(monitor: QmpMonitor, spec: string, out: (s: string) => void): Promise<HmpHandle> {
  if (spec === 'stdio') {
    const sess = session(monitor, out, () => process.stdin.pause());
    const onData = lines((l) => sess.line(l));
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', onData);
    return {
      address: 'stdio',
      close: async () => { process.stdin.off('data', onData); process.stdin.pause(); sess.close(); },
    };
  }
  const path = spec.replace(/^unix:/, '').split(',')[0]!;
  // As for -qmp: refuse a path a live process listens on, remove a stale socket.
  let exists = false;
  try { exists = lstatSync(path).isSocket(); } catch { /* nothing there */ }
  if (exists) {
    const live = await new Promise<boolean>((r) => {
      const p = createConnection(path);
      p.once('connect', () => { p.destroy(); r(true); });
      p.once('error', () => r(false));
    });
    if (live) throw new Error(`-monitor unix:${path}: address in use`);
    unlinkSync(path);
  }
  const socks = new Set<Socket>();
  const server: Server = createServer((sock) => {
    socks.add(sock);
    sock.setEncoding('utf8');
    const sess = session(monitor, (s) => { if (!sock.destroyed) sock.write(s.replace(/\n/g, '\r\n')); }, () => sock.end());
    sock.on('data', lines((l) => sess.line(l)));
    sock.on('close', () => { socks.delete(sock); sess.close(); });
    sock.on('error', () => sess.close());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`-monitor unix:${path}: cannot listen: ${e.code ?? e.message}`)));
    server.listen(path, resolve);
  });
  return {
    address: `unix:${path}`,
    close: () => new Promise<void>((r) => {
      for (const k of socks) k.destroy();
      server.close(() => r());
    }),
  };
}
