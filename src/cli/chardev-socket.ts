/**
 * The socket character device of `-serial unix:PATH,server=on,wait=off`, `-serial tcp:HOST:PORT,server=on,wait=off`
 * and `-chardev socket,id=ID,path=PATH|host=HOST,port=PORT,server=on,wait=off` (QEMU chardev/char-socket.c
 * syntax, a subset). Pure parsing: the listening end is serial-socket-node.ts.
 *
 * acpidm only listens (server=on; QEMU's client mode connects out) and, for TCP, only on the loopback
 * interface: whoever connects types into the guest's console. `wait` is QEMU's default (on): the machine does
 * not start until the first client connects.
 */
import { CliError } from './cli-io.js';

export type SocketAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface SocketChardev {
  kind: 'socket';
  addr: SocketAddress;
  /** QEMU `wait=on` (the default for a server): block until the first client connects. */
  wait: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function onOff(where: string, key: string, v: string | undefined): boolean {
  if (v === undefined || v === 'on' || v === 'yes' || v === 'true') return true;
  if (v === 'off' || v === 'no' || v === 'false') return false;
  throw new CliError(`${where}: parameter '${key}' expects 'on' or 'off', got '${v}'`);
}

/** A TCP address `HOST:PORT`, loopback only. */
function tcpAddress(where: string, host: string, portText: string): SocketAddress {
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new CliError(`${where}: '${portText}' is not a TCP port number (0-65535)`);
  if (!LOOPBACK.has(host)) {
    throw new CliError(`${where}: refusing to listen on '${host || '(all interfaces)'}': whoever connects types into the guest's console, so acpidm listens on loopback only (use 127.0.0.1)`);
  }
  return { kind: 'tcp', host: host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''), port };
}

/** server / wait / nowait flags shared by both spellings; anything else is named as unsupported. */
function serverFlags(where: string, opts: [string, string | undefined][], allowed: (k: string) => boolean): boolean {
  let server: boolean | undefined;
  let wait = true;
  for (const [k, v] of opts) {
    if (k === 'server') server = onOff(where, k, v);
    else if (k === 'wait') wait = onOff(where, k, v);
    else if (k === 'nowait' && (v === undefined || v === 'on')) wait = false; // parseKv spells a bare flag 'on'
    else if (!allowed(k)) throw new CliError(`${where}: unsupported option '${v === undefined ? k : `${k}=${v}`}' (acpidm knows server=on|off, wait=on|off, nowait)`);
  }
  if (server !== true) throw new CliError(`${where}: acpidm only listens for clients (QEMU's server mode); add server=on,wait=off`);
  return wait;
}

function splitOpts(list: string[]): [string, string | undefined][] {
  return list.map((o) => {
    const eq = o.indexOf('=');
    return eq < 0 ? [o, undefined] : [o.slice(0, eq), o.slice(eq + 1)];
  });
}

/** `-serial unix:PATH,...` or `-serial tcp:HOST:PORT,...`; null when `text` is neither. */
export function parseSerialSocket(text: string): SocketChardev | null {
  if (!text.startsWith('unix:') && !text.startsWith('tcp:')) return null;
  const [target = '', ...rest] = text.split(',');
  const where = `-serial ${target}`;
  const wait = serverFlags(where, splitOpts(rest), () => false);
  if (target.startsWith('unix:')) {
    const path = target.slice(5);
    if (!path) throw new CliError('-serial unix: needs a socket path, for example unix:/tmp/ttyS0.sock,server=on,wait=off');
    return { kind: 'socket', addr: { kind: 'unix', path }, wait };
  }
  const hp = target.slice(4);
  const colon = hp.lastIndexOf(':');
  if (colon < 0) throw new CliError(`${where}: expected tcp:127.0.0.1:PORT`);
  return { kind: 'socket', addr: tcpAddress(where, hp.slice(0, colon), hp.slice(colon + 1)), wait };
}

/** `-chardev socket,id=ID,path=PATH|host=HOST,port=PORT,server=on,wait=off` (kv holds every option but the head). */
export function parseChardevSocket(id: string, kv: ReadonlyMap<string, string>): SocketChardev {
  const where = `-chardev socket,id=${id}`;
  const opts = [...kv].filter(([k]) => k !== 'id');
  const wait = serverFlags(where, opts, (k) => k === 'path' || k === 'host' || k === 'port');
  const path = kv.get('path');
  if (path !== undefined) {
    if (kv.has('host') || kv.has('port')) throw new CliError(`${where}: give either path=PATH (unix) or host=HOST,port=PORT (tcp), not both`);
    if (!path) throw new CliError(`${where}: path= needs a socket path`);
    return { kind: 'socket', addr: { kind: 'unix', path }, wait };
  }
  const port = kv.get('port');
  if (port === undefined) throw new CliError(`${where}: needs path=PATH (unix socket) or port=PORT (tcp, with host=127.0.0.1)`);
  return { kind: 'socket', addr: tcpAddress(where, kv.get('host') ?? '127.0.0.1', port), wait };
}

/** How a listening socket is named in messages: `unix:PATH` or `tcp:HOST:PORT`. */
export function socketAddressText(a: SocketAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
}
