// qemu-pm.md §11.1 observed sequences, played at port level against the PC machine and asserted
// over a real QMP socket through node-qemu's QMPClient (an npm client nobody here wrote).
// The guest's part goes through GuestModel (guest-model.ts), so a guest program can be substituted.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { scenario, type Scenario } from './scenario-harness.js';

const open: Scenario[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function start(opts: Parameters<typeof scenario>[0] = {}): Promise<Scenario> {
  const s = await scenario(opts);
  open.push(s);
  return s;
}
const names = (evs: { event: string; data: Record<string, unknown> }[]) =>
  evs.map((e) => (e.data && 'reason' in e.data ? `${e.event} ${e.data['guest']} ${e.data['reason']}` : e.event));

type Cause = { last?: { event: string; chain: { requester: string; mechanism: string; what: string; id: number; answers?: number }[] }; 'power-button': { request: number; latched: boolean | null }[] };

describe('§11.1 guest poweroff', () => {
  it('guest S5 with -no-shutdown: SHUTDOWN {true, guest-shutdown}, STOP; status shutdown; stays up (QEMU acpi_pm1_cnt_write)', async () => {
    const s = await start({ noShutdown: true });
    s.guest.poweroff();
    expect(names(await s.waitEvents(3))).toEqual(['RESUME', 'SHUTDOWN true guest-shutdown', 'STOP']);
    expect(await s.client.queryStatus()).toMatchObject({ running: false, status: 'shutdown' });
    await expect(s.client.cont()).rejects.toMatchObject({ qmpClass: 'GenericError', description: 'Resetting the Virtual Machine is required' });
    const c = await s.client.execute<Cause>('x-acpidm-query-cause');
    expect(c.last!.event).toBe('STOP');
    expect(c.last!.chain).toEqual([expect.objectContaining({ requester: 'guest', mechanism: 'pm1a-cnt', what: 'outw 0x0604 <== 0x2001 (S5)' })]);
  });

  it('guest S5 without -no-shutdown: SHUTDOWN only, then QMP EOF and exit status 0 (no STOP)', async () => {
    const s = await start();
    s.guest.poweroff();
    await s.disconnected;
    expect(names(s.events)).toEqual(['RESUME', 'SHUTDOWN true guest-shutdown']);
    expect(await s.driver.exited).toBe(0);
    const t = s.monitor.transitions.at(-1)!;
    expect(s.monitor.chainOf(t.link).map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['guest/pm1a-cnt']);
  });

  it('S4 (SLP_TYP 2) with -no-shutdown: SUSPEND_DISK, SHUTDOWN {true, guest-shutdown}, STOP; status shutdown', async () => {
    const s = await start({ noShutdown: true });
    s.guest.hibernate(2);
    expect(names(await s.waitEvents(4))).toEqual(['RESUME', 'SUSPEND_DISK', 'SHUTDOWN true guest-shutdown', 'STOP']);
    expect(await s.client.queryStatus()).toMatchObject({ status: 'shutdown' });
    const all = await s.client.execute<{ transitions: { event: string; chain: { what: string }[] }[] }>('x-acpidm-query-cause', { all: true });
    expect(all.transitions.find((t) => t.event === 'SUSPEND_DISK')!.chain.map((l) => l.what)).toEqual(['outw 0x0604 <== 0x2801 (S4)']);
  });

  it('S4 without -no-shutdown exits like S5', async () => {
    const s = await start();
    s.guest.hibernate(2);
    await s.disconnected;
    expect(names(s.events)).toEqual(['RESUME', 'SUSPEND_DISK', 'SHUTDOWN true guest-shutdown']);
    expect(s.driver.exitStatus).toBe(0);
  });

  it('s4_val=3 and the guest writes SLP_TYP 2: nothing happens, readback 0x0800, still running', async () => {
    const s = await start({ s4Val: 3 });
    s.q.outw(0x604, 0x2800);
    s.driver.pass(0);
    expect(s.q.inw(0x604)).toBe(0x0800);
    expect(await s.client.queryStatus()).toMatchObject({ running: true, status: 'running' });
    expect(names(s.events)).toEqual(['RESUME']);
  });
});

describe('§11.1 power button (system_powerdown)', () => {
  it('guest set PWRBTN_EN and handles the SCI: POWERDOWN, SHUTDOWN {true, guest-shutdown}, STOP; cause host → latched → guest S5', async () => {
    const s = await start({ noShutdown: true });
    s.guest.enablePowerButton();
    await s.client.systemPowerdown();
    expect(names(s.events)).toEqual(['RESUME', 'POWERDOWN']); // POWERDOWN arrives before the reply
    s.guest.run(); // the guest sees PWRBTN_STS and powers off
    expect(names(await s.waitEvents(4))).toEqual(['RESUME', 'POWERDOWN', 'SHUTDOWN true guest-shutdown', 'STOP']);
    expect(await s.client.queryStatus()).toMatchObject({ status: 'shutdown' });
    const c = await s.client.execute<Cause>('x-acpidm-query-cause', { all: false });
    expect(c['power-button']).toEqual([expect.objectContaining({ latched: true })]);
    const chain = c.last!.chain;
    expect(chain.map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['host/acpi-power-button', 'hypervisor/acpi-power-button', 'guest/pm1a-cnt']);
    expect(chain[0]!.what).toBe('QMP system_powerdown');
    expect(chain[1]!.answers).toBe(chain[0]!.id);
    expect(chain[2]!.answers).toBe(chain[1]!.id);
  });

  it('PWRBTN_EN clear: POWERDOWN only, still running; the press is recorded as dropped', async () => {
    const s = await start({ noShutdown: true });
    await s.client.systemPowerdown();
    s.guest.run(); // nothing to see: the press was not latched
    s.driver.pass(0);
    expect(names(s.events)).toEqual(['RESUME', 'POWERDOWN']);
    expect(await s.client.queryStatus()).toMatchObject({ running: true, status: 'running' });
    const c = await s.client.execute<Cause>('x-acpidm-query-cause');
    expect(c['power-button']).toEqual([expect.objectContaining({ latched: false, pm1: expect.objectContaining({ en: 0 }) })]);
    expect(c.last!.chain.map((l) => l.what)).toEqual(['QMP system_powerdown']);
  });

  it('guest in cli; hlt: system_wakeup fails with QEMU text, system_powerdown gives POWERDOWN only, quit ends it', async () => {
    const s = await start();
    await expect(s.client.execute('system_wakeup')).rejects.toMatchObject({ qmpClass: 'GenericError', description: 'Unable to wake up: guest is not in suspended state' });
    await s.client.systemPowerdown();
    expect(await s.client.queryStatus()).toMatchObject({ running: true, status: 'running' });
    await s.client.quit();
    await s.disconnected;
    expect(names(s.events)).toEqual(['RESUME', 'POWERDOWN', 'SHUTDOWN false host-qmp-quit']);
    expect(s.driver.exitStatus).toBe(0);
  });
});

describe('§11.1 S3', () => {
  it('S3 then system_wakeup: SUSPEND, suspended, WAKEUP; the resumed boot sees WAK_STS|PWRBTN_STS', async () => {
    const s = await start();
    s.guest.suspendRam();
    expect(names(await s.waitEvents(2))).toEqual(['RESUME', 'SUSPEND']);
    expect(await s.client.queryStatus()).toEqual({ running: false, status: 'suspended' });
    await s.client.execute('system_wakeup');
    expect(names(s.events)).toEqual(['RESUME', 'SUSPEND', 'WAKEUP']);
    expect(await s.client.queryStatus()).toEqual({ running: true, status: 'running' });
    s.guest.boot(); // wakeup is a full reset: firmware programs PMBA again
    expect(s.q.inw(0x600) & 0x8100).toBe(0x8100);
    const c = await s.client.execute<Cause>('x-acpidm-query-cause');
    expect(c.last!.event).toBe('WAKEUP');
    expect(c.last!.chain.map((l) => `${l.requester}/${l.mechanism}: ${l.what}`)).toEqual(['host/wakeup: QMP system_wakeup']);
  });

  it('S3 then system_powerdown: SUSPEND, POWERDOWN, and it stays suspended (no wake)', async () => {
    const s = await start();
    s.guest.enablePowerButton();
    s.guest.suspendRam();
    await s.waitEvents(2);
    await s.client.systemPowerdown();
    expect(names(s.events)).toEqual(['RESUME', 'SUSPEND', 'POWERDOWN']);
    expect(await s.client.queryStatus()).toEqual({ running: false, status: 'suspended' });
  });

  it('S3 then system_reset: SUSPEND, RESET {false, host-qmp-system-reset}, prelaunch; cont needed', async () => {
    const s = await start();
    s.guest.suspendRam();
    await s.waitEvents(2);
    await s.client.systemReset();
    expect(names(s.events)).toEqual(['RESUME', 'SUSPEND', 'RESET false host-qmp-system-reset']);
    expect(await s.client.queryStatus()).toEqual({ running: false, status: 'prelaunch' });
    await s.client.cont();
    expect(names(s.events).at(-1)).toBe('RESUME');
    expect(await s.client.queryStatus()).toEqual({ running: true, status: 'running' });
    s.guest.boot();
    expect(s.q.inw(0x600) & 0x8000).toBe(0); // the next boot has no WAK_STS
  });
});

describe('§11.1 resets', () => {
  it.each(['cf9', 'kbd'] as const)('guest reset via %s: RESET {true, guest-reset}; running', async (how) => {
    const s = await start();
    s.guest.reset(how);
    expect(names(await s.waitEvents(2))).toEqual(['RESUME', 'RESET true guest-reset']);
    expect(await s.client.queryStatus()).toEqual({ running: true, status: 'running' });
    const c = await s.client.execute<Cause>('x-acpidm-query-cause');
    expect(c.last!.chain).toEqual([expect.objectContaining({ requester: 'guest', mechanism: how === 'cf9' ? 'reset-cf9' : 'reset-kbc' })]);
  });

  it.each(['cf9', 'kbd'] as const)('guest reset via %s with -no-reboot: SHUTDOWN {true, guest-reset}, no RESET, exit 0', async (how) => {
    const s = await start({ noReboot: true });
    s.guest.reset(how);
    await s.disconnected;
    expect(names(s.events)).toEqual(['RESUME', 'SHUTDOWN true guest-reset']);
    expect(s.driver.exitStatus).toBe(0);
  });

  it('system_reset while running: RESET {false, host-qmp-system-reset}; running; cause is the QMP command', async () => {
    const s = await start();
    await s.client.systemReset();
    expect(names(s.events)).toEqual(['RESUME', 'RESET false host-qmp-system-reset']);
    expect(await s.client.queryStatus()).toEqual({ running: true, status: 'running' });
    const c = await s.client.execute<Cause>('x-acpidm-query-cause');
    expect(c.last!.chain.map((l) => `${l.requester}/${l.what}`)).toEqual(['host/QMP system_reset']);
  });
});

describe('§11.1 quit', () => {
  it.each([['running', false], ['paused', true]] as const)('quit while %s: SHUTDOWN {false, host-qmp-quit}, EOF, exit 0', async (_state, pause) => {
    const s = await start({ noShutdown: true }); // quit forces the poweroff action even with -no-shutdown
    if (pause) await s.client.stop();
    await s.client.quit();
    await s.disconnected;
    expect(names(s.events)).toEqual(['RESUME', ...(pause ? ['STOP'] : []), 'SHUTDOWN false host-qmp-quit']);
    expect(s.driver.exitStatus).toBe(0);
    const t = s.monitor.transitions.at(-1)!;
    expect(s.monitor.chainOf(t.link).map((l) => `${l.requester}/${l.what}`)).toEqual(['host/QMP quit']);
  });

  it('the same S5 scenario through the qemu-qmp client (JSON without newlines)', async () => {
    const s = await start({ noShutdown: true });
    const QMP = createRequire(import.meta.url)('qemu-qmp') as new () => {
      connect(p: string, cb: (e: Error | null) => void): void; execute(c: string, a: unknown, cb: (e: Error | null, r: unknown) => void): void;
      on(ev: string, fn: () => void): void; end(): void;
    };
    const q = new QMP();
    const seen: string[] = [];
    await new Promise<void>((res, rej) => q.connect(s.server.spec.kind === 'unix' ? s.server.spec.path : '', (e) => (e ? rej(e) : res())));
    q.on('shutdown', () => seen.push('shutdown'));
    q.on('stop', () => seen.push('stop'));
    await new Promise((res) => q.execute('query-status', null, res)); // negotiated before the guest acts
    s.guest.poweroff();
    await s.waitEvents(3);
    const st = await new Promise((res, rej) => q.execute('query-status', null, (e, r) => (e ? rej(e) : res(r))));
    expect(st).toEqual({ running: false, status: 'shutdown' });
    expect(seen).toEqual(['shutdown', 'stop']);
    q.end();
  });
});
