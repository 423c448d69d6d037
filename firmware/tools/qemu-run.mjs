// Run one guest kernel on real QEMU and drive it over QMP; collect the debug-console output and
// the QMP events. Used by firmware/record-qemu.sh (writes firmware/expected/) and by
// test/firmware/qemu-interop.test.ts (compares with firmware/expected/). Plain Node, no deps.
//
// QEMU is started paused (-S) with the QMP socket in wait mode, so nothing runs before the client
// is connected; the driver negotiates capabilities, sends `cont` (hence the RESUME event) and then
// performs the kernel's scenario steps (firmware/tools/scenarios.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QEMU_BIN = process.env.QEMU ?? 'qemu-system-x86_64';

/** True when the QEMU binary can be executed. */
export function qemuAvailable() {
  const r = spawnSync(QEMU_BIN, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** First line of `qemu-system-x86_64 --version`. */
export function qemuVersion() {
  const r = spawnSync(QEMU_BIN, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : null;
}

/** The command line used for every kernel (documented in firmware/README.md). */
export function qemuArgs(kernel, debugcon, qmpSock, { machine = 'pc', args = [], reboot = false } = {}) {
  return [
    '-M', machine, '-accel', 'tcg', '-m', '64', '-smp', '1',
    '-display', 'none', '-nodefaults', ...(reboot ? [] : ['-no-reboot']), '-S',
    '-serial', 'none', '-monitor', 'none',
    '-kernel', kernel,
    '-debugcon', `file:${debugcon}`,
    '-qmp', `unix:${qmpSock},server=on,wait=on`,
    ...args,
  ];
}

/**
 * Events as the scenario tests compare them. SeaBIOS's hard reboot (resume.c tryReboot) writes 0xCF9 and then
 * executes int3, which triple-faults before QEMU has acted on the first request, so QEMU reports one to three
 * further RESETs in a row from run to run: a run of two or more identical RESET events counts as two.
 */
export function comparableEvents(events) {
  const out = [];
  let run = 0;
  for (const e of events) {
    const same = e.event === 'RESET' && out.length > 0 && JSON.stringify(out[out.length - 1]) === JSON.stringify(e);
    run = same ? run + 1 : 1;
    if (run <= 2) out.push(e);
  }
  return out;
}

/** The events file format: a JSON array, one `{event, data?}` object per line. */
export function formatEvents(events) {
  return `[\n${events.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n]\n`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function connectRetry(path, deadline) {
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        const s = createConnection(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`QMP socket ${path} did not accept a connection: ${e.message}`);
      await sleep(20);
    }
  }
}

/** A minimal line-oriented QMP client: commands in order, events recorded as they arrive. */
class Qmp {
  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.events = [];
    this.waiters = [];
    this.pending = [];
    this.closed = false;
    sock.setEncoding('utf8');
    sock.on('data', (d) => this.onData(d));
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => { this.closed = true; this.wake(); });
  }
  onData(d) {
    this.buf += d;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (line === '') continue;
      const msg = JSON.parse(line);
      if (msg.event !== undefined) {
        const ev = { event: msg.event };
        if (msg.data !== undefined) ev.data = msg.data;
        this.events.push(ev);
      } else if (msg.QMP !== undefined) {
        this.greeting = msg;
      } else {
        const p = this.pending.shift();
        if (p) p(msg);
      }
      this.wake();
    }
  }
  wake() { for (const w of this.waiters.splice(0)) w(); }
  changed() { return new Promise((r) => this.waiters.push(r)); }
  execute(cmd, args) {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      const m = args === undefined ? { execute: cmd } : { execute: cmd, arguments: args };
      this.sock.write(JSON.stringify(m) + '\n');
    });
  }
}

/**
 * Run `kernel` with the scenario `steps` (options: timeoutMs, machine, extra QEMU args, reboot: a guest reset
 * resets the machine instead of ending the run as -no-reboot makes it). Returns
 * { debugcon: string, events: {event, data?}[], replies: {command, reply}[], exitCode, timedOut }.
 * Steps: { waitOutput: 'text' } | { waitEvent: 'NAME' } | { execute: 'cmd', arguments? } |
 *        { waitExit: true }. The run always ends by waiting for QEMU to exit; on timeout QEMU is
 * killed and timedOut is true.
 */
export async function runOnQemu(kernel, steps, { timeoutMs = 20000, machine = 'pc', args = [], reboot = false } = {}) {
  if (!existsSync(kernel)) throw new Error(`kernel not found: ${kernel}`);
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-qemu-'));
  const debugcon = join(dir, 'debugcon.txt');
  const sock = join(dir, 'qmp.sock');
  const deadline = Date.now() + timeoutMs;
  const child = spawn(QEMU_BIN, qemuArgs(kernel, debugcon, sock, { machine, args, reboot }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  let exitCode = null;
  const exited = new Promise((r) => child.once('exit', (code, signal) => { exitCode = code ?? signal; r(); }));
  const readOut = () => (existsSync(debugcon) ? readFileSync(debugcon, 'latin1') : '');
  const replies = [];
  let timedOut = false;
  let qmp;
  try {
    qmp = new Qmp(await connectRetry(sock, deadline));
    while (!qmp.greeting && !qmp.closed) await Promise.race([qmp.changed(), sleep(50)]);
    await qmp.execute('qmp_capabilities');
    replies.push({ command: 'cont', reply: await qmp.execute('cont') });
    for (const step of steps) {
      if (step.execute) {
        replies.push({ command: step.execute, reply: await qmp.execute(step.execute, step.arguments) });
      } else if (step.waitOutput) {
        while (!readOut().includes(step.waitOutput)) {
          if (Date.now() > deadline || exitCode !== null) throw new Error(`output never contained ${JSON.stringify(step.waitOutput)}`);
          await sleep(20);
        }
      } else if (step.waitEvent) {
        while (!qmp.events.some((e) => e.event === step.waitEvent)) {
          if (Date.now() > deadline || qmp.closed) throw new Error(`event ${step.waitEvent} never arrived`);
          await Promise.race([qmp.changed(), sleep(50)]);
        }
      } else if (step.waitExit) {
        break;
      } else {
        throw new Error(`unknown scenario step ${JSON.stringify(step)}`);
      }
    }
    await Promise.race([exited, sleep(Math.max(0, deadline - Date.now()))]);
    if (exitCode === null) timedOut = true;
  } catch (e) {
    timedOut = exitCode === null;
    if (!timedOut) throw new Error(`${e.message}; QEMU exited with ${exitCode}: ${stderr.trim()}`);
  } finally {
    if (exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    qmp?.sock.destroy();
  }
  // Let the socket drain any events QEMU wrote just before it exited.
  await sleep(20);
  const result = { debugcon: readOut(), events: qmp ? qmp.events : [], replies, exitCode, timedOut, stderr };
  rmSync(dir, { recursive: true, force: true });
  return result;
}
