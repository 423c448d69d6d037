/**
 * The xenstored model: node store, connections, watches, transactions and introduced domains.
 *
 * Requests arrive as complete messages (`handleMessage`) or as a byte stream (`feed`); replies and
 * watch events are queued per connection and handed to each transport by `pump()`, never from inside
 * request processing, so a watch callback may itself talk to xenstored.
 */
import { defineEvent, type Trace } from '../../trace/index.js';
import type { XsConnection, XsTransport, XsWatch } from './xs-connection.js';
import { XsConnection as Connection } from './xs-connection.js';
import { type XsDomain, XsDomainTable, type XsDomainInfo, type XsRingMapper } from './xs-domains.js';
import type { XsRingAttach } from './xs-ring.js';
import {
  DEFAULT_QUOTAS, doDirectory, doDirectoryPart, doGetPerms, doMkdir, doRead, doRm, doSetPerms, doWrite,
  type OpCtx, type XsQuotas,
} from './xs-ops-node.js';
import {
  doControl, doGetDomainPath, doIntroduce, doIsDomainIntroduced, doRelease, doResetWatches, doResume,
  doSetTarget, doTransactionEnd, doTransactionStart, doUnwatch, doWatch, type XsSessionCore,
} from './xs-ops-session.js';
import { isChild, levelsBelow, parentOf, XsFail } from './xs-path.js';
import { XS_PERM_NONE, XS_PERM_READ, type XsPerms, permFor } from './xs-perms.js';
import { type XsNode, XsStore } from './xs-store.js';
import {
  encodeMessage, joinStrings, strToBytes, XENSTORE_ERROR_PROTO, XENSTORE_PAYLOAD_MAX, XS_CONTROL, XS_DIRECTORY,
  XS_DIRECTORY_PART, XS_ERROR, XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR,
  XS_READ, XS_RELEASE, XS_RESET_WATCHES, XS_RESUME, XS_RM, XS_SET_PERMS, XS_SET_TARGET, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_TYPE_COUNT, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE, type XsErrno, type XsHeader,
  xsTypeName,
} from './xs-wire.js';

export const traceXsMessage = defineEvent('xenstore', 'xenstored_process_message',
  (a: { domid: number; type: string; reqId: number; txId: number; len: number }) =>
    `dom${a.domid} ${a.type} req ${a.reqId} tx ${a.txId} len ${a.len}`);
export const traceXsError = defineEvent('xenstore', 'xenstored_send_error',
  (a: { domid: number; type: string; errno: string }) => `dom${a.domid} ${a.type} ==> ${a.errno}`);
export const traceXsWatchEvent = defineEvent('xenstore', 'xenstored_watch_event',
  (a: { domid: number; path: string; token: string }) => `dom${a.domid} ==> ${a.path} token ${a.token}`);
export const traceXsIgnore = defineEvent('xenstore', 'xenstored_ignore_connection',
  (a: { domid: number; err: number }) => `dom${a.domid} err ${a.err}`);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type Handler = (ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array) => Uint8Array;
interface WireFunc { readonly fn: Handler; readonly notid?: boolean; readonly priv?: boolean }

/** wire_funcs[]: NOTID ops ignore the transaction id, PRIV ops are for privileged connections only. */
const WIRE: readonly (WireFunc | undefined)[] = (() => {
  const t: (WireFunc | undefined)[] = new Array(XS_TYPE_COUNT).fill(undefined);
  t[XS_CONTROL] = { fn: doControl, priv: true };
  t[XS_DIRECTORY] = { fn: doDirectory };
  t[XS_READ] = { fn: doRead };
  t[XS_GET_PERMS] = { fn: doGetPerms };
  t[XS_WATCH] = { fn: doWatch, notid: true };
  t[XS_UNWATCH] = { fn: doUnwatch, notid: true };
  t[XS_TRANSACTION_START] = { fn: doTransactionStart };
  t[XS_TRANSACTION_END] = { fn: doTransactionEnd };
  t[XS_INTRODUCE] = { fn: doIntroduce, priv: true };
  t[XS_RELEASE] = { fn: doRelease, priv: true };
  t[XS_GET_DOMAIN_PATH] = { fn: doGetDomainPath };
  t[XS_WRITE] = { fn: doWrite };
  t[XS_MKDIR] = { fn: doMkdir };
  t[XS_RM] = { fn: doRm };
  t[XS_SET_PERMS] = { fn: doSetPerms };
  t[XS_IS_DOMAIN_INTRODUCED] = { fn: doIsDomainIntroduced, priv: true };
  t[XS_RESUME] = { fn: doResume, priv: true };
  t[XS_SET_TARGET] = { fn: doSetTarget, priv: true };
  t[XS_RESET_WATCHES] = { fn: doResetWatches };
  t[XS_DIRECTORY_PART] = { fn: doDirectoryPart };
  return t;
})();

