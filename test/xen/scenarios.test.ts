// Every shipped scenario (scenarios/xen/*.json) runs from `xl create` to the end and must reproduce the full
// event sequence and every layer's log lines. Each file names its source (Xen/libxl/xl function, reference section).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkScenario, observe, parseScenario, runScenario } from '../../src/xen-hvm/scenario.js';

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));

const dir = new URL('../../scenarios/xen/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('scenarios/xen', () => {
  it('ships the scenarios the issue asks for', () => {
    for (const n of ['guest-acpi-poweroff', 'xl-shutdown-pv', 'xl-shutdown-hvm-nopv', 'xl-shutdown-hvm-force', 'xl-destroy',
      'ignore-button-timeout', 'acpi-off-halt', 'reboot-restart', 'backend-holds-mapping']) {
      expect(files).toContain(`${n}.json`);
    }
  });

  it.each(files)('%s', (f) => {
    const spec = parseScenario(readFileSync(new URL(f, dir), 'utf8'), f);
    expect(spec.source.length).toBeGreaterThan(0);
    const r = runScenario(spec, load);
    const got = observe(r);
    const e = spec.expect;
    // Field by field for readable diffs, then the whole check (sequence, console order).
    if (e.libxl) expect(got.libxl).toEqual(e.libxl);
    if (e.xlLog) expect(got.xlLog).toEqual(e.xlLog);
    if (e.qemuDmLog) expect(got.qemuDmLog).toEqual(e.qemuDmLog);
    if (e.xendLog) expect(got.xendLog).toEqual(e.xendLog);
    if (e.commands) expect(got.commands).toEqual(e.commands);
    if (e.virqDomExc !== undefined) expect(got.virqDomExc).toBe(e.virqDomExc);
    if (e.cause) expect(got.cause).toBe(e.cause);
    expect(checkScenario(spec, r)).toEqual([]);
  });

  it('a scenario that expects the wrong thing fails (the checker can fail)', () => {
    const spec = parseScenario(readFileSync(new URL('guest-acpi-poweroff.json', dir), 'utf8'));
    spec.expect = { ...spec.expect, cause: 'destroy', sequence: [['libxl', 'DOMAIN_DEATH domid 1'], ['libxl', 'DOMAIN_SHUTDOWN(0) domid 1']] };
    const bad = checkScenario(spec, runScenario(spec, load));
    expect(bad).toHaveLength(2);
  });

  it('a scripted guest needs a written reason; the files that have one say why no firmware kernel plays the part', () => {
    const noReason = JSON.stringify({ name: 'x', description: '', source: '', config: ['name = "g"', 'kernel = "scripted:idle"'], expect: {} });
    expect(() => parseScenario(noReason, 'x.json')).toThrow(/the guest is scripted: say why/);
    const scripted = readdirSync(dir).filter((f) => f.endsWith('.json'))
      .map((f) => parseScenario(readFileSync(new URL(f, dir), 'utf8'), f))
      .filter((s) => s.config.some((l) => l.includes('scripted:')));
    expect(scripted.map((s) => s.name).sort()).toEqual(['crash-preserve', 'ignore-button-timeout', 'reboot-restart', 'watchdog-expiry',
      'xl-shutdown-pv', 'xl-shutdown-pv-noack']);
    for (const s of scripted) expect(s.scripted!.length).toBeGreaterThan(20);
  });
});
