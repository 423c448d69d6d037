// lifecycle.md §4: the fake-reboot flag done consistently, and the graceful-then-forced shutdown.
// Each case asserts the final state, the lifecycle events a client sees, and the recorded cause.
import { describe, expect, it } from 'vitest';
import { managedDomain } from './harness.js';

const L = (s: string) => `event 'lifecycle' for domain 'vm1': ${s}`;
const REBOOT = "event 'reboot' for domain 'vm1'";
const texts = (d: Awaited<ReturnType<typeof managedDomain>>) => d.dom.decisions.map((x) => x.text);

describe('§4 rule 1: the later request wins', () => {
  it('reboot then shutdown (both latched), guest powers off once: shut off, not rebooted', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const reboot = await d.dom.reboot('acpi');
    const shutdown = await d.dom.shutdown('acpi');
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
    expect(texts(d)).toContain(`reboot intent #op${reboot.id} superseded by shutdown #op${shutdown.id}`);
    const r = d.dom.records.at(-1)!;
    expect(r.operation).toMatchObject({ id: shutdown.id, op: 'shutdown' });
    expect(r.answers[0]).toBe(shutdown.id);
  });

  it('shutdown then reboot, guest powers off: the reboot wins (fake reboot, REBOOT only, running)', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const shutdown = await d.dom.shutdown('acpi');
    const reboot = await d.dom.reboot('acpi');
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([REBOOT]);
    expect(d.dom.status).toEqual({ state: 'running', reason: 'booted' });
    expect(texts(d)).toContain(`shutdown intent #op${shutdown.id} superseded by reboot #op${reboot.id}`);
    expect(texts(d)).toContain(`reboot intent #op${reboot.id} consumed by the guest's S5: fake reboot (system_reset + cont)`);
  });

  it('reboot then reset: the reset supersedes it; a later guest poweroff shuts off', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const reboot = await d.dom.reboot('acpi');
    const reset = await d.dom.reset();
    expect(texts(d)).toContain(`reboot intent #op${reboot.id} superseded by reset #op${reset.id}`);
    d.guest.boot();
    d.guest.poweroff();
    await d.step();
    expect(d.lines()).toEqual([REBOOT, L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'guest', mechanism: 'guest S5 on its own (PM1a_CNT)', answers: [] });
  });
});

