// Real libvirt (Debian's 9.0) drives acpidm as its QEMU, with no wrapper: <emulator> is bin/acpidm-qemu.js. The same
// virsh commands run against real qemu-system-x86_64 give the oracle: `virsh event --loop --all` transcripts are
// compared line by line (issue 18). Then seed 002 — `virsh reboot --mode acpi` immediately followed by
// `virsh shutdown --mode agent` — on both emulators (our own manager's answer: test/lifecycle/four-levels.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../tmp-dir.js';
import { ACPIDM_EMULATOR, Libvirtd, libvirtMissing, pwrbtnDomainXml, QEMU_EMULATOR, sleep, timesWaiting, waitFor } from './libvirt-harness.js';

const ci = process.env.CI === 'true';
const missing = libvirtMissing();
const EMULATORS = { acpidm: ACPIDM_EMULATOR, qemu: QEMU_EMULATOR } as const;
type Emu = keyof typeof EMULATORS;

describe.runIf(missing === null || ci)('real libvirt 9.0 with acpidm as its emulator (issue 18)', () => {
  let lv: Libvirtd;
  let dir: string;
  const debugcon = (name: string) => join(dir, `${name}.debugcon`);

  beforeAll(async () => {
    if (missing) throw new Error(`${missing} is required when CI=true`);
    dir = tempDir('acpidm-libvirt');
    lv = await Libvirtd.start(dir);
  }, 60_000);

  afterAll(async () => {
    await lv?.stop();
  }, 60_000);

  async function define(name: string, emu: Emu): Promise<void> {
    const xml = join(dir, `${name}.xml`);
    writeFileSync(xml, pwrbtnDomainXml({ name, emulator: EMULATORS[emu], debugcon: debugcon(name) }));
    await lv.ok('define', xml);
  }

  /** Start and wait until the guest waits for the button (so a press is not lost to a guest still booting). */
  async function start(name: string): Promise<void> {
    await lv.ok('start', name);
    await waitFor(() => timesWaiting(debugcon(name)) >= 1, `${name}: the guest to wait for the power button`);
  }

  const shutOff = (name: string) => waitFor(async () => (await lv.state(name)).startsWith('shut off'), `${name} to shut off`);

  it('probes, defines, starts and destroys an acpidm domain (libvirt: no wrapper, QEMU 7.2.0 reported)', async () => {
    await define('probe', 'acpidm');
    const caps = await lv.ok('domcapabilities', '--emulatorbin', ACPIDM_EMULATOR, '--virttype', 'qemu');
    expect(caps).toContain("<machine>pc-i440fx-7.2</machine>");
    await start('probe');
    expect(await lv.state('probe')).toBe('running (booted)');
    // libvirt's own record of what it ran: the version it read over QMP, and acpidm's command line
    const log = lv.qemuLog('probe');
    expect(log).toMatch(/qemu version: 7\.2\.0acpidm/);
    expect(log).toMatch(/-chardev socket,id=charmonitor,fd=\d+,server=on,wait=off/);
    await lv.ok('destroy', 'probe');
    expect(await lv.state('probe')).toBe('shut off (destroyed)');
  }, 180_000);

  /** start, shutdown --mode acpi, start, reboot --mode acpi, destroy; the lifecycle transcript. */
  async function fourCommands(emu: Emu): Promise<{ events: string[]; states: string[] }> {
    const name = `four-${emu}`;
    await define(name, emu);
    const ev = lv.events();
    await sleep(2000); // virsh event registers with libvirtd before the domain starts
    const states: string[] = [];
    await start(name);
    states.push(await lv.state(name));
    await lv.ok('shutdown', '--mode', 'acpi', name);
    await shutOff(name);
    states.push(await lv.state(name));
    await start(name);
    await lv.ok('reboot', '--mode', 'acpi', name);
    // the fake reboot: the guest powers off, libvirt resets and continues it, and it waits for the button again
    // (two REBOOTs at least: libvirt's system_reset and the firmware's hard reboot after it, see below)
    await waitFor(() => timesWaiting(debugcon(name)) >= 2 && ev.count(/'reboot'/) >= 2, `${name}: the guest back after the ACPI reboot`);
    await sleep(1500);
    states.push(await lv.state(name));
    await lv.ok('destroy', name);
    await shutOff(name);
    states.push(await lv.state(name));
    await sleep(1000);
    ev.stop();
    // agent-lifecycle differs on purpose (see below); the rest must match
    return { events: ev.transcript(name).filter((l) => !l.startsWith("event 'agent-lifecycle'")), states };
  }

  it('virsh start / shutdown --mode acpi / reboot --mode acpi / destroy: the same lifecycle events as real QEMU 7.2', async () => {
    const a = await fourCommands('acpidm');
    const q = await fourCommands('qemu');
    // libvirt sends REBOOT for every QMP RESET (qemu_process.c qemuProcessHandleReset). The fake reboot's
    // system_reset is one; then the firmware, entered again after it already ran POST (HaveRunPost in its shadowed
    // F-segment, kept across the reset), hard-reboots the machine: SeaBIOS resume.c handle_resume → tryReboot →
    // fw/shadow.c qemu_reboot writes 0x02, 0x06 to 0xCF9 (RESET {guest: true, reason: guest-reset}). acpidm's
    // built-in firmware does the same (src/machine/seabios-post.ts), so its transcript is exactly this:
    const expected = [
      "event 'lifecycle' for domain 'DOM': Resumed Unpaused",
      "event 'lifecycle' for domain 'DOM': Started Booted",
      "event 'lifecycle' for domain 'DOM': Shutdown Finished after guest request",
      "event 'lifecycle' for domain 'DOM': Stopped Shutdown",
      "event 'lifecycle' for domain 'DOM': Resumed Unpaused",
      "event 'lifecycle' for domain 'DOM': Started Booted",
      "event 'reboot' for domain 'DOM'",
      "event 'reboot' for domain 'DOM'",
      "event 'lifecycle' for domain 'DOM': Shutdown Finished after host request",
      "event 'lifecycle' for domain 'DOM': Stopped Destroyed",
    ];
    expect(a.events).toEqual(expected);
    expect(a.states).toEqual(['running (booted)', 'shut off (shutdown)', 'running (booted)', 'shut off (destroyed)']);
    expect(q.states).toEqual(a.states);
    // Real QEMU: the same, with 2 REBOOTs or more. SeaBIOS follows its 0xCF9 write with `int3`, which the vCPU runs
    // before it stops (TCG handles the exception before the stop request) and which triple-faults (no 32-bit IDT):
    // a second guest-reset request. QEMU's main loop merges it with the first when it has not yet taken that one,
    // else it is one more RESET, which lands in the next POST (and, once POST has set HaveRunPost again, causes one
    // more hard reboot). A race between QEMU's vCPU thread and its main loop: 2, 3 and 4 RESETs in all were seen
    // with QEMU 7.2 alone (QMP system_reset after the guest's S5; `-d int` shows the triple fault every time).
    // acpidm services a reset request at the OUT, so the int3 never runs: QEMU's merged case, every time.
    const isReboot = (l: string) => l.startsWith("event 'reboot'");
    const qReboots = q.events.filter(isReboot).length;
    expect(qReboots).toBeGreaterThanOrEqual(2);
    const firstReboot = q.events.findIndex(isReboot);
    expect(q.events.slice(firstReboot, firstReboot + qReboots).every(isReboot)).toBe(true); // one run of REBOOT lines
    expect([...q.events.slice(0, firstReboot + 2), ...q.events.slice(firstReboot + qReboots)]).toEqual(expected);
  }, 300_000);

  /** Seed 002 under real libvirt: reboot --mode acpi, then at once shutdown --mode agent. */
  async function seed002(emu: Emu): Promise<{ agent: string; final: string; events: string[] }> {
    const name = `seed002-${emu}`;
    await define(name, emu);
    const ev = lv.events();
    await sleep(2000); // virsh event registers with libvirtd before the domain starts
    await start(name);
    await lv.ok('reboot', '--mode', 'acpi', name);
    const agent = await lv.virsh('shutdown', '--mode', 'agent', name);
    // settle: either the domain shuts off, or the reboot completes and the guest waits for the button again
    await waitFor(async () => (await lv.state(name)).startsWith('shut off') || timesWaiting(debugcon(name)) >= 2, `${name} to settle`);
    await sleep(2000);
    const final = await lv.state(name);
    if (!final.startsWith('shut off')) await lv.ok('destroy', name);
    ev.stop();
    return { agent: agent.code === 0 ? agent.out.trim() : agent.err.trim(), final, events: ev.transcript(name) };
  }

  it('seed 002 with real libvirt: acpidm shuts off (its modelled agent answers); real QEMU reboots (no agent in the guest)', async () => {
    const a = await seed002('acpidm');
    // The guest answers the button within milliseconds, so libvirt meets its SHUTDOWN on either side of the agent
    // request. Before it: fake reboot (system_reset + cont), then the agent powers the guest off. After it: the
    // agent request already cleared fakeReboot, so libvirt takes the guest's own S5 as a shutdown and kills the
    // emulator while guest-shutdown is on its way (virsh: the agent connection ends — reset or EOF, both observed).
    // (or, on a loaded machine, lands while the guest is already stopped in its S5: "Guest agent is not responding")
    expect(a.agent).toMatch(/^(Domain 'seed002-acpidm' is being shutdown|error: Failed to shutdown domain 'seed002-acpidm'\nerror: .*agent.*)$/);
    // Observed both: shut off (the agent or the guest's own S5 wins) and running (the agent request met the guest
    // already stopped in its S5, was refused, and the fake reboot went on): seed 002's race, reproduced.
    expect(a.final).toMatch(/^(shut off \(shutdown\)|running \(booted\))$/);
    if (a.final.startsWith('running')) expect(a.agent).toMatch(/Guest agent is not responding/);
    const q = await seed002('qemu');
    // The pwrbtn guest runs no qemu-guest-agent: on QEMU the port stays closed and libvirt refuses agent mode.
    expect(q.agent).toMatch(/QEMU guest agent is not connected/);
    expect(q.final).toBe('running (booted)');
    // (the event transcripts are recorded, not asserted: a loaded machine can start `virsh event` late)
  }, 300_000);
});

if (missing !== null && !ci) {
  describe('real libvirt (skipped)', () => {
    it.skip(`skipped: ${missing} missing; required when CI=true`, () => {});
  });
}
