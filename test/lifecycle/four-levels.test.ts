// Issue 14: each scenario's answer to "who shut this VM down", stated at all four levels and checked against runs:
//   ours     — the verdict (src/machine/verdict.ts, chain-verdict.ts): outcome, who acted, who asked first
//   QEMU     — the deciding QMP event with `guest`/`reason` (qapi/run-state.json; lifecycle.md §6)
//   Xen/xl   — libxl's events for the same path under Xen mode: the shutdown code, or DEATH only (xen.md §12)
//   libvirt  — `virsh domstate --reason` after the run (lifecycle.md §1, §3)
// QEMU-mode rows run the PC machine under the lifecycle manager (libvirt's part); Xen-mode rows run the same path on
// the modelled hypervisor with xl. Where a peer has no equivalent path the cell says so (`—`) and is not checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { xlAnswer } from '../../src/cli/commands/run-xen-summary.js';
import { domstateText } from '../../src/lifecycle/states.js';
import { chainVerdict } from '../../src/machine/chain-verdict.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import type { Verdict } from '../../src/machine/verdict.js';
import { VmDriver } from '../../src/qmp/driver.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import { pcMachineVm } from '../../src/qmp/pc-vm.js';
import { runXenDomain, type RunXenResult } from '../../src/xen-hvm/run-xen-domain.js';
import { parseScenario, runScenario } from '../../src/xen-hvm/scenario.js';
import { classifyTeardown } from '../../src/xen-hvm/teardown-cause.js';
import { managedDomain } from './harness.js';

const ROOT = join(__dirname, '../..');
type Dom = Awaited<ReturnType<typeof managedDomain>>;

interface Ours { outcome: Verdict['outcome']; actor: string | null; root: string | null }
interface Row {
  name: string;
  /** What the lifecycle manager and the guest do (QEMU mode). */
  qemu: (d: Dom) => Promise<void>;
  expect: { ours: Ours; qemu: string; xen: string; libvirt: string };
  /** The same path under Xen mode, and what our chain says there (teardown cause, actor, root). */
  xen?: { run: () => RunXenResult; ours: { outcome: string; actor: string; root: string } };
}

const scenarioFile = (f: string) => () =>
  runScenario(parseScenario(readFileSync(join(ROOT, 'scenarios/xen', f), 'utf8'), f), (p) => new Uint8Array(readFileSync(join(ROOT, p))));
const xenConfig = (kind: string, extra = '') => () =>
  runXenDomain({ configText: `name = "guest"\nmemory = 128\nvcpus = 1\nkernel = "scripted:${kind}"\n${extra}` });

const XEN_POWEROFF = { run: xenConfig('acpi-poweroff'), ours: { outcome: 'guest-acpi-poweroff', actor: 'hypervisor', root: 'guest' } };

