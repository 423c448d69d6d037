// The control/shutdown protocol between the toolstack (dom0 client) and a PV-aware guest talking
// through its xenstore ring page. The guest side follows Linux drivers/xen/manage.c shutdown_handler:
// read control/shutdown inside a transaction, ignore empty or unknown values, write "" to acknowledge
// in the same transaction, retry the whole transaction on EAGAIN, and only then act.
import { describe, expect, it } from 'vitest';
import {
  XS_READ, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_WATCH, XS_WRITE, XsClient,
} from '../../src/xen-hvm/xenstore/index.js';
import { host, ringGuest } from './helpers.js';

const COMMANDS = ['poweroff', 'halt', 'reboot', 'suspend'];

function linuxGuest(g: ReturnType<typeof ringGuest>, betweenReadAndCommit?: (attempt: number) => void) {
  const log: string[] = [];
  let shuttingDown: string | undefined;
  const handler = (): void => {
    if (shuttingDown) return; // a shutdown already in progress ignores later requests
    for (let attempt = 1; ; attempt++) {
      const start = g.req(XS_TRANSACTION_START, '\0');
      const tx = Number(start.text.replace(/\0$/, ''));
      const r = g.req(XS_READ, 'control/shutdown\0', tx);
      const value = r.error ? '' : r.text;
      if (value === '') {
        g.req(XS_TRANSACTION_END, 'T\0', tx);
        return;
      }
      const known = COMMANDS.includes(value);
      if (known) g.req(XS_WRITE, 'control/shutdown\0', tx); // ack: write ""
      betweenReadAndCommit?.(attempt);
      const end = g.req(XS_TRANSACTION_END, 'T\0', tx);
      if (end.error === 'EAGAIN') {
        log.push(`EAGAIN on attempt ${attempt}`);
        continue;
      }
      if (known) {
        shuttingDown = value;
        log.push(`act ${value}`);
      } else log.push(`Ignoring shutdown request: ${value}`);
      return;
    }
  };
  const run = (): void => {
    while (g.events.length > 0) {
      const e = g.events.shift()!;
      if (e.token === 'shutdown') handler();
    }
  };
  return { log, run, state: () => shuttingDown };
}

function setup() {
  const { xs, dom0 } = host();
  const g = ringGuest(xs, dom0, 3);
  // The guest advertises the feature and watches its (relative) control/shutdown.
  expect(g.req(XS_WRITE, 'control/feature-poweroff\0001').text).toBe('OK\0');
  expect(g.req(XS_WATCH, 'control/shutdown\0shutdown\0').text).toBe('OK\0');
  g.drain();
  expect(g.events).toEqual([{ path: 'control/shutdown', token: 'shutdown' }]);
  const acks: string[] = [];
  const tool = new XsClient(xs);
  tool.watch('/local/domain/3/control/shutdown', 'libxl-ack', (p) => acks.push(tool.read(p)));
  return { xs, dom0, g, tool, acks };
}

describe('control/shutdown (libxl pvcontrol <-> Linux manage.c)', () => {
  it('toolstack writes poweroff; the guest acks "" in a transaction, then acts', () => {
    const { dom0, g, acks } = setup();
    const guest = linuxGuest(g);
    guest.run(); // registration event: value is "" so nothing happens
    expect(guest.log).toEqual([]);
    expect(dom0.read('/local/domain/3/control/feature-poweroff')).toBe('1');
    dom0.write('/local/domain/3/control/shutdown', 'poweroff');
    g.drain();
    guest.run();
    expect(guest.log).toEqual(['act poweroff']);
    expect(dom0.read('/local/domain/3/control/shutdown')).toBe('');
    // The toolstack's watch saw the registration (""), its own write, then the ack.
    expect(acks).toEqual(['', 'poweroff', '']);
  });

  it('a conflicting write between the guest\'s read and commit gives EAGAIN; the retry succeeds', () => {
    const { dom0, g } = setup();
    const guest = linuxGuest(g, (attempt) => {
      if (attempt === 1) dom0.write('/local/domain/3/control/shutdown', 'reboot');
    });
    dom0.write('/local/domain/3/control/shutdown', 'poweroff');
    g.drain();
    guest.run();
    expect(guest.log).toEqual(['EAGAIN on attempt 1', 'act reboot']);
    expect(dom0.read('/local/domain/3/control/shutdown')).toBe('');
  });

  it('unknown commands are ignored and not acknowledged; requests after a shutdown started are ignored', () => {
    const { dom0, g } = setup();
    const guest = linuxGuest(g);
    guest.run(); // the registration event, while the node is still ""
    dom0.write('/local/domain/3/control/shutdown', 'bogus');
    g.drain();
    guest.run();
    expect(guest.log).toEqual(['Ignoring shutdown request: bogus']);
    expect(dom0.read('/local/domain/3/control/shutdown')).toBe('bogus');
    dom0.write('/local/domain/3/control/shutdown', 'halt');
    g.drain();
    guest.run();
    dom0.write('/local/domain/3/control/shutdown', 'reboot');
    g.drain();
    guest.run();
    expect(guest.log).toEqual(['Ignoring shutdown request: bogus', 'act halt']);
    expect(guest.state()).toBe('halt');
    expect(dom0.read('/local/domain/3/control/shutdown')).toBe('reboot');
  });

  it('the guest cannot write another domain\'s control/shutdown through its ring', () => {
    const { xs, dom0, g } = setup();
    ringGuest(xs, dom0, 4);
    expect(g.req(XS_WRITE, '/local/domain/4/control/shutdown\0poweroff').error).toBe('EACCES');
    expect(g.req(XS_READ, '/local/domain/4/name\0').error).toBe('EACCES');
    expect(dom0.read('/local/domain/4/control/shutdown')).toBe('');
  });
});
