// Peer comparison of the timer and serial devices with real QEMU: the same qtest script (inb/outb) goes to
// `qemu-system-i386 -M pc -S -qtest stdio` and to acpidm's CPU-less machine; every answer must be identical.
// Debian's QEMU has no qtest accelerator, so `clock_step` is unavailable and the virtual clock stays frozen
// (vCPUs stopped by -S): this compares register semantics at one instant; the timed behaviour (counts after
// clock steps, edges, timeouts) is checked against QEMU's formulas in test/piix4/pit.test.ts and uart.test.ts.
// Covers the i8254 PIT (modes 0-7 as written, LSB/MSB/word access and the flip-flop, counter latch, read-back of
// status and count), port 0x61 (channel 2 gate/output, refresh bit, speaker data), the master PIC's IRR after
// count loads, and the 16550A on COM1 (reset values, DLAB, THRE interrupt, loopback, FIFO, overrun, IIR).
// Runs when qemu-system-i386 is installed; skips by hand without it, fails under CI=true.
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { qtestMachine } from '../../src/machine/qtest.js';

const QEMU = 'qemu-system-i386';
const CI = process.env.CI === 'true';
const HAVE_QEMU = !spawnSync(QEMU, ['--version']).error;
if (!HAVE_QEMU && !CI) console.warn(`SKIP peer-qemu-devices: ${QEMU} is not installed (apt-get install qemu-system-x86)`);

const ARGS = ['-M', 'pc', '-S', '-display', 'none', '-nodefaults', '-serial', 'null', '-rtc', 'base=2026-01-01T00:00:00,clock=vm', '-qtest', 'stdio'];

const latch0 = ['outb 0x43 0x00', 'inb 0x40', 'inb 0x40'];
const status = (ch: number) => [`outb 0x43 0x${(0xe0 | (2 << ch)).toString(16)}`, `inb 0x${(0x40 + ch).toString(16)}`];
const irr0 = ['outb 0x20 0x0a', 'inb 0x20'];

