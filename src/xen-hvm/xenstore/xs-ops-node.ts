/**
 * Node requests: READ, WRITE, MKDIR, RM, DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS
 * (Xen tools/xenstore/xenstored_core.c do_read, do_write, ...). Each handler takes the request
 * payload and returns the reply payload or throws XsFail(errno).
 */
import type { XsConnection } from './xs-connection.js';
import {
  XS_PERM_NONE, XS_PERM_OWNER, XS_PERM_READ, XS_PERM_WRITE, type XsPerms, parsePerms, permFor, permsToStrings,
} from './xs-perms.js';
import type { XsDb, XsNode, XsStore, XsTransaction } from './xs-store.js';
import { atoi, baseName, canonicalize, childPath, fail, parentOf, XsFail } from './xs-path.js';
import { bytesToStr, joinStrings, splitStrings, strToBytes, XENSTORE_PAYLOAD_MAX } from './xs-wire.js';

export interface XsQuotas {
  /** Nodes a guest may own (xenstored -E, default 1000): ENOSPC beyond. */
  nodesPerDomain: number;
  /** Bytes of one node's value for a guest (xenstored -S, default 2048): ENOSPC beyond. */
  entrySize: number;
  /** Watches per guest connection (xenstored -W, default 128): E2BIG beyond. */
  watchesPerDomain: number;
  /** Open transactions per guest connection (xenstored -t, default 10): ENOSPC beyond. */
  transactionsPerDomain: number;
  /** Permission entries per node set by a guest (xenstored -A, default 5): ENOSPC beyond. */
  permsPerNode: number;
}

export const DEFAULT_QUOTAS: XsQuotas = {
  nodesPerDomain: 1000, entrySize: 2048, watchesPerDomain: 128, transactionsPerDomain: 10, permsPerNode: 5,
};

/** What a handler may use of xenstored. */
export interface XsCore {
  readonly store: XsStore;
  readonly quota: XsQuotas;
  /** fire_watches: `exact` = only watches on exactly `path` (deleted descendants of an RM). */
  fireWatches(ctx: OpCtx, path: string, exact: boolean, node: XsNode, oldPerms?: XsPerms): void;
}

export interface OpCtx {
  readonly core: XsCore;
  readonly conn: XsConnection;
  readonly tx: XsTransaction | undefined;
  readonly db: XsDb;
  /** Run after the reply is queued (XS_WATCH fires its first event after the "OK"). */
  after?: () => void;
}

export const OK = strToBytes('OK\0');

/** The payload must contain exactly one NUL, at the end (xenstored onearg). */
export function onearg(p: Uint8Array): string | undefined {
  if (p.length === 0 || p.indexOf(0) !== p.length - 1) return undefined;
  return bytesToStr(p, 0, p.length - 1);
}

/** What do parents say? The permission on the nearest existing ancestor. */
function askParents(ctx: OpCtx, path: string): number {
  let name = path;
  do {
    name = parentOf(name);
    const node = ctx.db.get(name);
    if (node) return permFor(ctx.conn, node.perms);
  } while (name !== '/');
  return XS_PERM_NONE;
}

/**
 * get_node + errno_from_parents: a missing node reads as ENOENT only if the nearest existing
 * ancestor grants the same access; otherwise EACCES, so existence does not leak.
 */
export function getNode(ctx: OpCtx, path: string, perm: number): XsNode {
  const node = ctx.db.get(path);
  if (node && (permFor(ctx.conn, node.perms) & perm) === perm) return node;
  const errno = node ? 'EACCES' : 'ENOENT';
  return fail(askParents(ctx, path) & perm ? errno : 'EACCES');
}

function isMissing(e: unknown): boolean {
  if (e instanceof XsFail) return e.errno === 'ENOENT';
  throw e;
}

function ownedCount(ctx: OpCtx, domid: number): number {
  return (ctx.core.store.ownerCount.get(domid) ?? 0) + (ctx.tx?.ownerDelta.get(domid) ?? 0);
}

/** construct_node + create_node: create `path` and any missing ancestors, inheriting permissions. */
function createNode(ctx: OpCtx, path: string, value: Uint8Array): XsNode {
  const names = [path];
  let parent: XsNode | undefined;
  for (;;) {
    const p = parentOf(names[names.length - 1]!);
    parent = ctx.db.get(p);
    if (parent) break;
    if (p === '/') fail('ENOENT');
    names.push(p);
  }
  let node = parent;
  for (let i = names.length - 1; i >= 0; i--) {
    const name = names[i]!;
    // Unprivileged domains own what they create (construct_node).
    if (!ctx.conn.privileged && ownedCount(ctx, ctx.conn.domid) >= ctx.core.quota.nodesPerDomain) fail('ENOSPC');
    const perms = ctx.conn.privileged ? node.perms : [{ ...node.perms[0]!, id: ctx.conn.domid }, ...node.perms.slice(1)];
    ctx.db.put({ ...node, children: [...node.children, baseName(name)] });
    const child: XsNode = { name, value: i === 0 ? value : new Uint8Array(0), perms, children: [], gen: 0 };
    ctx.db.put(child);
    node = child;
  }
  return node;
}

