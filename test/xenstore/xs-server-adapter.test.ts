// The full xenstored behind the host model's XsServer shape (src/xen-hvm/xs-port.ts): deferred
// delivery through pump(), @releaseDomain on VIRQ_DOM_EXC, guests limited by permissions.
import { describe, expect, it } from 'vitest';
import { createDomainPaths, XenstoredXsServer, XsClient } from '../../src/xen-hvm/xenstore/index.js';

describe('XenstoredXsServer', () => {
  it('watch callbacks wait for pump(); idle reflects queued events', () => {
    const srv = new XenstoredXsServer(() => undefined);
    const xl = srv.client(0);
    const seen: string[] = [];
    const unwatch = xl.watch('/w', 't', (p) => seen.push(p));
    xl.write('/w/a', '1');
    expect(seen).toEqual([]);
    expect(srv.idle).toBe(false);
    expect(srv.pump()).toBe(2);
    expect(seen).toEqual(['/w', '/w/a']);
    expect(srv.idle).toBe(true);
    unwatch();
    xl.write('/w/b', '2');
    expect(srv.pump()).toBe(0);
    expect(srv.fired.map((f) => f.path)).toEqual(['/w', '/w/a']);
  });

  it('@releaseDomain fires on domExc for a shut-down domain, again when it dies', () => {
    const state = new Map<number, { shutdownOrDying: boolean; dying: boolean }>();
    const srv = new XenstoredXsServer((d) => state.get(d));
    const xl = srv.client(0);
    const seen: string[] = [];
    xl.watch('@releaseDomain', 'death', (p) => seen.push(p));
    srv.introduceDomain(4);
    state.set(4, { shutdownOrDying: true, dying: false });
    srv.domExc();
    srv.pump();
    expect(seen).toEqual(['@releaseDomain', '@releaseDomain']);
    state.set(4, { shutdownOrDying: true, dying: true });
    srv.domExc();
    srv.pump();
    expect(seen).toHaveLength(3);
  });

  it('reads of missing or forbidden nodes are null; transactions retry; guests keep their permissions', () => {
    const srv = new XenstoredXsServer(() => undefined);
    const xl = srv.client(0);
    createDomainPaths(new XsClient(srv.xs), { domid: 2, name: 'g' });
    xl.write('/local/domain/2/name', 'g');
    const g = srv.client(2);
    expect(g.read('name')).toBe('g');
    expect(g.read('/local/domain/0/name')).toBeNull();
    expect(() => g.write('/elsewhere', 'x')).toThrow(/EACCES/);
    expect(xl.transaction((tx) => { tx.write('/local/domain/2/control/shutdown', 'poweroff'); return tx.read('/local/domain/2/control/shutdown'); })).toBe('poweroff');
    g.transaction((tx) => tx.write('control/shutdown', ''));
    expect(xl.read('/local/domain/2/control/shutdown')).toBe('');
    expect(xl.directory('/nope')).toEqual([]);
    xl.rm('/nope/deeper');
  });
});