export function pitScript(): string[] {
  const s: string[] = [];
  // power-on state: channel 0 mode 3 count 0x10000 running since reset; channel 2 gate low
  s.push(...status(0), ...status(1), ...status(2), 'inb 0x61', 'inb 0x61', 'inb 0x61');
  s.push(...latch0, ...irr0);
  // the PIC as firmware leaves it, so IRR shows PIT edges
  s.push('outb 0x20 0x11', 'outb 0x21 0x08', 'outb 0x21 0x04', 'outb 0x21 0x01', 'outb 0x21 0xff', ...irr0);
  // mode 0, word access: count down, then OUT high at terminal count (IRQ 0 edge)
  s.push('outb 0x43 0x30', 'outb 0x40 0x00', 'outb 0x40 0x10', ...status(0), ...latch0, ...status(0), ...irr0);
  s.push(...status(0), ...irr0, 'inb 0x40', 'inb 0x40', 'inb 0x40', 'inb 0x40');
  // mode 2 rate generator, count 1193 (~1 ms)
  s.push('outb 0x20 0x0a', 'outb 0x43 0x34', 'outb 0x40 0xa9', 'outb 0x40 0x04');
  for (const step of [1, 400000, 600000, 838, 1, 1000000, 123456]) s.push(...latch0, ...status(0));
  // mode 3 square wave with an odd count, read without latching (LSB then MSB)
  s.push('outb 0x43 0x36', 'outb 0x40 0x35', 'outb 0x40 0x12');
  for (const step of [1, 1000, 1900000, 1900000, 777777]) s.push('inb 0x40', 'inb 0x40', ...status(0));
  // LSB-only and MSB-only access on channel 1, mode 4 and mode 5 (not gated: channel 1's gate is high)
  s.push('outb 0x43 0x58', 'outb 0x41 0x80', ...status(1), 'inb 0x41', 'inb 0x41', ...status(1), ...status(1));
  s.push('outb 0x43 0x6a', 'outb 0x41 0x02', 'inb 0x41', 'inb 0x41', ...status(1), ...status(1));
  // BCD bit (stored; QEMU counts binary) and modes 6/7 as written
  s.push('outb 0x43 0x71', 'outb 0x41 0x99', 'outb 0x41 0x99', ...status(1), 'outb 0x43 0x40', 'inb 0x41', 'inb 0x41');
  s.push('outb 0x43 0x7c', 'outb 0x41 0x10', 'outb 0x41 0x00', ...status(1), 'outb 0x43 0x7e', ...status(1));
  // read-back: count and status latched together; status comes out first; a second latch does not overwrite
  s.push('outb 0x43 0x34', 'outb 0x40 0x00', 'outb 0x40 0x00', 'outb 0x43 0xc2', 'outb 0x43 0xc2',
    'inb 0x40', 'inb 0x40', 'inb 0x40', 'inb 0x40');
  s.push('outb 0x43 0xde', 'inb 0x40', 'inb 0x41', 'inb 0x42', 'outb 0x43 0xee', 'inb 0x40', 'inb 0x41', 'inb 0x42');
  // channel 2 through port 0x61: Linux's pit_calibrate_tsc (gate on, speaker off, mode 0, count 0xffff, poll OUT2)
  s.push('inb 0x61', 'outb 0x61 0x01', 'outb 0x43 0xb0', 'outb 0x42 0xff', 'outb 0x42 0xff', 'inb 0x61');
  for (let i = 0; i < 6; i++) s.push('inb 0x61', 'inb 0x42', 'inb 0x42');
  // mode 1 one-shot on channel 2: the gate's rising edge triggers it
  s.push('outb 0x61 0x00', 'outb 0x43 0xb2', 'outb 0x42 0x00', 'outb 0x42 0x08', 'inb 0x61', 'outb 0x61 0x03', 'inb 0x61');
  s.push('inb 0x61', 'inb 0x42', 'inb 0x42', 'inb 0x61', 'outb 0x61 0x02', 'outb 0x61 0x03', 'inb 0x61');
  // mode 3 on channel 2 with the gate low, then high (restart)
  s.push('outb 0x61 0x00', 'outb 0x43 0xb6', 'outb 0x42 0x00', 'outb 0x42 0x01', 'inb 0x61', 'outb 0x61 0x01', 'inb 0x61', 'inb 0x61');
  // word reads without a latch flip between LSB and MSB; a control word resets the flip-flop
  s.push('inb 0x42', 'outb 0x43 0xb6', 'inb 0x42', 'inb 0x42', 'inb 0x43');
  return s;
}

