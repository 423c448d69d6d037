// Transactions and permissions, driven through XsClient (real xsd_sockmsg requests into xenstored).
// Behaviour sources: Xen tools/xenstore/xenstored_transaction.c (generation check -> EAGAIN),
// xenstored_core.c (perm_for_conn, errno_from_parents, construct_node, do_set_perms).
import { describe, expect, it } from 'vitest';
import { createDomainPaths, XsClient, XsError } from '../../src/xen-hvm/xenstore/index.js';
import { host } from './helpers.js';

const errno = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof XsError) return e.errno;
    throw e;
  }
  return 'no error';
};

describe('transactions', () => {
  it('changes are invisible outside until commit, then visible', () => {
    const { xs, dom0 } = host();
    const other = new XsClient(xs);
    const t = dom0.transactionStart();
    dom0.write('/t/a', 'inside', t);
    expect(dom0.read('/t/a', t)).toBe('inside');
    expect(errno(() => other.read('/t/a'))).toBe('ENOENT');
    expect(dom0.transactionEnd(t)).toBe(true);
    expect(other.read('/t/a')).toBe('inside');
  });

  it('a node read in the transaction and changed outside makes the commit EAGAIN; the retry succeeds', () => {
    const { xs, dom0 } = host();
    const other = new XsClient(xs);
    dom0.write('/c/x', '1');
    const t = dom0.transactionStart();
    const x = Number(dom0.read('/c/x', t));
    other.write('/c/x', '5'); // conflicting change
    dom0.write('/c/y', String(x + 1), t);
    expect(dom0.transactionEnd(t)).toBe(false);
    expect(errno(() => dom0.read('/c/y'))).toBe('ENOENT');
    let attempts = 0;
    dom0.transaction((tx) => {
      attempts++;
      dom0.write('/c/y', String(Number(dom0.read('/c/x', tx)) + 1), tx);
    });
    expect(attempts).toBe(1);
    expect(dom0.read('/c/y')).toBe('6');
  });

  it('two transactions adding children to the same parent: the second commit gets EAGAIN', () => {
    const { dom0 } = host();
    dom0.mkdir('/p');
    const t1 = dom0.transactionStart();
    const t2 = dom0.transactionStart();
    dom0.write('/p/one', '1', t1);
    dom0.write('/p/two', '2', t2);
    expect(dom0.transactionEnd(t1)).toBe(true);
    expect(dom0.transactionEnd(t2)).toBe(false);
    expect(dom0.directory('/p')).toEqual(['one']);
  });

  it('unrelated changes outside do not conflict', () => {
    const { xs, dom0 } = host();
    const other = new XsClient(xs);
    dom0.write('/u/a', 'a');
    other.write('/v/b', 'b');
    const t = dom0.transactionStart();
    dom0.write('/u/a', 'A', t);
    other.write('/v/b', 'B');
    expect(dom0.transactionEnd(t)).toBe(true);
    expect(dom0.read('/u/a')).toBe('A');
  });

  it('abort ("F") discards; bad ids and arguments get xenstored errors', () => {
    const { dom0 } = host();
    const t = dom0.transactionStart();
    dom0.write('/ab', 'x', t);
    expect(dom0.transactionEnd(t, false)).toBe(true);
    expect(errno(() => dom0.read('/ab'))).toBe('ENOENT');
    // The transaction is gone after END: using its id again is ENOENT.
    expect(errno(() => dom0.read('/ab', t))).toBe('ENOENT');
    expect(errno(() => dom0.read('/', 4242))).toBe('ENOENT');
    const t2 = dom0.transactionStart();
    // TRANSACTION_START inside a transaction: EBUSY (do_transaction_start).
    expect(errno(() => dom0.request(6, new Uint8Array([0]), t2))).toBe('EBUSY');
    // TRANSACTION_END argument must be "T" or "F".
    expect(errno(() => dom0.request(7, new TextEncoder().encode('X\0'), t2))).toBe('EINVAL');
    // TRANSACTION_END without a transaction: ENOENT.
    expect(errno(() => dom0.request(7, new TextEncoder().encode('T\0'), 0))).toBe('ENOENT');
  });

  it('a guest may hold at most 10 transactions (ENOSPC), dom0 is not limited', () => {
    const { xs, dom0 } = host();
    const g = new XsClient(xs, 7);
    for (let i = 0; i < 10; i++) g.transactionStart();
    expect(errno(() => g.transactionStart())).toBe('ENOSPC');
    for (let i = 0; i < 20; i++) dom0.transactionStart();
  });
});

