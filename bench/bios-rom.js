// What the ROM benches share (pm-io, idle, interp-bochs, linux-boot): 64 KiB real-mode BIOS images built byte by
// byte, the PIIX4 PM set-up they start with, a run on acpidm in host CPU time, and a peer's CPU time read from
// bash `times` (the children's user + system), so a ratio holds on a machine shared with other jobs.
import { spawnSync } from 'node:child_process';
import { PcSystem } from '../dist/machine/pc-system.js';

export const PM_BASE = 0xb000;
export const u16 = (v) => [v & 0xff, (v >>> 8) & 0xff];
export const u32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** mov al, v / out port, al */
export const outb = (port, v) => [0xb0, v, 0xe6, port];

/**
 * Real-mode code that opens the PIIX4 PM block at PM_BASE through PCI mechanism #1 (00:01.3): PMBA (0x40) =
 * PM_BASE | 1, PMREGMISC (0x80) bit 0 = PM IO enable; the benches' S5 exit writes PM1a_CNT there.
 */
export function pmEnable() {
  const cfg = 0x80000000 | (1 << 11) | (3 << 8);
  return [
    0x66, 0xb8, ...u32(cfg | 0x40), 0xba, ...u16(0xcf8), 0x66, 0xef,
    0x66, 0xb8, ...u32(PM_BASE | 1), 0xba, ...u16(0xcfc), 0x66, 0xef,
    0x66, 0xb8, ...u32(cfg | 0x80), 0xba, ...u16(0xcf8), 0x66, 0xef,
    0xb0, 0x01, 0xba, ...u16(0xcfc), 0xee,
  ];
}

/** A 64 KiB BIOS image: `code` at F000:0000, and at the reset vector F000:FFF0 `jmp F000:0000`. */
export function biosRom(code) {
  const rom = new Uint8Array(0x10000).fill(0xff);
  rom.set(code, 0);
  rom.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0);
  return rom;
}

/** Run `rom` on acpidm's PcSystem to its S5 exit: host CPU ms, guest seconds and instructions at the end. */
export function runOnAcpidm(rom, { memoryMiB = 32, jit = true, bench = 'bench' } = {}) {
  const t0 = process.cpuUsage();
  const sys = new PcSystem({ bios: rom, memoryMiB, debugcon: [] });
  sys.cpu.jit = jit;
  sys.powerOn();
  sys.machine.start();
  const r = sys.run(Number.MAX_SAFE_INTEGER);
  const { user, system } = process.cpuUsage(t0);
  if (r.kind !== 'exit') throw new Error(`${bench} bench: the ROM did not power off (${JSON.stringify(r)})`);
  return { ms: (user + system) / 1000, guestS: sys.machine.clock.ns() / 1e9, insns: sys.machine.clock.instructions };
}

/**
 * Run the shell command `cmd` under bash and return its children's CPU ms (user + system, from `times`) with the
 * spawn result; `cmd`'s own exit status is kept. Throws, naming `bench`, when bash itself fails or `times` is unreadable.
 */
export function peerCpu(cmd, { bench = 'bench', timeout = 600_000 } = {}) {
  const r = spawnSync('bash', ['-c', `${cmd}; s=$?; times; exit $s`], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`${bench} bench: ${r.error.message}`);
  // `times` prints the shell's then the children's "XmY.YYYs XmY.YYYs"
  const t = [...r.stdout.trim().split('\n').pop().matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (t.length !== 2) throw new Error(`${bench} bench: cannot read bash times output: ${JSON.stringify(r.stdout)}`);
  return { ms: (t[0] + t[1]) * 1000, status: r.status };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
