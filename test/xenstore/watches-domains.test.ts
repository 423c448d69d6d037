// Watches and domain events. Sources: Xen tools/xenstore/xenstored_watch.c (do_watch fires once,
// is_child, relative paths), xenstored_core.c (delnode_sub: exact events for removed descendants),
// xenstored_domain.c (do_introduce, do_release, domain_cleanup on VIRQ_DOM_EXC), docs/misc/xenstore.txt
// (depth argument; "@releaseDomain/<domid>").
import { describe, expect, it } from 'vitest';
import {
  bytesToStr, createDomainPaths, joinStrings, strToBytes, XS_INTF_SERVER_FEATURES, XS_READ, XS_SET_TARGET, XsClient,
  XsError, type XsDomainInfo, XsRingClient,
} from '../../src/xen-hvm/xenstore/index.js';
import { Trace } from '../../src/trace/index.js';
import { host, ringGuest } from './helpers.js';

const recorder = (c: XsClient, path: string, token: string, depth?: number) => {
  const got: string[] = [];
  c.watch(path, token, (p) => got.push(p), depth);
  return got;
};

describe('watches', () => {
  it('registering fires once immediately with the watched path and token', () => {
    const { xs } = host();
    const c = new XsClient(xs);
    c.watch('/nowhere/yet', 'tok');
    expect(c.takeEvents()).toEqual([{ path: '/nowhere/yet', token: 'tok' }]);
  });

  it('fires for the node and its descendants, not for siblings or prefixes', () => {
    const { xs, dom0 } = host();
    const got = recorder(new XsClient(xs), '/a', 't');
    dom0.write('/a/b/c', '1');
    dom0.write('/a', 'x');
    dom0.write('/ab', 'no');
    dom0.write('/b', 'no');
    expect(got).toEqual(['/a', '/a/b/c', '/a']);
  });

  it('rm fires the removed root for watchers above, and each watched descendant with its own path', () => {
    const { xs, dom0 } = host();
    const w = new XsClient(xs);
    dom0.write('/r/x/y', '1');
    dom0.write('/r/z', '2');
    const above = recorder(w, '/r', 'above');
    const deep = recorder(w, '/r/x/y', 'deep');
    dom0.rm('/r');
    expect(above).toEqual(['/r', '/r']);
    expect(deep).toEqual(['/r/x/y', '/r/x/y']);
    // rm of a missing node whose parent exists is fine; with no parent it is ENOENT.
    dom0.rm('/r');
    expect(() => dom0.rm('/r/x')).toThrow(XsError);
  });

  it('unwatch stops events; unknown unwatch is ENOENT; duplicate path+token is EEXIST', () => {
    const { xs, dom0 } = host();
    const w = new XsClient(xs);
    const got = recorder(w, '/u', 't');
    expect(() => w.watch('/u', 't')).toThrow(/EEXIST/);
    dom0.write('/u', '1');
    w.unwatch('/u', 't');
    dom0.write('/u', '2');
    expect(got).toEqual(['/u', '/u']);
    expect(() => w.unwatch('/u', 't')).toThrow(/ENOENT/);
  });

  it('depth limits how far below the watched path events match', () => {
    const { xs, dom0 } = host();
    const got = recorder(new XsClient(xs), '/d', 't', 1);
    dom0.write('/d/child', '1');
    dom0.write('/d/child/grandchild', '2');
    expect(got).toEqual(['/d', '/d/child']);
  });

  it('watches inside a transaction fire at commit, not before; an aborted transaction fires nothing', () => {
    const { xs, dom0 } = host();
    const got = recorder(new XsClient(xs), '/tx', 't');
    const t = dom0.transactionStart();
    dom0.write('/tx/a', '1', t);
    expect(got).toEqual(['/tx']);
    dom0.transactionEnd(t);
    expect(got).toEqual(['/tx', '/tx/a']);
    const t2 = dom0.transactionStart();
    dom0.write('/tx/b', '1', t2);
    dom0.transactionEnd(t2, false);
    expect(got).toEqual(['/tx', '/tx/a']);
  });

  it('a guest watching a relative path gets relative event paths; it sees no events for nodes it cannot read', () => {
    const { xs, dom0 } = host();
    dom0.write('/local/domain/4/control/shutdown', '');
    dom0.setPerms('/local/domain/4', ['n0', 'r4']);
    dom0.setPerms('/local/domain/4/control/shutdown', ['n4']);
    const g = new XsClient(xs, 4);
    const rel = recorder(g, 'control/shutdown', 'rel');
    dom0.write('/local/domain/4/control/shutdown', 'poweroff');
    expect(rel).toEqual(['control/shutdown', 'control/shutdown']);
    dom0.write('/secret/a', 'x');
    dom0.setPerms('/secret', ['n0']);
    dom0.setPerms('/secret/a', ['n0']);
    const secret = recorder(g, '/secret', 's');
    dom0.write('/secret/a', 'y');
    expect(secret).toEqual(['/secret']); // only the registration event
  });

  it('a watch callback may call xenstore again (events are pumped after the request)', () => {
    const { xs, dom0 } = host();
    const w = new XsClient(xs);
    const seen: string[] = [];
    w.watch('/chain', 'c', (p) => {
      seen.push(`${p}=${w.tryRead(p) ?? '-'}`);
      if (p === '/chain/1') w.write('/chain/2', 'second');
    });
    dom0.write('/chain/1', 'first');
    expect(seen).toEqual(['/chain=-', '/chain/1=first', '/chain/2=second']);
  });

  it('an exception in a watch callback reaches the caller that caused the event; delivery still completes', () => {
    const { xs, dom0 } = host();
    const bad = new XsClient(xs);
    const good = new XsClient(xs);
    bad.watch('/boom', 'b', (p) => {
      if (p !== '/boom') throw new Error(`callback failed on ${p}`);
    });
    const seen = recorder(good, '/boom', 'g');
    expect(() => dom0.write('/boom/x', '1')).toThrow(/callback failed on \/boom\/x/);
    expect(seen).toEqual(['/boom', '/boom/x']);
    expect(dom0.read('/boom/x')).toBe('1');
  });

  it('trace records requests, errors and watch events when enabled', () => {
    const trace = new Trace().recordEverything();
    const { xs, dom0 } = host({ trace });
    const w = new XsClient(xs);
    w.watch('/tr', 'tok');
    dom0.write('/tr/a', 'v');
    expect(() => dom0.read('/tr/missing')).toThrow();
    expect(trace.find('xenstored_watch_event').map((r) => r.args)).toEqual([
      { domid: 0, path: '/tr', token: 'tok' }, { domid: 0, path: '/tr/a', token: 'tok' },
    ]);
    expect(trace.find('xenstored_send_error').map((r) => r.args)).toEqual([{ domid: 0, type: 'READ', errno: 'ENOENT' }]);
    expect(trace.find('xenstored_process_message').some((r) => r.args.type === 'WRITE')).toBe(true);
  });

  it('XS_RESET_WATCHES drops every watch of the connection', () => {
    const { xs, dom0 } = host();
    const w = new XsClient(xs);
    const got = recorder(w, '/rw', 't');
    w.resetWatches();
    dom0.write('/rw', 'x');
    expect(got).toEqual(['/rw']);
  });
});