export interface XenstoredOptions {
  trace?: Trace;
  quotas?: Partial<XsQuotas>;
  /** getdomaininfo, asked for every introduced domain on VIRQ_DOM_EXC (undefined = no such domain). */
  domainInfo?: (domid: number) => XsDomainInfo | undefined;
  /** Map a guest's ring page and bind its event channel when XS_INTRODUCE names (mfn, port). */
  mapRing?: XsRingMapper;
  /**
   * Leave in-process output (watch events to XsClient callbacks) queued until the host calls
   * `pump()`, instead of delivering it at the end of each request. Guest rings are still served at
   * once on `guestKick`. For hosts with their own event loop and a timeline to keep in order.
   */
  deferDelivery?: boolean;
}

export class Xenstored implements XsSessionCore {
  readonly store = new XsStore();
  readonly quota: XsQuotas;
  readonly connections = new Set<XsConnection>();
  readonly domains: XsDomainTable;
  readonly trace: Trace | undefined;
  private pumping = false;
  readonly deferDelivery: boolean;

  constructor(opts: XenstoredOptions = {}) {
    this.trace = opts.trace;
    this.deferDelivery = opts.deferDelivery ?? false;
    this.quota = { ...DEFAULT_QUOTAS, ...opts.quotas };
    this.domains = new XsDomainTable(this, opts.domainInfo, opts.mapRing);
    // setup_structure: "/", "/tool", "/tool/xenstored" and the two special nodes, owned by dom0, "n0".
    const perms: XsPerms = [{ id: 0, perms: XS_PERM_NONE }];
    const mk = (name: string, children: string[]): void =>
      this.store.put({ name, value: new Uint8Array(0), perms, children, gen: 0 });
    mk('/', ['tool']);
    mk('/tool', ['xenstored']);
    mk('/tool/xenstored', []);
    mk('@releaseDomain', []);
    mk('@introduceDomain', []);
  }

  /** Open a connection. Socket clients are dom0 and privileged; guest rings use their domid. */
  connect(transport: XsTransport, domid = 0, privileged = domid === 0): XsConnection {
    const conn = new Connection(domid, privileged, transport);
    this.connections.add(conn);
    return conn;
  }

  /** Forget a connection: its watches and open transactions go with it. */
  disconnect(conn: XsConnection): void {
    conn.closed = true;
    conn.watches.length = 0;
    conn.transactions.clear();
    conn.out.length = 0;
    this.connections.delete(conn);
  }

  /** Bytes from a stream transport; a bad header drops the connection (handle_input: bad_client). */
  feed(conn: XsConnection, bytes: Uint8Array): void {
    if (!conn.feed(bytes, (c, h, p) => this.handleMessage(c, h, p))) this.ignore(conn, XENSTORE_ERROR_PROTO);
    // The sender gets its replies now; other connections' events wait for the host when deferred.
    if (this.deferDelivery) this.pump(conn);
    else this.pump();
  }

  /** ignore_connection: stop serving this client and tell its transport why. */
  ignore(conn: XsConnection, err: number): void {
    if (conn.ignored) return;
    if (this.trace?.on(traceXsIgnore)) this.trace.emit(traceXsIgnore, { domid: conn.domid, err });
    conn.ignored = true;
    conn.watches.length = 0;
    conn.transactions.clear();
    conn.out.length = 0;
    conn.transport.abandon?.(err);
  }

