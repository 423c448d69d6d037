/**
 * Connection and domain requests: WATCH, UNWATCH, TRANSACTION_START/END, RESET_WATCHES, CONTROL,
 * INTRODUCE, RELEASE, IS_DOMAIN_INTRODUCED, GET_DOMAIN_PATH, RESUME, SET_TARGET
 * (Xen tools/xenstore/xenstored_watch.c, xenstored_transaction.c, xenstored_domain.c, xenstored_control.c).
 */
import type { XsConnection, XsWatch } from './xs-connection.js';
import { type OpCtx, type XsCore, OK, onearg } from './xs-ops-node.js';
import { atoi, canonicalize, fail, parseDomid } from './xs-path.js';
import { XsTransaction } from './xs-store.js';
import { splitStrings, strToBytes, XENSTORE_REL_PATH_MAX } from './xs-wire.js';

export interface XsSessionCore extends XsCore {
  /** Queue the event a new watch fires once on registration. */
  fireOnRegister(conn: XsConnection, w: XsWatch): void;
  introduce(domid: number, mfn: bigint, port: number): void;
  release(domid: number): void;
  isIntroduced(domid: number): boolean;
  resume(domid: number): void;
  setTarget(domid: number, target: number): void;
  control(conn: XsConnection, args: string[]): string;
}

const SPECIAL = ['@introduceDomain', '@releaseDomain'];

/** WATCH "path\0token\0[depth\0]": OK, then the watch fires once with its own path. */
export function doWatch(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  const v = splitStrings(p);
  if (v.length !== 2 && v.length !== 3) fail('EINVAL');
  const [path, token, depthStr] = v as [string, string, string | undefined];
  let depth: number | undefined;
  if (depthStr !== undefined) {
    if (!/^\d+$/.test(depthStr)) fail('EINVAL');
    depth = Number(depthStr);
  }
  let node: string;
  let relative: string | undefined;
  if (path.startsWith('@')) {
    if (path.length > XENSTORE_REL_PATH_MAX) fail('EINVAL');
    const base = SPECIAL.find((s) => path === s || path.startsWith(`${s}/`));
    // docs/misc/xenstore.txt: depth 1 on a special watch reports @<wspecial>/<domid>; nothing else.
    if (!base) fail('EINVAL');
    if (path !== base && (depth !== undefined || parseDomid(path.slice(base!.length + 1)) === undefined)) fail('EINVAL');
    if (path === base && depth !== undefined && depth !== 1) fail('EINVAL');
    node = path;
  } else {
    node = canonicalize(ctx.conn.home, path, false);
    relative = path.startsWith('/') ? undefined : ctx.conn.home;
  }
  const conn = ctx.conn;
  if (conn.watches.some((w) => w.node === node && w.token === token)) fail('EEXIST');
  if (!conn.privileged && conn.watches.length >= ctx.core.quota.watchesPerDomain) fail('E2BIG');
  const w: XsWatch = { node, token, relative, depth };
  conn.watches.push(w);
  // We fire once up front: simplifies clients and restart (xenstored_watch.c do_watch).
  ctx.after = () => ctx.core.fireOnRegister(conn, w);
  return OK;
}

export function doUnwatch(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const v = splitStrings(p);
  if (v.length !== 2) fail('EINVAL');
  const node = v[0]!.startsWith('@') ? v[0]! : canonicalize(ctx.conn.home, v[0], false);
  const i = ctx.conn.watches.findIndex((w) => w.node === node && w.token === v[1]);
  if (i < 0) fail('ENOENT');
  ctx.conn.watches.splice(i, 1);
  return OK;
}

export function doTransactionStart(ctx: OpCtx, _p: Uint8Array): Uint8Array {
  const conn = ctx.conn;
  if (ctx.tx) fail('EBUSY');
  if (!conn.privileged && conn.transactions.size >= ctx.core.quota.transactionsPerDomain) fail('ENOSPC');
  let id = conn.nextTransactionId;
  while (id === 0 || conn.transactions.has(id)) id = (id + 1) >>> 0;
  conn.nextTransactionId = (id + 1) >>> 0;
  conn.transactions.set(id, new XsTransaction(id, ctx.core.store));
  return strToBytes(`${id}\0`);
}

/** TRANSACTION_END "T" commits (EAGAIN if anything it touched changed), "F" aborts. */
export function doTransactionEnd(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const arg = onearg(p);
  if (arg !== 'T' && arg !== 'F') fail('EINVAL');
  const tx = ctx.tx;
  if (!tx) return fail('ENOENT');
  ctx.conn.transactions.delete(tx.id);
  if (arg === 'T') {
    if (tx.failed || !tx.conflictFree()) fail('EAGAIN');
    tx.apply();
    // Watches of a transaction fire only now, as if the changes happened at commit.
    const live: OpCtx = { core: ctx.core, conn: ctx.conn, tx: undefined, db: ctx.core.store };
    for (const e of tx.pendingEvents) ctx.core.fireWatches(live, e.path, e.exact, e.node, e.oldPerms);
  }
  return OK;
}

export function doResetWatches(ctx: OpCtx, _p: Uint8Array): Uint8Array {
  ctx.conn.watches.length = 0;
  ctx.conn.transactions.clear();
  return OK;
}

/** INTRODUCE "domid\0mfn\0port\0": the toolstack hands a new guest's ring to xenstored. */
export function doIntroduce(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  const v = splitStrings(p);
  if (v.length < 3) fail('EINVAL');
  const domid = parseDomid(v[0]);
  const port = atoi(v[2]);
  if (domid === undefined || domid === 0 || !/^\d+$/.test(v[1]!) || port <= 0) fail('EINVAL');
  ctx.core.introduce(domid!, BigInt(v[1]!), port);
  return OK;
}

function knownDomid(ctx: OpCtx & { core: XsSessionCore }, s: string | undefined): number {
  const domid = parseDomid(s);
  if (domid === undefined || domid === 0) return fail('EINVAL');
  if (!ctx.core.isIntroduced(domid)) fail('ENOENT');
  return domid;
}

export function doRelease(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  ctx.core.release(knownDomid(ctx, onearg(p)));
  return OK;
}

export function doResume(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  ctx.core.resume(knownDomid(ctx, onearg(p)));
  return OK;
}

export function doSetTarget(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  const v = splitStrings(p);
  if (v.length !== 2) fail('EINVAL');
  const domid = knownDomid(ctx, v[0]);
  const target = parseDomid(v[1]);
  if (target === undefined) fail('EINVAL');
  ctx.core.setTarget(domid, target!);
  return OK;
}

export function doIsDomainIntroduced(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  const s = onearg(p);
  if (s === undefined) fail('EINVAL');
  const domid = atoi(s);
  return strToBytes(domid === 0 || ctx.core.isIntroduced(domid) ? 'T\0' : 'F\0');
}

export function doGetDomainPath(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const s = onearg(p);
  if (s === undefined) fail('EINVAL');
  return strToBytes(`/local/domain/${atoi(s)}\0`);
}

export function doControl(ctx: OpCtx & { core: XsSessionCore }, p: Uint8Array): Uint8Array {
  const v = splitStrings(p);
  if (v.length === 0) fail('EINVAL');
  return strToBytes(`${ctx.core.control(ctx.conn, v)}\0`);
}
