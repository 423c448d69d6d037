/**
 * The guest side of a xenstore ring (what Linux drivers/xen/xenbus/xenbus_comms.c does): write
 * requests into req[], advance req_prod, kick; read replies and watch events from rsp[].
 * Used by tests and by guest models that talk xenstore without running guest code.
 */
import {
  encodeMessage, MASK_XENSTORE_IDX, readHeader, XENSTORE_RING_SIZE, XS_INTF_REQ, XS_INTF_REQ_CONS, XS_INTF_REQ_PROD,
  XS_INTF_RSP, XS_INTF_RSP_CONS, XS_INTF_RSP_PROD, XSD_SOCKMSG_SIZE, type XsHeader,
} from './xs-wire.js';

export interface XsRingMessage { readonly hdr: XsHeader; readonly payload: Uint8Array }

export class XsRingClient {
  private readonly v: DataView;
  private pending = new Uint8Array(0);

  constructor(private readonly page: Uint8Array, private readonly kick: () => void) {
    this.v = new DataView(page.buffer, page.byteOffset, page.byteLength);
  }

  /** Queue raw bytes in req[]; false if they do not fit right now. */
  writeRaw(bytes: Uint8Array, kick = true): boolean {
    const cons = this.v.getUint32(XS_INTF_REQ_CONS, true);
    const prod = this.v.getUint32(XS_INTF_REQ_PROD, true);
    if (XENSTORE_RING_SIZE - ((prod - cons) >>> 0) < bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) this.page[XS_INTF_REQ + MASK_XENSTORE_IDX(prod + i)] = bytes[i]!;
    // Data before the producer index: xenstored reads req_prod and then the bytes.
    this.v.setUint32(XS_INTF_REQ_PROD, (prod + bytes.length) >>> 0, true);
    if (kick) this.kick();
    return true;
  }

  send(type: number, reqId: number, txId: number, payload: Uint8Array, kick = true): boolean {
    return this.writeRaw(encodeMessage(type, reqId, txId, payload), kick);
  }

  /** Drain rsp[] and return every complete message (replies and watch events, in ring order). */
  receive(): XsRingMessage[] {
    const cons = this.v.getUint32(XS_INTF_RSP_CONS, true);
    const prod = this.v.getUint32(XS_INTF_RSP_PROD, true);
    const n = (prod - cons) >>> 0;
    if (n > XENSTORE_RING_SIZE) throw new Error(`xenstore ring: rsp_prod ${prod} and rsp_cons ${cons} are more than a ring apart`);
    const got = new Uint8Array(this.pending.length + n);
    got.set(this.pending);
    for (let i = 0; i < n; i++) got[this.pending.length + i] = this.page[XS_INTF_RSP + MASK_XENSTORE_IDX(cons + i)]!;
    this.v.setUint32(XS_INTF_RSP_CONS, prod, true);
    if (n > 0) this.kick(); // xenstored may have more output waiting for space
    const out: XsRingMessage[] = [];
    let off = 0;
    while (got.length - off >= XSD_SOCKMSG_SIZE) {
      const hdr = readHeader(got, off);
      if (got.length - off - XSD_SOCKMSG_SIZE < hdr.len) break;
      out.push({ hdr, payload: got.slice(off + XSD_SOCKMSG_SIZE, off + XSD_SOCKMSG_SIZE + hdr.len) });
      off += XSD_SOCKMSG_SIZE + hdr.len;
    }
    this.pending = got.slice(off);
    return out;
  }
}
