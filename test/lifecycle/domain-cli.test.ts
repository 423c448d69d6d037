// `acpidm domain SOCKET ...` (virsh-like) over a real QMP socket: the lifecycle manager attached from "another terminal".
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { parseDomainArgs } from '../../src/cli/commands/domain.js';
import { main } from '../../src/cli/main.js';
import { scenario, type Scenario } from '../qmp/scenario-harness.js';

const open: Scenario[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function vm(opts: Parameters<typeof scenario>[0] = {}) {
  const s = await scenario({ name: 'web1', agent: true, ...opts });
  open.push(s);
  return { s, path: s.server.spec.kind === 'unix' ? s.server.spec.path : '' };
}
const L = (t: string) => `event 'lifecycle' for domain 'web1': ${t}`;

describe('acpidm domain', () => {
  it('domstate [--reason] reads query-status', async () => {
    const { s, path } = await vm();
    let io = captureIo();
    expect(await main(['domain', path, 'domstate'], io)).toBe(0);
    expect(io.out).toBe('running\n');
    await s.client.stop();
    io = captureIo();
    await main(['domain', path, 'domstate', '--reason'], io);
    expect(io.out).toBe('paused (unknown)\n');
  });

  it('event --loop in one terminal, shutdown --mode acpi in another: the guest honours the button', async () => {
    const { s, path } = await vm({ noShutdown: true });
    s.guest.enablePowerButton();
    const watch = captureIo();
    const watching = main(['domain', path, 'event', '--loop'], watch);
    const io = captureIo();
    expect(await main(['domain', path, 'shutdown', '--mode', 'acpi'], io)).toBe(0);
    expect(io.out).toMatch(/^Domain 'web1' is being shutdown\n/);
    s.guest.run(); // the guest sees PWRBTN_STS and powers off
    expect(await watching).toBe(0);
    expect(watch.out.split('\n').filter((l) => l.startsWith('event'))).toEqual([
      L('Shutdown Finished after guest request'), L('Stopped Shutdown')]);
    // The watcher prints the VM's own verdict: the guest's S5 answered the host's press (never "on its own").
    const cause = watch.out.slice(watch.out.indexOf('cause: ')).replace(/\n {2}/g, ' ');
    expect(cause).toMatch(/^cause: shutoff \(shutdown\) ← shut down \[SHUTDOWN \{guest: true, reason: guest-shutdown\}\] by the guest \(qtest, standing in for guest code\): outw 0x0604 <== 0x2001 \(S5\) \(#\d+\), answering the machine: PIIX4 latched PWRBTN_STS \(PWRBTN_EN=1\), SCI raised \(#\d+\), answering the host: QMP system_powerdown \(#\d+\)/);
    expect(watch.out).not.toMatch(/on its own|#\?|unverified/);
    expect(io.err).toMatch(/bound to power button press #\d+ \(latched: PWRBTN_EN=1\)/);
    expect(io.err).not.toMatch(/#\?|unverified/);
    expect(watch.out.split('\n').every((l) => l.length <= 100)).toBe(true);
    expect(s.events.map((e) => e.event)).toEqual(['RESUME', 'POWERDOWN', 'SHUTDOWN', 'STOP', 'SHUTDOWN']);
  });

  it('reboot --mode acpi waits for the guest and fake-reboots it; REBOOT only', async () => {
    const { s, path } = await vm();
    s.guest.enablePowerButton();
    const io = captureIo();
    const run = main(['domain', path, 'reboot'], io);
    while (!s.events.some((e) => e.event === 'POWERDOWN')) await new Promise((r) => setTimeout(r, 5));
    s.guest.run();
    expect(await run).toBe(0);
    expect(io.out).toContain("event 'reboot' for domain 'web1'");
    expect(io.out.replace(/\n {2}/g, ' ')).toMatch(/cause: running \(booted\) ← reset \[RESET \{guest: false, reason: host-qmp-system-reset\}\] by the host: QMP system_reset .* answering the host: QMP system_powerdown .*\[host reboot --mode acpi \(#op1\)/);
    expect(await s.client.queryStatus()).toMatchObject({ status: 'running' });
    expect(s.events.map((e) => e.event)).toEqual(['RESUME', 'POWERDOWN', 'SHUTDOWN', 'STOP', 'RESET', 'RESUME']);
  });

  it('reboot --mode acpi on a guest that ignores the button: the intent is discarded at once', async () => {
    const { path } = await vm();
    const io = captureIo();
    expect(await main(['domain', path, 'reboot', '--mode', 'acpi'], io)).toBe(0);
    expect(io.err).toMatch(/reboot intent #op1 discarded: power button press #\d+ was dropped/);
  });

  it('shutdown --timeout: guest ignores the button, destroyed after the virtual grace period', async () => {
    const { s, path } = await vm();
    const io = captureIo();
    const run = main(['domain', path, 'shutdown', '--timeout', '3'], io);
    while (!s.events.some((e) => e.event === 'POWERDOWN')) await new Promise((r) => setTimeout(r, 5));
    s.q.clockStep(2e9);
    await new Promise((r) => setTimeout(r, 60));
    expect(s.driver.exitStatus).toBeNull(); // 2 s of virtual time: not yet
    s.q.clockStep(1.5e9);
    expect(await run).toBe(0);
    expect(io.out).toContain(L('Stopped Destroyed'));
    expect(io.out.replace(/\n {2}/g, ' ')).toMatch(/cause: shutoff \(destroyed\) ← host grace-expired .*grace period expired after shutdown #op1 → destroy/);
    expect(s.driver.exitReason).toBe('destroyed');
  });

  it('shutdown --mode agent, suspend/resume, dompmsuspend/dompmwakeup, reset, destroy', async () => {
    const { s, path } = await vm({ noShutdown: true });
    const run = async (...args: string[]) => {
      const io = captureIo();
      const code = await main(['domain', path, ...args], io);
      return { code, ...io };
    };
    expect((await run('suspend')).out).toContain(L('Suspended Paused'));
    expect((await run('resume')).out).toContain(L('Resumed Unpaused'));
    expect((await run('dompmsuspend', 'mem')).out).toContain(L('PMSuspended Memory'));
    expect((await run('dompmwakeup')).out).toContain(L('Started Event wakeup'));
    s.guest.boot();
    expect((await run('reset')).out).toContain("event 'reboot' for domain 'web1'");
    s.guest.boot();
    const cause = await run('cause');
    expect(cause.out).toMatch(/^verdict: reset \[RESET \{guest: false, reason: host-qmp-system-reset\}\] by the host: QMP system_reset\s+\(#\d+\), answering none; run state running\nRESET:\n  #\d+ host via qmp: QMP system_reset \(answers none\)\n$/);
    const off = await run('shutdown', '--mode', 'agent');
    expect(off.out).toContain(L('Shutdown Finished after guest request'));
    await s.disconnected; // the manager quits the paused VM, as libvirt does
    const gone = await run('destroy');
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/closed during negotiation \(has the VM exited\?\)/);
  });

  it('destroy: Stopped Destroyed, the VM ends without SHUTDOWN', async () => {
    const { s, path } = await vm();
    const io = captureIo();
    expect(await main(['domain', path, 'destroy'], io)).toBe(0);
    expect(io.out).toContain(L('Stopped Destroyed'));
    expect(s.events.map((e) => e.event)).toEqual(['RESUME']);
  });

  it.each([
    [['s'], /missing OPERATION/],
    [['s', 'explode'], /unknown operation 'explode'/],
    [['s', 'shutdown', '--mode', 'initctl'], /--mode must be acpi or agent/],
    [['s', 'shutdown', '--timeout', '-1'], /--timeout must be a number of seconds >= 0/],
    [['s', 'reboot', '--timeout', '5'], /--timeout only applies to shutdown/],
    [['s', 'dompmsuspend', 'hybrid'], /target must be mem or disk/],
    [['s', 'reset', 'now'], /unexpected argument 'now'/],
    [['s', 'shutdown', '--mode'], /--mode needs a value/],
  ])('bad input %j is a clear CliError', (args, re) => {
    expect(() => parseDomainArgs(args as string[])).toThrow(re);
  });
});