function checkValueSize(ctx: OpCtx, value: Uint8Array): void {
  if (!ctx.conn.privileged && value.length > ctx.core.quota.entrySize) fail('ENOSPC');
}

export function doRead(ctx: OpCtx, p: Uint8Array): Uint8Array {
  return getNode(ctx, canonicalize(ctx.conn.home, onearg(p), false), XS_PERM_READ).value;
}

export function doWrite(ctx: OpCtx, p: Uint8Array): Uint8Array {
  // Extra "strings" can be created by binary data: only the first NUL ends the path.
  const nul = p.indexOf(0);
  if (nul < 0) fail('EINVAL');
  const name = canonicalize(ctx.conn.home, bytesToStr(p, 0, nul), false);
  const value = p.slice(nul + 1);
  let node: XsNode;
  try {
    node = getNode(ctx, name, XS_PERM_WRITE);
    checkValueSize(ctx, value);
    node = { ...node, value };
    ctx.db.put(node);
  } catch (e) {
    if (!isMissing(e)) throw e;
    checkValueSize(ctx, value);
    node = createNode(ctx, name, value);
  }
  ctx.core.fireWatches(ctx, name, false, node);
  return OK;
}

export function doMkdir(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const name = canonicalize(ctx.conn.home, onearg(p), false);
  try {
    getNode(ctx, name, XS_PERM_WRITE); // If it already exists, fine.
  } catch (e) {
    if (!isMissing(e)) throw e;
    ctx.core.fireWatches(ctx, name, false, createNode(ctx, name, new Uint8Array(0)));
  }
  return OK;
}

export function doRm(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const name = canonicalize(ctx.conn.home, onearg(p), false);
  let root: XsNode;
  try {
    root = getNode(ctx, name, XS_PERM_WRITE);
  } catch (e) {
    // Didn't exist already? Fine, if the parent exists.
    if (isMissing(e) && ctx.db.get(parentOf(name))) return OK;
    throw e;
  }
  if (name === '/') fail('EINVAL');
  const parent = ctx.db.get(parentOf(name));
  if (!parent) return fail('EINVAL');
  // Post-order walk (walk_node_tree exit callback): children go before their parent. Watches
  // fire while the node's permissions are still visible; only the root fires for watchers above it.
  const rmTree = (node: XsNode): void => {
    for (const c of node.children) {
      const child = ctx.db.get(childPath(node.name, c));
      if (child) rmTree(child);
    }
    ctx.core.fireWatches(ctx, node.name, node.name !== name, node);
    ctx.db.del(node.name);
  };
  rmTree(root);
  const base = baseName(name);
  ctx.db.put({ ...parent, children: parent.children.filter((c) => c !== base) });
  return OK;
}

export function doDirectory(ctx: OpCtx, p: Uint8Array): Uint8Array {
  return joinStrings(getNode(ctx, canonicalize(ctx.conn.home, onearg(p), false), XS_PERM_READ).children);
}

/** DIRECTORY_PART "path\0offset\0" -> "generation\0" + the children that fit from byte `offset` (+ "\0" at the end). */
export function doDirectoryPart(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const strs = splitStrings(p);
  if (strs.length !== 2) fail('EINVAL');
  const node = getNode(ctx, canonicalize(ctx.conn.home, strs[0], false), XS_PERM_READ);
  const all = node.children.map((c) => `${c}\0`).join('');
  const off = atoi(strs[1]);
  const gen = `${node.gen}\0`;
  if (off >= all.length) return strToBytes(`${gen}\0`);
  const maxlen = XENSTORE_PAYLOAD_MAX - gen.length - 1;
  let len = 0;
  while (off + len < all.length) {
    const next = all.indexOf('\0', off + len) + 1 - (off + len);
    if (len + next - 1 >= maxlen) break;
    len += next;
  }
  const end = off + len === all.length ? '\0' : '';
  return strToBytes(gen + all.slice(off, off + len) + end);
}

export function doGetPerms(ctx: OpCtx, p: Uint8Array): Uint8Array {
  return joinStrings(permsToStrings(getNode(ctx, canonicalize(ctx.conn.home, onearg(p), true), XS_PERM_READ).perms));
}

export function doSetPerms(ctx: OpCtx, p: Uint8Array): Uint8Array {
  const strs = splitStrings(p);
  if (strs.length < 2) fail('EINVAL');
  if (!ctx.conn.privileged && strs.length - 1 > ctx.core.quota.permsPerNode) fail('ENOSPC');
  const perms = parsePerms(strs.slice(1));
  if (!perms) return fail('EINVAL');
  // We must own the node to do this (tools can do this too).
  const name = canonicalize(ctx.conn.home, strs[0], true);
  const node = getNode(ctx, name, XS_PERM_WRITE | XS_PERM_OWNER);
  // Unprivileged domains may not change the owner.
  if (!ctx.conn.privileged && perms[0]!.id !== node.perms[0]!.id) fail('EPERM');
  const updated = { ...node, perms };
  ctx.db.put(updated);
  ctx.core.fireWatches(ctx, name, false, updated, node.perms);
  return OK;
}
