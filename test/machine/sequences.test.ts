// Observed QEMU sequences that need no CPU (qemu-pm.md §7-§11.1), driven
// qtest-style: port write in, management events out, in order, with data.
import { describe, expect, it } from 'vitest';
import { qtestMachine, type QtestMachine } from '../../src/machine/qtest.js';
import { WakeupError } from '../../src/machine/index.js';

const PM = 0x600;
const host = (what: string) => ({ requester: 'host' as const, mechanism: 'qmp' as const, what });
const names = (q: QtestMachine) => q.events().map((e) => (e.data ? `${e.event} ${e.data.guest} ${e.data.reason}` : e.event));

describe('guest S5 (SLP_TYP 0 | SLP_EN)', () => {
  it('-no-shutdown: SHUTDOWN {guest, guest-shutdown}, STOP; status shutdown; process stays up', () => {
    const q = qtestMachine({ pmBase: PM, noShutdown: true });
    q.outw(PM + 4, 0x2000);
    expect(names(q)).toEqual(['SHUTDOWN true guest-shutdown', 'STOP']);
    expect(q.status()).toEqual({ running: false, status: 'shutdown' });
    expect(q.exitStatus).toBeNull();
    expect(() => q.machine.runState.cont()).toThrow('Resetting the Virtual Machine is required');
  });

  it('default: SHUTDOWN then exit 0, no STOP', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(PM + 4, 0x2001);
    expect(names(q)).toEqual(['SHUTDOWN true guest-shutdown']);
    expect(q.exitStatus).toBe(0);
    expect(q.machine.runSlice(1000)).toBe('exit');
  });

  it('the shutdown is a request: nothing is emitted until the main loop runs, and the CPU is not stopped', () => {
    const q = qtestMachine({ pmBase: PM });
    let stops = 0;
    q.machine.onStopCpu = () => { stops++; };
    const before = q.machine.runState.log.length;
    q.outw(PM + 4, 0x2000);
    expect(q.machine.runState.log.length).toBe(before);
    expect(q.machine.runState.pendingShutdown()).toBe('guest-shutdown');
    expect(stops).toBe(0);
    expect(q.machine.runSlice(1)).toBe('exit');
  });

  it('the cause link carries the evidence: port, value, SLP_TYP, state, virtual time', () => {
    const q = qtestMachine({ pmBase: PM });
    q.clockStep(5_000);
    q.outw(PM + 4, 0x2001);
    const e = q.nextEvent()!;
    expect(e.cause).toMatchObject({
      requester: 'guest', mechanism: 'pm1a-cnt', what: 'outw 0x0604 <== 0x2001 (S5)',
      evidence: { port: 0x604, value: 0x2001, slpTyp: 0, state: 'S5', tNs: 5000 }, t: 5000,
    });
    expect(q.machine.runState.chain.describe()).toEqual(['#1 guest via pm1a-cnt: outw 0x0604 <== 0x2001 (S5)']);
  });

  it('with the block at the Xen V1 base 0xB000 the same write works', () => {
    const q = qtestMachine({ pmBase: 0xb000 });
    q.outw(0xb004, 0x2000);
    expect(names(q)).toEqual(['SHUTDOWN true guest-shutdown']);
  });
});

describe('power button (system_powerdown)', () => {
  it('guest set PWRBTN_EN and handles the SCI: POWERDOWN, SHUTDOWN, STOP; the S5 answers the latched press', () => {
    const q = qtestMachine({ pmBase: PM, noShutdown: true });
    q.outw(PM, 0x0001);
    q.outw(PM + 2, 0x0100);
    const press = q.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'acpi-power-button', what: 'system_powerdown' });
    expect(q.nextEvent()!.event).toBe('POWERDOWN');
    // the guest's SCI handler: read, clear, power off
    expect(q.inw(PM)).toBe(0x0100);
    q.outw(PM, 0x0100);
    q.outw(PM + 4, 0x2000);
    const rest = q.events();
    expect(rest.map((e) => e.event)).toEqual(['SHUTDOWN', 'STOP']);
    // The S5 answers the machine's latch of the press (PWRBTN_STS set), which answers the press.
    const chain = q.machine.runState.chain.ancestry(rest[0]!.cause);
    expect(chain.map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['host/acpi-power-button', 'hypervisor/acpi-power-button', 'guest/pm1a-cnt']);
    expect(chain[0]!.id).toBe(press.id);
    expect(chain[1]!.evidence).toMatchObject({ latched: true, pm1_en: 0x100 });
    expect(chain[2]!.evidence).toMatchObject({ origin: 'qtest' });
    expect(q.status().status).toBe('shutdown');
  });

  it('PWRBTN_EN clear: POWERDOWN only, still running', () => {
    const q = qtestMachine({ pmBase: PM });
    q.machine.runState.requestPowerdown(host('system_powerdown'));
    expect(names(q)).toEqual(['POWERDOWN']);
    expect(q.status()).toEqual({ running: true, status: 'running' });
  });

  it('POWERDOWN is emitted on every press', () => {
    const q = qtestMachine({ pmBase: PM });
    for (let i = 0; i < 3; i++) q.machine.runState.requestPowerdown(host('system_powerdown'));
    q.machine.runState.service();
    q.machine.runState.requestPowerdown(host('system_powerdown'));
    expect(names(q)).toEqual(['POWERDOWN', 'POWERDOWN']);
  });
});