  /** process_message: one complete request in, one reply (or XS_ERROR) queued. */
  handleMessage(conn: XsConnection, hdr: XsHeader, payload: Uint8Array): void {
    if (conn.ignored || conn.closed) return;
    const type = xsTypeName(hdr.type);
    if (this.trace?.on(traceXsMessage)) {
      this.trace.emit(traceXsMessage, { domid: conn.domid, type, reqId: hdr.reqId, txId: hdr.txId, len: payload.length });
    }
    const wf = hdr.type < XS_TYPE_COUNT ? WIRE[hdr.type] : undefined;
    let errno: XsErrno | undefined;
    let reply: Uint8Array | undefined;
    let ctx: (OpCtx & { core: XsSessionCore }) | undefined;
    if (!wf) errno = 'ENOSYS';
    else if (wf.priv && !conn.privileged) errno = 'EACCES';
    else {
      const tx = wf.notid || hdr.txId === 0 ? undefined : conn.transactions.get(hdr.txId);
      if (!wf.notid && hdr.txId !== 0 && !tx) errno = 'ENOENT';
      else {
        ctx = { core: this, conn, tx, db: tx ?? this.store };
        try {
          reply = wf.fn(ctx, payload);
        } catch (e) {
          if (!(e instanceof XsFail)) throw e;
          errno = e.errno;
          // A failed change inside a transaction may have left half its work in the overlay.
          if (tx && errno !== 'ENOENT' && errno !== 'EACCES' && errno !== 'EINVAL') tx.failed = true;
        }
      }
    }
    if (reply && reply.length > XENSTORE_PAYLOAD_MAX) { reply = undefined; errno = 'E2BIG'; }
    if (errno !== undefined) {
      if (this.trace?.on(traceXsError)) this.trace.emit(traceXsError, { domid: conn.domid, type, errno });
      conn.out.push(encodeMessage(XS_ERROR, hdr.reqId, hdr.txId, strToBytes(`${errno}\0`)));
      return;
    }
    conn.out.push(encodeMessage(hdr.type, hdr.reqId, hdr.txId, reply!));
    ctx?.after?.();
  }

  /**
   * Hand queued output to transports until every queue is empty or blocked. Re-entrant calls return
   * at once (the outer loop delivers what they queued). If a transport (an in-process watch callback)
   * throws, delivery still finishes and the first error is rethrown to whoever caused the pump.
   */
  pump(only?: XsConnection): number {
    if (this.pumping) return 0;
    this.pumping = true;
    let firstError: unknown;
    let failed = false;
    let delivered = 0;
    try {
      let progress = true;
      while (progress) {
        progress = false;
        for (const conn of only ? [only] : [...this.connections]) {
          while (conn.out.length > 0 && !conn.ignored && !conn.closed) {
            const msg = conn.out[0]!;
            let taken: boolean;
            try {
              taken = conn.transport.deliver(msg);
            } catch (e) {
              if (!failed) { failed = true; firstError = e; }
              taken = true;
            }
            if (!taken) break;
            // The callback may have changed the queue (nested requests take their replies out).
            const i = conn.out.indexOf(msg);
            if (i >= 0) conn.out.splice(i, 1);
            delivered++;
            progress = true;
          }
        }
      }
    } finally {
      this.pumping = false;
    }
    if (failed) throw firstError;
    return delivered;
  }

  /** Pump unless the host asked to drive delivery itself (`deferDelivery`). */
  autoPump(): void {
    if (!this.deferDelivery) this.pump();
  }

  /** Nothing queued for any open connection. */
  get idle(): boolean {
    for (const c of this.connections) if (c.out.length > 0 && !c.ignored && !c.closed) return false;
    return true;
  }

  private canRead(conn: XsConnection, perms: XsPerms): boolean {
    return (permFor(conn, perms) & XS_PERM_READ) !== 0;
  }

  /** watch_permitted: the node (or its parent) must be readable; for SET_PERMS the old perms too. */
  private permitted(conn: XsConnection, node: XsNode, oldPerms: XsPerms | undefined): boolean {
    if (conn.privileged) return true;
    if (oldPerms && !this.canRead(conn, oldPerms)) return false;
    if (this.canRead(conn, node.perms)) return true;
    const parent = this.store.get(parentOf(node.name));
    return parent !== undefined && this.canRead(conn, parent.perms);
  }

  private queueEvent(conn: XsConnection, w: XsWatch, path: string): void {
    let shown = path;
    if (w.relative && path.startsWith(w.relative)) {
      shown = path.slice(w.relative.length);
      if (shown.startsWith('/')) shown = shown.slice(1);
    }
    if (this.trace?.on(traceXsWatchEvent)) this.trace.emit(traceXsWatchEvent, { domid: conn.domid, path: shown, token: w.token });
    const payload = joinStrings([shown, w.token]);
    // Don't try to send over-long events (send_event).
    if (payload.length > XENSTORE_PAYLOAD_MAX) return;
    const msg = encodeMessage(XS_WATCH_EVENT, 0, 0, payload);
    // An identical event still queued is not sent twice; special events are exempt (send_event).
    if (!path.startsWith('@') && conn.out.some((m) => sameBytes(m, msg))) return;
    conn.out.push(msg);
  }

