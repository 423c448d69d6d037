// acpidm xl / acpidm xen host never leave a person waiting (issue 15): a host killed mid-command, a host
// stopped by SIGTERM, and a socket that is not a xen host all end the client with a message and a non-zero
// status. The host runs as a real child process (bin/acpidm.js, needs the built dist/).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';

const BIN = join(import.meta.dirname, '../../bin/acpidm.js');
const dir = mkdtempSync(join(tmpdir(), 'acpidm-xlrel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ign.cfg'), 'name = "ign"\nmemory = 64\nkernel = "scripted:ignore-button"\n');

async function xl(sock: string, ...args: string[]) {
  const io = captureIo();
  const code = await main(['xl', '--socket', sock, ...args], io);
  return { code, out: io.out, err: io.err };
}

async function startHost(name: string): Promise<{ child: ChildProcess; sock: string; xs: string; exited: Promise<number | null>; stderr: () => string }> {
  const sock = join(dir, `${name}.sock`);
  const xs = join(dir, `${name}-xs.sock`);
  const child = spawn(process.execPath, [BIN, 'xen', 'host', '--socket', sock, '--xenstored', xs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (let i = 0; i < 200 && !err.includes('control socket'); i++) await new Promise((r) => setTimeout(r, 25));
  expect(err).toContain('control socket');
  return { child, sock, xs, exited, stderr: () => err };
}

describe('acpidm xl against a host that goes away', () => {
  it('shutdown -F -w while the host is killed (SIGKILL): a clear message, exit 1, no wait', async () => {
    const h = await startHost('kill');
    expect((await xl(h.sock, 'create', join(dir, 'ign.cfg'))).code).toBe(0);
    const waiting = xl(h.sock, 'shutdown', '-F', '-w', 'ign'); // the guest ignores the button: it would wait 60 s
    await new Promise((r) => setTimeout(r, 300));
    h.child.kill('SIGKILL');
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/closed the connection before replying \(was it stopped or killed\?\)/);
  }, 20_000);

  it('SIGTERM stops the host while a client waits: the client is told, the sockets are removed, exit 0', async () => {
    const h = await startHost('term');
    expect((await xl(h.sock, 'create', join(dir, 'ign.cfg'))).code).toBe(0);
    const waiting = xl(h.sock, 'shutdown', '-F', '-w', 'ign');
    await new Promise((r) => setTimeout(r, 300));
    h.child.kill('SIGTERM');
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.err).toContain('acpidm xen host: shutting down on SIGTERM; the command did not finish');
    expect(await h.exited).toBe(0);
    expect(h.stderr()).toContain('SIGTERM: shutting down');
    expect(existsSync(h.sock)).toBe(false);
    expect(existsSync(h.xs)).toBe(false);
  }, 20_000);

  it('SIGINT stops an idle host the same way', async () => {
    const h = await startHost('int');
    h.child.kill('SIGINT');
    expect(await h.exited, h.stderr()).toBe(0);
    expect(existsSync(h.sock)).toBe(false);
  }, 20_000);
});

describe('acpidm xl --socket WRONG', () => {
  it('a path that does not exist fails at once', async () => {
    const r = await xl(join(dir, 'nothing.sock'), 'list');
    expect(r.code).toBe(1);
    expect(r.err).toContain('does not exist');
  });

  it('a socket that never speaks (not a xen host) gives up after the greeting timeout with a message', async () => {
    const p = join(dir, 'mute.sock');
    const srv = createServer(() => {});
    await new Promise<void>((r) => srv.listen(p, r));
    try {
      const r = await xl(p, 'list');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no greeting from .*mute\.sock within 5 s: not an acpidm xen host socket\?/);
    } finally {
      srv.close();
    }
  }, 15_000);

  it('a socket that speaks something else (a QMP greeting) is named as not a xen host', async () => {
    const p = join(dir, 'qmp.sock');
    const srv = createServer((s) => s.write('{"QMP": {"version": {}, "capabilities": []}}\r\n'));
    await new Promise<void>((r) => srv.listen(p, r));
    try {
      const r = await xl(p, 'list');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/is not an acpidm xen host socket \(it said "\{\\"QMP\\"/);
    } finally {
      srv.close();
    }
  });
});
