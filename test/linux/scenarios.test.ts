// Linux boots on acpidm and leaves through ACPI (issue 11): the kernel built by firmware/linux/build-kernel.sh
// (`npm run guests:linux`) with an initramfs made here (Debian's i386 busybox + our /etc/rc), -kernel/-initrd/
// -append through the built-in firmware, COM1 as the console. Each scenario boots the real kernel.
//
// The rc uses busybox `poweroff -f` / `reboot -f` (reboot(2) straight away): busybox init in this initramfs does
// not act on the SIGUSR2/SIGTERM a plain `poweroff` sends while its sysinit runs (same on QEMU 7.2), and the
// kernel path that follows — kernel_power_off → acpi_power_off → PM1a_CNT — is the one under test.
import { describe, expect, it } from 'vitest';
import { BASE_CMDLINE, CI, LINUX_WANTED, bootLinux, linuxGuest, reportTimes, runUntil, type LinuxGuest, type LinuxRun } from './harness.js';

const guest = linuxGuest();
const missing = !LINUX_WANTED ? 'set ACPIDM_LINUX=1 to boot Linux (minutes per scenario)' : 'missing' in guest ? guest.missing : null;
const g = guest as LinuxGuest;
const LONG = 30 * 60_000;
describe.skipIf(missing !== null && !CI)('Linux scenarios on acpidm', () => {
  it('the kernel and busybox are there (required under CI=true)', () => {
    expect(missing, missing ?? '').toBeNull();
  });

  it('1. busybox poweroff → S5 → SHUTDOWN {guest: true, reason: guest-shutdown}, exit 0; the chain points into the guest', () => {
    const t0 = Date.now();
    // `sleep 2` between two /proc/uptime reads: a halted guest's time jumps to the next timer, and busybox's
    // sleep (glibc's 32-bit clock_nanosleep) really sleeps: the two uptimes are 2 s apart.
    const run = bootLinux(g, { rc: 'cat /proc/uptime\nsleep 2\ncat /proc/uptime\necho "ACPIDM: powering off"\npoweroff -f' });
    const out = runUntil(run, () => false);
    const serial = run.serial();
    expect(out, serial.slice(-3000)).toEqual({ kind: 'exit', status: 0 });
    const uptimes = [...serial.matchAll(/^(\d+\.\d\d) \d+\.\d\d\r?$/gm)].map((m) => Number(m[1]));
    expect(uptimes, serial.slice(-1500)).toHaveLength(2);
    expect(uptimes[1]! - uptimes[0]!).toBeGreaterThanOrEqual(2);
    expect(uptimes[1]! - uptimes[0]!).toBeLessThan(2.2);
    expect(serial).toContain('ACPIDM-INIT: userland up');
    expect(serial).toMatch(/ACPI: PM: Preparing to enter system sleep state S5\r?\n.*reboot: Power down/);
    // Linux's ACPICA accepted the tables: not one ACPI Error / ACPI BIOS Error / ACPI Warning line.
    expect(serial).not.toMatch(/ACPI (BIOS )?Error|ACPI Warning/);
    expect(serial).toMatch(/PNP0A03|PCI Root Bridge \[PCI0\]/);
    expect(serial).toContain('pnp: PnP ACPI: found 3 devices');
    const events = run.sys.machine.runState.log.filter((e) => e.event !== 'RESUME').map((e) => ({ event: e.event, data: e.data }));
    expect(events).toEqual([{ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } }]);
    const link = run.sys.machine.runState.chain.last((l) => l.mechanism === 'pm1a-cnt')!;
    expect(link).toMatchObject({ requester: 'guest', evidence: { port: 0x604, state: 'S5' } });
    expect(String(link.evidence!.consoleLast)).toMatch(/reboot: Power down$/);
    expect(link.evidence!.consoleLastNs as number).toBeLessThanOrEqual(link.evidence!.tNs as number);
    reportTimes('1. poweroff', [run], t0);
  }, LONG);

  it('2. reboot → RESET {guest: true, reason: guest-reset}, then the firmware\'s hard reboot, and the guest boots again; with -no-reboot, exit 0', () => {
    const t0 = Date.now();
    const run = bootLinux(g, { rc: 'reboot -f', machine: { noReboot: false } });
    const twice = (s: string) => s.split('Linux version').length > 2;
    expect(runUntil(run, twice), run.serial().slice(-3000)).toBe('matched');
    const log = run.sys.machine.runState.log.filter((e) => e.event !== 'RESUME');
    // The kernel's reset, then the firmware's hard reboot after its warm entry (as SeaBIOS on QEMU: "In resume
    // (status=0)", "Attempting a hard reboot"), then the second boot.
    expect(log.map((e) => ({ event: e.event, data: e.data }))).toEqual([
      { event: 'RESET', data: { guest: true, reason: 'guest-reset' } }, { event: 'RESET', data: { guest: true, reason: 'guest-reset' } },
    ]);
    expect(log.map((e) => e.cause?.evidence?.['firmware'] !== undefined)).toEqual([false, true]);
    expect(log[1]!.cause!.answers).toBe(log[0]!.cause!.id);
    expect(run.serial()).toMatch(/reboot: Restarting system/);
    const noReboot = bootLinux(g, { rc: 'reboot -f' });
    expect(runUntil(noReboot, () => false)).toEqual({ kind: 'exit', status: 0 });
    expect(noReboot.sys.machine.runState.log.filter((e) => e.event !== 'RESUME').map((e) => ({ event: e.event, data: e.data })))
      .toEqual([{ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-reset' } }]);
    reportTimes('2. reboot (two boots) and reboot with -no-reboot', [run, noReboot], t0);
  }, LONG);

  it('3. echo mem > /sys/power/state → SUSPEND; system_wakeup → WAKEUP; Linux resumes through the FACS vector, then powers off', () => {
    const t0 = Date.now();
    const run = bootLinux(g, { rc: 'echo mem > /sys/power/state\necho "ACPIDM: resumed"\npoweroff -f' });
    const m = run.sys.machine;
    const out = runUntil(run, () => false);
    expect(out, run.serial().slice(-3000)).toEqual({ kind: 'stopped', state: 'suspended' });
    expect(m.runState.log.map((e) => e.event)).toContain('SUSPEND');
    m.runState.requestWakeup('other'); // QMP system_wakeup
    const after = runUntil(run, () => false);
    expect(after, run.serial().slice(-3000)).toEqual({ kind: 'exit', status: 0 });
    expect(run.serial()).toMatch(/ACPIDM: resumed/);
    expect(m.runState.log.filter((e) => e.event !== 'RESUME' && e.event !== 'STOP').map((e) => e.event)).toEqual(['SUSPEND', 'WAKEUP', 'SHUTDOWN']);
    reportTimes('3. S3 and system_wakeup', [run], t0);
  }, LONG);

  it('4. power button: with busybox acpid running poweroff → POWERDOWN then SHUTDOWN; without acpid the press is ignored', () => {
    // busybox acpid daemonizes and, without /var/run and /var/log, exits at once (observed on QEMU 7.2 with this
    // initramfs); its children's stdout is /dev/null, so the handler writes to the console itself. It reads the
    // button from /dev/input/event0 (CONFIG_INPUT_EVDEV) and runs /etc/acpi/PWRF/00000080 for KEY_POWER.
    const rc = (acpid: boolean) => `${acpid ? 'mkdir -p /var/run /var/log\nacpid -c /etc/acpi\n' : ''}echo "ACPIDM: waiting for the button"\nwhile true; do sleep 1000; done`;
    const files = { 'etc/acpi/PWRF/00000080': { text: '#!/bin/sh\necho "ACPIDM: acpid saw the power button" > /dev/console\npoweroff -f\n', exec: true } };
    const t0 = Date.now();
    const runs: LinuxRun[] = [];
    for (const acpid of [true, false]) {
      const run = bootLinux(g, { rc: rc(acpid), files });
      runs.push(run);
      const m = run.sys.machine;
      expect(runUntil(run, (s) => s.includes('ACPIDM: waiting for the button')), run.serial().slice(-3000)).toBe('matched');
      runUntil(run, () => false, 200_000_000); // let acpid open the input device
      m.runState.requestPowerdown({ requester: 'host', mechanism: 'acpi-power-button', what: 'system_powerdown' });
      const out = runUntil(run, () => false, acpid ? 3_000_000_000 : 300_000_000);
      const events = m.runState.log.filter((e) => e.event !== 'RESUME').map((e) => e.event);
      if (acpid) {
        expect(out, run.serial().slice(-3000)).toEqual({ kind: 'exit', status: 0 });
        expect(events).toEqual(['POWERDOWN', 'SHUTDOWN']);
        expect(run.serial()).toContain('ACPIDM: acpid saw the power button');
        const s5 = m.runState.chain.last((l) => l.mechanism === 'pm1a-cnt')!;
        expect(s5.answers).toBe(m.runState.chain.last((l) => l.mechanism === 'acpi-power-button')!.id);
      } else {
        expect(events).toEqual(['POWERDOWN']);
        expect(m.runState.state).toBe('running');
      }
    }
    reportTimes('4. power button with and without acpid', runs, t0);
  }, LONG);

  it('5. acpi=off: poweroff ends in the kernel\'s halt; the VM stays there; the chain says no ACPI', () => {
    const t0 = Date.now();
    const run = bootLinux(g, { rc: 'poweroff -f', cmdline: `${BASE_CMDLINE} acpi=off` });
    const out = runUntil(run, () => false);
    const serial = run.serial();
    expect(out, serial.slice(-3000)).toEqual({ kind: 'halted-cli' });
    expect(serial).toMatch(/reboot: System halted/);
    expect(run.sys.machine.runState.log.filter((e) => e.event !== 'RESUME')).toEqual([]);
    const link = run.sys.machine.runState.chain.last()!;
    expect(link).toMatchObject({ requester: 'guest', mechanism: 'hlt-all-cpus', evidence: { sciEn: false } });
    expect(String(link.evidence!.consoleLast)).toMatch(/reboot: System halted$/);
    reportTimes('5. acpi=off halt', [run], t0);
  }, LONG);
});

if (missing !== null && !CI) {
  describe('Linux scenarios on acpidm', () => {
    it.skip(`skipped: ${missing} (these tests fail under CI=true)`, () => {});
  });
}