describe('S3 and wakeup', () => {
  it('SUSPEND, status suspended; system_wakeup → WAKEUP, full reset, PM1_STS 0x8101 once PMBA is re-programmed', () => {
    const q = qtestMachine({ pmBase: PM });
    let stops = 0;
    q.machine.onStopCpu = () => { stops++; };
    q.outw(PM + 2, 0x0100);
    q.outw(PM + 4, 0x2401);
    expect(stops).toBe(1); // a suspend request stops the current vCPU
    expect(names(q)).toEqual(['SUSPEND']);
    expect(q.status()).toEqual({ running: false, status: 'suspended' });
    q.machine.runState.requestWakeup('other');
    expect(names(q)).toEqual(['WAKEUP']);
    expect(q.status()).toEqual({ running: true, status: 'running' });
    // the wakeup was a machine reset: PMBA byte 0x40 = 1 and PMREGMISC = 0 hide the block
    expect(q.inw(PM)).toBe(0xffff);
    q.programPm(PM);
    expect(q.inw(PM)).toBe(0x8101); // WAK | PWRBTN | TMR
    expect(q.inw(PM + 2)).toBe(0x0000);
    expect(q.inw(PM + 4)).toBe(0x0000);
  });

  it('system_wakeup outside suspended fails with QEMU\'s error text', () => {
    const q = qtestMachine({ pmBase: PM });
    expect(() => q.machine.runState.requestWakeup('other')).toThrow(WakeupError);
    expect(() => q.machine.runState.requestWakeup('other')).toThrow('Unable to wake up: guest is not in suspended state');
  });

  it('S3 then system_powerdown: SUSPEND, POWERDOWN, no wake', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(PM + 2, 0x0100);
    q.outw(PM + 4, 0x2400);
    q.events();
    q.machine.runState.requestPowerdown(host('system_powerdown'));
    expect(names(q)).toEqual(['POWERDOWN']);
    expect(q.status().status).toBe('suspended');
  });

  it('S3 then system_reset: RESET {false, host-qmp-system-reset}, prelaunch; the next boot has no WAK_STS', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(PM + 4, 0x2400);
    q.events();
    q.machine.runState.requestReset('host-qmp-system-reset', host('system_reset'));
    expect(names(q)).toEqual(['RESET false host-qmp-system-reset']);
    expect(q.status()).toEqual({ running: false, status: 'prelaunch' });
    q.programPm(PM);
    expect(q.inw(PM)).toBe(0x0001);
  });

  it('a second suspend request while suspended is ignored', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(PM + 4, 0x2400);
    q.events();
    q.outw(PM + 4, 0x2400);
    expect(q.events()).toEqual([]);
  });

  it('disable_s3=1 only hides \\_S3_: the guest still suspends (observed), and the link says it was not advertised', () => {
    const q = qtestMachine({ pmBase: PM, disableS3: true });
    q.outw(PM + 4, 0x2400);
    const e = q.events();
    expect(e.map((x) => x.event)).toEqual(['SUSPEND']);
    expect(e[0]!.cause!.evidence).toMatchObject({ state: 'S3', advertised: false });
  });

  it('PM-timer wakeup: with TMR_EN armed the overflow wakes the guest; PM1_STS shows WAK|TMR', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(PM, 0x0001);
    q.outw(PM + 2, 0x0001); // TMR_EN arms the PM timer as a wakeup reason
    q.outw(PM + 4, 0x2400);
    expect(names(q)).toEqual(['SUSPEND']);
    q.clockStep(3e9); // past the bit-23 toggle at ~2.34 s
    expect(names(q)).toEqual(['WAKEUP']);
    q.programPm(PM);
    expect(q.inw(PM)).toBe(0x8001);
  });

  it('PM-timer overflow while suspended without TMR_EN does not wake', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(PM + 4, 0x2400);
    q.events();
    q.clockStep(10e9);
    expect(q.events()).toEqual([]);
    expect(q.status().status).toBe('suspended');
  });
});

