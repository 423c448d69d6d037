// `-serial` (QEMU serial_parse): COM1 output of a guest reaches the host backend.
import { readFileSync, writeFileSync } from 'node:fs';
import { multibootImage } from '../multiboot-image.js';
import { tempDir } from '../tmp-dir.js';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { captureIo, CliError } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { parseRunArgs } from '../../src/cli/qemu-args.js';

/**
 * A Multiboot kernel that writes `text` to the UART at `port` (`mov dx, port; mov al, c; out dx, al` per byte),
 * then S5 through PM1a_CNT 0x604 (the built-in firmware's PM base).
 */
function serialKernel(text: string, port = 0x3f8): Uint8Array {
  const code: number[] = [0x66, 0xba, port & 0xff, port >> 8];
  for (const c of text) code.push(0xb0, c.charCodeAt(0), 0xee);
  code.push(0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, 0xf4, 0xeb, 0xfe);
  return multibootImage(code);
}

/**
 * Echo guest: poll LSR.DR on COM1, read RBR, write it back to THR, until 'q'; then S5.
 *   loop: mov dx,0x3fd / in al,dx / test al,1 / jz loop / mov dx,0x3f8 / in al,dx / out dx,al / cmp al,'q' / jne loop
 */
const ECHO = multibootImage([
  0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xf7, // loop (9 bytes): jz -9
  0x66, 0xba, 0xf8, 0x03, 0xec, 0xee, 0x3c, 0x71, 0x75, 0xed, // jne back to loop (-19)
  0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, 0xf4, 0xeb, 0xfe,
]);

const dir = tempDir('acpidm-serial-');
const kernel = (text: string, port?: number): string => {
  const p = join(dir, `k${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(p, serialKernel(text, port));
  return p;
};

describe('-serial parsing', () => {
  it('COM1 by default; each -serial adds the next port; none adds nothing but drops the default', () => {
    expect(parseRunArgs([]).serials).toEqual([{ kind: 'null' }]);
    expect(parseRunArgs(['-nographic']).serials).toEqual([{ kind: 'stdio' }]);
    expect(parseRunArgs(['-serial', 'none']).serials).toEqual([]);
    expect(parseRunArgs(['-serial', 'none', '-serial', 'file:/tmp/x']).serials).toEqual([{ kind: 'file', path: '/tmp/x' }]);
    expect(parseRunArgs(['-serial', 'stdio', '-serial', 'null']).serials).toEqual([{ kind: 'stdio' }, { kind: 'null' }]);
    expect(parseRunArgs(['-chardev', 'file,id=s0,path=/tmp/s', '-serial', 'chardev:s0']).serials).toEqual([{ kind: 'file', path: '/tmp/s' }]);
    expect(parseRunArgs(['-nographic', '-serial', 'file:/tmp/y']).serials).toEqual([{ kind: 'file', path: '/tmp/y' }]);
  });

  it.each([
    [['-serial', 'vc'], /-serial vc: use stdio, file:PATH/],
    [['-serial', 'file:'], /-serial file:/],
    [['-serial', 'chardev:nope'], /no -chardev with id=nope/],
    [['-serial', 'null', '-serial', 'null', '-serial', 'null', '-serial', 'null', '-serial', 'null'], /at most 4 serial ports/],
  ])('%j is rejected with a clear message', (argv, msg) => {
    expect(() => parseRunArgs(argv)).toThrow(CliError);
    expect(() => parseRunArgs(argv)).toThrow(msg);
  });
});

describe('acpidm run -serial', () => {
  it('file:PATH receives what the guest writes to COM1 (and the timeline shows it)', async () => {
    const out = join(dir, 'com1.txt');
    const io = captureIo();
    expect(await main(['run', '-kernel', kernel('Linux version 6.1\r\nreboot: Power down\r\n'), '-serial', `file:${out}`], io)).toBe(0);
    expect(readFileSync(out, 'latin1')).toBe('Linux version 6.1\r\nreboot: Power down\r\n');
    expect(io.out).toMatch(/guest\s+reboot: Power down/);
    expect(io.out).toContain('events:\n  SHUTDOWN {guest: true, reason: guest-shutdown}\n');
  });

  it('file:PATH holds every byte at exit: a last line without a newline, and more than its 4 KiB buffer', async () => {
    const out = join(dir, 'com1-long.txt');
    const text = 'x'.repeat(5000) + '\nno newline at the end';
    expect(await main(['run', '--quiet', '-kernel', kernel(text), '-serial', `file:${out}`], captureIo())).toBe(0);
    expect(readFileSync(out, 'latin1')).toBe(text);
  });

  it('COM1 and the debug console into one file keep the order the guest wrote them in', async () => {
    // one byte to COM1, the next to port 0xE9, and so on
    const text = 'serial and debugcon, interleaved\nacross lines';
    const code: number[] = [];
    [...text].forEach((c, i) => { const port = i % 2 === 0 ? 0x3f8 : 0xe9; code.push(0x66, 0xba, port & 0xff, port >> 8, 0xb0, c.charCodeAt(0), 0xee); });
    code.push(0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, 0xf4, 0xeb, 0xfe);
    const k = join(dir, 'both.bin');
    writeFileSync(k, multibootImage(code));
    const out = join(dir, 'both.txt');
    expect(await main(['run', '--quiet', '-kernel', k, '-serial', `file:${out}`, '-debugcon', `file:${out}`], captureIo())).toBe(0);
    expect(readFileSync(out, 'latin1')).toBe(text);
  });

  it('stdio writes the bytes to standard output', async () => {
    const io = captureIo();
    expect(await main(['run', '--quiet', '-kernel', kernel('hello\n'), '-serial', 'stdio'], io)).toBe(0);
    expect(io.out).toBe('hello\n');
  });

  it('-nographic puts COM1 on stdio; the second -serial is COM2 at 0x2F8', async () => {
    const io = captureIo();
    expect(await main(['run', '--quiet', '-nographic', '-kernel', kernel('one\n')], io)).toBe(0);
    expect(io.out).toBe('one\n');
    const out2 = join(dir, 'com2.txt');
    const io2 = captureIo();
    expect(await main(['run', '--quiet', '-kernel', kernel('two\n', 0x2f8), '-serial', 'null', '-serial', `file:${out2}`], io2)).toBe(0);
    expect(readFileSync(out2, 'latin1')).toBe('two\n');
  });
});

describe('serial input (QEMU stdio chardev → serial_receive1)', () => {
  it('bytes on standard input reach the guest through COM1\'s receive path; the guest echoes them and powers off on q', async () => {
    const k = join(dir, 'echo.bin');
    writeFileSync(k, ECHO);
    const stdin = new PassThrough();
    const io = Object.assign(captureIo(), { stdin });
    const run = main(['run', '--quiet', '-kernel', k, '-serial', 'stdio'], io);
    stdin.write('ls\n');
    setTimeout(() => stdin.end('echo hi\nq'), 20);
    expect(await run).toBe(0);
    expect(io.out).toBe('ls\necho hi\nq');
  });
});