const ROWS: Row[] = [
  {
    name: 'guest powers itself off (S5)',
    qemu: async (d) => { d.guest.poweroff(); await d.step(); },
    expect: { ours: { outcome: 'shutdown', actor: 'guest', root: 'guest' }, qemu: 'SHUTDOWN true guest-shutdown',
      xen: 'DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: XEN_POWEROFF,
  },
  {
    name: 'host presses the power button, the guest answers (shutdown --mode acpi / xl trigger power)',
    qemu: async (d) => { d.guest.enablePowerButton(); await d.dom.shutdown('acpi'); d.guest.run(); await d.step(); },
    // QEMU and libvirt say "guest": QEMU records who performed the last step, not who asked (lifecycle.md §6).
    expect: { ours: { outcome: 'shutdown', actor: 'guest', root: 'host' }, qemu: 'SHUTDOWN true guest-shutdown',
      xen: 'DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: { run: scenarioFile('xl-shutdown-hvm-force.json'), ours: { outcome: 'toolstack-acpi-button', actor: 'hypervisor', root: 'host' } },
  },
  {
    name: 'shutdown --mode agent (xl shutdown through control/shutdown): the agent acts, never the guest kernel',
    qemu: async (d) => { await d.dom.shutdown('agent'); await d.step(); },
    expect: { ours: { outcome: 'shutdown', actor: 'agent', root: 'host' }, qemu: 'SHUTDOWN true guest-shutdown',
      xen: 'DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: { run: scenarioFile('xl-shutdown-pv.json'), ours: { outcome: 'toolstack-pv-shutdown', actor: 'guest', root: 'host' } },
  },
  {
    name: 'guest reboots itself through 0xCF9 (on_reboot = restart)',
    qemu: async (d) => { d.guest.reset('cf9'); await d.step(); },
    expect: { ours: { outcome: 'reset', actor: 'guest', root: 'guest' }, qemu: 'RESET true guest-reset',
      xen: 'DOMAIN_SHUTDOWN reason 1 (reboot), DOMAIN_DEATH', libvirt: 'running (booted)' },
    xen: { run: xenConfig('reboot', 'on_reboot = "restart"\n'), ours: { outcome: 'guest-reboot', actor: 'hypervisor', root: 'guest' } },
  },
  {
    name: 'guest reboots with on_reboot = destroy (QEMU -no-reboot): a shutdown with reason guest-reset',
    qemu: async (d) => { d.guest.reset('cf9'); await d.step(); },
    expect: { ours: { outcome: 'shutdown', actor: 'guest', root: 'guest' }, qemu: 'SHUTDOWN true guest-reset',
      xen: 'DOMAIN_SHUTDOWN reason 1 (reboot), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: { run: xenConfig('reboot', 'on_reboot = "destroy"\n'), ours: { outcome: 'guest-reboot', actor: 'hypervisor', root: 'guest' } },
  },
  {
    name: 'seed 004, from outside: destroy of a running domain (virsh destroy / xl destroy)',
    qemu: async (d) => { await d.dom.destroy(); },
    expect: { ours: { outcome: 'destroyed', actor: 'host', root: 'host' }, qemu: 'none',
      xen: 'DOMAIN_DEATH only', libvirt: 'shut off (destroyed)' },
    xen: { run: scenarioFile('xl-destroy.json'), ours: { outcome: 'destroy', actor: 'host', root: 'host' } },
  },
  {
    name: 'seed 004, from inside: the guest powers off on its own while a graceful shutdown\'s grace period runs; no destroy',
    qemu: async (d) => { await d.dom.shutdownWithGrace('acpi', 5e9); d.guest.poweroff(); await d.step(); d.q.clockStep(6e9); await d.step(); },
    // The guest ignored the button (PWRBTN_EN=0) and powered off on its own before the grace period ran out.
    expect: { ours: { outcome: 'shutdown', actor: 'guest', root: 'guest' }, qemu: 'SHUTDOWN true guest-shutdown',
      xen: 'DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: XEN_POWEROFF,
  },
  {
    name: 'seed 004, the grace period expires: the guest ignored the button and was destroyed from outside',
    qemu: async (d) => { await d.dom.shutdownWithGrace('acpi', 5e9); d.q.clockStep(6e9); await d.step(); },
    expect: { ours: { outcome: 'destroyed', actor: 'host', root: 'host' }, qemu: 'none',
      // xend only logs its timeout and leaves the domain running (xen.md §12): no libxl event at all
      xen: 'no libxl event', libvirt: 'shut off (destroyed)' },
    xen: { run: scenarioFile('ignore-button-timeout.json'), ours: { outcome: 'timeout', actor: 'host', root: 'host' } },
  },
  {
    name: 'seed 001: fake reboot (reboot --mode acpi), then the guest powers itself off',
    qemu: async (d) => {
      d.guest.enablePowerButton();
      await d.dom.reboot('acpi');
      d.guest.run(); // the guest answers the press: S5, which libvirt turns into system_reset + cont
      await d.step();
      expect(domstateText(d.dom.domstate())).toBe('running (booted)');
      // in between: libvirt's system_reset answered the guest's S5, which answered the latched press
      const mid = d.vm.runState.verdict();
      expect([mid.outcome, qmpText(mid), mid.actor, mid.root]).toEqual(['reset', 'RESET false host-qmp-system-reset', 'host', 'host']);
      expect(mid.chain.map((l) => l.requester)).toEqual(['host', 'hypervisor', 'guest', 'host']);
      d.guest.boot();
      d.guest.poweroff(); // later, on its own: the consumed reboot intent must not fake-reboot it again
      await d.step();
    },
    expect: { ours: { outcome: 'shutdown', actor: 'guest', root: 'guest' }, qemu: 'SHUTDOWN true guest-shutdown',
      xen: 'DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: XEN_POWEROFF,
  },
  {
    name: 'seed 002: agent shutdown after an ACPI reboot',
    qemu: async (d) => {
      d.guest.enablePowerButton();
      await d.dom.reboot('acpi');
      d.guest.run();
      await d.step();
      d.guest.boot();
      await d.dom.shutdown('agent');
      await d.step();
    },
    expect: { ours: { outcome: 'shutdown', actor: 'agent', root: 'host' }, qemu: 'SHUTDOWN true guest-shutdown',
      xen: 'DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH', libvirt: 'shut off (shutdown)' },
    xen: { run: scenarioFile('xl-shutdown-pv.json'), ours: { outcome: 'toolstack-pv-shutdown', actor: 'guest', root: 'host' } },
  },
  {
    name: 'host reset (virsh reset / xl trigger reset)',
    qemu: async (d) => { await d.dom.reset(); await d.step(); },
    expect: { ours: { outcome: 'reset', actor: 'host', root: 'host' }, qemu: 'RESET false host-qmp-system-reset',
      xen: 'no libxl event', libvirt: 'running (booted)' },
    xen: { run: scenarioFile('xl-reboot-hvm-force.json'), ours: { outcome: 'running', actor: 'host', root: 'host' } },
  },
  {
    name: 'guest suspends to RAM (S3)',
    qemu: async (d) => { d.guest.suspendRam(); await d.step(); },
    expect: { ours: { outcome: 'suspended', actor: 'guest', root: 'guest' }, qemu: 'SUSPEND', xen: '—', libvirt: 'pmsuspended (unknown)' },
  },
  {
    name: 'guest hibernates (S4): SUSPEND_DISK then SHUTDOWN from one write',
    qemu: async (d) => { d.guest.hibernate(); await d.step(); },
    expect: { ours: { outcome: 'hibernated', actor: 'guest', root: 'guest' }, qemu: 'SHUTDOWN true guest-shutdown', xen: '—', libvirt: 'shut off (shutdown)' },
  },
];

const qmpText = (v: Verdict): string => (v.event ? `${v.event.event}${v.event.data ? ` ${v.event.data.guest} ${v.event.data.reason}` : ''}` : 'none');

describe('four levels: ours, QEMU, Xen/xl, libvirt (issue 14)', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('QEMU mode: %s', async (_, row) => {
    const d = await managedDomain({ ...(row.name.includes('on_reboot = destroy') ? { onReboot: 'destroy' as const } : {}) });
    await row.qemu(d);
    await d.dom.settle();
    const v = d.vm.runState.verdict();
    expect({ outcome: v.outcome, actor: v.actor ?? null, root: v.root ?? null }).toEqual(row.expect.ours);
    expect(qmpText(v)).toBe(row.expect.qemu);
    expect(domstateText(d.dom.domstate())).toBe(row.expect.libvirt);
    // Consistency: the manager's last record carries the VM's own sentence whenever the VM could still be asked.
    const rec = d.dom.records.at(-1);
    if (rec?.verdict) expect(v.sentence.startsWith(rec.verdict.replace(/; (exit \d+|run state [\w-]+)$/, ''))).toBe(true);
    // The agent path never names the guest kernel.
    if (row.expect.ours.actor === 'agent') expect(v.chain.some((l) => l.requester === 'guest')).toBe(false);
  });

  it.each(ROWS.filter((r) => r.xen).map((r) => [r.name, r] as const))('Xen mode: %s', (_, row) => {
    const r = row.xen!.run();
    const first = [...r.libxl.records.values()][0]!;
    expect(xlAnswer(first.events)).toBe(row.expect.xen);
    const outcome = classifyTeardown(first.hd.chain);
    const v = chainVerdict(first.hd.chain.links, { outcome, head: outcome });
    expect({ outcome, actor: v.chain.at(-1)?.requester, root: v.chain[0]?.requester }).toEqual(row.xen!.ours);
  });

  it('acpi=off halt (real kernel): QEMU says nothing and keeps running; libvirt running (booted); Xen "All CPUs offline" is a poweroff', async () => {
    const sys = new PcSystem({ kernel: new Uint8Array(readFileSync(join(ROOT, 'firmware/guests/halt.bin'))) }).powerOn();
    const vm = pcMachineVm(sys.machine, { name: 'halt' });
    const driver = new VmDriver(vm, { idlePollMs: 1 });
    const monitor = new QmpMonitor(vm, driver);
    sys.machine.start();
    const out = sys.run(1e6);
    expect(out.kind).toBe('halted-cli');
    const v = sys.machine.runState.verdict({ kind: 'halted-cli' });
    expect({ outcome: v.outcome, actor: v.actor ?? null, event: qmpText(v) }).toEqual({ outcome: 'halted', actor: null, event: 'none' });
    expect(monitor.domain).toEqual({ state: 'running', reason: 'booted' });
    driver.destroy();
    const x = scenarioFile('acpi-off-halt.json')();
    const first = [...x.libxl.records.values()][0]!;
    expect(xlAnswer(first.events)).toBe('DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH');
    expect(classifyTeardown(first.hd.chain)).toBe('hlt-all-cpus');
  });
});
