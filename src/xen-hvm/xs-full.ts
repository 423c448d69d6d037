/**
 * The full xenstored (src/xen-hvm/xenstore) behind the host's XsServer
 * interface, with libxl's /local/domain/N layout and permissions
 * (createDomainPaths) so a guest connection may write only what libxl lets
 * it write (control/shutdown, control/feature-*).
 */
import type { Trace } from '../trace/trace.js';
import { createDomainPaths, destroyDomainPaths, initDom0Paths } from './xenstore/domain-paths.js';
import { XsClient as FullXsClient } from './xenstore/xs-client.js';
import { XenstoredXsServer } from './xenstore/xs-server-adapter.js';
import type { XsDomainState, XsGuestRing, XsServer } from './xs-port.js';

export class FullXenstore extends XenstoredXsServer implements XsServer {
  private readonly toolstack: FullXsClient;

  constructor(domainState: (domid: number) => XsDomainState | undefined, trace?: Trace) {
    super(domainState, trace ? { trace } : {});
    this.toolstack = new FullXsClient(this.xs, 0);
    initDom0Paths(this.toolstack);
  }

  override introduceDomain(domid: number, ring?: XsGuestRing): void {
    if (!ring) return super.introduceDomain(domid);
    this.xs.introduceDomain(domid, { mfn: ring.mfn, port: ring.port, ring: { page: ring.page, notify: ring.notify } });
  }

  guestKick(domid: number): void {
    this.xs.guestKick(domid);
  }

  prepareDomain(domid: number, name: string, hvm: boolean): void {
    createDomainPaths(this.toolstack, { domid, name, hvm });
  }

  removeDomain(domid: number): void {
    destroyDomainPaths(this.toolstack, domid);
  }
}
