// libxl's xenstore layout for a domain (libxl_create.c libxl__domain_make, libxl_dom.c
// libxl__build_post) and its removal on destroy, done through the model's client.
import { describe, expect, it } from 'vitest';
import {
  createDomainPaths, defaultUuid, destroyDomainPaths, publishDomain, XsClient,
} from '../../src/xen-hvm/xenstore/index.js';
import { host } from './helpers.js';

describe('libxl domain paths', () => {
  it('create -> publish (XS_INTRODUCE, @introduceDomain) -> destroy removes /local/domain/N, /vm/UUID, /libxl/N', () => {
    const { xs, dom0 } = host();
    const intro: string[] = [];
    new XsClient(xs).watch('@introduceDomain', 'i', (p) => intro.push(p), 1);
    createDomainPaths(dom0, { domid: 7, name: 'web', hvm: true });
    expect(dom0.directory('/local/domain/7/control')).toEqual([
      'shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend', 'feature-s3', 'feature-s4', 'sysrq',
      'platform-feature-multiprocessor-suspend', 'platform-feature-xs_reset_watches',
    ]);
    expect(dom0.read(`/vm/${defaultUuid(7)}/name`)).toBe('web');
    publishDomain(dom0, { domid: 7, name: 'web', storeMfn: 0xfeffc, storePort: 5, memoryKb: 131072 });
    expect(intro).toEqual(['@introduceDomain', '@introduceDomain/7']);
    expect(dom0.isDomainIntroduced(7)).toBe(true);
    const guest = new XsClient(xs, 7);
    expect(guest.read('store/ring-ref')).toBe(String(0xfeffc));
    expect(guest.read('memory/target')).toBe('131072');
    destroyDomainPaths(dom0, 7);
    expect(dom0.directory('/local/domain')).toEqual(['0']);
    expect(dom0.directory('/vm')).toEqual([]);
    expect(dom0.directory('/libxl')).toEqual([]);
    // Creating the same domid again starts from a clean directory (libxl xs_rm's the old one first).
    createDomainPaths(dom0, { domid: 7, name: 'web2' });
    expect(dom0.tryRead('/local/domain/7/hvmloader')).toBeUndefined();
  });
});
