import { describe, expect, it } from 'vitest';
import { RunStateMachine, type RunStateHooks } from '../../src/machine/run-state.js';
import { Trace } from '../../src/trace/trace.js';

function rsm() {
  const calls: string[] = [];
  const hooks: RunStateHooks = {
    stopCpu: () => calls.push('stopCpu'),
    resetMachine: (c) => calls.push(`reset:${c}`),
    powerdown: () => calls.push('powerdown'),
    suspend: () => calls.push('suspend'),
    wakeup: (r) => calls.push(`wakeup:${r}`),
  };
  const m = new RunStateMachine(hooks, new Trace(), () => 0);
  m.cont();
  const names = () => m.log.map((e) => (e.data ? `${e.event}(${e.data.guest},${e.data.reason})` : e.event));
  return { m, calls, names };
}
const guest = { requester: 'guest' as const, mechanism: 'pm1a-cnt' as const, what: 'test' };

describe('RunStateMachine: QEMU system/runstate.c main-loop semantics', () => {
  it('cont from prelaunch emits RESUME; a second cont while running emits nothing (vm_prepare_start)', () => {
    const { m, names } = rsm();
    m.cont();
    expect(names()).toEqual(['RESUME']);
    expect(m.state).toBe('running');
  });

  it('a guest shutdown with the default action exits after SHUTDOWN {true, guest-shutdown}', () => {
    const { m, names } = rsm();
    m.requestShutdown('guest-shutdown', guest);
    expect(m.service()).toBe(true);
    expect(names()).toEqual(['RESUME', 'SHUTDOWN(true,guest-shutdown)']);
    expect(m.exitStatus).toBe(0);
  });

  it('-no-shutdown turns the exit into STOP and state shutdown; cont then needs a reset', () => {
    const { m, names } = rsm();
    m.actions.shutdown = 'pause';
    m.requestShutdown('guest-shutdown', guest);
    expect(m.service()).toBe(false);
    expect(names()).toEqual(['RESUME', 'SHUTDOWN(true,guest-shutdown)', 'STOP']);
    expect(m.state).toBe('shutdown');
    expect(() => m.cont()).toThrow('Resetting the Virtual Machine is required');
  });

  it('-no-reboot makes a guest reset a SHUTDOWN with reason guest-reset and no RESET (qemu_system_reset_request)', () => {
    const { m, names, calls } = rsm();
    m.actions.reboot = 'shutdown';
    m.requestReset('guest-reset', { ...guest, mechanism: 'reset-cf9' });
    expect(calls).toContain('stopCpu');
    m.service();
    expect(names()).toEqual(['RESUME', 'SHUTDOWN(true,guest-reset)']);
  });

  it('suspend is serviced before shutdown, and wakeup is a reset with WAKEUP and no RESET', () => {
    const { m, names, calls } = rsm();
    m.requestSuspend(guest);
    m.service();
    expect(m.state).toBe('suspended');
    expect(() => m.cont()).not.toThrow();
    expect(m.state).toBe('suspended'); // cont while suspended does nothing
    m.requestWakeup('other');
    m.service();
    expect(names()).toEqual(['RESUME', 'SUSPEND', 'WAKEUP']);
    expect(calls).toEqual(['stopCpu', 'suspend', 'reset:none', 'wakeup:other']);
    expect(m.state).toBe('running');
  });

  it('system_wakeup outside suspended fails with QEMU\'s GenericError text', () => {
    const { m } = rsm();
    expect(() => m.requestWakeup('other')).toThrow('Unable to wake up: guest is not in suspended state');
  });

  it('POWERDOWN is emitted before the powerdown notifiers run', () => {
    const { m, calls } = rsm();
    const order: string[] = [];
    m.events.on((e) => order.push(e.event));
    m.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    calls.length = 0;
    m.service();
    expect(order).toEqual(['POWERDOWN']);
    expect(calls).toEqual(['powerdown']);
  });

  it('reset while suspended goes to prelaunch (system_reset after S3)', () => {
    const { m, names } = rsm();
    m.requestSuspend(guest);
    m.service();
    m.requestReset('host-qmp-system-reset', { requester: 'host', mechanism: 'qmp', what: 'system_reset' });
    m.service();
    expect(names()).toEqual(['RESUME', 'SUSPEND', 'RESET(false,host-qmp-system-reset)']);
    expect(m.state).toBe('prelaunch');
  });

  it('records every request in the cause chain with ids', () => {
    const { m } = rsm();
    const a = m.requestPowerdown({ requester: 'host', mechanism: 'acpi-power-button', what: 'press' });
    const b = m.requestShutdown('guest-shutdown', { ...guest, answers: a.id });
    expect(m.chain.describe()).toEqual([`#${a.id} host via acpi-power-button: press`, `#${b.id} guest via pm1a-cnt: test (answers #${a.id})`]);
  });
});