describe('§4 rule 2: the reboot intent is bound to the delivered press', () => {
  it('press dropped (PWRBTN_EN=0): intent discarded at once; a later guest poweroff ends SHUTOFF (SHUTDOWN), detail GUEST', async () => {
    const d = await managedDomain();
    const reboot = await d.dom.reboot('acpi');
    expect(d.dom.intent).toBeNull();
    expect(d.monitor.presses.at(-1)!.latched).toBe(false);
    expect(texts(d).at(-1)).toMatch(new RegExp(`^reboot intent #op${reboot.id} discarded: power button press #\\d+ was dropped \\(PWRBTN_EN=0, only POWERDOWN\\)$`));
    // much later, the guest decides on its own to power off (libvirt would fake-reboot it here)
    d.q.clockStep(30e9);
    d.guest.enablePowerButton();
    d.guest.poweroff();
    await d.step();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
    const r = d.dom.records.at(-1)!;
    expect(r.requester).toBe('guest');
    expect(r.operation).toBeUndefined();
    expect(r.chain.map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['guest/pm1a-cnt']); // the S5 answers no press
  });

  it('press latched and the guest honours it: the first S5 consumes the intent; the next S5 after boot shuts off', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const reboot = await d.dom.reboot('acpi');
    d.guest.run();
    await d.step();
    expect(d.dom.status).toEqual({ state: 'running', reason: 'booted' });
    expect(d.dom.intent).toBeNull();
    d.guest.boot();
    d.guest.poweroff();
    await d.step();
    expect(d.lines()).toEqual([REBOOT, L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    const r = d.dom.records.at(-1)!;
    expect(r.requester).toBe('guest');
    expect(r.answers).not.toContain(reboot.id);
  });

  it('press latched, but the guest reboots itself instead: the RESET clears the intent; a later S5 shuts off', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const reboot = await d.dom.reboot('acpi');
    d.guest.reset('cf9');
    await d.step();
    expect(texts(d)).toContain(`reboot intent #op${reboot.id} cleared by RESET`);
    d.guest.boot();
    d.guest.poweroff();
    await d.step();
    expect(d.lines()).toEqual([REBOOT, L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
  });

  it('the guest S5 that consumes a reboot names the press it answered in the machine chain', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    await d.dom.reboot('acpi');
    d.guest.run();
    await d.step();
    const fake = d.dom.records.find((r) => r.mechanism.includes('fake reboot'))!;
    const [press, s5] = fake.chain;
    expect(s5!.answers).toBe(press!.id);
    expect(d.monitor.presses[0]!.request).toBe(press!.id);
  });
});

describe('graceful-then-forced shutdown (grace period in virtual time)', () => {
  it('guest ignores the button: after the grace period the domain is destroyed, and the cause says so', async () => {
    const d = await managedDomain();
    const op = await d.dom.shutdownWithGrace('acpi', 5e9);
    d.q.clockStep(4.9e9);
    await d.dom.settle();
    expect(d.dom.status.state).toBe('running'); // not yet
    d.q.clockStep(0.2e9);
    await d.dom.settle();
    expect(d.lines()).toEqual([L('Stopped Destroyed')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'destroyed' });
    const r = d.dom.records.at(-1)!;
    expect(r.mechanism).toBe(`grace period expired after shutdown #op${op.id} → destroy`);
    expect(r.operation).toMatchObject({ op: 'grace-expired', after: op.id });
    expect(r.answers).toEqual([op.id, r.operation!.id]);
    expect(texts(d)).toContain(`grace period of 5000000000 ns (virtual) after shutdown #op${op.id} expired: destroying`);
  });

  it('guest honours the button in time: shut off (shutdown), and the grace timer never fires', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    await d.dom.shutdownWithGrace('acpi', 5e9);
    d.q.clockStep(1e9);
    d.guest.run();
    await d.step();
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
    d.vm.clock.advance(10e9);
    await d.dom.settle();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(texts(d).some((t) => t.includes('grace period'))).toBe(false);
  });

  it('agent mode with a grace period: the agent powers it off at once; no destroy', async () => {
    const d = await managedDomain();
    await d.dom.shutdownWithGrace('agent', 1e9);
    d.vm.clock.advance(5e9);
    await d.dom.settle();
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
  });

  it('a later request cancels the grace period: reset after shutdownWithGrace, no destroy', async () => {
    const d = await managedDomain();
    await d.dom.shutdownWithGrace('acpi', 1e9);
    await d.dom.reset();
    d.q.clockStep(5e9);
    await d.dom.settle();
    expect(d.dom.status.state).toBe('running');
    expect(d.lines()).toEqual([REBOOT]);
  });

  it('a halted guest (cli; hlt) still reaches the deadline: the driver warps virtual time when idle', async () => {
    // No CPU: runSlice is idle, like a guest parked in cli; hlt. With warpWhenIdle (icount sleep=off) the driver
    // jumps virtual time to the next timer, so the grace period ends without anyone stepping the clock.
    const d = await managedDomain({ warpWhenIdle: true });
    await d.dom.shutdownWithGrace('acpi', 60e9);
    while (d.dom.status.state !== 'shutoff') await new Promise((r) => setTimeout(r, 5));
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'destroyed' });
    expect(d.vm.clock.ns()).toBeGreaterThanOrEqual(60e9);
  });
});

describe('§4 domain settings that override requests (on_poweroff, on_reboot)', () => {
  it('on_reboot=destroy: libvirt runs QEMU with -no-reboot; reboot --mode acpi becomes a shutdown (logged), guest honours → shut off', async () => {
    const d = await managedDomain({ onReboot: 'destroy' });
    expect(d.vm.runState.actions.reboot).toBe('shutdown');
    d.guest.enablePowerButton();
    const op = await d.dom.reboot('acpi');
    expect(texts(d)).toContain('Domain on_reboot setting overridden, shutting down');
    expect(d.dom.intent).toMatchObject({ kind: 'shutdown', status: 'delivered' });
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.records.at(-1)).toMatchObject({ operation: { id: op.id, op: 'reboot' }, status: { state: 'shutoff', reason: 'shutdown' } });
  });

  it('on_reboot=destroy: a guest reset ends the domain (SHUTDOWN guest-reset)', async () => {
    const d = await managedDomain({ onReboot: 'destroy' });
    d.guest.reset('kbd');
    await d.step();
    expect(d.qmp()).toContain('SHUTDOWN true guest-reset');
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
  });

  it('on_poweroff=restart: shutdown --mode acpi becomes a reboot (logged); the guest S5 is fake-rebooted', async () => {
    const d = await managedDomain({ onPoweroff: 'restart' });
    d.guest.enablePowerButton();
    await d.dom.shutdown('acpi');
    expect(texts(d)).toContain('Domain on_poweroff setting overridden, attempting reboot');
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([REBOOT]);
    expect(d.dom.status).toEqual({ state: 'running', reason: 'booted' });
  });

  it('on_poweroff=restart: a guest poweroff on its own is fake-rebooted too, and the record says so', async () => {
    const d = await managedDomain({ onPoweroff: 'restart' });
    d.guest.poweroff();
    await d.step();
    expect(d.lines()).toEqual([REBOOT]);
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'guest', mechanism: 'guest S5 (PM1a_CNT) with on_poweroff=restart → fake reboot' });
    expect(await d.conn.execute('query-status')).toEqual({ running: true, status: 'running' });
  });
});
