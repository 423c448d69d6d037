// Seed 002 — `reboot --mode acpi` immediately followed by `shutdown --mode agent` — with our own manager
// (src/lifecycle DomainManager, what `acpidm domain` runs) in place of libvirtd, over real sockets: the emulator is
// bin/acpidm-qemu.js started with the shape libvirt gives it (-no-shutdown, a QMP unix socket, the guest agent's
// channel as a unix socket), running the pwrbtn guest. Our documented answer (lifecycle.md §4, README's table of
// three outcomes): the later request wins, so the domain ends shut off (shutdown) however the two requests and the
// guest's answer to the button interleave. The manager, like libvirtd, is one process holding the intent.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainManager } from '../../src/lifecycle/manager.js';
import { polledTimers } from '../../src/lifecycle/timers.js';
import { connectQmp } from '../../src/qmp/client-node.js';
import { tempDir } from '../tmp-dir.js';
import { ACPIDM_EMULATOR, PWRBTN, sleep, timesWaiting, waitFor } from './libvirt-harness.js';

const ci = process.env.CI === 'true';
const missing = existsSync(join(import.meta.dirname, '../../dist/cli/main.js')) ? null : 'dist/ (npm run build)';

const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** The emulator as libvirt starts it (monitor and agent channel as unix sockets), waiting for the power button. */
async function domain(dir: string, name: string) {
  const qmp = join(dir, `${name}.qmp`);
  const agent = join(dir, `${name}.agent`);
  const debugcon = join(dir, `${name}.debugcon`);
  const p = spawn(process.execPath, [ACPIDM_EMULATOR, '-name', `guest=${name}`, '-machine', 'pc-i440fx-7.2,usb=off', '-m', '32',
    '-kernel', PWRBTN, '-nodefaults', '-no-shutdown', '-debugcon', `file:${debugcon}`,
    '-qmp', `unix:${qmp},server=on,wait=off`,
    '-chardev', `socket,id=charchannel0,path=${agent},server=on,wait=off`,
    '-device', 'virtio-serial-pci,id=virtio-serial0',
    '-device', 'virtserialport,bus=virtio-serial0.0,nr=1,chardev=charchannel0,id=channel0,name=org.qemu.guest_agent.0'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  let err = '';
  p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  await waitFor(() => (existsSync(qmp) && existsSync(agent)) || p.exitCode !== null, `${name}: the monitor and agent sockets`, 60_000);
  if (p.exitCode !== null) throw new Error(`acpidm-qemu exited ${p.exitCode}: ${err}`);
  // The press must reach a guest that listens for it (PWRBTN_EN set): a press before that is dropped, and the
  // reboot intent with it (lifecycle.md §4), which is not seed 002.
  await waitFor(() => timesWaiting(debugcon) >= 1, `${name}: the guest to wait for the power button`, 60_000);
  const conn = await connectQmp(qmp);
  const dom = new DomainManager(conn, { name, timers: polledTimers(conn) });
  await dom.attach();
  return { dom, conn, exited, debugcon, agent, stderr: () => err };
}

describe.runIf(missing === null || ci)('seed 002 with our manager over real sockets (issue 18)', () => {
  it('the dist/ build is there (required when CI=true)', () => {
    expect(missing, missing ?? '').toBeNull();
  });

  // The gap between the two requests moves the agent request across the guest's answer to the press: before the
  // guest's S5, while the guest is stopped in it, while the fake reboot runs, and after the guest is back.
  it.each([0, 2, 10, 50, 300])('reboot --mode acpi, %i ms, shutdown --mode agent: the later request wins — shut off (shutdown)', async (gapMs) => {
    const dir = tempDir('acpidm-seed002-');
    const d = await domain(dir, `seed002-${gapMs}`);
    const reboot = d.dom.reboot('acpi');
    if (gapMs > 0) await sleep(gapMs);
    const shutdown = d.dom.shutdown('agent');
    const [r, s] = await Promise.allSettled([reboot, shutdown]);
    expect(r.status).toBe('fulfilled');
    expect(s.status, s.status === 'rejected' ? String(s.reason) : '').toBe('fulfilled');
    // The manager quits the emulator after the SHUTDOWN it keeps (libvirt's SIGTERM): the process exits 0.
    expect(await Promise.race([d.exited, sleep(60_000).then(() => 'still running')])).toBe(0);
    await waitFor(() => d.dom.status.state === 'shutoff', 'the domain to be shut off', 10_000);
    await d.dom.settle();
    expect(d.dom.domstate()).toEqual({ state: 'shutoff', reason: 'shutdown' });
    const text = d.dom.decisions.map((x) => x.text);
    // The reboot intent never outlives the later shutdown: superseded by it, or (the guest's S5 came first and the
    // fake reboot ran) consumed before it was asked.
    expect(text.some((t) => /reboot intent #op1 superseded by shutdown #op2/.test(t) || /reboot intent #op1 consumed by the guest's S5: fake reboot/.test(t)), text.join('\n')).toBe(true);
    expect(text.join('\n')).not.toMatch(/cleared: the guest agent failed/);
    // The lifecycle events: Shutdown Finished after guest request, Stopped Shutdown at the end, whatever came first.
    expect(d.dom.lines.slice(-2)).toEqual([
      `event 'lifecycle' for domain '${`seed002-${gapMs}`}': Shutdown Finished after guest request`,
      `event 'lifecycle' for domain '${`seed002-${gapMs}`}': Stopped Shutdown`,
    ]);
    // A fake reboot that ran first shows as its REBOOT lines (libvirt's system_reset and the firmware's hard reboot).
    const reboots = d.dom.lines.filter((l) => l.startsWith("event 'reboot'")).length;
    expect([0, 2]).toContain(reboots);
    expect(readFileSync(d.debugcon, 'latin1')).toContain('waiting for the power button');
  }, 120_000);
});

if (missing !== null && !ci) {
  describe('seed 002 with our manager (skipped)', () => {
    it.skip(`skipped: ${missing} missing; required when CI=true`, () => {});
  });
}
