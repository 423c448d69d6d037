/**
 * A guest's xenstore ring page (struct xenstore_domain_interface, xs_wire.h) served as one
 * xenstored connection with the guest's own domid and permissions (xenstored_domain.c
 * readchn / writechn / domain_conn_reset).
 *
 * The page is a Uint8Array view of guest memory. The guest kicks its event channel; the
 * hypervisor model calls `kick()`; xenstored answers through `notify` (the guest's event channel).
 */
import type { XsConnection, XsTransport } from './xs-connection.js';
import type { Xenstored } from './xenstored.js';
import {
  MASK_XENSTORE_IDX, XENSTORE_CONNECTED, XENSTORE_DOMAIN_INTERFACE_SIZE, XENSTORE_ERROR_NONE,
  XENSTORE_ERROR_RINGIDX, XENSTORE_RECONNECT, XENSTORE_RING_SIZE, XENSTORE_SERVER_FEATURE_ERROR,
  XENSTORE_SERVER_FEATURE_RECONNECTION, XS_INTF_CONNECTION, XS_INTF_ERROR, XS_INTF_REQ, XS_INTF_REQ_CONS,
  XS_INTF_REQ_PROD, XS_INTF_RSP, XS_INTF_RSP_CONS, XS_INTF_RSP_PROD, XS_INTF_SERVER_FEATURES,
} from './xs-wire.js';

/** What the hypervisor gives xenstored for one guest: the mapped page and a way to raise the guest's event channel. */
export interface XsRingAttach {
  readonly page: Uint8Array;
  readonly notify: () => void;
}

export class XsRing implements XsTransport {
  readonly conn: XsConnection;
  private readonly v: DataView;
  /** Tail of a reply that did not fit in rsp[] yet (xenstored writes partial messages). */
  private partial: Uint8Array | undefined;
  private pendingNotify = false;

  constructor(private readonly xs: Xenstored, readonly domid: number, private readonly attach: XsRingAttach) {
    const page = attach.page;
    if (page.length < XENSTORE_DOMAIN_INTERFACE_SIZE) {
      throw new Error(`xenstore ring for domain ${domid}: page is ${page.length} bytes, struct xenstore_domain_interface needs ${XENSTORE_DOMAIN_INTERFACE_SIZE}`);
    }
    this.v = new DataView(page.buffer, page.byteOffset, XENSTORE_DOMAIN_INTERFACE_SIZE);
    this.conn = xs.connect(this, domid, false);
    this.v.setUint32(XS_INTF_SERVER_FEATURES, XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR, true);
  }

  private u32(off: number): number {
    return this.v.getUint32(off, true);
  }
  private set32(off: number, val: number): void {
    this.v.setUint32(off, val >>> 0, true);
  }

  /** The guest notified xenstored's event channel. */
  kick(): void {
    if (this.conn.closed) return;
    if (this.u32(XS_INTF_CONNECTION) === XENSTORE_RECONNECT) {
      this.reset();
      return;
    }
    if (this.conn.ignored) return;
    this.flushPartial();
    this.readRequests();
    this.xs.pump(this.xs.deferDelivery ? this.conn : undefined);
    this.flushNotify();
  }

  /** readchn: copy what the guest produced, then publish req_cons. */
  private readRequests(): void {
    const page = this.attach.page;
    for (;;) {
      const cons = this.u32(XS_INTF_REQ_CONS);
      const prod = this.u32(XS_INTF_REQ_PROD);
      const avail = (prod - cons) >>> 0;
      if (avail === 0) return;
      if (avail > XENSTORE_RING_SIZE) {
        this.xs.ignore(this.conn, XENSTORE_ERROR_RINGIDX);
        return;
      }
      const start = MASK_XENSTORE_IDX(cons);
      const n = Math.min(avail, XENSTORE_RING_SIZE - start);
      // Copy first: the guest may reuse the space as soon as it sees req_cons move.
      const bytes = page.slice(XS_INTF_REQ + start, XS_INTF_REQ + start + n);
      this.set32(XS_INTF_REQ_CONS, cons + n);
      this.pendingNotify = true;
      this.xs.feed(this.conn, bytes);
      if (this.conn.ignored || this.conn.closed) return;
    }
  }

  /** writechn: as much of `msg` as fits; returns the bytes written, or -1 on corrupt indexes. */
  private write(msg: Uint8Array): number {
    const cons = this.u32(XS_INTF_RSP_CONS);
    const prod = this.u32(XS_INTF_RSP_PROD);
    const used = (prod - cons) >>> 0;
    if (used > XENSTORE_RING_SIZE) return -1;
    let written = 0;
    let p = prod;
    while (written < msg.length && ((p - cons) >>> 0) < XENSTORE_RING_SIZE) {
      const start = MASK_XENSTORE_IDX(p);
      const room = Math.min(XENSTORE_RING_SIZE - start, XENSTORE_RING_SIZE - ((p - cons) >>> 0), msg.length - written);
      this.attach.page.set(msg.subarray(written, written + room), XS_INTF_RSP + start);
      written += room;
      p = (p + room) >>> 0;
    }
    // Contents first, then the producer index the guest polls.
    if (written > 0) {
      this.set32(XS_INTF_RSP_PROD, p);
      this.pendingNotify = true;
    }
    return written;
  }

  private flushPartial(): boolean {
    if (!this.partial) return true;
    const n = this.write(this.partial);
    if (n < 0) {
      this.xs.ignore(this.conn, XENSTORE_ERROR_RINGIDX);
      return false;
    }
    this.partial = n === this.partial.length ? undefined : this.partial.subarray(n);
    return this.partial === undefined;
  }

  deliver(msg: Uint8Array): boolean {
    if (!this.flushPartial()) return false;
    const n = this.write(msg);
    if (n < 0) {
      this.xs.ignore(this.conn, XENSTORE_ERROR_RINGIDX);
      return false;
    }
    if (n < msg.length) this.partial = msg.subarray(n);
    this.flushNotify();
    return true;
  }

  abandon(err: number): void {
    this.set32(XS_INTF_ERROR, err);
    this.partial = undefined;
    this.attach.notify();
  }

  private flushNotify(): void {
    if (!this.pendingNotify) return;
    this.pendingNotify = false;
    this.attach.notify();
  }

  /** domain_conn_reset, on connection == XENSTORE_RECONNECT: forget everything, zero the indexes. */
  private reset(): void {
    const c = this.conn;
    c.watches.length = 0;
    c.transactions.clear();
    c.out.length = 0;
    c.resetInput();
    c.ignored = false;
    this.partial = undefined;
    for (const off of [XS_INTF_REQ_CONS, XS_INTF_REQ_PROD, XS_INTF_RSP_CONS, XS_INTF_RSP_PROD]) this.set32(off, 0);
    this.set32(XS_INTF_ERROR, XENSTORE_ERROR_NONE);
    // Indexes and error first; `connection` last, it is what the guest waits on.
    this.set32(XS_INTF_CONNECTION, XENSTORE_CONNECTED);
    this.attach.notify();
  }

  close(): void {
    this.xs.disconnect(this.conn);
  }
}