describe('@introduceDomain / @releaseDomain', () => {
  function withHypervisor() {
    const info = new Map<number, XsDomainInfo>();
    const h = host({ domainInfo: (d) => info.get(d) });
    return { ...h, info };
  }

  it('XS_INTRODUCE fires @introduceDomain; depth 1 reports @introduceDomain/<domid>', () => {
    const { xs, dom0 } = withHypervisor();
    const w = new XsClient(xs);
    const plain = recorder(w, '@introduceDomain', 'p');
    const detailed = recorder(w, '@introduceDomain', 'd', 1);
    dom0.introduceDomain(5, 0x1234, 3);
    expect(plain).toEqual(['@introduceDomain', '@introduceDomain']);
    expect(detailed).toEqual(['@introduceDomain', '@introduceDomain/5']);
    expect(dom0.isDomainIntroduced(5)).toBe(true);
    expect(dom0.isDomainIntroduced(6)).toBe(false);
    // A second introduction only rebinds the event channel: no event.
    dom0.introduceDomain(5, 0x1234, 4);
    expect(plain).toHaveLength(2);
  });

  it('VIRQ_DOM_EXC: shutdown fires @releaseDomain once, death fires it again and forgets the domain', () => {
    const { xs, dom0, info } = withHypervisor();
    const w = new XsClient(xs);
    xs.introduceDomain(5);
    xs.introduceDomain(6);
    info.set(5, { shutdown: false, dying: false });
    info.set(6, { shutdown: false, dying: false });
    const plain = recorder(w, '@releaseDomain', 'death');
    const only5 = recorder(w, '@releaseDomain/5', 'five');
    const only6 = recorder(w, '@releaseDomain/6', 'six');
    xs.virqDomExc(); // nothing changed: no event
    expect(plain).toEqual(['@releaseDomain']);
    info.set(5, { shutdown: true, dying: false });
    xs.virqDomExc();
    xs.virqDomExc(); // already reported
    expect(plain).toEqual(['@releaseDomain', '@releaseDomain']);
    expect(only5).toEqual(['@releaseDomain/5', '@releaseDomain/5']);
    info.set(5, { shutdown: true, dying: true });
    xs.virqDomExc();
    expect(plain).toHaveLength(3);
    expect(only5).toHaveLength(3);
    expect(only6).toEqual(['@releaseDomain/6']);
    expect(dom0.isDomainIntroduced(5)).toBe(false);
    info.delete(6); // vanished without a dying state
    xs.virqDomExc();
    expect(only6).toEqual(['@releaseDomain/6', '@releaseDomain/6']);
    expect(xs.domains.list()).toEqual([]);
  });

  it('XS_RELEASE fires @releaseDomain; releasing an unknown domain is ENOENT, a bad id EINVAL', () => {
    const { xs, dom0 } = withHypervisor();
    const got = recorder(new XsClient(xs), '@releaseDomain', 'r', 1);
    dom0.introduceDomain(8, 1, 1);
    dom0.releaseDomain(8);
    expect(got).toEqual(['@releaseDomain', '@releaseDomain/8']);
    expect(() => dom0.releaseDomain(8)).toThrow(/ENOENT/);
    expect(() => dom0.request(9, new TextEncoder().encode('eight\0'))).toThrow(/EINVAL/);
  });

  it('special watch arguments are checked; guests only see special events with permission on the node', () => {
    const { xs, dom0 } = withHypervisor();
    const w = new XsClient(xs);
    expect(() => w.watch('@releaseDomain', 'x', undefined, 2)).toThrow(/EINVAL/);
    expect(() => w.watch('@releaseDomain/5', 'x', undefined, 1)).toThrow(/EINVAL/);
    expect(() => w.watch('@nonsense', 'x')).toThrow(/EINVAL/);
    const g = new XsClient(xs, 3);
    const seen = recorder(g, '@introduceDomain', 'g');
    dom0.introduceDomain(11, 1, 1);
    expect(seen).toEqual(['@introduceDomain']);
    dom0.setPerms('@introduceDomain', ['n0', 'r3']);
    dom0.introduceDomain(12, 1, 1);
    expect(seen).toEqual(['@introduceDomain', '@introduceDomain']);
  });

  it('XS_INTRODUCE over the wire maps the ring through mapRing; a failed mapping is EINVAL', () => {
    const pages = new Map<number, Uint8Array>();
    const { xs, dom0 } = host({
      mapRing: (domid, mfn, port) => {
        if (mfn !== 0xfeffcn || port !== 9) return undefined;
        const page = new Uint8Array(4096);
        pages.set(domid, page);
        return { page, notify: () => undefined };
      },
    });
    createDomainPaths(dom0, { domid: 6, name: 'six' });
    dom0.write('/local/domain/6/name', 'six');
    expect(() => dom0.introduceDomain(6, 0x1234, 9)).toThrow(/EINVAL/);
    dom0.introduceDomain(6, 0xfeffc, 9);
    const page = pages.get(6)!;
    // xenstored advertises reconnection and the error field in server_features.
    expect(new DataView(page.buffer).getUint32(XS_INTF_SERVER_FEATURES, true)).toBe(3);
    const front = new XsRingClient(page, () => xs.guestKick(6));
    front.send(XS_READ, 1, 0, strToBytes('name\0'));
    const [reply] = front.receive();
    expect([reply!.hdr.type, bytesToStr(reply!.payload)]).toEqual([XS_READ, 'six']);
  });

  it('XS_SET_TARGET lets a stub domain use its target\'s permissions; XS_RESUME re-arms shutdown reporting', () => {
    const info = new Map<number, XsDomainInfo>();
    const { xs, dom0 } = host({ domainInfo: (d) => info.get(d) });
    const stub = ringGuest(xs, dom0, 5);
    ringGuest(xs, dom0, 6);
    expect(stub.req(XS_READ, '/local/domain/6/name\0').error).toBe('EACCES');
    dom0.request(XS_SET_TARGET, joinStrings(['5', '6']));
    expect(stub.req(XS_READ, '/local/domain/6/name\0').text).toBe('guest6');
    const seen = recorder(new XsClient(xs), '@releaseDomain/6', 'r');
    info.set(5, { shutdown: false, dying: false });
    info.set(6, { shutdown: true, dying: false });
    xs.virqDomExc();
    dom0.resumeDomain(6);
    xs.virqDomExc(); // shut down again after the resume: reported again
    expect(seen).toEqual(['@releaseDomain/6', '@releaseDomain/6', '@releaseDomain/6']);
  });
});

