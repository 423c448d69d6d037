/**
 * Real libvirt for the tests: a libvirtd of its own (Debian's libvirt 9.0), started as root in a private mount
 * namespace where /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt are
 * folders of a temp dir, so it never touches (or sees) the host's libvirt. Its config: security_driver "none",
 * no cgroups, no namespaces, no virtlogd; its socket in the temp dir (virsh reaches it with ?socket=).
 * libvirt's QEMU driver refuses to load until the `libvirt-qemu` user and group exist: created if missing.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ACPIDM_EMULATOR = join(import.meta.dirname, '../../bin/acpidm-qemu.js');
export const QEMU_EMULATOR = '/usr/bin/qemu-system-x86_64';
export const PWRBTN = join(import.meta.dirname, '../../firmware/guests/pwrbtn.bin');

/** What is missing for a real-libvirt test, or null. */
export function libvirtMissing(): string | null {
  if (process.getuid?.() !== 0) return 'root (libvirtd runs as root)';
  for (const [f, pkg] of [['/usr/sbin/libvirtd', 'libvirt-daemon'], ['/usr/bin/virsh', 'libvirt-clients'], [QEMU_EMULATOR, 'qemu-system-x86'], ['/usr/bin/unshare', 'util-linux']] as const) {
    if (!existsSync(f)) return `${f} (apt-get install ${pkg})`;
  }
  if (!existsSync('/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so')) return "libvirt's QEMU driver (apt-get install libvirt-daemon-driver-qemu)";
  if (!existsSync(join(import.meta.dirname, '../../dist/cli/main.js'))) return 'dist/ (npm run build)';
  return null;
}

function ensureQemuUser(): void {
  const has = (db: string, name: string) => { try { execFileSync('getent', [db, name], { stdio: 'ignore' }); return true; } catch { return false; } };
  if (!has('group', 'libvirt-qemu')) execFileSync('groupadd', ['-r', 'libvirt-qemu']);
  if (!has('passwd', 'libvirt-qemu')) execFileSync('useradd', ['-r', '-g', 'libvirt-qemu', '-d', '/var/lib/libvirt', '-s', '/usr/sbin/nologin', 'libvirt-qemu']);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `pred` holds; a wait, not an assertion: the message says what never happened. */
export async function waitFor(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface VirshResult { code: number; out: string; err: string }

export class Libvirtd {
  readonly uri: string;
  private constructor(readonly dir: string, private readonly launcher: ChildProcess) {
    this.uri = `qemu:///system?socket=${dir}/sock/libvirt-sock`;
  }

  static async start(dir: string): Promise<Libvirtd> {
    ensureQemuUser();
    for (const d of ['etc', 'run', 'lib', 'cache', 'log', 'sock']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'etc/qemu.conf'), [
      'security_driver = "none"', 'user = "root"', 'group = "root"', 'dynamic_ownership = 0', 'remember_owner = 0',
      'cgroup_controllers = [ ]', 'namespaces = [ ]', 'stdio_handler = "file"', '',
    ].join('\n'));
    writeFileSync(join(dir, 'libvirtd.conf'), [
      `unix_sock_dir = "${dir}/sock"`, 'unix_sock_rw_perms = "0700"', 'auth_unix_rw = "none"', 'auth_unix_ro = "none"',
      // the QMP traffic (qemu_monitor) is in libvirtd.log: what libvirt sent and what each emulator answered
      'log_filters = "1:qemu 3:object 3:json 3:event 3:util 3:rpc 3:conf 3:security 3:access 3:cpu"',
      `log_outputs = "1:file:${dir}/libvirtd.log"`, '',
    ].join('\n'));
    const binds = [['etc', '/etc/libvirt'], ['run', '/run/libvirt'], ['lib', '/var/lib/libvirt'], ['cache', '/var/cache/libvirt'], ['log', '/var/log/libvirt']];
    const script = [
      ...binds.map(([from, to]) => `mkdir -p ${to} && mount --bind ${dir}/${from} ${to}`),
      `exec /usr/sbin/libvirtd --config ${dir}/libvirtd.conf --pid-file ${dir}/libvirtd.pid`,
    ].join(' && ');
    const launcher = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    launcher.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const d = new Libvirtd(dir, launcher);
    await waitFor(() => existsSync(join(dir, 'sock/libvirt-sock')) || launcher.exitCode !== null, 'libvirtd to listen', 30_000);
    if (launcher.exitCode !== null) throw new Error(`libvirtd did not start: ${err.trim()}`);
    return d;
  }

  async virsh(...args: string[]): Promise<VirshResult> {
    try {
      const r = await run('virsh', ['-c', this.uri, ...args], { timeout: 120_000 });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : 1, out: x.stdout ?? '', err: x.stderr ?? '' };
    }
  }

  /** virsh that must succeed. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.virsh(...args);
    if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} failed: ${r.err.trim()}\n${this.qemuLog(args.at(-1) ?? '')}`);
    return r.out;
  }

  async state(dom: string): Promise<string> {
    return (await this.virsh('domstate', '--reason', dom)).out.trim();
  }

  /** The domain's log (its command line and the emulator's own output). */
  qemuLog(dom: string): string {
    const f = join(this.dir, 'log/qemu', `${dom}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** `virsh event --loop --all`, recorded line by line. */
  events(): EventLog {
    return new EventLog(spawn('virsh', ['-c', this.uri, 'event', '--loop', '--all'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  async stop(): Promise<void> {
    // Domains still running would outlive libvirtd: end them first.
    const list = await this.virsh('list', '--name');
    for (const name of list.out.split('\n').map((s) => s.trim()).filter(Boolean)) await this.virsh('destroy', name);
    try {
      process.kill(Number(readFileSync(join(this.dir, 'libvirtd.pid'), 'utf8').trim()), 'SIGTERM');
    } catch {
      // already gone
    }
    await waitFor(() => this.launcher.exitCode !== null || this.launcher.signalCode !== null, 'libvirtd to exit', 20_000).catch(() => this.launcher.kill('SIGKILL'));
  }
}

export class EventLog {
  readonly lines: string[] = [];
  private buf = '';
  constructor(private readonly proc: ChildProcess) {
    proc.stdout!.on('data', (c: Buffer) => {
      this.buf += c.toString();
      const parts = this.buf.split('\n');
      this.buf = parts.pop()!;
      for (const l of parts) if (l.trim()) this.lines.push(l.trim());
    });
  }
  /** Lines with the domain name replaced by DOM. */
  transcript(dom: string): string[] {
    return this.lines.map((l) => l.replace(`for domain '${dom}'`, "for domain 'DOM'"));
  }
  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length;
  }
  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

/**
 * A domain running firmware/guests/pwrbtn.bin (waits for the power button, then powers off through ACPI) with
 * its debug console (port 0xe9) in a file, passed through libvirt's qemu:commandline to either emulator.
 */
export function pwrbtnDomainXml(o: { name: string; emulator: string; debugcon: string }): string {
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${o.name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${PWRBTN}</kernel></os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <emulator>${o.emulator}</emulator>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <serial type='null'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline><qemu:arg value='-debugcon'/><qemu:arg value='file:${o.debugcon}'/></qemu:commandline>
</domain>
`;
}

/** How many times the pwrbtn guest has reached its wait for the button (its debug console). */
export function timesWaiting(debugcon: string): number {
  if (!existsSync(debugcon)) return 0;
  return readFileSync(debugcon, 'latin1').split('waiting for the power button').length - 1;
}
