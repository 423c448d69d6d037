/**
 * Boots the real Linux guest on acpidm for the scenario tests: finds the kernel built by
 * firmware/linux/build-kernel.sh (cached outside the repository) and Debian's i386 busybox, makes the initramfs,
 * and runs a PcSystem with COM1 as the console. Everything missing is reported by name: the tests skip with that
 * message by hand and fail under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { PcSystem, type PcSystemOptions, type RunOutcome } from '../../src/machine/pc-system.js';
import { findBusyboxI386, makeInitramfs, type InitramfsOptions } from './initramfs.js';

export const CI = process.env.CI === 'true';
/** Booting Linux takes minutes: by hand the scenarios run only when asked (CI always runs them). */
export const LINUX_WANTED = CI || process.env.ACPIDM_LINUX === '1';
const REPO = path.resolve(import.meta.dirname, '../..');

/**
 * The cached bzImage for the current config, without building it (build-kernel.sh prints the path when the
 * cache holds it; building takes ~10 minutes and is CI's job, .ci/run).
 */
export function findKernel(): { path: string } | { missing: string } {
  if (process.env.ACPIDM_LINUX_KERNEL) {
    const p = process.env.ACPIDM_LINUX_KERNEL;
    return existsSync(p) ? { path: p } : { missing: `ACPIDM_LINUX_KERNEL=${p} does not exist` };
  }
  const script = path.join(REPO, 'firmware/linux/build-kernel.sh');
  // Only ask the script for the cache path when the cache exists: otherwise it would start a build.
  const r = spawnSync('bash', ['-c', `
    here="${path.dirname(script)}"
    ver="$(dpkg-query -W -f='\${Version}' linux-source-6.1 2>/dev/null || echo unknown)"
    key="$( (cat "$here/tiny-i386.config" "$here/build-kernel.sh"; echo "$ver") | sha256sum | cut -c1-16)"
    echo "\${ACPIDM_CACHE:-${homedir()}/.cache/acpidm}/linux-$key/bzImage"`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  if (p && existsSync(p)) return { path: p };
  return { missing: `the acpidm Linux guest kernel is not built (${p || 'cache path unknown'}): run \`npm run guests:linux\` (about 10 minutes)` };
}

export interface LinuxGuest {
  kernel: string;
  busybox: Uint8Array;
}

/** The kernel and busybox, or a message naming what is missing. */
export function linuxGuest(): LinuxGuest | { missing: string } {
  const k = findKernel();
  if ('missing' in k) return k;
  const b = findBusyboxI386();
  if ('missing' in b) return b;
  return { kernel: k.path, busybox: b.bytes };
}

/**
 * The command line the scenarios use (the same `-append` for QEMU in the peer test). `lpj=` presets the delay-loop
 * calibration, which otherwise busy-waits for several timer ticks (hundreds of millions of emulated instructions).
 */
export const BASE_CMDLINE = 'console=ttyS0 panic=-1 lpj=1000000';

export interface LinuxRun {
  sys: PcSystem;
  serial: () => string;
  initrd: Uint8Array;
}

export function bootLinux(g: LinuxGuest, o: {
  rc: string; files?: InitramfsOptions['files']; cmdline?: string; machine?: Partial<PcSystemOptions>;
  /** made beforehand by linuxInitramfs from the same rc and files (bench/linux-boot: outside the timed boot, as QEMU's file is) */
  initrd?: Uint8Array;
}): LinuxRun {
  const initrd = o.initrd ?? linuxInitramfs(g, o.rc, o.files);
  const sys = new PcSystem({
    memoryMiB: 128, noReboot: true, kernel: new Uint8Array(readFileSync(g.kernel)), initrd,
    cmdline: o.cmdline ?? BASE_CMDLINE, serialPorts: 1, ...o.machine,
  });
  sys.powerOn();
  sys.machine.start();
  return { sys, serial: () => sys.machine.serialOutput(0), initrd };
}

/** The initramfs bootLinux makes: Debian's busybox, /etc/rc running `rc`, and `files`. */
export function linuxInitramfs(g: LinuxGuest, rc: string, files?: InitramfsOptions['files']): Uint8Array {
  return makeInitramfs({ busybox: g.busybox, rc, ...(files ? { files } : {}) });
}

/** Run until `pred(serial)` holds or the machine stops; returns the outcome of the last slice. */
export function runUntil(run: LinuxRun, pred: (serial: string) => boolean, maxInsns = 3_000_000_000): RunOutcome | 'matched' {
  const m = run.sys.machine;
  const start = m.clock.instructions;
  while (m.clock.instructions - start < maxInsns) {
    const out = run.sys.run(20_000_000);
    if (pred(run.serial())) return 'matched';
    if (out.kind !== 'budget') return out;
  }
  return { kind: 'budget', insns: m.clock.instructions - start };
}

/** Serial log with the printk timestamps taken out, for comparing runs. */
export function withoutTimestamps(s: string): string {
  return s.replace(/\r/g, '').replace(/^\[\s*\d+\.\d+\] /gm, '');
}

/** One line for the log: how much guest time and host time a scenario took (issue 11 asks for both). */
export function reportTimes(label: string, runs: readonly LinuxRun[], wallStartMs: number): void {
  const ns = runs.reduce((a, r) => a + r.sys.machine.clock.ns(), 0);
  const insns = runs.reduce((a, r) => a + r.sys.machine.clock.instructions, 0);
  console.log(`[linux] ${label}: ${(ns / 1e9).toFixed(3)} s of guest time, ${(insns / 1e6).toFixed(0)} M instructions, ` +
    `${((Date.now() - wallStartMs) / 1000).toFixed(1)} s wall`);
}
