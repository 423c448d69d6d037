// Malformed xenstore traffic over the Unix socket and the guest ring: xenstored's error replies, or
// the connection dropped where xenstored drops it (xenstored_core.c process_message / handle_input,
// xenstored_domain.c ring index checks). The host never throws.
import { createConnection, type Socket } from 'node:net';

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bytesToStr, encodeMessage, readHeader, strToBytes, XENSTORE_CONNECTED, XENSTORE_ERROR_PROTO,
  XENSTORE_ERROR_RINGIDX, XENSTORE_RECONNECT, XS_DIRECTORY, XS_ERROR, XS_INTF_CONNECTION, XS_INTF_ERROR,
  XS_INTF_REQ_CONS, XS_INTF_REQ_PROD, XS_INTF_RSP_PROD, XS_INTRODUCE, XS_READ, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
  XSD_SOCKMSG_SIZE, Xenstored, XsClient,
} from '../../src/xen-hvm/xenstore/index.js';
import { listenXenstoredSocket, type XenstoredSocketServer } from '../../src/xen-hvm/xenstore/xenstored-socket-node.js';
import { host, ringGuest } from './helpers.js';
import { tempDir } from '../tmp-dir.js';

interface Msg { type: number; reqId: number; txId: number; text: string; bytes: Uint8Array }

function raw(path: string) {
  const sock: Socket = createConnection(path);
  let buf = new Uint8Array(0);
  const msgs: Msg[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  sock.on('data', (d: Uint8Array) => {
    const n = new Uint8Array(buf.length + d.length);
    n.set(buf);
    n.set(d, buf.length);
    buf = n;
    while (buf.length >= XSD_SOCKMSG_SIZE) {
      const h = readHeader(buf);
      if (buf.length < XSD_SOCKMSG_SIZE + h.len) break;
      const bytes = buf.slice(XSD_SOCKMSG_SIZE, XSD_SOCKMSG_SIZE + h.len);
      msgs.push({ type: h.type, reqId: h.reqId, txId: h.txId, text: bytesToStr(bytes), bytes });
      buf = buf.slice(XSD_SOCKMSG_SIZE + h.len);
    }
    waiters.splice(0).forEach((w) => w());
  });
  sock.on('close', () => {
    closed = true;
    waiters.splice(0).forEach((w) => w());
  });
  sock.on('error', () => undefined);
  const ready = new Promise<void>((r) => sock.once('connect', () => r()));
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) {
      if (closed) return;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return {
    ready,
    send: (b: Uint8Array) => sock.write(b),
    msgs,
    isClosed: () => closed,
    reply: async (reqId: number): Promise<Msg> => {
      await until(() => msgs.some((m) => m.reqId === reqId && m.type !== XS_WATCH_EVENT));
      const i = msgs.findIndex((m) => m.reqId === reqId && m.type !== XS_WATCH_EVENT);
      if (i < 0) throw new Error(`connection closed before reply ${reqId}`);
      return msgs.splice(i, 1)[0]!;
    },
    event: async (): Promise<Msg> => {
      await until(() => msgs.some((m) => m.type === XS_WATCH_EVENT));
      return msgs.splice(msgs.findIndex((m) => m.type === XS_WATCH_EVENT), 1)[0]!;
    },
    closedP: () => until(() => false),
    end: () => sock.destroy(),
  };
}

const hdr = (type: number, reqId: number, txId: number, len: number): Uint8Array => {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  [type, reqId, txId, len].forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return b;
};

describe('socket transport', () => {
  let srv: XenstoredSocketServer | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });
  async function start() {
    const xs = new Xenstored();
    srv = await listenXenstoredSocket(xs, join(tempDir('xsd-'), 'socket'));
    return xs;
  }

  it('bad type, reply-only type, missing NUL, non-ASCII path and unknown tx id get error replies', async () => {
    await start();
    const c = raw(srv!.path);
    await c.ready;
    c.send(encodeMessage(99, 1, 0, strToBytes('x\0')));
    c.send(encodeMessage(XS_WATCH_EVENT, 2, 0, strToBytes('/a\0t\0')));
    c.send(encodeMessage(XS_READ, 3, 0, strToBytes('/no-nul')));
    c.send(encodeMessage(XS_READ, 4, 0, new Uint8Array([0x2f, 0xc3, 0x28, 0])));
    c.send(encodeMessage(XS_READ, 5, 77, strToBytes('/\0')));
    c.send(encodeMessage(XS_READ, 6, 0, strToBytes('/a//b\0')));
    c.send(encodeMessage(XS_WRITE, 7, 0, new Uint8Array(0)));
    const got = [];
    for (let id = 1; id <= 7; id++) got.push(await c.reply(id));
    expect(got.map((m) => [m.type, m.reqId, m.text])).toEqual([
      [XS_ERROR, 1, 'ENOSYS\0'], [XS_ERROR, 2, 'ENOSYS\0'], [XS_ERROR, 3, 'EINVAL\0'], [XS_ERROR, 4, 'EINVAL\0'],
      [XS_ERROR, 5, 'ENOENT\0'], [XS_ERROR, 6, 'EINVAL\0'], [XS_ERROR, 7, 'EINVAL\0'],
    ]);
    // The reply echoes the request's tx_id.
    expect(got[4]!.txId).toBe(77);
    c.end();
  });

  it('binary values with NULs and high bytes round-trip; a byte-at-a-time request still parses', async () => {
    await start();
    const c = raw(srv!.path);
    await c.ready;
    const value = new Uint8Array([0, 1, 0xff, 0xfe, 0, 0x41]);
    const w = new Uint8Array([...strToBytes('/bin\0'), ...value]);
    c.send(encodeMessage(XS_WRITE, 1, 0, w));
    expect((await c.reply(1)).text).toBe('OK\0');
    for (const b of encodeMessage(XS_READ, 2, 0, strToBytes('/bin\0'))) c.send(new Uint8Array([b]));
    expect([...(await c.reply(2)).bytes]).toEqual([...value]);
    c.end();
  });

  it('len > XENSTORE_PAYLOAD_MAX drops that client; other clients keep working', async () => {
    await start();
    const bad = raw(srv!.path);
    const good = raw(srv!.path);
    await Promise.all([bad.ready, good.ready]);
    bad.send(hdr(XS_READ, 1, 0, 4097));
    await bad.closedP();
    expect(bad.isClosed()).toBe(true);
    expect(bad.msgs).toEqual([]);
    good.send(encodeMessage(XS_WRITE, 9, 0, strToBytes('/still\0here')));
    expect((await good.reply(9)).text).toBe('OK\0');
    good.end();
  });

  it('several clients at once: one watches, another writes, events arrive with req_id 0', async () => {
    const xs = await start();
    const a = raw(srv!.path);
    const b = raw(srv!.path);
    await Promise.all([a.ready, b.ready]);
    a.send(encodeMessage(XS_WATCH, 1, 0, strToBytes('/shared\0tok\0')));
    expect((await a.reply(1)).text).toBe('OK\0');
    const first = await a.event();
    expect([first.reqId, first.text]).toEqual([0, '/shared\0tok\0']);
    b.send(encodeMessage(XS_WRITE, 1, 0, strToBytes('/shared/k\0v')));
    expect((await b.reply(1)).text).toBe('OK\0');
    expect((await a.event()).text).toBe('/shared/k\0tok\0');
    new XsClient(xs).write('/shared/from-inproc', 'x');
    expect((await a.event()).text).toBe('/shared/from-inproc\0tok\0');
    expect(srv!.clients.size).toBe(2);
    a.end();
    b.end();
  });
});

