// `-serial unix:PATH,server=on,wait=off`, `-serial tcp:127.0.0.1:PORT,server=on,wait=off` and `-chardev socket,…`
// (QEMU chardev/char-socket.c, server mode): a client connects, reads what the guest writes to COM1 and types
// into it. Bad addresses and busy ones end the run with a message naming them.
import { writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo, CliError } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { parseRunArgs } from '../../src/cli/qemu-args.js';
import { multibootImage } from '../multiboot-image.js';
import { tempDir } from '../tmp-dir.js';

/** Prints '>' on COM1, then echoes every byte it receives (polling LSR.DR) until 'q'; then S5 through 0x604. */
const ECHO = multibootImage([
  0x66, 0xba, 0xf8, 0x03, 0xb0, 0x3e, 0xee, // mov dx,0x3f8 / mov al,'>' / out dx,al
  0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xf7, // loop: mov dx,0x3fd / in al,dx / test al,1 / jz loop
  0x66, 0xba, 0xf8, 0x03, 0xec, 0xee, 0x3c, 0x71, 0x75, 0xed, // mov dx,0x3f8 / in al,dx / out dx,al / cmp al,'q' / jne loop
  0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, 0xf4, 0xeb, 0xfe,
]);

const dir = tempDir('acpidm-serial-sock-');
const kernel = join(dir, 'echo.bin');
writeFileSync(kernel, ECHO);

/** Connect (retrying while the listener comes up); collect what arrives. */
function client(addr: { path: string } | { port: number; host: string }): Promise<{ sock: Socket; got: () => string; until: (s: string) => Promise<void> }> {
  return new Promise((resolve, reject) => {
    let tries = 200;
    const attempt = (): void => {
      const sock = 'path' in addr ? createConnection(addr.path) : createConnection(addr.port, addr.host);
      let got = '';
      const waiters: (() => void)[] = [];
      sock.on('data', (d) => { got += d.toString('latin1'); for (const w of waiters.splice(0)) w(); });
      sock.once('error', (e) => (--tries > 0 ? setTimeout(attempt, 25) : reject(e)));
      sock.once('connect', () => resolve({
        sock,
        got: () => got,
        until: (s) => new Promise<void>((r) => {
          const check = (): void => (got.includes(s) ? r() : void waiters.push(check));
          check();
        }),
      }));
    };
    attempt();
  });
}

describe('-serial / -chardev socket parsing', () => {
  it('unix and tcp, both spellings, with QEMU\'s flags (server, wait, nowait)', () => {
    expect(parseRunArgs(['-serial', 'unix:/tmp/s.sock,server=on,wait=off']).serials)
      .toEqual([{ kind: 'socket', addr: { kind: 'unix', path: '/tmp/s.sock' }, wait: false }]);
    expect(parseRunArgs(['-serial', 'tcp:127.0.0.1:4555,server,nowait']).serials)
      .toEqual([{ kind: 'socket', addr: { kind: 'tcp', host: '127.0.0.1', port: 4555 }, wait: false }]);
    expect(parseRunArgs(['-serial', 'tcp:localhost:0,server=on']).serials)
      .toEqual([{ kind: 'socket', addr: { kind: 'tcp', host: '127.0.0.1', port: 0 }, wait: true }]);
    expect(parseRunArgs(['-chardev', 'socket,id=s0,path=/tmp/c.sock,server=on,wait=off', '-serial', 'chardev:s0']).serials)
      .toEqual([{ kind: 'socket', addr: { kind: 'unix', path: '/tmp/c.sock' }, wait: false }]);
    expect(parseRunArgs(['-chardev', 'socket,id=s0,host=127.0.0.1,port=4556,server=on,nowait', '-serial', 'null', '-serial', 'chardev:s0']).serials)
      .toEqual([{ kind: 'null' }, { kind: 'socket', addr: { kind: 'tcp', host: '127.0.0.1', port: 4556 }, wait: false }]);
  });

  it.each([
    [['-serial', 'unix:/tmp/s.sock'], /acpidm only listens for clients.*server=on/],
    [['-serial', 'unix:/tmp/s.sock,server=off'], /acpidm only listens/],
    [['-serial', 'unix:,server=on'], /unix: needs a socket path/],
    [['-serial', 'tcp:0.0.0.0:4555,server=on,wait=off'], /refusing to listen on '0\.0\.0\.0'.*loopback only/],
    [['-serial', 'tcp::4555,server=on,wait=off'], /refusing to listen on '\(all interfaces\)'/],
    [['-serial', 'tcp:127.0.0.1:99999,server=on'], /'99999' is not a TCP port number/],
    [['-serial', 'tcp:4555,server=on'], /expected tcp:127\.0\.0\.1:PORT/],
    [['-serial', 'unix:/tmp/s.sock,server=on,telnet=on'], /unsupported option 'telnet=on'/],
    [['-serial', 'unix:/tmp/s.sock,server=on,wait=maybe'], /'wait' expects 'on' or 'off'/],
    [['-chardev', 'socket,id=s0,server=on'], /needs path=PATH .* or port=PORT/],
    [['-chardev', 'socket,id=s0,path=/tmp/a,port=3,server=on'], /either path=PATH .* not both/],
    [['-chardev', 'socket,id=d,path=/tmp/a,server=on,wait=off', '-device', 'isa-debugcon,chardev=d'], /a socket chardev works with -serial only/],
  ])('%j is rejected with a clear message', (argv, msg) => {
    expect(() => parseRunArgs(argv)).toThrow(CliError);
    expect(() => parseRunArgs(argv)).toThrow(msg);
  });
});

