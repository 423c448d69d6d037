/**
 * An initramfs made at test time: a newc ("070701") cpio archive (Linux Documentation/driver-api/early-userspace/
 * buffer-format.rst) holding Debian's static i386 busybox, the applet links, /dev/console, and an init we write.
 * /init is busybox's own init (so `poweroff` and `reboot` go through init's SIGUSR2/SIGTERM handling, as on a real
 * system) with an /etc/inittab that runs /etc/rc: mount proc, sys and devtmpfs, print a marker, then the scenario's
 * commands. Uncompressed: Linux accepts a plain cpio, and inflating one inside the emulator costs instructions.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface CpioEntry {
  name: string;
  /** Full st_mode (type and permissions). */
  mode: number;
  data?: Uint8Array;
  /** For character/block devices. */
  rdev?: [number, number];
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

const enc = new TextEncoder();
const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** The newc archive of `entries`, ending with the TRAILER!!! record. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  let size = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    size += b.length;
  };
  const record = (e: CpioEntry, inode: number): void => {
    const name = enc.encode(e.name + '\0');
    const data = e.data ?? new Uint8Array(0);
    const isDir = (e.mode & 0o170000) === S_IFDIR;
    const header = '070701' + [
      inode, e.mode, 0, 0, isDir ? 2 : 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0,
    ].map(hex8).join('');
    push(enc.encode(header));
    push(name);
    push(new Uint8Array(pad4(110 + name.length)));
    push(data);
    push(new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) record(e, ino++);
  record({ name: 'TRAILER!!!', mode: 0 }, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Where Debian's busybox-static:i386 puts its binary (`dpkg -L busybox-static:i386`). */
export const BUSYBOX_I386 = '/bin/busybox';

/** The i386 static busybox, or null (with the reason) when it is missing or not a 32-bit x86 ELF. */
export function findBusyboxI386(): { bytes: Uint8Array } | { missing: string } {
  if (!existsSync(BUSYBOX_I386)) return { missing: `${BUSYBOX_I386} not found (apt-get install busybox-static:i386)` };
  const bytes = new Uint8Array(readFileSync(BUSYBOX_I386));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 52 || dv.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 1 || dv.getUint16(18, true) !== 3) {
    return { missing: `${BUSYBOX_I386} is not a 32-bit x86 ELF (install busybox-static:i386, not the amd64 one)` };
  }
  return { bytes };
}

const APPLETS = ['sh', 'mount', 'echo', 'cat', 'sleep', 'poweroff', 'reboot', 'halt', 'acpid', 'ls', 'dmesg', 'true', 'mkdir'];

export interface InitramfsOptions {
  busybox: Uint8Array;
  /** Shell lines /etc/rc runs after the mounts and the "ACPIDM-INIT: userland up" marker. */
  rc: string;
  /** Extra files (path without the leading slash → contents; executable when `exec`). */
  files?: Record<string, { text: string; exec?: boolean }>;
}

export function makeInitramfs(o: InitramfsOptions): Uint8Array {
  const dirs = ['bin', 'sbin', 'dev', 'proc', 'sys', 'etc', 'tmp', 'root'];
  const file = (name: string, text: string, exec = false): CpioEntry => ({ name, mode: S_IFREG | (exec ? 0o755 : 0o644), data: enc.encode(text) });
  const extraDirs = new Set<string>();
  for (const p of Object.keys(o.files ?? {})) {
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) extraDirs.add(segs.slice(0, i).join('/'));
  }
  const rc = [
    '#!/bin/sh',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'echo "ACPIDM-INIT: userland up"',
    o.rc,
    '',
  ].join('\n');
  return cpioNewc([
    ...dirs.map((d) => ({ name: d, mode: S_IFDIR | 0o755 })),
    ...[...extraDirs].filter((d) => !dirs.includes(d)).sort().map((d) => ({ name: d, mode: S_IFDIR | 0o755 })),
    { name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: o.busybox },
    ...APPLETS.map((a) => ({ name: `bin/${a}`, mode: S_IFLNK | 0o777, data: enc.encode('busybox') })),
    { name: 'sbin/init', mode: S_IFLNK | 0o777, data: enc.encode('../bin/busybox') },
    { name: 'init', mode: S_IFLNK | 0o777, data: enc.encode('bin/busybox') },
    // busybox init: sysinit runs /etc/rc to the end; "once" actions would run after it.
    file('etc/inittab', '::sysinit:/etc/rc\n::shutdown:/bin/echo "ACPIDM-INIT: init is shutting down"\n'),
    file('etc/rc', rc, true),
    ...Object.entries(o.files ?? {}).map(([p, f]) => file(p, f.text, f.exec ?? false)),
  ]);
}
