/**
 * Peer comparison: every guest kernel, driven by the same host actions
 * (firmware/tools/scenarios.mjs), prints the same debug-console bytes and
 * raises the same QMP events on acpidm as it did on real QEMU 7.2
 * (firmware/expected/, recorded by firmware/record-qemu.sh).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runScenario, scenarios } from './kernel-scenarios.js';
import { comparableEvents } from '../../firmware/tools/qemu-run.mjs';

// q35 (ICH9) is not modelled; xen-pv on a pc machine is the ACPI fallback, covered like poweroff.
const names = Object.keys(scenarios).filter((n) => !scenarios[n]!.machine);

describe('guest kernels behave on acpidm as on real QEMU', () => {
  it('covers every pc scenario', () => {
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  it.each(names)('%s: same debug console, same events', (name) => {
    const r = runScenario(name);
    const expectedOut = readFileSync(join(ROOT, 'firmware/expected', `${name}.qemu.txt`), 'latin1');
    const expectedEvents = JSON.parse(readFileSync(join(ROOT, 'firmware/expected', `${name}.qemu-events.json`), 'utf8'));
    expect(r.output).toBe(expectedOut);
    expect(comparableEvents(r.events)).toEqual(comparableEvents(expectedEvents));
  });

  it('pwrbtn: the guest S5 answers the host power-button press in the cause chain', () => {
    const r = runScenario('pwrbtn');
    const links = r.sys.machine.runState.chain.links;
    const press = links.find((l) => l.requester === 'host')!;
    const s5 = links.find((l) => l.mechanism === 'pm1a-cnt')!;
    expect(press).toBeDefined();
    // the S5 answers the PIIX4's latch of the press (PWRBTN_STS), which answers the press
    expect(r.sys.machine.runState.chain.ancestry(s5).map((l) => l.id)).toEqual([press.id, s5.answers, s5.id]);
    expect(s5.requester).toBe('guest');
    expect(s5.evidence).toMatchObject({ cs: 8, eip: expect.any(Number) });
    expect(s5.evidence).toMatchObject({ port: 0x604, value: 0x2001, slpTyp: 0, state: 'S5' });
  });
});

describe('S4 cause chain', () => {
  it('hibernate: SUSPEND_DISK and SHUTDOWN share the one link of the PM1a_CNT write', () => {
    const r = runScenario('hibernate');
    const links = r.sys.machine.runState.chain.links.filter((l) => l.mechanism === 'pm1a-cnt');
    expect(links).toHaveLength(1);
    const log = r.sys.machine.runState.log;
    expect(log.find((e) => e.event === 'SUSPEND_DISK')!.cause).toBe(links[0]);
    expect(log.find((e) => e.event === 'SHUTDOWN')!.cause).toBe(links[0]);
    expect(links[0]!.evidence).toMatchObject({ value: 0x2800, slpTyp: 2, state: 'S4' });
  });
});
