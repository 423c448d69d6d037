// xenstored model: request rates in process and over a guest ring, transactions, watch delivery,
// the @releaseDomain path per domain, and heap bytes per introduced domain.
import {
  createDomainPaths, destroyDomainPaths, publishDomain, strToBytes, XS_READ, Xenstored, XsClient, XsRingClient,
} from '../dist/xen-hvm/xenstore/index.js';

export default async function (h) {
  const xs = new Xenstored();
  const dom0 = new XsClient(xs);
  dom0.write('/bench/value', 'x'.repeat(32));
  const N = 200;

  h.measure('xenstore write+read, in-process dom0', () => {
    for (let i = 0; i < N; i++) { dom0.write('/bench/value', 'v'); dom0.read('/bench/value'); }
  }, { perOp: 2 * N, unit: 'requests/s' });

  h.measure('xenstore transaction start+write+commit', () => {
    for (let i = 0; i < N; i++) dom0.transaction((t) => dom0.write('/bench/tx', 'v', t));
  }, { perOp: N, unit: 'transactions/s' });

  const watcher = new XsClient(xs);
  let events = 0;
  watcher.watch('/bench/watched', 'w', () => { events++; });
  h.measure('xenstore write delivering one watch event', () => {
    for (let i = 0; i < N; i++) dom0.write('/bench/watched/k', 'v');
  }, { perOp: N, unit: 'events/s' });

  // A guest reading over its ring page: request into req[], kick, reply out of rsp[].
  createDomainPaths(dom0, { domid: 1, name: 'ring', hvm: true });
  dom0.write('/local/domain/1/name', 'ring');
  const page = new Uint8Array(4096);
  const front = new XsRingClient(page, () => xs.guestKick(1));
  xs.introduceDomain(1, { ring: { page, notify: () => undefined } });
  const req = strToBytes('name\0');
  h.measure('xenstore guest ring READ round trip', () => {
    for (let i = 0; i < N; i++) { front.send(XS_READ, i, 0, req); front.receive(); }
  }, { perOp: N, unit: 'requests/s' });

  // Whole xenstore side of a domain's life: libxl paths, introduce, shutdown + death via VIRQ_DOM_EXC.
  const info = new Map();
  const life = new Xenstored({ domainInfo: (d) => info.get(d) });
  const tool = new XsClient(life);
  let released = 0;
  tool.watch('@releaseDomain', 'death', () => { released++; });
  let domid = 10;
  h.measure('xenstore domain create -> @releaseDomain (shutdown, death) -> rm', () => {
    const d = domid++;
    if (domid > 30000) domid = 10;
    createDomainPaths(tool, { domid: d, name: `d${d}`, hvm: true });
    publishDomain(tool, { domid: d, name: `d${d}`, storeMfn: 0xfeffc, storePort: 1 });
    info.set(d, { shutdown: true, dying: false });
    life.virqDomExc();
    info.set(d, { shutdown: true, dying: true });
    life.virqDomExc();
    info.delete(d);
    destroyDomainPaths(tool, d);
  }, { unit: 'domains/s' });

  // Heap per introduced domain with libxl's paths and a 4 KiB ring page.
  const gc = globalThis.gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const mem = new Xenstored();
  const c = new XsClient(mem);
  const M = 500;
  for (let d = 1; d <= M; d++) {
    createDomainPaths(c, { domid: d, name: `m${d}`, hvm: true });
    publishDomain(c, { domid: d, name: `m${d}`, storeMfn: 1, storePort: 1, memoryKb: 65536 });
    mem.introduceDomain(d + 1000, { ring: { page: new Uint8Array(4096), notify: () => undefined } });
  }
  gc?.();
  const after = process.memoryUsage().heapUsed;
  h.report('xenstore heap per domain (paths + ring page)', Math.max(0, (after - before) / M), 'bytes', undefined,
    gc ? `${mem.store.size} nodes for ${M} domains` : `no --expose-gc: rough; ${mem.store.size} nodes`);
  if (events < 0 || released < 0) console.log(events, released);
}
