// Issue 14's sessions, as a user types them: a real guest kernel behind a real QMP socket, `acpidm domain` clients
// in "other terminals". Every client prints the VM's one verdict (src/machine/verdict.ts); none re-derives it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import { pollUntil, serveQmp } from '../qmp-vm.js';

const guests = join(__dirname, '../../firmware/guests');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What `acpidm run -kernel K -no-shutdown -qmp unix:…` sets up: the real kernel, the modelled agent. */
async function vm(name: string) {
  const sys = new PcSystem({ kernel: new Uint8Array(readFileSync(join(guests, `${name}.bin`))), noShutdown: true }).powerOn();
  const { svc, path, close } = await serveQmp(sys, { name, agent: true, start: true });
  cleanups.push(close);
  const until = (what: () => boolean) => pollUntil(what);
  await until(() => sys.machine.debugconOutput.includes('waiting for the power button'));
  const domain = async (...args: string[]) => {
    const io = captureIo();
    const code = await main(['domain', path, ...args], io);
    return { code, out: io.out, err: io.err };
  };
  return { sys, svc, path, domain, until };
}

/** The sentence without its last clause (`; exit 0` after the VM ended, `; run state shutdown` before). */
const core = (sentence: string) => sentence.replace(/; (exit \d+|run state \w[\w-]*)$/, '');
const unwrap = (text: string) => text.replace(/\n {2}/g, ' ');

describe('one answer in every client (issue 14)', () => {
  it('event --loop and shutdown --mode acpi on the pwrbtn kernel: the watcher prints the VM\'s verdict — the guest answered the host\'s press', async () => {
    const v = await vm('pwrbtn');
    const watch = captureIo();
    const watching = main(['domain', v.path, 'event', '--loop'], watch);
    await new Promise((r) => setTimeout(r, 50));
    const off = await v.domain('shutdown', '--mode', 'acpi');
    expect(off.code).toBe(0);
    expect(await watching).toBe(0);
    expect(await v.svc.driver.exited).toBe(0);
    const verdict = v.sys.machine.runState.verdict();
    // The VM: guest code's S5 (its CS:EIP and instruction count) answered the PIIX4's latch of the host's press.
    expect(verdict.sentence).toMatch(/^shut down \[SHUTDOWN \{guest: true, reason: guest-shutdown\}\] by the guest: outw 0x0604 <== 0x2001 \(S5\) at 0008:[0-9a-f]{8}, insn [\d,]+ \(#\d+\), answering the machine: PIIX4 latched PWRBTN_STS \(PWRBTN_EN=1\), SCI raised \(#\d+\), answering the host: QMP system_powerdown \(#\d+\)/);
    expect(verdict.followUp.map((l) => l.what)).toContain('QMP quit');
    // The watcher: libvirt's words, then exactly the VM's sentence.
    const cause = unwrap(watch.out.slice(watch.out.indexOf('cause: ')));
    expect(cause.startsWith(`cause: shutoff (shutdown) ← ${core(verdict.sentence)}; `)).toBe(true);
    expect(watch.out).not.toMatch(/on its own/);
    // The other terminal: no literal `#?`, no "unverified … (latched)".
    expect(off.err).toMatch(/shutdown intent #op1 bound to power button press #\d+ \(latched: PWRBTN_EN=1\)/);
    expect(off.err + off.out).not.toMatch(/#\?|unverified/);
    for (const l of [...watch.out.split('\n'), ...off.out.split('\n')]) expect(l.length).toBeLessThanOrEqual(100);
  });

  it('shutdown --mode agent on the pwrbtn kernel (CPU in HLT): the modelled agent wrote S5; the guest kernel is never named; no-op requests are not links', async () => {
    const v = await vm('pwrbtn');
    // Requests that change nothing: a cont while running, an agent command the agent does not know.
    const io = captureIo();
    expect(await main(['qmp', v.path, 'cont'], io)).toBe(0);
    const io2 = captureIo();
    await main(['qmp', v.path, 'x-acpidm-guest-agent', '{"execute":"guest-info"}'], io2);
    expect(io2.out + io2.err).toContain('CommandNotFound');
    const insnsBefore = v.sys.machine.clock.instructions;
    const off = await v.domain('shutdown', '--mode', 'agent');
    expect(off.code).toBe(0);
    expect(await v.svc.driver.exited).toBe(0);
    expect(v.sys.machine.clock.instructions).toBe(insnsBefore); // the guest kernel did not run a single instruction
    const rs = v.sys.machine.runState;
    const verdict = rs.verdict();
    expect(verdict.chain.map((l) => `${l.requester}/${l.mechanism}: ${l.what}`)).toEqual([
      'host/agent: QMP guest agent guest-shutdown', 'agent/pm1a-cnt: outw 0x0604 <== 0x2001 (S5)']);
    expect(verdict.chain[1]!.answers).toBe(verdict.chain[0]!.id);
    expect(verdict.actor).toBe('agent');
    expect(verdict.sentence).toMatch(/by the modelled guest agent \(host code, the guest kernel did not run\): outw 0x0604 <== 0x2001 \(S5\) \(#\d+\), answering the host: QMP guest agent guest-shutdown/);
    expect(rs.chain.links.some((l) => l.requester === 'guest')).toBe(false);
    // The no-op requests are in the request log, not in the chain.
    expect(rs.chain.links.map((l) => l.what)).not.toContain('QMP cont');
    expect(rs.chain.links.map((l) => l.what)).not.toContain('QMP guest agent guest-info');
    expect(rs.chain.requests.map((r) => `${r.what}: ${r.outcome}`)).toEqual([
      'QMP cont: changed nothing (running)', 'QMP guest agent guest-info: CommandNotFound: The command guest-info has not been found']);
    // this client leaves while the VM is being shut down (libvirt: "in shutdown"); the sentence is the VM's
    expect(unwrap(off.out)).toContain(`cause: shutdown (unknown) ← ${core(verdict.sentence)}`);
    expect(off.out).not.toMatch(/by the guest[: ]/);
  });

  it('libvirt\'s state reasons are kept by the VM: booted at start, user after suspend, unpaused after resume — across reconnects', async () => {
    const v = await vm('pwrbtn');
    expect((await v.domain('domstate', '--reason')).out).toBe('running (booted)\n');
    const s = await v.domain('suspend');
    expect(s.out).toContain("event 'lifecycle' for domain 'pwrbtn': Suspended Paused");
    expect(s.out).toMatch(/cause: paused \(user\) ← paused \[STOP\] by the host: QMP stop/);
    // a new connection, a new client: the reason is still there
    expect((await v.domain('domstate', '--reason')).out).toBe('paused (user)\n');
    expect((await v.domain('domstate', '--reason')).out).toBe('paused (user)\n');
    await v.domain('resume');
    expect((await v.domain('domstate', '--reason')).out).toBe('running (unpaused)\n');
    const c = await v.domain('cause');
    expect(unwrap(c.out)).toMatch(/^verdict: running again after a pause \[RESUME\] by the host: QMP cont \(#\d+\), answering none; run state running\n/);
  });
});