describe('permissions', () => {
  function twoGuests() {
    const h = host();
    for (const d of [1, 2]) {
      createDomainPaths(h.dom0, { domid: d, name: `g${d}`, hvm: true });
      h.dom0.write(`/local/domain/${d}/name`, `g${d}`);
    }
    return { ...h, g1: new XsClient(h.xs, 1), g2: new XsClient(h.xs, 2) };
  }

  it('libxl layout: the domain dir is n0,rN; control/shutdown is owned by the guest', () => {
    const { dom0 } = twoGuests();
    expect(dom0.getPerms('/local/domain/1')).toEqual(['n0', 'r1']);
    expect(dom0.getPerms('/local/domain/1/control')).toEqual(['n0', 'r1']);
    expect(dom0.getPerms('/local/domain/1/control/shutdown')).toEqual(['n1']);
  });

  it('a guest reads its own tree but not another domain\'s; a missing node there is EACCES, not ENOENT', () => {
    const { g1 } = twoGuests();
    expect(g1.read('/local/domain/1/name')).toBe('g1');
    expect(g1.read('name')).toBe('g1'); // relative to /local/domain/1
    expect(errno(() => g1.read('/local/domain/2/name'))).toBe('EACCES');
    expect(errno(() => g1.directory('/local/domain/2'))).toBe('EACCES');
    expect(errno(() => g1.read('/local/domain/2/nothing-here'))).toBe('EACCES');
    expect(errno(() => g1.read('/local/domain/1/nothing-here'))).toBe('ENOENT');
  });

  it('a guest writes control/shutdown (it owns it) but cannot create nodes in the read-only control dir', () => {
    const { dom0, g1 } = twoGuests();
    dom0.write('/local/domain/1/control/shutdown', 'poweroff');
    g1.write('control/shutdown', '');
    expect(dom0.read('/local/domain/1/control/shutdown')).toBe('');
    expect(errno(() => g1.write('control/not-mine', 'x'))).toBe('EACCES');
    expect(errno(() => g1.write('/local/domain/1/name', 'renamed'))).toBe('EACCES');
    expect(errno(() => g1.write('/local/domain/2/control/shutdown', 'poweroff'))).toBe('EACCES');
    expect(errno(() => g1.rm('/local/domain/1/control'))).toBe('EACCES');
  });

  it('nodes a guest creates are owned by it (construct_node); it may not give them away (EPERM)', () => {
    const { dom0, g1, g2 } = twoGuests();
    g1.write('data/a/b', 'v');
    expect(dom0.getPerms('/local/domain/1/data/a')).toEqual(['n1']);
    expect(dom0.getPerms('/local/domain/1/data/a/b')).toEqual(['n1']);
    g1.setPerms('data/a/b', ['n1', 'r2']);
    expect(g2.read('/local/domain/1/data/a/b')).toBe('v');
    expect(errno(() => g2.write('/local/domain/1/data/a/b', 'w'))).toBe('EACCES');
    expect(errno(() => g1.setPerms('data/a/b', ['n2']))).toBe('EPERM');
    expect(errno(() => g1.setPerms('data/a/b', ['q1']))).toBe('EINVAL');
    // dom0 creates with inherited perms and keeps the parent's owner.
    dom0.write('/local/domain/1/data/from-dom0', 'x');
    expect(dom0.getPerms('/local/domain/1/data/from-dom0')).toEqual(['n1']);
  });

  it('privileged-only operations from a guest are EACCES; the quota on node size is ENOSPC', () => {
    const { g1 } = twoGuests();
    expect(errno(() => g1.introduceDomain(9, 1, 1))).toBe('EACCES');
    expect(errno(() => g1.releaseDomain(2))).toBe('EACCES');
    expect(errno(() => g1.isDomainIntroduced(2))).toBe('EACCES');
    expect(g1.getDomainPath(1)).toBe('/local/domain/1');
    expect(errno(() => g1.write('data/big', 'x'.repeat(2049)))).toBe('ENOSPC');
    g1.write('data/big', 'x'.repeat(2048));
  });

  it('permission strings round-trip as the wire format: w, r, b, n with decimal ids', () => {
    const { dom0 } = host();
    dom0.write('/perm', '');
    dom0.setPerms('/perm', ['b3', 'r4', 'w5', 'n6']);
    expect(dom0.getPerms('/perm')).toEqual(['b3', 'r4', 'w5', 'n6']);
    expect(errno(() => dom0.setPerms('/perm', []))).toBe('EINVAL');
  });
});