describe('ring transport', () => {
  it('error replies over the ring; privileged requests from the guest are EACCES', () => {
    const { xs, dom0 } = host();
    const g = ringGuest(xs, dom0, 2);
    expect(g.req(200, 'x\0').error).toBe('ENOSYS');
    expect(g.req(XS_READ, 'name').error).toBe('EINVAL');
    expect(g.req(XS_READ, 'name\0', 5).error).toBe('ENOENT');
    expect(g.req(XS_INTRODUCE, '9\0001\0001\0').error).toBe('EACCES');
    expect(g.req(XS_READ, 'name\0').text).toBe('guest2');
    expect(g.notifications()).toBeGreaterThan(0);
  });

  it('len > 4096 sets error=XENSTORE_ERROR_PROTO and stops service until the guest reconnects', () => {
    const { xs, dom0 } = host();
    const g = ringGuest(xs, dom0, 2);
    const v = new DataView(g.page.buffer);
    g.front.writeRaw(hdr(XS_READ, 1, 0, 5000));
    expect(v.getUint32(XS_INTF_ERROR, true)).toBe(XENSTORE_ERROR_PROTO);
    g.front.send(XS_READ, 2, 0, strToBytes('name\0'));
    expect(g.front.receive()).toEqual([]);
    // Reconnect: guest sets connection = XENSTORE_RECONNECT and kicks; xenstored resets the ring.
    v.setUint32(XS_INTF_CONNECTION, XENSTORE_RECONNECT, true);
    xs.guestKick(2);
    expect(v.getUint32(XS_INTF_CONNECTION, true)).toBe(XENSTORE_CONNECTED);
    expect(v.getUint32(XS_INTF_ERROR, true)).toBe(0);
    expect([XS_INTF_REQ_CONS, XS_INTF_REQ_PROD, XS_INTF_RSP_PROD].map((o) => v.getUint32(o, true))).toEqual([0, 0, 0]);
    expect(g.req(XS_READ, 'name\0').text).toBe('guest2');
  });

  it('request indexes more than a ring apart set error=XENSTORE_ERROR_RINGIDX', () => {
    const { xs, dom0 } = host();
    const g = ringGuest(xs, dom0, 2);
    const v = new DataView(g.page.buffer);
    v.setUint32(XS_INTF_REQ_PROD, 5000, true);
    xs.guestKick(2);
    expect(v.getUint32(XS_INTF_ERROR, true)).toBe(XENSTORE_ERROR_RINGIDX);
    // Other domains and dom0 are unaffected.
    expect(dom0.read('/local/domain/2/name')).toBe('guest2');
  });

  it('a reply larger than rsp[] is written in pieces as the guest consumes it', () => {
    const { xs, dom0 } = host();
    const g = ringGuest(xs, dom0, 2);
    for (let i = 0; i < 120; i++) dom0.write(`/local/domain/2/data/entry-number-${i}`, '');
    const r = g.req(XS_DIRECTORY, 'data\0');
    const names = r.text.split('\0').filter(Boolean);
    expect(r.text.length).toBeGreaterThan(1024);
    expect(names).toHaveLength(120);
    expect(names[119]).toBe('entry-number-119');
  });

  it('while rsp[] is full, an identical watch event already queued is not queued twice (send_event)', () => {
    const { xs, dom0 } = host();
    const g = ringGuest(xs, dom0, 2);
    expect(g.req(XS_WATCH, 'data\0w\0').text).toBe('OK\0');
    g.drain();
    g.events.length = 0;
    for (let i = 0; i < 120; i++) dom0.write(`/local/domain/2/data/entry-number-${i}`, '');
    for (let k = 0; k < 64; k++) g.drain(); // take all 120 events (they span many ring-fulls)
    expect(g.events).toHaveLength(120);
    g.events.length = 0;
    // A long reply fills rsp[]; the guest does not read it yet.
    g.front.send(XS_DIRECTORY, 1, 0, strToBytes('data\0'));
    dom0.write('/local/domain/2/data/x', '1');
    dom0.write('/local/domain/2/data/x', '2');
    dom0.write('/local/domain/2/data/y', '3');
    g.drain();
    for (let k = 0; k < 16; k++) g.drain();
    expect(g.events.map((e) => e.path)).toEqual(['data/x', 'data/y']);
  });

  it('a page too small for xenstore_domain_interface is refused with a clear error', () => {
    const xs = new Xenstored();
    expect(() => xs.introduceDomain(3, { ring: { page: new Uint8Array(2048), notify: () => undefined } }))
      .toThrow(/needs 2076/);
  });
});

