// The socket server: -qmp unix:/tcp: (QEMU chardev syntax), several clients, hostile clients.
// Driven by two QMP client libraries from npm that nobody here wrote (node-qemu, qemu-qmp) and by raw sockets.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QMPClient } from 'node-qemu';
import { afterEach, describe, expect, it } from 'vitest';
import { connectQmp } from '../../src/qmp/client-node.js';
import { VmDriver } from '../../src/qmp/driver.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import { startQmpServer, type QmpServerHandle } from '../../src/qmp/server-node.js';
import { parseQmpSpec } from '../../src/qmp/spec.js';
import { bareVm } from './bare-vm.js';

const QMP = createRequire(import.meta.url)('qemu-qmp') as new () => {
  connect(path: string | number, host?: unknown, cb?: (err: Error | null) => void): void;
  execute(cmd: string, args: unknown, cb?: (err: Error | null, ret: unknown) => void): void;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  end(): void;
  version: { qemu: { major: number } };
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(kind: 'unix' | 'tcp' = 'unix') {
  const vm = bareVm();
  const driver = new VmDriver(vm).start();
  const monitor = new QmpMonitor(vm, driver);
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-qmp-'));
  const server = await startQmpServer(monitor, kind === 'unix' ? `unix:${join(dir, 'qmp.sock')},server=on,wait=off` : 'tcp:127.0.0.1:0,server=on,nowait');
  cleanups.push(async () => {
    driver.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  vm.runState.cont();
  return { vm, driver, monitor, server, dir, path: join(dir, 'qmp.sock') };
}

function nodeQemu(server: QmpServerHandle): QMPClient {
  const c = server.spec.kind === 'unix'
    ? new QMPClient({ socketPath: server.spec.path })
    : new QMPClient({ host: '127.0.0.1', port: server.port! });
  cleanups.push(() => c.close());
  return c;
}

/** A raw socket that collects parsed lines. */
async function raw(path: string): Promise<{ sock: Socket; lines: unknown[]; next(n: number): Promise<unknown[]> }> {
  const sock = createConnection(path);
  sock.setEncoding('utf8');
  sock.on('error', () => {}); // EPIPE when the server hangs up on a hostile client
  const lines: unknown[] = [];
  let buf = '';
  const waiters: (() => void)[] = [];
  sock.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 2);
    }
    for (const w of waiters.splice(0)) w();
  });
  cleanups.push(() => void sock.destroy());
  const next = async (n: number) => {
    while (lines.length < n) await new Promise<void>((r) => waiters.push(r));
    return lines.slice(0, n);
  };
  await next(1);
  return { sock, lines, next };
}

describe('-qmp option parsing (QEMU chardev syntax)', () => {
  it.each([
    ['unix:/tmp/a.sock,server=on,wait=off', { kind: 'unix', path: '/tmp/a.sock', wait: false }],
    ['unix:/tmp/a.sock,server,nowait', { kind: 'unix', path: '/tmp/a.sock', wait: false }],
    ['unix:/tmp/a.sock,server=on', { kind: 'unix', path: '/tmp/a.sock', wait: true }],
    ['tcp:127.0.0.1:4444,server=on,wait=off', { kind: 'tcp', host: '127.0.0.1', port: 4444, wait: false }],
    ['tcp:localhost:4444,server,nowait', { kind: 'tcp', host: '127.0.0.1', port: 4444, wait: false }],
  ])('%s', (text, spec) => expect(parseQmpSpec(text)).toEqual(spec));

  it.each([
    ['tcp:0.0.0.0:4444,server=on,wait=off', /refusing to listen on '0.0.0.0'.*loopback only/],
    ['tcp::4444,server=on,wait=off', /refusing to listen on '\(all interfaces\)'/],
    ['tcp:192.168.1.5:4444,server=on', /loopback only/],
    ['unix:/tmp/a.sock', /only listens.*server=on/],
    ['unix:/tmp/a.sock,server=off', /only listens/],
    ['tcp:127.0.0.1:99999,server=on', /not a TCP port/],
    ['stdio,server=on', /expected unix:PATH or tcp:127.0.0.1:PORT/],
    ['unix:/tmp/a.sock,server=on,telnet=on', /unsupported option 'telnet=on'/],
    ['unix:/tmp/a.sock,server=maybe', /'server' expects 'on' or 'off'/],
  ])('refuses %s with a clear message', (text, re) => expect(() => parseQmpSpec(text)).toThrow(re));

  it('refuses to replace a regular file with the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acpidm-qmp-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'f'), 'data');
    const vm = bareVm();
    await expect(startQmpServer(new QmpMonitor(vm, new VmDriver(vm)), `unix:${join(dir, 'f')},server=on,wait=off`)).rejects.toThrow(/not a socket/);
  });

  // A second VM on a live VM's path is refused (a TCP bind gets EADDRINUSE); a stale socket is replaced.
  it('refuses a unix path another VM is listening on, and takes over a stale one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acpidm-qmp-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spec = `unix:${join(dir, 'vm.qmp')},server=on,wait=off`;
    const vm1 = bareVm();
    const first = await startQmpServer(new QmpMonitor(vm1, new VmDriver(vm1)), spec);
    const vm2 = bareVm();
    await expect(startQmpServer(new QmpMonitor(vm2, new VmDriver(vm2)), spec)).rejects.toThrow(/address in use/);
    expect(lstatSync(join(dir, 'vm.qmp')).isSocket()).toBe(true); // the first VM keeps its path
    await first.close();
    // A socket file nobody listens on (a VM that was killed) is stale: the next VM takes it.
    const stalePath = join(dir, 'stale.qmp');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(lstatSync(stalePath).isSocket()).toBe(true);
    const vm3 = bareVm();
    const third = await startQmpServer(new QmpMonitor(vm3, new VmDriver(vm3)), `unix:${stalePath},server=on,wait=off`);
    await third.close();
  });
});

