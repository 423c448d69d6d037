// lifecycle.md §3: how each path appears to a libvirt client (src/qemu/qemu_process.c handlers,
// tools/virsh-domain-event.c wording), driven through QMP against the PC machine at port level.
import { describe, expect, it } from 'vitest';
import { domstateText, reasonNumber, stateNumber } from '../../src/lifecycle/states.js';
import { managedDomain } from './harness.js';

const L = (s: string) => `event 'lifecycle' for domain 'vm1': ${s}`;
const REBOOT = "event 'reboot' for domain 'vm1'";

describe('start', () => {
  it('libvirt starts with -no-shutdown and cont: Started Booted, running (booted)', async () => {
    const d = await managedDomain();
    expect(d.dom.lines).toEqual([L('Started Booted')]);
    expect(domstateText(d.dom.domstate())).toBe('running (booted)');
    expect([stateNumber(d.dom.status.state), reasonNumber(d.dom.status)]).toEqual([1, 1]);
    expect(d.vm.runState.actions.shutdown).toBe('pause');
  });
});

describe('§3 guest-initiated and host-requested shutdowns', () => {
  it('guest powers itself off (S5): Shutdown Finished after guest request, Stopped Shutdown; shut off (shutdown); cause guest', async () => {
    const d = await managedDomain();
    d.guest.poweroff();
    await d.step();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(domstateText(d.dom.domstate())).toBe('shut off (shutdown)');
    expect([stateNumber(d.dom.status.state), reasonNumber(d.dom.status)]).toEqual([5, 1]);
    const r = d.dom.records.at(-1)!;
    expect(r).toMatchObject({ requester: 'guest', mechanism: 'guest S5 on its own (PM1a_CNT)', answers: [] });
    expect(r.operation).toBeUndefined();
    expect(r.chain.map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['guest/pm1a-cnt']);
    expect(r.qmp.map((e) => e.event)).toEqual(['SHUTDOWN', 'STOP', 'SHUTDOWN']); // the last is libvirt's own quit, ignored
    expect(d.dom.decisions.map((x) => x.text)).toContain('Ignoring repeated SHUTDOWN event');
  });

  it('shutdown --mode acpi honoured by the guest: same events, cause host op → latched press → guest S5', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const op = await d.dom.shutdown('acpi');
    expect(d.dom.intent).toMatchObject({ kind: 'shutdown', status: 'delivered' });
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
    const r = d.dom.records.at(-1)!;
    expect(r.requester).toBe('host');
    expect(r.operation).toMatchObject({ id: op.id, op: 'shutdown', mode: 'acpi' });
    expect(r.mechanism).toBe('power button → S5 (PM1a_CNT)');
    // the VM's verdict: guest code answered the latched press the host made
    expect(r.verdict).toMatch(/^shut down \[SHUTDOWN \{guest: true, reason: guest-shutdown\}\] by the guest \(qtest, standing in for guest code\): outw 0x0604 <== 0x2001 \(S5\) \(#\d+\), answering the machine: PIIX4 latched PWRBTN_STS \(PWRBTN_EN=1\), SCI raised \(#\d+\), answering the host: QMP system_powerdown/);
    const press = d.monitor.presses[0]!;
    expect(press.latched).toBe(true);
    expect(r.answers).toEqual([op.id, press.request]);
    expect(r.chain.map((l) => l.what)).toEqual(['QMP system_powerdown', 'PIIX4 latched PWRBTN_STS (PWRBTN_EN=1), SCI raised', 'outw 0x0604 <== 0x2001 (S5)']);
    expect(d.qmp().slice(0, 4)).toEqual(['RESUME', 'POWERDOWN', 'SHUTDOWN true guest-shutdown', 'STOP']);
  });

  it('shutdown --mode agent: the modelled agent powers the guest off; Shutdown after guest request, Stopped Shutdown; cause host agent op', async () => {
    const d = await managedDomain();
    const op = await d.dom.shutdown('agent');
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
    const r = d.dom.records.at(-1)!;
    expect(r).toMatchObject({ requester: 'host', operation: { id: op.id, mode: 'agent' }, mechanism: 'guest agent guest-shutdown → S5 (PM1a_CNT) written by the agent' });
    // The modelled agent is host code writing the guest's ports: the guest kernel is never named.
    expect(r.chain.map((l) => `${l.requester}/${l.mechanism}: ${l.what}`)).toEqual([
      'host/agent: QMP guest agent guest-shutdown', 'agent/pm1a-cnt: outw 0x0604 <== 0x2001 (S5)']);
    expect(r.chain[1]!.answers).toBe(r.chain[0]!.id);
    expect(r.verdict).toMatch(/by the modelled guest agent \(host code, the guest kernel did not run\): outw 0x0604 <== 0x2001 \(S5\) \(#\d+\), answering the host: QMP guest agent guest-shutdown/);
    expect(r.verdict).not.toMatch(/by the guest/);
    expect(d.qmp().slice(0, 3)).toEqual(['RESUME', 'SHUTDOWN true guest-shutdown', 'STOP']); // no POWERDOWN in agent mode
  });

  it('shutdown --mode agent without an agent fails with libvirt-like text and changes nothing', async () => {
    const d = await managedDomain({ agent: false });
    await expect(d.dom.shutdown('agent')).rejects.toMatchObject({ desc: 'QEMU guest agent is not connected' });
    expect(d.dom.status).toEqual({ state: 'running', reason: 'booted' });
  });

  it('guest ignores shutdown --mode acpi (PWRBTN_EN=0): no lifecycle event, still running, intent discarded', async () => {
    const d = await managedDomain();
    const op = await d.dom.shutdown('acpi');
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([]);
    expect(d.dom.status).toEqual({ state: 'running', reason: 'booted' });
    expect(d.dom.intent).toBeNull();
    expect(d.dom.decisions.at(-1)).toEqual({ text: expect.stringMatching(/^shutdown intent #op2 discarded: power button press #\d+ was dropped/), operation: op.id });
  });

  it('host quits QEMU (quit from another client): Shutdown Finished after host request, Stopped Shutdown', async () => {
    const d = await managedDomain();
    const { connectInProcess } = await import('../../src/qmp/connection.js');
    const other = connectInProcess(d.monitor);
    await other.execute('quit');
    await d.dom.settle();
    expect(d.lines()).toEqual([L('Shutdown Finished after host request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'host', mechanism: 'host host-qmp-quit' });
    expect(d.dom.records.at(-1)!.chain.map((l) => l.what)).toEqual(['QMP quit']);
  });

  it('destroy: Stopped Destroyed only (no Shutdown event); shut off (destroyed)', async () => {
    const d = await managedDomain();
    const op = await d.dom.destroy();
    expect(d.lines()).toEqual([L('Stopped Destroyed')]);
    expect(domstateText(d.dom.domstate())).toBe('shut off (destroyed)');
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'host', operation: { id: op.id, op: 'destroy' }, mechanism: 'destroy (process killed)', answers: [op.id] });
    expect(d.qmp()).toEqual(['RESUME']); // QEMU was killed: no SHUTDOWN
    await expect(d.dom.reset()).rejects.toThrow('Requested operation is not valid: domain is not running');
  });

  it('the VM dies without SHUTDOWN: Stopped Failed, shut off (crashed), logged as libvirt does', async () => {
    const d = await managedDomain();
    d.driver.destroy(); // the process vanished behind libvirt's back
    await d.dom.settle();
    expect(d.lines()).toEqual([L('Stopped Failed')]);
    expect(domstateText(d.dom.domstate())).toBe('shut off (crashed)');
    expect(d.dom.decisions.at(-1)!.text).toBe("Monitor connection to 'vm1' closed without SHUTDOWN event; assuming the domain crashed");
  });

  it('on_reboot=destroy (-no-reboot): a guest reset is a shutdown: Shutdown after guest request, Stopped Shutdown', async () => {
    const d = await managedDomain({ noReboot: true });
    d.guest.reset('cf9');
    await d.step();
    expect(d.lines()).toEqual([L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'guest', mechanism: 'guest reset with reboot action shutdown (-no-reboot)' });
    expect(d.dom.records.at(-1)!.chain.map((l) => l.mechanism)).toEqual(['reset-cf9']);
  });
});

describe('§3 reboots and resets', () => {
  it('guest reboots itself (0xCF9): REBOOT only, still running; cause guest', async () => {
    const d = await managedDomain();
    d.guest.reset('cf9');
    await d.step();
    expect(d.lines()).toEqual([REBOOT]);
    expect(d.dom.status).toEqual({ state: 'running', reason: 'booted' });
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'guest', mechanism: 'guest reset (guest-reset)' });
  });

  it('virsh reset: REBOOT only; cause host system_reset', async () => {
    const d = await managedDomain();
    const op = await d.dom.reset();
    expect(d.lines()).toEqual([REBOOT]);
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'host', operation: { id: op.id, op: 'reset' }, mechanism: 'system_reset', answers: [op.id] });
  });

  it('reboot --mode acpi honoured: fake reboot hides SHUTDOWN and STOP; REBOOT only; running (booted)', async () => {
    const d = await managedDomain();
    d.guest.enablePowerButton();
    const op = await d.dom.reboot('acpi');
    d.guest.run();
    await d.step();
    expect(d.lines()).toEqual([REBOOT]);
    expect(domstateText(d.dom.domstate())).toBe('running (booted)');
    expect(d.qmp()).toEqual(['RESUME', 'POWERDOWN', 'SHUTDOWN true guest-shutdown', 'STOP', 'RESET false host-qmp-system-reset', 'RESUME']);
    expect(await d.conn.execute('query-status')).toEqual({ running: true, status: 'running' });
    const fake = d.dom.records.find((r) => r.mechanism.includes('fake reboot'))!;
    expect(fake).toMatchObject({ requester: 'host', operation: { id: op.id, op: 'reboot', mode: 'acpi' } });
    expect(fake.answers).toEqual([op.id, d.monitor.presses[0]!.request]);
    expect(fake.chain.map((l) => l.what)).toEqual(['QMP system_powerdown', 'PIIX4 latched PWRBTN_STS (PWRBTN_EN=1), SCI raised', 'outw 0x0604 <== 0x2001 (S5)']);
    // the VM's verdict: libvirt's system_reset answered the guest's S5, which answered the latched press
    expect(fake.verdict).toMatch(/^reset \[RESET \{guest: false, reason: host-qmp-system-reset\}\] by the host: QMP system_reset \(#\d+\), answering the guest .*S5.*answering the machine: PIIX4 latched.*answering the host: QMP system_powerdown/);
  });

  it('reboot --mode agent: the guest resets itself (kbd); REBOOT only; intent consumed by the reset', async () => {
    const d = await managedDomain();
    const op = await d.dom.reboot('agent');
    expect(d.lines()).toEqual([REBOOT]);
    expect(d.qmp()).toEqual(['RESUME', 'RESET true guest-reset']);
    expect(d.dom.records.at(-1)).toMatchObject({ operation: { id: op.id }, mechanism: 'guest agent guest-shutdown(reboot) → reset written by the agent' });
    expect(d.dom.status.state).toBe('running');
  });
});

describe('§3 pause and power management', () => {
  it('suspend/resume: Suspended Paused (paused/user), Resumed Unpaused (running/unpaused)', async () => {
    const d = await managedDomain();
    const s = await d.dom.suspend();
    expect(domstateText(d.dom.domstate())).toBe('paused (user)');
    expect(d.dom.records.at(-1)).toMatchObject({ operation: { id: s.id, op: 'suspend' }, mechanism: 'suspend (QMP stop)' });
    await d.dom.resume();
    expect(domstateText(d.dom.domstate())).toBe('running (unpaused)');
    expect(d.lines()).toEqual([L('Suspended Paused'), L('Resumed Unpaused')]);
    expect(d.dom.records.at(-1)!.chain.map((l) => l.what)).toEqual(['QMP cont']);
  });

  it('dompmsuspend mem (agent) then dompmwakeup: PMSuspended Memory, Started Event wakeup', async () => {
    const d = await managedDomain();
    await d.dom.pmSuspend('mem');
    expect(d.dom.status).toEqual({ state: 'pmsuspended', reason: 'unknown' });
    expect(d.dom.records.at(-1)!.chain.map((l) => l.what)).toEqual(['QMP guest agent guest-suspend-ram', 'outw 0x0604 <== 0x2401 (S3)']);
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'host', operation: { op: 'pm-suspend' } });
    await d.dom.pmWakeup();
    expect(domstateText(d.dom.domstate())).toBe('running (event wakeup)');
    expect(d.lines()).toEqual([L('PMSuspended Memory'), L('Started Event wakeup')]);
    expect(d.dom.records.at(-1)).toMatchObject({ requester: 'host', mechanism: 'system_wakeup' });
  });

  it('S4 by the guest: PMSuspended Disk, Shutdown Finished after guest request, Stopped Shutdown', async () => {
    const d = await managedDomain();
    d.guest.hibernate();
    await d.step();
    expect(d.lines()).toEqual([L('PMSuspended Disk'), L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    expect(d.dom.status).toEqual({ state: 'shutoff', reason: 'shutdown' });
  });

  it('pm-wakeup on a running domain is refused; resume on a running domain is refused', async () => {
    const d = await managedDomain();
    await expect(d.dom.pmWakeup()).rejects.toThrow(/not valid/);
    await expect(d.dom.resume()).rejects.toThrow(/domain is not paused/);
  });
});