describe('never a host crash', () => {
  // Deterministic xorshift so a failure reproduces.
  const rng = (seed: number) => () => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };

  it('3000 random requests from dom0 and a guest: each gets exactly one reply, nothing throws', () => {
    const { xs, dom0 } = host();
    const guest = new XsClient(xs, 9);
    const r = rng(0x5eed);
    const words = ['/', '/a', 'a/b', '@releaseDomain', '@introduceDomain', '/local/domain/9/x', 'T', 'F', '1', '9', '0', 'x\xff'];
    let replies = 0;
    for (let i = 0; i < 3000; i++) {
      const c = r() < 0.5 ? dom0 : guest;
      const type = Math.floor(r() * 26);
      const parts: number[] = [];
      const n = Math.floor(r() * 4);
      for (let k = 0; k < n; k++) {
        parts.push(...strToBytes(words[Math.floor(r() * words.length)]!));
        if (r() < 0.8) parts.push(0);
      }
      const tx = r() < 0.8 ? 0 : Math.floor(r() * 4);
      const before = c.conn.out.length;
      xs.handleMessage(c.conn, { type, reqId: i + 1, txId: tx, len: parts.length }, new Uint8Array(parts));
      const mine = c.conn.out.slice(before).filter((m) => readHeader(m).reqId === i + 1);
      expect(mine).toHaveLength(1);
      const h = readHeader(mine[0]!);
      expect(h.type === XS_ERROR || h.type === type).toBe(true);
      replies++;
      xs.pump();
      c.takeEvents();
    }
    expect(replies).toBe(3000);
    expect(dom0.read('/tool/xenstored')).toBe('');
  });

  it('random bytes and random indexes in a guest ring page: xenstored flags the ring, the host survives', () => {
    const { xs, dom0 } = host();
    const r = rng(0xc0ffee);
    for (let round = 0; round < 50; round++) {
      const g = ringGuest(xs, dom0, 20 + round);
      for (let i = 0; i < 2076; i++) if (r() < 0.05) g.page[i] = Math.floor(r() * 256);
      expect(() => xs.guestKick(20 + round)).not.toThrow();
      g.front.writeRaw(new Uint8Array(Array.from({ length: 64 }, () => Math.floor(r() * 256))));
      expect(() => xs.guestKick(20 + round)).not.toThrow();
    }
    expect(dom0.read('/local/domain/20/name')).toBe('guest20');
  });
});
