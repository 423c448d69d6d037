/**
 * The `-qmp` option (QEMU chardev syntax, a subset): `unix:PATH[,server=on|off][,wait=on|off]`
 * and `tcp:HOST:PORT[,...]`, with the legacy flags `server` and `nowait`.
 * acpidm only listens, and TCP only on the loopback interface: a monitor that
 * can stop or destroy the VM must not be reachable from the network.
 */

export type QmpSpec =
  | { kind: 'unix'; path: string; wait: boolean }
  | { kind: 'tcp'; host: string; port: number; wait: boolean }
  /** A socket already listening, inherited from the parent (`-chardev socket,fd=N,server=on`: libvirt's monitor). */
  | { kind: 'fd'; fd: number; wait: boolean };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export class QmpSpecError extends Error {
  override name = 'QmpSpecError';
}

function onOff(key: string, v: string | undefined): boolean {
  if (v === undefined || v === 'on' || v === 'yes' || v === 'true') return true;
  if (v === 'off' || v === 'no' || v === 'false') return false;
  throw new QmpSpecError(`-qmp: parameter '${key}' expects 'on' or 'off', got '${v}'`);
}

export function parseQmpSpec(text: string): QmpSpec {
  const [target = '', ...opts] = text.split(',');
  let server: boolean | undefined;
  let wait = true; // QEMU's default for a server chardev
  for (const o of opts) {
    const eq = o.indexOf('=');
    const k = eq < 0 ? o : o.slice(0, eq);
    const v = eq < 0 ? undefined : o.slice(eq + 1);
    if (k === 'server') server = onOff(k, v);
    else if (k === 'wait') wait = onOff(k, v);
    else if (k === 'nowait' && v === undefined) wait = false;
    else throw new QmpSpecError(`-qmp: unsupported option '${o}' (acpidm knows server=on|off, wait=on|off, nowait)`);
  }
  if (server !== true) {
    throw new QmpSpecError(`-qmp ${text}: acpidm only listens for clients; add server=on (for example ${target},server=on,wait=off)`);
  }
  if (target.startsWith('unix:')) {
    const path = target.slice(5);
    if (!path) throw new QmpSpecError('-qmp unix: needs a socket path, for example unix:/tmp/acpidm.qmp');
    return { kind: 'unix', path, wait };
  }
  if (target.startsWith('tcp:')) {
    const rest = target.slice(4);
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw new QmpSpecError(`-qmp ${target}: expected tcp:127.0.0.1:PORT`);
    const host = rest.slice(0, colon);
    const portText = rest.slice(colon + 1);
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new QmpSpecError(`-qmp ${target}: '${portText}' is not a TCP port number (0-65535)`);
    if (!LOOPBACK.has(host)) {
      throw new QmpSpecError(`-qmp ${target}: refusing to listen on '${host || '(all interfaces)'}': the QMP monitor can stop and destroy the VM, so acpidm listens on loopback only (use tcp:127.0.0.1:${portText})`);
    }
    return { kind: 'tcp', host: host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''), port, wait };
  }
  throw new QmpSpecError(`-qmp ${target}: expected unix:PATH or tcp:127.0.0.1:PORT`);
}

/** A client-side address: a unix path, `unix:PATH`, or `tcp:127.0.0.1:PORT` (no options). */
export function parseQmpAddress(text: string): QmpSpec {
  if (text.startsWith('tcp:') || text.startsWith('unix:')) return parseQmpSpec(`${text.split(',')[0]},server=on`);
  if (!text) throw new QmpSpecError('missing QMP socket (a unix socket path or tcp:127.0.0.1:PORT)');
  return { kind: 'unix', path: text, wait: false };
}
