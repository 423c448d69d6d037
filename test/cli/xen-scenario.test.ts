// `acpidm xen scenario [--timeline] FILE...` (issue 15, README truth): how to run scenarios/xen and see a scenario's
// timeline.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '../..');
const file = join(root, 'scenarios/xen/guest-acpi-poweroff.json');

describe('acpidm xen scenario', () => {
  it('prints ok per file; --timeline adds the path through every layer, as run --xen prints it', async () => {
    const plain = captureIo();
    expect(await main(['xen', 'scenario', file], plain)).toBe(0);
    expect(plain.out).toBe('ok   guest-acpi-poweroff\n');
    const t = captureIo();
    expect(await main(['xen', 'scenario', '--timeline', file], t)).toBe(0);
    const lines = t.out.split('\n');
    expect(lines[0]).toBe('ok   guest-acpi-poweroff');
    expect(t.out).toMatch(/^ +[\d.]+ s +xl-cli +xl create/m);
    expect(t.out).toMatch(/@releaseDomain/);
    expect(t.out).toMatch(/domain_destroy/);
  });

  it('an unknown option is refused with what is accepted', async () => {
    const io = captureIo();
    expect(await main(['xen', 'scenario', '--verbose', file], io)).toBe(2);
    expect(io.err).toContain("unknown option '--verbose' (--timeline, --diagram OUT.svg)");
  });
});
