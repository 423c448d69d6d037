// Shared set-up for the xenstore tests: a xenstored, a dom0 toolstack client, guests over rings.
import {
  bytesToStr, createDomainPaths, initDom0Paths, splitStrings, strToBytes, XENSTORE_DOMAIN_INTERFACE_SIZE, XS_ERROR,
  XS_WATCH_EVENT, Xenstored, type XenstoredOptions, XsClient, XsRingClient, type XsRingMessage,
} from '../../src/xen-hvm/xenstore/index.js';

export function host(opts: XenstoredOptions = {}) {
  const xs = new Xenstored(opts);
  const dom0 = new XsClient(xs);
  initDom0Paths(dom0);
  return { xs, dom0 };
}

/** A guest with libxl's paths, introduced with a ring page; requests go through the ring. */
export function ringGuest(xs: Xenstored, dom0: XsClient, domid: number, name = `guest${domid}`) {
  createDomainPaths(dom0, { domid, name, hvm: true });
  dom0.write(`/local/domain/${domid}/name`, name);
  const page = new Uint8Array(4096);
  let notified = 0;
  const front = new XsRingClient(page, () => xs.guestKick(domid));
  xs.introduceDomain(domid, { mfn: 0xfeffc + domid, port: 1, ring: { page, notify: () => { notified++; } } });
  const events: { path: string; token: string }[] = [];
  let reqId = 100;
  const inbox: XsRingMessage[] = [];
  const drain = (): void => {
    for (const m of front.receive()) {
      if (m.hdr.type === XS_WATCH_EVENT) {
        const [path = '', token = ''] = splitStrings(m.payload);
        events.push({ path, token });
      } else inbox.push(m);
    }
  };
  /** One request over the ring; resolves the reply (type and payload as text). */
  const req = (type: number, payload: string | Uint8Array, tx = 0): { type: number; text: string; error?: string } => {
    const id = reqId++;
    const p = typeof payload === 'string' ? strToBytes(payload) : payload;
    if (!front.send(type, id, tx, p)) throw new Error('ring full');
    // A long reply arrives in pieces: each receive() frees rsp[] space and kicks xenstored.
    for (let k = 0; k < 64 && !inbox.some((m) => m.hdr.reqId === id); k++) drain();
    const i = inbox.findIndex((m) => m.hdr.reqId === id);
    if (i < 0) throw new Error(`no reply to request ${id}`);
    const m = inbox.splice(i, 1)[0]!;
    const text = bytesToStr(m.payload);
    return m.hdr.type === XS_ERROR ? { type: m.hdr.type, text, error: text.replace(/\0$/, '') } : { type: m.hdr.type, text };
  };
  return { page, front, events, req, drain, notifications: () => notified };
}

export const PAGE_MIN = XENSTORE_DOMAIN_INTERFACE_SIZE;