describe('QMP over a real socket with npm clients', () => {
  it('node-qemu QMPClient negotiates, queries and controls the VM over a unix socket', async () => {
    const { server, vm } = await serve('unix');
    const c = nodeQemu(server);
    await c.connect();
    expect(await c.queryStatus()).toMatchObject({ running: true, status: 'running' });
    const stops: unknown[] = [];
    c.on('STOP', (d) => stops.push(d));
    await c.stop();
    expect(vm.runState.state).toBe('paused');
    expect(await c.execute('query-status')).toEqual({ running: false, status: 'paused' });
    expect(stops).toEqual([{}]);
    await expect(c.execute('no-such-command')).rejects.toMatchObject({ qmpClass: 'CommandNotFound', description: 'The command no-such-command has not been found' });
  });

  it('node-qemu over tcp:127.0.0.1 (ephemeral port)', async () => {
    const { server } = await serve('tcp');
    expect(server.address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    const c = nodeQemu(server);
    await c.connect();
    expect(await c.execute('query-version')).toMatchObject({ package: expect.stringMatching(/^acpidm/) });
  });

  it('qemu-qmp (sends JSON with no newline at all) negotiates and executes', async () => {
    const { path } = await serve('unix');
    const q = new QMP();
    cleanups.push(() => q.end());
    await new Promise<void>((res, rej) => q.connect(path, (e) => (e ? rej(e) : res())));
    expect(q.version.qemu.major).toBeGreaterThanOrEqual(6);
    const st = await new Promise((res, rej) => q.execute('query-status', null, (e, r) => (e ? rej(e) : res(r))));
    expect(st).toEqual({ running: true, status: 'running' });
    const err = await new Promise<Error | null>((res) => q.execute('system_wakeup', null, (e) => res(e)));
    expect(err?.message).toBe('Unable to wake up: guest is not in suspended state');
  });

  it('several clients at once all see every event; each gets only its own replies', async () => {
    const { server } = await serve('unix');
    const a = nodeQemu(server);
    const b = nodeQemu(server);
    await Promise.all([a.connect(), b.connect()]);
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.on('rawEvent', (e) => seenA.push(e.event));
    b.on('rawEvent', (e) => seenB.push(e.event));
    await a.stop();
    await b.cont();
    await a.execute('query-status');
    await b.execute('query-status');
    expect(seenA).toEqual(['STOP', 'RESUME']);
    expect(seenB).toEqual(['STOP', 'RESUME']);
  });

  it('a client that disconnects mid-command is harmless: the command runs, the VM and other clients carry on', async () => {
    const { path, vm, server } = await serve('unix');
    const r = await raw(path);
    r.sock.write('{"execute":"qmp_capabilities"}\r\n{"execute":"stop"}\r\n{"execute":"query-st');
    r.sock.destroy(); // half a command in flight
    const c = nodeQemu(server);
    await c.connect();
    expect(await c.execute('query-status')).toEqual({ running: false, status: 'paused' });
    await c.cont();
    expect(vm.runState.state).toBe('running');
  });

  it('a flood of commands is answered in order, and the VM keeps running', async () => {
    const { path, vm } = await serve('unix');
    const r = await raw(path);
    const n = 2000;
    let text = '{"execute":"qmp_capabilities"}\r\n';
    for (let i = 0; i < n; i++) text += i % 3 === 0 ? `{"execute":"query-status","id":${i}}\r\n` : i % 3 === 1 ? `{"execute":"nope","id":${i}}\r\n` : `{bad json ${i}\r\n`;
    r.sock.write(text);
    const lines = await r.next(1 + 1 + n);
    const replies = lines.slice(2) as { id?: number; error?: { class: string } }[];
    expect(replies.filter((m) => m.id !== undefined).map((m) => m.id)).toEqual(
      Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 2));
    expect(replies.filter((m) => m.error?.class === 'GenericError').length).toBe(Math.floor(n / 3));
    expect(vm.runState.state).toBe('running');
  });

  it('a client that floods commands but never reads its replies is disconnected; the VM and other clients carry on', async () => {
    const { path, vm, server } = await serve('unix');
    const r = await raw(path);
    r.sock.pause(); // never read again
    const closed = new Promise<void>((res) => r.sock.on('close', () => res()));
    const one = '{"execute":"query-commands"}\r\n';
    r.sock.write('{"execute":"qmp_capabilities"}\r\n' + one.repeat(40_000));
    await closed; // the server hung up once more than MAX_UNREAD_BYTES piled up
    const c = nodeQemu(server);
    await c.connect();
    expect(await c.execute('query-status')).toEqual({ running: true, status: 'running' });
    expect(vm.runState.state).toBe('running');
  });

  it('our own client (used by the CLI) matches replies by id and surfaces QMP errors', async () => {
    const { server } = await serve('tcp');
    const c = await connectQmp(server.address);
    cleanups.push(() => c.close());
    expect(c.greeting.QMP.capabilities).toEqual([]);
    await expect(c.execute('cont', { extra: 1 })).rejects.toMatchObject({ errorClass: 'GenericError', desc: "Parameter 'extra' is unexpected" });
    expect(await c.execute('query-status')).toEqual({ running: true, status: 'running' });
  });
});
