/**
 * The per-domain xenstore layout the toolstack creates, done the way libxl does it
 * (Xen tools/libs/light/libxl_create.c libxl__domain_make, libxl_dom.c libxl__build_post,
 * tools/helpers/xen-init-dom0.c). Helpers for the xl model; xenstored itself creates none of this.
 */
import { type XsClient, XsError } from './xs-client.js';

/** libxl roperm: dom0 owns, the guest may read. rwperm: the guest owns (so it may write). */
const roperm = (domid: number): string[] => ['n0', `r${domid}`];
const rwperm = (domid: number): string[] => [`n${domid}`];

export interface DomainMakeOptions {
  domid: number;
  name: string;
  hvm?: boolean;
  uuid?: string;
}

export const domainPath = (domid: number): string => `/local/domain/${domid}`;

/** The UUID createDomainPaths uses when none is given (deterministic, derived from the domid). */
export const defaultUuid = (domid: number): string => `00000000-0000-0000-0000-${domid.toString(16).padStart(12, '0')}`;

/** xen-init-dom0: what dom0's own directory holds before any guest exists. */
export function initDom0Paths(xs: XsClient): void {
  xs.transaction((t) => {
    xs.write('/local/domain/0/domid', '0', t);
    xs.write('/local/domain/0/name', 'Domain-0', t);
  });
}

/** libxl ignores the result of its xs_rm calls (ENOENT when /local/domain does not exist yet). */
function rmIfThere(xs: XsClient, t: number, path: string): void {
  try {
    xs.rm(path, t);
  } catch (e) {
    if (!(e instanceof XsError) || e.errno !== 'ENOENT') throw e;
  }
}

/** libxl__xs_mknod: an empty node with the given permissions. */
function mknod(xs: XsClient, t: number, path: string, perms: string[]): void {
  xs.write(path, '', t);
  xs.setPerms(path, perms, t);
}

/**
 * libxl__domain_make's xenstore part, in one transaction (retried on EAGAIN):
 * /local/domain/N (roperm), device/, control/ (roperm), control/shutdown and the feature-* nodes
 * (rwperm: the guest acks by writing ""), data/, drivers/, feature/, attr/, error/ (rwperm), and /vm/UUID.
 */
export function createDomainPaths(xs: XsClient, o: DomainMakeOptions): string {
  const dom = domainPath(o.domid);
  const uuid = o.uuid ?? defaultUuid(o.domid);
  const vm = `/vm/${uuid}`;
  xs.transaction((t) => {
    rmIfThere(xs, t, dom);
    mknod(xs, t, dom, roperm(o.domid));
    rmIfThere(xs, t, vm);
    mknod(xs, t, vm, roperm(o.domid));
    mknod(xs, t, `/libxl/${o.domid}`, ['n0']);
    mknod(xs, t, `/libxl/${o.domid}/device`, ['n0']);
    mknod(xs, t, `${dom}/device`, roperm(o.domid));
    mknod(xs, t, `${dom}/control`, roperm(o.domid));
    if (o.hvm) mknod(xs, t, `${dom}/hvmloader`, roperm(o.domid));
    mknod(xs, t, `${dom}/control/shutdown`, rwperm(o.domid));
    mknod(xs, t, `${dom}/control/feature-poweroff`, rwperm(o.domid));
    mknod(xs, t, `${dom}/control/feature-reboot`, rwperm(o.domid));
    mknod(xs, t, `${dom}/control/feature-suspend`, rwperm(o.domid));
    if (o.hvm) {
      mknod(xs, t, `${dom}/control/feature-s3`, rwperm(o.domid));
      mknod(xs, t, `${dom}/control/feature-s4`, rwperm(o.domid));
    }
    mknod(xs, t, `${dom}/control/sysrq`, rwperm(o.domid));
    for (const d of ['data', 'drivers', 'feature', 'attr', 'error']) mknod(xs, t, `${dom}/${d}`, rwperm(o.domid));
    xs.write(`${vm}/uuid`, uuid, t);
    xs.write(`${vm}/name`, o.name, t);
    xs.write(`${dom}/control/platform-feature-multiprocessor-suspend`, '1', t);
    xs.write(`${dom}/control/platform-feature-xs_reset_watches`, '1', t);
  });
  return dom;
}

export interface BuildPostOptions {
  domid: number;
  name: string;
  storeMfn: bigint | number;
  storePort: number;
  memoryKb?: number;
  uuid?: string;
}

/** libxl__build_post: name, domid, memory and store/* entries, then xs_introduce_domain. */
export function publishDomain(xs: XsClient, o: BuildPostOptions): void {
  const dom = domainPath(o.domid);
  xs.transaction((t) => {
    xs.write(`${dom}/name`, o.name, t);
    xs.write(`${dom}/domid`, String(o.domid), t);
    if (o.uuid) xs.write(`${dom}/vm`, `/vm/${o.uuid}`, t);
    if (o.memoryKb !== undefined) {
      xs.write(`${dom}/memory/static-max`, String(o.memoryKb), t);
      xs.write(`${dom}/memory/target`, String(o.memoryKb), t);
    }
    xs.write(`${dom}/store/port`, String(o.storePort), t);
    xs.write(`${dom}/store/ring-ref`, String(o.storeMfn), t);
  });
  xs.introduceDomain(o.domid, o.storeMfn, o.storePort);
}

/**
 * libxl's domain destroy, xenstore part (libxl_domain.c devices_destroy_cb): remove /local/domain/N,
 * /vm/UUID and /libxl/N. xenstored itself never removes them, not even when the domain dies.
 */
export function destroyDomainPaths(xs: XsClient, domid: number, uuid = defaultUuid(domid)): void {
  xs.transaction((t) => {
    for (const p of [domainPath(domid), `/vm/${uuid}`, `/libxl/${domid}`]) rmIfThere(xs, t, p);
  });
}