describe('limits', () => {
  it('guest quotas: nodes (ENOSPC) and watches (E2BIG); dom0 is exempt', () => {
    const { xs, dom0 } = host({ quotas: { nodesPerDomain: 5, watchesPerDomain: 2 } });
    createDomainPaths(dom0, { domid: 3, name: 'q' });
    const g = new XsClient(xs, 3);
    // createDomainPaths gave domain 3 ten rwperm nodes (control/shutdown, data, ...): over the limit already.
    expect(() => g.write('data/new', 'x')).toThrow(/ENOSPC/);
    g.watch('data', 'a');
    g.watch('data', 'b');
    expect(() => g.watch('data', 'c')).toThrow(/E2BIG/);
    for (let i = 0; i < 10; i++) dom0.watch('/x', `t${i}`);
    for (let i = 0; i < 10; i++) dom0.write(`/x/${i}`, '');
  });

  it('replies over XENSTORE_PAYLOAD_MAX are E2BIG; over-long paths are EINVAL', () => {
    const { dom0 } = host();
    dom0.transaction((t) => { for (let i = 0; i < 200; i++) dom0.write(`/wide/${'n'.repeat(30)}${i}`, '', t); });
    expect(() => dom0.directory('/wide')).toThrow(/E2BIG/);
    expect(() => dom0.read(`/${'a'.repeat(3072)}`)).toThrow(/EINVAL/);
    expect(() => dom0.read(`/local/domain/1/${'a'.repeat(2049)}`)).toThrow(/EINVAL/);
  });
});
