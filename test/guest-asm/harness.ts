// Runs a guest binary from test/guest-asm/bin on the acpidm CPU with the test devices the NASM includes expect:
// 0xE9 debug console (output), 0xF4 exit (the byte written is the exit code, the run stops at once),
// 0x500 a dword latch, 0x510 a counter (each read returns 0, 1, 2...), 0x520 raises INTR with the byte as vector.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../tmp-dir.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PortRegion } from '../../src/ioports/region.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { BOCHS_RETRY_MS, BOCHS_RFB_BUSY, BOCHS_TRIES, writeBochsConfig } from '../../src/cpu/difftest/oracles-node.js';
import { Cpu, type CpuExit, type CpuOptions } from '../../src/cpu/cpu.js';

export interface GuestRun {
  out: string;
  exitCode: number | null;
  exit: CpuExit;
  cpu: Cpu;
  insns: number;
  /** INTR vectors the CPU acknowledged */
  acked: number[];
}

export const guestBin = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`./bin/${name}.bin`, import.meta.url))));
export const guestExpected = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./expected/${name}.txt`, import.meta.url)), 'utf8');

export function runGuest(image: Uint8Array, budget = 50_000_000, cpuOpts: Pick<CpuOptions, 'jit' | 'jitThreshold' | 'trace'> = {}): GuestRun {
  const mem = new PhysMemory(16 << 20);
  mem.load(0x7c00, image);
  const bus = new PortBus();
  const st = { out: '', exitCode: null as number | null, latch: 0, counter: 0, pending: -1 };
  let cpu: Cpu | null = null;
  bus.map(new PortRegion({ name: 'debugcon', size: 1, read: () => 0xe9, write: (s: typeof st, _o, v) => { s.out += String.fromCharCode(v & 0xff); } }, st), 0xe9);
  bus.map(new PortRegion({ name: 'exit', size: 1, read: () => 0, write: (s: typeof st, _o, v) => { s.exitCode = v & 0xff; cpu!.requestStop(); } }, st), 0xf4);
  bus.map(new PortRegion({ name: 'latch', size: 4, valid: { min: 1, max: 4, unaligned: true }, read: (s: typeof st, o, size) => (s.latch >>> (o * 8)) & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1), write: (s: typeof st, _o, v) => { s.latch = v >>> 0; } }, st), 0x500);
  bus.map(new PortRegion({ name: 'counter', size: 4, impl: { min: 4, max: 4 }, read: (s: typeof st) => s.counter++, write: () => {} }, st), 0x510);
  bus.map(new PortRegion({ name: 'irq', size: 1, read: () => 0, write: (s: typeof st, _o, v) => { s.pending = v & 0xff; } }, st), 0x520);
  // a read raises INTR with vector 0x31, telling the CPU as a machine's interrupt controller does (Cpu.intrRaised)
  bus.map(new PortRegion({ name: 'irq-on-read', size: 1, read: (s: typeof st) => { s.pending = 0x31; cpu!.intrRaised(); return 0; }, write: () => {} }, st), 0x521);
  const acked: number[] = [];
  cpu = new Cpu({
    mem, io: bus, clock: new VirtualClock(), ...cpuOpts,
    intr: { intr: () => st.pending >= 0, ack: () => { const v = st.pending; st.pending = -1; acked.push(v); return v; } },
  });
  cpu.setReg('cs', 0);
  cpu.setReg('ip', 0x7c00);
  let insns = 0;
  let exit: CpuExit = 'budget';
  while (insns < budget) {
    exit = cpu.run(Math.min(1_000_000, budget - insns));
    insns += cpu.retired;
    if (exit === 'stopped' || exit === 'halted-cli' || exit === 'triple-fault') break;
    if (exit === 'halted' && (st.pending < 0 || cpu.retired === 0)) break; // nothing will wake it
  }
  return { out: st.out, exitCode: st.exitCode, exit, cpu, insns, acked };
}

/**
 * A 64 KiB ROM that starts `image` in the state the acpidm harness gives it, with no firmware of ours in the way:
 * the image at the ROM's start and, at the reset vector, a real-mode stub that copies it from F000:0000 to
 * 0000:7C00 and jumps there. `prelude` runs first (the Bochs runner's output marker).
 */
function guestRom(image: Uint8Array, prelude: number[] = []): Uint8Array {
  if (image.length > 0xff00) throw new Error(`guest image of ${image.length} bytes does not fit the 64 KiB ROM`);
  const rom = new Uint8Array(0x10000).fill(0xff);
  rom.set(image, 0);
  const n = image.length;
  rom.set([
    ...prelude,
    0xfa, //                 cli
    0x31, 0xc0, //           xor ax,ax
    0x8e, 0xc0, //           mov es,ax
    0xb8, 0x00, 0xf0, //     mov ax,0xF000
    0x8e, 0xd8, //           mov ds,ax
    0x31, 0xf6, //           xor si,si
    0xbf, 0x00, 0x7c, //     mov di,0x7C00
    0xb9, n & 0xff, n >> 8, // mov cx,n
    0xfc, //                 cld
    0xf3, 0xa4, //           rep movsb
    0xea, 0x00, 0x7c, 0x00, 0x00, // jmp 0000:7C00
  ], 0xff00);
  rom.set([0xea, 0x00, 0xff, 0x00, 0xf0], 0xfff0); // reset vector: jmp F000:FF00
  return rom;
}

/**
 * The same guest on real QEMU (qemu-system-i386, TCG), from `guestRom` given as `-bios`.
 * Port 0xE9 is QEMU's debugcon; 0xF4 is `isa-debug-exit` (QEMU exits with (code << 1) | 1).
 * Returns null when qemu-system-i386 is not installed. Only for guests that use 0xE9 and 0xF4 alone.
 */
export function runGuestOnQemu(image: Uint8Array, cpuModel = 'pentium2'): { out: string; exitCode: number | null } | null {
  if (spawnSync('qemu-system-i386', ['--version']).status !== 0) return null;
  const dir = tempDir('acpidm-qemu-guest-');
  writeFileSync(join(dir, 'rom.bin'), guestRom(image));
  const r = spawnSync('qemu-system-i386', [
    '-M', 'pc', '-accel', 'tcg', '-cpu', cpuModel, '-m', '32', '-nodefaults', '-display', 'none', '-no-reboot',
    '-bios', join(dir, 'rom.bin'), '-debugcon', `file:${join(dir, 'con.txt')}`,
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=1',
  ], { timeout: 60_000 });
  const err = r.stderr?.toString() ?? '';
  // status 1 is also what a debug-exit write of 0 gives: tell them apart by QEMU's own complaint
  if (r.status === null || (r.status === 1 && /qemu-system-i386:/.test(err))) throw new Error(`qemu-system-i386 failed: ${r.error?.message ?? err}`);
  const out = existsSync(join(dir, 'con.txt')) ? readFileSync(join(dir, 'con.txt'), 'latin1') : '';
  const exitCode = r.status !== null && (r.status & 1) === 1 ? r.status >> 1 : null;
  return { out, exitCode };
}

/** Written to port 0xE9 by the Bochs ROM's stub before the guest runs: the guest's output starts after it. */
const BOCHS_MARK = 0x1e;
/**
 * After the mark, the end of the guest's run on Bochs: the mark again (the ROM restarted), or the internal
 * debugger's trace line (`(0).[t] [linear] sel:off ...`: Bochs stops in its debugger when a triple fault shuts the
 * CPU down).
 */
const STOPPED = /\x1e|\(0\)\.?\[\d+\] \[0x[0-9a-f]+\]/;

/**
 * The same guest on real Bochs 2.7, configured as the difftest's oracle (`writeBochsConfig`: the P6 model
 * `p2_klamath`, Debian's build driven through its internal debugger), from `guestRom` as its ROM. Port 0xE9 output
 * goes to stdout between debugger lines, so the stub first writes BOCHS_MARK there. Bochs has no isa-debug-exit: the run is
 * stopped once the guest printed its verdict (PASS, FAILED or an unexpected exception), or when a triple fault
 * shut the CPU down (`STOPPED`). Resolves to null when bochs is not installed.
 */
export async function runGuestOnBochs(image: Uint8Array): Promise<BochsGuestRun | null> {
  if (spawnSync('bochs', ['--help'], { stdio: 'ignore' }).error) return null;
  // a Bochs whose display found no free port never ran the guest: again (oracles-node.ts BOCHS_RFB_BUSY)
  for (let tries = 1; ; tries++) {
    const r = await runGuestOnBochsOnce(image);
    if (tries >= BOCHS_TRIES || r.end !== 'exited' || !r.stderr.includes(BOCHS_RFB_BUSY)) return r;
    await new Promise((ok) => setTimeout(ok, BOCHS_RETRY_MS));
  }
}

interface BochsGuestRun { out: string; end: 'verdict' | 'reset' | 'exited' | 'timeout'; stderr: string }

function runGuestOnBochsOnce(image: Uint8Array): Promise<BochsGuestRun> {
  const dir = tempDir('acpidm-bochs-guest-');
  writeBochsConfig(dir, guestRom(image, [0xb0, BOCHS_MARK, 0xe6, 0xe9])); // mov al,MARK; out 0xE9,al
  return new Promise((resolve, reject) => {
    const p = spawn('bochs', ['-q', '-f', join(dir, 'bochsrc'), '-rc', join(dir, 'dbg.rc')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let raw = '';
    let stderr = ''; // its tail explains a run that ended without the guest's verdict
    let settled = false;
    const finish = (end: 'verdict' | 'reset' | 'exited' | 'timeout'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      p.kill('SIGKILL');
      const at = raw.indexOf(String.fromCharCode(BOCHS_MARK));
      const guest = at < 0 ? '' : raw.slice(at + 1);
      const cut = guest.search(STOPPED);
      resolve({ out: cut < 0 ? guest : guest.slice(0, cut), end, stderr: stderr.slice(-600) });
    };
    const timer = setTimeout(() => finish('timeout'), 60_000);
    p.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('latin1')).slice(-4096); });
    p.stdout.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
      const at = raw.indexOf(String.fromCharCode(BOCHS_MARK));
      if (at < 0) return;
      const guest = raw.slice(at + 1);
      if (STOPPED.test(guest)) finish('reset');
      else if (/(^|\n)(PASS|FAILED)\n|UNEXPECTED exception [0-9a-f]{8} at [0-9a-f]{8}\n/.test(guest)) finish('verdict');
    });
    p.on('error', (e) => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } });
    // 'close', not 'exit': stdout may still hold the guest's last bytes when the process has exited
    p.on('close', () => { if (!settled) finish('exited'); });
  });
}
