/**
 * The node database and transactions.
 *
 * Nodes are immutable records keyed by absolute path (special nodes "@introduceDomain" and
 * "@releaseDomain" live here too, as in xenstored). Every write gives the node a new generation.
 * A transaction is an overlay: it records the generation of every node it reads or writes
 * (-1 = absent) and commits only if none of them changed meanwhile, otherwise EAGAIN
 * (the scheme of xenstored_transaction.c since Xen 4.9).
 */
import type { XsPerms } from './xs-perms.js';

export interface XsNode {
  readonly name: string;
  readonly value: Uint8Array;
  readonly perms: XsPerms;
  /** Child base names, in creation order (xenstored appends to the parent's child list). */
  readonly children: readonly string[];
  readonly gen: number;
}

/** What the request handlers see: the live store or a transaction over it. */
export interface XsDb {
  get(path: string): XsNode | undefined;
  put(node: XsNode): void;
  del(path: string): void;
}

export const NO_GENERATION = -1;

export class XsStore implements XsDb {
  private readonly nodes = new Map<string, XsNode>();
  private generation = 0;
  /** Node count per owner domid (xenstored's per-domain entry quota). */
  readonly ownerCount = new Map<number, number>();

  get(path: string): XsNode | undefined {
    return this.nodes.get(path);
  }

  put(node: XsNode): void {
    const old = this.nodes.get(node.name);
    if (old) this.count(old.perms[0]?.id ?? 0, -1);
    this.count(node.perms[0]?.id ?? 0, 1);
    this.nodes.set(node.name, { ...node, gen: ++this.generation });
  }

  del(path: string): void {
    const old = this.nodes.get(path);
    if (!old) return;
    this.count(old.perms[0]?.id ?? 0, -1);
    this.nodes.delete(path);
  }

  get size(): number {
    return this.nodes.size;
  }

  private count(domid: number, d: number): void {
    const n = (this.ownerCount.get(domid) ?? 0) + d;
    if (n === 0) this.ownerCount.delete(domid);
    else this.ownerCount.set(domid, n);
  }
}

export class XsTransaction implements XsDb {
  private readonly overlay = new Map<string, XsNode | null>();
  private readonly accessed = new Map<string, number>();
  /** Watch firings deferred to commit (path, exact-match-only, the node as it was changed). */
  readonly pendingEvents: { path: string; exact: boolean; node: XsNode; oldPerms: XsPerms | undefined }[] = [];
  /** Set when an operation failed half-way: the commit then answers EAGAIN (fail_transaction). */
  failed = false;
  /** Net node-count change per owner, for the quota check inside the transaction. */
  readonly ownerDelta = new Map<number, number>();

  constructor(readonly id: number, private readonly store: XsStore) {}

  private touch(path: string): void {
    if (!this.accessed.has(path)) this.accessed.set(path, this.store.get(path)?.gen ?? NO_GENERATION);
  }

  get(path: string): XsNode | undefined {
    const o = this.overlay.get(path);
    if (o !== undefined) return o ?? undefined;
    this.touch(path);
    return this.store.get(path);
  }

  put(node: XsNode): void {
    const old = this.get(node.name);
    if (old) this.delta(old.perms[0]?.id ?? 0, -1);
    this.delta(node.perms[0]?.id ?? 0, 1);
    this.overlay.set(node.name, node);
  }

  del(path: string): void {
    const old = this.get(path);
    if (old) this.delta(old.perms[0]?.id ?? 0, -1);
    this.overlay.set(path, null);
  }

  private delta(domid: number, d: number): void {
    this.ownerDelta.set(domid, (this.ownerDelta.get(domid) ?? 0) + d);
  }

  /** True when nobody changed a node this transaction looked at. */
  conflictFree(): boolean {
    for (const [path, gen] of this.accessed) {
      if ((this.store.get(path)?.gen ?? NO_GENERATION) !== gen) return false;
    }
    return true;
  }

  /** Apply the overlay to the store, in the order the transaction made its changes. */
  apply(): void {
    for (const [path, node] of this.overlay) {
      if (node) this.store.put(node);
      else this.store.del(path);
    }
  }
}