describe('S4 and s4_val', () => {
  it('SLP_TYP 2: SUSPEND_DISK at once inside the write, then SHUTDOWN, STOP (-no-shutdown)', () => {
    const q = qtestMachine({ pmBase: PM, noShutdown: true });
    const before = q.machine.runState.log.length;
    q.outw(PM + 4, 0x2800);
    // emitted synchronously, before any main-loop pass
    expect(q.machine.runState.log.slice(before).map((e) => e.event)).toEqual(['SUSPEND_DISK']);
    expect(names(q)).toEqual(['SUSPEND_DISK', 'SHUTDOWN true guest-shutdown', 'STOP']);
    expect(q.status().status).toBe('shutdown');
  });

  it('s4_val=3: SLP_TYP 2 is stored (0x0800) with no event; SLP_TYP 3 is S4', () => {
    const q = qtestMachine({ pmBase: PM, s4Val: 3 });
    q.outw(PM + 4, 0x2800);
    expect(q.inw(PM + 4)).toBe(0x0800);
    expect(q.events()).toEqual([]);
    q.outw(PM + 4, 0x2c00);
    expect(names(q)).toEqual(['SUSPEND_DISK', 'SHUTDOWN true guest-shutdown']);
  });

  it('SLP_TYP 3-7 without an S4 match: stored, nothing happens', () => {
    const q = qtestMachine({ pmBase: PM });
    for (let t = 3; t <= 7; t++) q.outw(PM + 4, 0x2000 | (t << 10));
    expect(q.events()).toEqual([]);
    expect(q.status().status).toBe('running');
  });
});

describe('qtest host-command helpers', () => {
  it('systemPowerdown / systemWakeup / systemReset / quit drive the documented sequences', () => {
    const q = qtestMachine({ pmBase: PM, noShutdown: true });
    q.outw(PM + 2, 0x0100);
    q.systemPowerdown();
    expect(names(q)).toEqual(['POWERDOWN']);
    expect(q.inw(PM) & 0x0100).toBe(0x0100);
    expect(() => q.systemWakeup()).toThrow('Unable to wake up: guest is not in suspended state');
    q.outw(PM + 4, 0x2400);
    expect(names(q)).toEqual(['SUSPEND']);
    q.systemWakeup();
    expect(names(q)).toEqual(['WAKEUP']);
    q.systemReset();
    expect(names(q)).toEqual(['RESET false host-qmp-system-reset']);
    q.quit();
    expect(names(q)).toEqual(['SHUTDOWN false host-qmp-quit']);
    expect(q.exitStatus).toBe(0);
  });
});

describe('other run-state paths through the machine', () => {
  it('system_reset while running: RESET {false, host-qmp-system-reset}, still running', () => {
    const q = qtestMachine({ pmBase: PM });
    q.machine.runState.requestReset('host-qmp-system-reset', host('system_reset'));
    expect(names(q)).toEqual(['RESET false host-qmp-system-reset']);
    expect(q.status()).toEqual({ running: true, status: 'running' });
  });

  it('quit: SHUTDOWN {false, host-qmp-quit} even with -no-shutdown', () => {
    const q = qtestMachine({ noShutdown: true });
    q.machine.runState.quit(host('quit'));
    expect(names(q)).toEqual(['SHUTDOWN false host-qmp-quit']);
    expect(q.exitStatus).toBe(0);
  });

  it('startPaused (-S): prelaunch until cont, which emits RESUME', () => {
    const q = qtestMachine({ startPaused: true });
    expect(q.status()).toEqual({ running: false, status: 'prelaunch' });
    q.machine.start();
    expect(names(q)).toEqual(['RESUME']);
  });

  it('reset handlers run on every machine reset, including the S3 wake reset', () => {
    const q = qtestMachine({ pmBase: PM });
    let n = 0;
    q.machine.addResetHandler(() => { n++; });
    q.outb(0xcf9, 0x06);
    q.events();
    q.outw(0xcf8, 0); // nothing
    q.programPm(PM);
    q.outw(PM + 4, 0x2400);
    q.events();
    q.machine.runState.requestWakeup('other');
    q.events();
    expect(n).toBe(2);
  });
});