describe('acpidm run with a serial socket', () => {
  it('unix:PATH,server=on,wait=off: a client reads the guest\'s output, types into it, and the guest powers off on q', async () => {
    const path = join(dir, 'com1.sock');
    const io = captureIo();
    // wait=off: the guest starts at once; its '>' reaches the client only if it was connected by then (QEMU drops
    // output while no client is connected), and what the client types before the guest reads is kept.
    const run = main(['run', '-kernel', kernel, '-serial', `unix:${path},server=on,wait=off`], io);
    while (!io.out.includes('serial port COM1 -> socket')) await new Promise((r) => setTimeout(r, 10));
    const c = await client({ path });
    c.sock.write('ls\n');
    await c.until('ls\n');
    c.sock.write('echo hi\nq');
    expect(await run).toBe(0);
    await c.until('q');
    expect(c.got()).toMatch(/^>?ls\necho hi\nq$/);
    expect(io.out).toContain(`serial port COM1 -> socket unix:${path}`);
    expect(io.out).toContain('SHUTDOWN {guest: true, reason: guest-shutdown}');
    c.sock.destroy();
  });

  it('tcp:127.0.0.1:PORT,server=on (wait=on, the default): the guest starts only once a client is there, so it sees the first byte', async () => {
    // Port 0: the kernel picks a free one; the run says which on stderr (QEMU's "waiting for connection" line).
    const io = captureIo();
    const run = main(['run', '-kernel', kernel, '-chardev', 'socket,id=c1,host=127.0.0.1,port=0,server=on', '-serial', 'chardev:c1'], io);
    while (!/waiting for connection on tcp:127\.0\.0\.1:(\d+)/.test(io.err)) await new Promise((r) => setTimeout(r, 10));
    const port = Number(/waiting for connection on tcp:127\.0\.0\.1:(\d+)/.exec(io.err)![1]);
    const c = await client({ host: '127.0.0.1', port });
    await c.until('>');
    c.sock.write('xyq');
    expect(await run).toBe(0);
    await c.until('q');
    expect(c.got()).toBe('>xyq');
    c.sock.destroy();
  });

  it('a unix path another process listens on, a TCP port in use, and a missing directory end the run with status 1 and the address', async () => {
    const busy = join(dir, 'busy.sock');
    const other = createServer(() => {});
    await new Promise<void>((r) => other.listen(busy, r));
    const tcp = createServer(() => {});
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as { port: number }).port;
    try {
      const cases: [string, RegExp][] = [
        [`unix:${busy},server=on,wait=off`, /address in use \(another process is listening on .*busy\.sock/],
        [`tcp:127.0.0.1:${port},server=on,wait=off`, new RegExp(`cannot listen on tcp:127\\.0\\.0\\.1:${port}: address in use \\(EADDRINUSE\\)`)],
        [`unix:${join(dir, 'no/such/dir.sock')},server=on,wait=off`, /cannot listen on unix:.*no\/such\/dir\.sock: directory .*no\/such does not exist$/m],
      ];
      for (const [spec, msg] of cases) {
        const io = captureIo();
        expect(await main(['run', '-kernel', kernel, '-serial', spec], io), spec).toBe(1);
        expect(io.err).toMatch(msg);
      }
      // A regular file at the path is never replaced.
      const file = join(dir, 'plain.txt');
      writeFileSync(file, 'keep me');
      const io = captureIo();
      expect(await main(['run', '-kernel', kernel, '-serial', `unix:${file},server=on,wait=off`], io)).not.toBe(0);
      expect(io.err).toMatch(/plain\.txt exists and is not a socket/);
    } finally {
      other.close();
      tcp.close();
    }
  });
});
