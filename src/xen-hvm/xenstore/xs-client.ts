/**
 * An in-process xenstore client, the libxenstore `xs_handle` of this model. Every call is a real
 * xsd_sockmsg request through xenstored's request path (same checks, same errors); replies come back
 * synchronously. Watch callbacks run from xenstored's pump, after the request that caused them, never
 * nested inside request processing, so a callback may call back into xenstore.
 */
import type { XsConnection, XsTransport } from './xs-connection.js';
import type { Xenstored } from './xenstored.js';
import {
  bytesToStr, joinStrings, readHeader, splitStrings, strToBytes, XS_CONTROL, XS_DIRECTORY, XS_ERROR,
  XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ, XS_RELEASE,
  XS_RESET_WATCHES, XS_RESUME, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH,
  XS_WATCH_EVENT, XS_WRITE, XSD_SOCKMSG_SIZE, type XsErrno, xsTypeName,
} from './xs-wire.js';

/** A request answered with XS_ERROR. */
export class XsError extends Error {
  constructor(readonly errno: XsErrno, readonly op: string, readonly path?: string) {
    super(`xenstore ${op}${path !== undefined ? ` ${path}` : ''}: ${errno}`);
    this.name = 'XsError';
  }
}

export type XsWatchCallback = (path: string, token: string) => void;

const utf8 = new TextDecoder();
const utf8e = new TextEncoder();

export class XsClient implements XsTransport {
  readonly conn: XsConnection;
  private reqId = 1;
  private readonly callbacks = new Map<string, XsWatchCallback>();
  /** Watch events with no callback registered (kept for `takeEvents`). */
  readonly events: { path: string; token: string }[] = [];

  /** domid 0 is privileged (the toolstack); other domids act with that guest's permissions. */
  constructor(private readonly xs: Xenstored, domid = 0, privileged = domid === 0) {
    this.conn = xs.connect(this, domid, privileged);
  }

  deliver(msg: Uint8Array): boolean {
    const h = readHeader(msg);
    if (h.type !== XS_WATCH_EVENT) return true; // replies are taken synchronously by request()
    const [path = '', token = ''] = splitStrings(msg.subarray(XSD_SOCKMSG_SIZE));
    const cb = this.callbacks.get(token);
    if (!cb) {
      this.events.push({ path, token });
      return true;
    }
    cb(path, token); // an exception propagates out of xenstored.pump() to whoever caused the event
    return true;
  }

  /** Send one request; the raw reply payload, or XsError. */
  request(type: number, payload: Uint8Array, tx = 0, what?: string): Uint8Array {
    if (this.conn.closed) throw new Error('xenstore client is closed');
    const reqId = this.reqId++;
    this.xs.handleMessage(this.conn, { type, reqId, txId: tx, len: payload.length }, payload);
    const i = this.conn.out.findIndex((m) => {
      const h = readHeader(m);
      return h.type !== XS_WATCH_EVENT && h.reqId === reqId;
    });
    if (i < 0) throw new Error(`xenstore ${xsTypeName(type)}: no reply`);
    const msg = this.conn.out.splice(i, 1)[0]!;
    const h = readHeader(msg);
    const body = msg.subarray(XSD_SOCKMSG_SIZE);
    this.xs.autoPump();
    if (h.type === XS_ERROR) throw new XsError(bytesToStr(body, 0, body.length - 1) as XsErrno, xsTypeName(type), what);
    return body;
  }

  private path1(type: number, path: string, tx = 0): Uint8Array {
    return this.request(type, strToBytes(`${path}\0`), tx, path);
  }

