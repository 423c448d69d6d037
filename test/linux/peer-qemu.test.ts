// Scenario 1 on both machines: the same kernel, initramfs and command line on real qemu-system-i386 (QEMU 7.2,
// TCG) and on acpidm. Both must raise the same QMP events and print the same poweroff path on the serial console,
// up to timestamps: the userland's lines and the kernel's last words ("ACPI: PM: Preparing to enter system sleep
// state S5", "reboot: Power down"). Boot messages about hardware differ by design (QEMU's pc has more devices and
// tables) and are not compared.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_CMDLINE, CI, LINUX_WANTED, bootLinux, linuxGuest, runUntil, withoutTimestamps, type LinuxGuest } from './harness.js';

const QEMU = 'qemu-system-i386';
const hasQemu = spawnSync(QEMU, ['--version'], { encoding: 'utf8' }).status === 0;
const guest = linuxGuest();
const missing = !LINUX_WANTED ? 'set ACPIDM_LINUX=1 to boot Linux (minutes per scenario)'
  : 'missing' in guest ? guest.missing : !hasQemu ? `${QEMU} not found (apt-get install qemu-system-x86)` : null;
const RC = 'echo "ACPIDM: powering off"\npoweroff -f';

/** The part of a serial log both machines must agree on. */
export function poweroffPath(serial: string): string[] {
  const lines = withoutTimestamps(serial).split('\n');
  const from = lines.findIndex((l) => l.startsWith('ACPIDM-INIT: userland up'));
  return lines.slice(from).filter((l) => !/^(input|clocksource|tsc|random|sched_clock): /.test(l) && l.trim() !== '');
}

/** Boot on QEMU with a QMP socket (-S, then cont), collect events until QEMU exits. */
function runQemu(kernel: string, initrd: string, dir: string): Promise<{ serial: string; events: { event: string; data?: unknown }[]; status: number | null }> {
  const sock = path.join(dir, 'qmp.sock');
  const serialFile = path.join(dir, 'serial.txt');
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU, ['-M', 'pc', '-m', '128', '-kernel', kernel, '-initrd', initrd, '-append', BASE_CMDLINE,
      '-display', 'none', '-no-reboot', '-serial', `file:${serialFile}`, '-qmp', `unix:${sock},server=on,wait=on`, '-S'], { stdio: 'ignore' });
    const events: { event: string; data?: unknown }[] = [];
    const timer = setTimeout(() => { child.kill(); reject(new Error('QEMU did not power off within 10 minutes')); }, 600_000);
    const connect = (tries: number): void => {
      const c = createConnection(sock);
      let buf = '';
      c.on('error', () => (tries > 0 ? setTimeout(() => connect(tries - 1), 100) : reject(new Error('no QMP socket'))));
      c.on('data', (d) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (msg.QMP) c.write('{"execute":"qmp_capabilities"}\n{"execute":"cont"}\n');
          if (msg.event) events.push(msg.data ? { event: msg.event, data: msg.data } : { event: msg.event });
        }
      });
    };
    setTimeout(() => connect(100), 100);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ serial: readFileSync(serialFile, 'latin1'), events, status });
    });
  });
}

describe.skipIf(missing !== null && !CI)('scenario 1 on QEMU and on acpidm', () => {
  it('the kernel, busybox and QEMU are there (required under CI=true)', () => {
    expect(missing, missing ?? '').toBeNull();
  });
  it('same events, same poweroff path on the console', async () => {
    const g = guest as LinuxGuest;
    const run = bootLinux(g, { rc: RC });
    const dir = mkdtempSync(path.join(tmpdir(), 'acpidm-linux-peer-'));
    try {
      const initrd = path.join(dir, 'initrd.cpio');
      writeFileSync(initrd, run.initrd);
      const q = await runQemu(g.kernel, initrd, dir);
      expect(q.status, q.serial.slice(-2000)).toBe(0);
      const out = runUntil(run, () => false);
      expect(out, run.serial().slice(-2000)).toEqual({ kind: 'exit', status: 0 });
      const ours = run.sys.machine.runState.log.filter((e) => e.event !== 'RESUME').map((e) => ({ event: e.event, data: e.data }));
      expect(ours).toEqual(q.events.filter((e) => e.event !== 'RESUME'));
      expect(poweroffPath(run.serial())).toEqual(poweroffPath(q.serial));
      expect(poweroffPath(q.serial).at(-1)).toBe('reboot: Power down');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30 * 60_000);
});

if (missing !== null && !CI) {
  describe('scenario 1 on QEMU and on acpidm', () => {
    it.skip(`skipped: ${missing} (fails under CI=true)`, () => {});
  });
}