  fireWatches(ctx: OpCtx, path: string, exact: boolean, node: XsNode, oldPerms?: XsPerms): void {
    // During transactions, don't fire watches: they fire at commit.
    if (ctx.tx) {
      ctx.tx.pendingEvents.push({ path, exact, node, oldPerms });
      return;
    }
    for (const conn of this.connections) {
      if (conn.ignored || conn.watches.length === 0) continue;
      for (const w of conn.watches) {
        if (w.node.startsWith('@')) continue;
        const hit = exact ? w.node === path
          : isChild(path, w.node) && (w.depth === undefined || levelsBelow(path, w.node) <= w.depth);
        if (hit && this.permitted(conn, node, oldPerms)) this.queueEvent(conn, w, path);
      }
    }
  }

  fireOnRegister(conn: XsConnection, w: XsWatch): void {
    this.queueEvent(conn, w, w.node);
  }

  /**
   * Fire a special watch for the domains in `domids`: one plain event ("@releaseDomain": the watcher
   * rescans), plus "@releaseDomain/<domid>" for depth-1 watchers and for watchers of that domain.
   * Unprivileged connections need read access to the special node (XS_SET_PERMS on it).
   */
  fireSpecial(special: '@introduceDomain' | '@releaseDomain', domids: readonly number[]): void {
    const sn = this.store.get(special);
    for (const conn of this.connections) {
      if (conn.ignored || conn.watches.length === 0) continue;
      if (!conn.privileged && !(sn && this.canRead(conn, sn.perms))) continue;
      for (const w of conn.watches) {
        if (w.node === special && w.depth === undefined) this.queueEvent(conn, w, special);
        else if (w.node === special) for (const d of domids) this.queueEvent(conn, w, `${special}/${d}`);
        else for (const d of domids) if (w.node === `${special}/${d}`) this.queueEvent(conn, w, w.node);
      }
    }
  }

  // --- domain side (xenstored_domain.c), see xs-domains.ts ---
  introduce(domid: number, mfn: bigint, port: number): void {
    this.domains.introduce(domid, mfn, port);
  }
  release(domid: number): void {
    this.domains.release(domid);
  }
  isIntroduced(domid: number): boolean {
    return this.domains.get(domid) !== undefined;
  }
  resume(domid: number): void {
    const d = this.domains.get(domid);
    if (d) d.shutdown = false;
  }
  setTarget(domid: number, target: number): void {
    const d = this.domains.get(domid);
    if (d?.conn) d.conn.target = target;
  }

  /** XS_CONTROL, minimal: "check", "print <text>", "help". Anything else is EINVAL. */
  control(_conn: XsConnection, args: string[]): string {
    switch (args[0]) {
      case 'check': return 'OK';
      case 'print': return 'OK';
      case 'help': return 'check\nprint <string>\nhelp\n';
      default: throw new XsFail('EINVAL');
    }
  }

  /**
   * In-process XS_INTRODUCE for the toolstack/hypervisor model: record the domain, attach its ring
   * page (optional) and fire @introduceDomain. Returns the domain record (its `ring.kick()` serves the guest).
   */
  introduceDomain(domid: number, opts: { mfn?: bigint | number; port?: number; ring?: XsRingAttach } = {}): XsDomain {
    const d = this.domains.introduce(domid, BigInt(opts.mfn ?? 0), opts.port ?? 0, opts.ring);
    this.autoPump();
    return d;
  }

  /** In-process XS_RELEASE: drop the domain and its ring connection, fire @releaseDomain. False if unknown. */
  releaseDomain(domid: number): boolean {
    const ok = this.domains.release(domid);
    this.autoPump();
    return ok;
  }

  /** The guest notified its xenstore event channel: serve its ring. */
  guestKick(domid: number): void {
    this.domains.get(domid)?.ring?.kick();
  }

  /** The hypervisor raised VIRQ_DOM_EXC: rescan domains, fire @releaseDomain (domain_cleanup). */
  virqDomExc(): void {
    this.domains.cleanup();
    this.autoPump();
  }
}