  readBytes(path: string, tx = 0): Uint8Array {
    return this.path1(XS_READ, path, tx);
  }
  read(path: string, tx = 0): string {
    return utf8.decode(this.readBytes(path, tx));
  }
  /** read, but undefined for ENOENT. */
  tryRead(path: string, tx = 0): string | undefined {
    try {
      return this.read(path, tx);
    } catch (e) {
      if (e instanceof XsError && e.errno === 'ENOENT') return undefined;
      throw e;
    }
  }
  write(path: string, value: string | Uint8Array, tx = 0): void {
    const v = typeof value === 'string' ? utf8e.encode(value) : value;
    const p = new Uint8Array(path.length + 1 + v.length);
    p.set(strToBytes(`${path}\0`));
    p.set(v, path.length + 1);
    this.request(XS_WRITE, p, tx, path);
  }
  mkdir(path: string, tx = 0): void {
    this.path1(XS_MKDIR, path, tx);
  }
  rm(path: string, tx = 0): void {
    this.path1(XS_RM, path, tx);
  }
  directory(path: string, tx = 0): string[] {
    return splitStrings(this.path1(XS_DIRECTORY, path, tx));
  }
  getPerms(path: string, tx = 0): string[] {
    return splitStrings(this.path1(XS_GET_PERMS, path, tx));
  }
  setPerms(path: string, perms: readonly string[], tx = 0): void {
    this.request(XS_SET_PERMS, joinStrings([path, ...perms]), tx, path);
  }

  /** XS_WATCH; `cb` runs for every event with this token, starting with the one registration fires. */
  watch(path: string, token: string, cb?: XsWatchCallback, depth?: number): void {
    if (cb) this.callbacks.set(token, cb);
    try {
      this.request(XS_WATCH, joinStrings(depth === undefined ? [path, token] : [path, token, String(depth)]), 0, path);
    } catch (e) {
      if (cb) this.callbacks.delete(token);
      throw e;
    }
  }
  unwatch(path: string, token: string): void {
    this.request(XS_UNWATCH, joinStrings([path, token]), 0, path);
    if (!this.conn.watches.some((w) => w.token === token)) this.callbacks.delete(token);
  }
  resetWatches(): void {
    this.request(XS_RESET_WATCHES, new Uint8Array(0));
    this.callbacks.clear();
  }
  /** Events that arrived for tokens without a callback, oldest first; clears the list. */
  takeEvents(): { path: string; token: string }[] {
    return this.events.splice(0);
  }

  transactionStart(): number {
    const r = this.request(XS_TRANSACTION_START, strToBytes('\0'));
    return Number(bytesToStr(r, 0, r.length - 1));
  }
  /** Commit (or abort with commit=false). False if the commit hit EAGAIN: the caller retries. */
  transactionEnd(tx: number, commit = true): boolean {
    try {
      this.request(XS_TRANSACTION_END, strToBytes(commit ? 'T\0' : 'F\0'), tx);
      return true;
    } catch (e) {
      if (e instanceof XsError && e.errno === 'EAGAIN') return false;
      throw e;
    }
  }
  /** Run `fn` in a transaction, retrying on EAGAIN (the loop every xenstore user writes). */
  transaction<T>(fn: (tx: number) => T, maxAttempts = 100): T {
    for (let i = 0; i < maxAttempts; i++) {
      const tx = this.transactionStart();
      let result: T;
      try {
        result = fn(tx);
      } catch (e) {
        this.transactionEnd(tx, false);
        throw e;
      }
      if (this.transactionEnd(tx, true)) return result;
    }
    throw new XsError('EAGAIN', 'TRANSACTION_END');
  }

  introduceDomain(domid: number, mfn: bigint | number, port: number): void {
    this.request(XS_INTRODUCE, joinStrings([String(domid), String(mfn), String(port)]));
  }
  releaseDomain(domid: number): void {
    this.request(XS_RELEASE, strToBytes(`${domid}\0`));
  }
  resumeDomain(domid: number): void {
    this.request(XS_RESUME, strToBytes(`${domid}\0`));
  }
  isDomainIntroduced(domid: number): boolean {
    return bytesToStr(this.request(XS_IS_DOMAIN_INTRODUCED, strToBytes(`${domid}\0`))) === 'T\0';
  }
  getDomainPath(domid: number): string {
    const r = this.request(XS_GET_DOMAIN_PATH, strToBytes(`${domid}\0`));
    return bytesToStr(r, 0, r.length - 1);
  }
  control(...args: string[]): string {
    const r = this.request(XS_CONTROL, joinStrings(args));
    return bytesToStr(r, 0, r.length - 1);
  }

  close(): void {
    this.xs.disconnect(this.conn);
  }
}
