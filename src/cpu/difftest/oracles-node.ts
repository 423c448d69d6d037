/**
 * The oracles nobody here wrote: NASM assembles the ROM, real QEMU (TCG) and real Bochs run it. Each returns the
 * bytes the guest wrote to port 0xE9, starting at the stream's start marker.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START_MARK } from './records.js';

export const ORACLE_TOOLS = { nasm: 'nasm', qemu: 'qemu-system-i386', bochs: 'bochs' } as const;
export type Oracle = 'qemu' | 'bochs';

/** The tools that are missing on this host (by Debian package name), for skip/fail messages. */
export function missingTools(): string[] {
  const miss: string[] = [];
  if (spawnSync('nasm', ['-v']).status !== 0) miss.push('nasm (Debian nasm)');
  if (spawnSync('qemu-system-i386', ['--version']).status !== 0) miss.push('qemu-system-i386 (Debian qemu-system-x86)');
  if (spawnSync('bochs', ['--help'], { stdio: 'ignore' }).error) miss.push('bochs (Debian bochs bochsbios vgabios)');
  return miss;
}

function tmp(): string { return mkdtempSync(join(tmpdir(), 'acpidm-difftest-')); }

export function assemble(source: string): Uint8Array {
  const d = tmp();
  try {
    writeFileSync(join(d, 'rom.asm'), source);
    // -O1, not NASM's default multi-pass -Ox: a 25,000-instruction ROM (180,000 lines, thousands of forward jumps)
    // took -Ox 83 s and takes -O1 5 s. The tested instructions are encoded alike (Jcc says short/near, LOOP/JCXZ are
    // rel8, CALL rel32; immediates that fit a signed byte get the short form either way); jumps of the ROM's own
    // code without a size become near ones.
    const r = spawnSync('nasm', ['-O1', '-w-prefix-lock', '-f', 'bin', '-o', join(d, 'rom.bin'), join(d, 'rom.asm')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nasm failed: ${r.error?.message ?? r.stderr}`);
    return new Uint8Array(readFileSync(join(d, 'rom.bin')));
  } finally { rmSync(d, { recursive: true, force: true }); }
}

/**
 * What an oracle wrote, from the start marker, and why it stopped early if it did: a timeout (the emulator still
 * running: hung or looping), an exit before the ROM's end, or no start marker at all. A stopped run keeps what it
 * wrote, so the comparison reports the record and form where it stopped (compare.ts) instead of losing the ROM.
 */
export interface OracleRun { out: Uint8Array; stopped: string | null }

/** Bytes of the stream from the start marker (null when it never appeared). */
function afterMark(b: Uint8Array): Uint8Array | null {
  const m = START_MARK;
  outer: for (let i = 0; i + m.length <= b.length; i++) {
    for (let j = 0; j < m.length; j++) if (b[i + j] !== m[j]) continue outer;
    return b.subarray(i);
  }
  return null;
}

function readOr(path: string): Uint8Array {
  try { return new Uint8Array(readFileSync(path)); } catch { return new Uint8Array(0); }
}

/** Per-ROM time limits (ms): a 25,000-instruction ROM takes QEMU ~5-20 s and Bochs ~20-60 s on a loaded host. */
export const ORACLE_TIMEOUT_MS = { qemu: 120_000, bochs: 300_000 } as const;

export function runOnQemu(rom: Uint8Array, timeoutMs: number = ORACLE_TIMEOUT_MS.qemu): OracleRun {
  const d = tmp();
  try {
    writeFileSync(join(d, 'rom.bin'), rom);
    // -no-reboot: a triple fault ends QEMU (reported below) instead of running the ROM again from the reset vector
    const r = spawnSync('qemu-system-i386', ['-M', 'pc', '-accel', 'tcg', '-m', '16', '-nodefaults', '-display', 'none',
      '-no-reboot', '-bios', join(d, 'rom.bin'), '-debugcon', `file:${join(d, 'con.bin')}`,
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4'], { timeout: timeoutMs, encoding: 'utf8', killSignal: 'SIGKILL' });
    const out = afterMark(readOr(join(d, 'con.bin')));
    // isa-debug-exit makes QEMU exit with (value << 1) | 1 = 1
    let stopped: string | null = null;
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      stopped = `qemu-system-i386 still running after ${timeoutMs / 1000} s (killed: hung or looping in the ROM)`;
    } else if (r.status !== 1) {
      stopped = `qemu-system-i386 exited with ${r.status ?? r.signal}` + (r.status === 0 ? ' (a triple fault or reset: -no-reboot)' : '') +
        (r.error ? `: ${r.error.message}` : r.stderr ? `: ${r.stderr.trim().slice(-300)}` : '');
    }
    if (!out) return { out: new Uint8Array(0), stopped: stopped ?? 'qemu: the ROM\'s start marker never appeared on port 0xE9' };
    return { out, stopped };
  } finally { rmSync(d, { recursive: true, force: true }); }
}

/** Bochs CPU model: a P6 (CMOV, CMPXCHG8B), as QEMU's default qemu32 is family 6. */
export const BOCHS_CPU = 'p2_klamath';

/**
 * Writes `rom` and a Bochs configuration that boots it into folder `d` (bochsrc, dbg.rc); run it with
 * `bochs -q -f d/bochsrc -rc d/dbg.rc`. Debian's bochs has no 'nogui' library and is built with the internal
 * debugger: rfb without waiting for a client, and a debugger script that continues; port 0xE9 output goes to
 * stdout between debugger lines. (Also used by test/guest-asm's Bochs runner.)
 */
export function writeBochsConfig(d: string, rom: Uint8Array): void {
  writeFileSync(join(d, 'rom.bin'), rom);
  writeFileSync(join(d, 'bochsrc'), [
    `romimage: file=${join(d, 'rom.bin')}`,
    'vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest',
    'megs: 16',
    `cpu: model=${BOCHS_CPU}, ips=50000000`,
    'display_library: rfb, options="timeout=0"',
    'port_e9_hack: enabled=1',
    'speaker: enabled=0',
    'sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy',
    `log: ${join(d, 'bochs.log')}`,
    'panic: action=fatal', 'error: action=report', 'info: action=ignore', 'debug: action=ignore',
    '',
  ].join('\n'));
  writeFileSync(join(d, 'dbg.rc'), 'c\nquit\n');
}

/**
 * What Bochs prints when its rfb display finds every port of 5900-5949 taken (other Bochs runs, other programs on the
 * host): the run never started, so it is tried again (BOCHS_TRIES times, BOCHS_RETRY_MS apart) rather than reported
 * as the ROM's result. Seen once in a CI run with 15 Bochs guests running at once.
 */
export const BOCHS_RFB_BUSY = 'RFB could not bind any port';
export const BOCHS_TRIES = 4;
export const BOCHS_RETRY_MS = 500;

export function runOnBochs(rom: Uint8Array, timeoutMs: number = ORACLE_TIMEOUT_MS.bochs): OracleRun {
  for (let tries = 1; ; tries++) {
    const r = runOnBochsOnce(rom, timeoutMs);
    if (tries >= BOCHS_TRIES || !r.stopped?.includes(BOCHS_RFB_BUSY)) return r;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BOCHS_RETRY_MS);
  }
}

function runOnBochsOnce(rom: Uint8Array, timeoutMs: number): OracleRun {
  const d = tmp();
  try {
    writeBochsConfig(d, rom);
    const r = spawnSync('bochs', ['-q', '-f', join(d, 'bochsrc'), '-rc', join(d, 'dbg.rc')],
      { timeout: timeoutMs, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'], killSignal: 'SIGKILL' });
    const out = r.stdout ? afterMark(new Uint8Array(r.stdout)) : null;
    const err = r.stderr ? r.stderr.toString('latin1') : '';
    let stopped: string | null = null;
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') stopped = `bochs still running after ${timeoutMs / 1000} s (killed: hung or looping in the ROM)`;
    else if (r.error) stopped = `bochs: ${r.error.message}`;
    else if (!err.includes('Shutdown port: shutdown requested')) stopped = `bochs did not reach the ROM's end: ${err.slice(-600)}`;
    if (!out) return { out: new Uint8Array(0), stopped: stopped ?? 'bochs: the ROM\'s start marker never appeared on port 0xE9' };
    return { out, stopped };
  } finally { rmSync(d, { recursive: true, force: true }); }
}