export function uartScript(): string[] {
  const s: string[] = [];
  const regs = ['inb 0x3f9', 'inb 0x3fa', 'inb 0x3fb', 'inb 0x3fc', 'inb 0x3fd', 'inb 0x3fe', 'inb 0x3ff'];
  s.push(...regs, 'outb 0x3fb 0x80', 'inb 0x3f8', 'inb 0x3f9', 'outb 0x3f8 0x01', 'outb 0x3f9 0x00', 'inb 0x3f8', 'inb 0x3f9', 'outb 0x3fb 0x03', ...regs);
  // scratch, THR writes to the null backend, THRE interrupt and its acknowledge by IIR read
  s.push('outb 0x3ff 0x5a', 'inb 0x3ff', 'outb 0x3f8 0x41', 'inb 0x3fd', 'outb 0x3f9 0x02', 'inb 0x3fa', 'inb 0x3fa', 'outb 0x3f8 0x42', 'inb 0x3fa');
  s.push('outb 0x3f9 0x00', 'outb 0x3f9 0x02', 'inb 0x3fa', 'outb 0x3f9 0x00');
  // Linux 8250 autoconfig: loopback probe of MSR, FIFO detection through IIR
  s.push('outb 0x3fc 0x10', 'inb 0x3fe', 'outb 0x3fc 0x1f', 'inb 0x3fe', 'outb 0x3fc 0x14', 'inb 0x3fe', 'outb 0x3fc 0x11', 'inb 0x3fe', 'outb 0x3fc 0x12', 'inb 0x3fe');
  s.push('outb 0x3fa 0x01', 'inb 0x3fa', 'outb 0x3fa 0x00', 'inb 0x3fa', 'outb 0x3fa 0xc7', 'inb 0x3fa');
  // loopback data: FIFO on, 17 bytes (overrun), read them back through LSR/RBR
  s.push('outb 0x3fc 0x10');
  for (let i = 0; i < 17; i++) s.push(`outb 0x3f8 0x${(0x30 + i).toString(16)}`);
  s.push('inb 0x3fd', 'inb 0x3fd');
  for (let i = 0; i < 17; i++) s.push('inb 0x3f8', 'inb 0x3fd');
  // receive interrupts in loopback: trigger level 4, RDI below/at the level, character timeout after clock steps
  s.push('outb 0x3fa 0x47', 'outb 0x3f9 0x05', 'outb 0x3f8 0x61', 'outb 0x3f8 0x62', 'inb 0x3fa', 'inb 0x3fa', 'inb 0x3fa');
  s.push('inb 0x3f8', 'inb 0x3fa', 'outb 0x3f8 0x63', 'outb 0x3f8 0x64', 'outb 0x3f8 0x65', 'inb 0x3fa', 'inb 0x3f8', 'inb 0x3f8', 'inb 0x3f8', 'inb 0x3f8', 'inb 0x3fa', 'inb 0x3fd');
  // 115200 8N1 then the timeout at 4 characters; FIFO off: overrun
  s.push('outb 0x3fb 0x83', 'outb 0x3f8 0x01', 'outb 0x3fb 0x03', 'outb 0x3f8 0x66', 'inb 0x3fa', 'inb 0x3fa', 'inb 0x3f8', 'inb 0x3fa');
  s.push('outb 0x3fa 0x00', 'inb 0x3fa', 'outb 0x3f8 0x01', 'outb 0x3f8 0x02', 'inb 0x3fa', 'inb 0x3fd', 'inb 0x3fa', 'inb 0x3f8', 'inb 0x3fd', 'inb 0x3fa');
  s.push('outb 0x3fc 0x08', 'inb 0x3fe', ...regs);
  // word access to the UART is split into bytes
  s.push('outw 0x3fa 0x0000', 'inw 0x3fc', 'inl 0x3f8');
  return s;
}

function runAcpidm(lines: string[]): string[] {
  const q = qtestMachine({ startPaused: true, debugcon: [], serialPorts: 1 });
  const m = q.machine;
  return lines.map((line) => {
    const [cmd, a, b] = line.split(' ') as [string, string, string?];
    if (cmd === 'clock_step') return `OK ${q.clockStep(Number(a))}`;
    const port = Number(a);
    const size = ({ b: 1, w: 2, l: 4 } as const)[cmd.at(-1) as 'b' | 'w' | 'l'];
    if (cmd.startsWith('out')) { m.bus.write(port, Number(b), size); return 'OK'; }
    return `OK 0x${m.bus.read(port, size).toString(16).padStart(4, '0')}`;
  });
}

function runQemu(lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, ARGS, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const answers = (): string[] => out.split('\n').filter((l) => l.startsWith('OK') || l.startsWith('FAIL') || l.startsWith('ERR'));
    const timer = setTimeout(() => { child.kill(); reject(new Error(`QEMU answered ${answers().length} of ${lines.length} lines; stderr: ${err}`)); }, 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (answers().length >= lines.length) { clearTimeout(timer); child.kill(); resolve(answers().map((l) => l.trim())); }
    });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

async function compare(lines: string[]): Promise<void> {
  if (!HAVE_QEMU) throw new Error(`${QEMU} is not installed (apt-get install qemu-system-x86); CI must have it`);
  const theirs = await runQemu(lines);
  const ours = runAcpidm(lines);
  expect(theirs).toHaveLength(lines.length);
  const diffs = lines.map((l, i) => ({ i, l, qemu: theirs[i], acpidm: ours[i] })).filter((d) => d.qemu !== d.acpidm);
  expect(diffs).toEqual([]);
}

describe.runIf(HAVE_QEMU || CI)(`timer and serial devices against real QEMU (${QEMU} -qtest)`, () => {
  it('i8254 PIT, port 0x61 and the PIC IRR: every answer matches', () => compare(pitScript()));
  it('16550A on COM1: every answer matches', () => compare(uartScript()));
});
