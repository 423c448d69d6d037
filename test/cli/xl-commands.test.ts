// acpidm xl list DOMAIN / list -l / info / create checks (issue 15), against an in-process acpidm xen host.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { useXlHost } from '../xl-host.js';

const { dir, xl } = useXlHost('acpidm-xlcmd-', {
  'a.cfg': 'name = "a"\nmemory = 64\nkernel = "scripted:ignore-button"\n',
  'b.cfg': 'name = "b"\nmemory = 32\nkernel = "scripted:ignore-button"\n',
  'nokernel.cfg': 'name = "n"\nmemory = 32\n',
  // xl resolves a relative kernel against the config's folder (this one names a file that is not there)
  'rel.cfg': 'name = "rel"\nmemory = 32\nkernel = "missing-kernel.bin"\n',
});

describe('acpidm xl list / info / create', () => {
  it('list DOMAIN lists only that domain; an unknown one is an error', async () => {
    expect((await xl('create', join(dir, 'a.cfg'))).code).toBe(0);
    expect((await xl('create', join(dir, 'b.cfg'))).code).toBe(0);
    const all = (await xl('list')).out.trim().split('\n');
    expect(all).toHaveLength(4);
    const one = await xl('list', 'b');
    expect(one.code).toBe(0);
    const rows = one.out.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^b +2 +32 +1 /);
    const bad = await xl('list', 'nosuch');
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('nosuch is an invalid domain identifier (rc=-6)\n');
  });

  it('list -l prints the domains as JSON (domid and config)', async () => {
    const r = await xl('list', '-l', 'a');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { domid: number; config: { c_info: { name: string }; b_info: { max_memkb: number } } }[];
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ domid: 1, config: { c_info: { name: 'a', type: 'hvm' }, b_info: { max_memkb: 64 * 1024 } } });
  });

  it('info prints key : value lines', async () => {
    const r = await xl('info');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^nr_domains +: 3$/m);
    expect(r.out).toMatch(/^virt_caps +: hvm$/m);
  });

  it('a config with no kernel = is an error naming the file', async () => {
    const r = await xl('create', join(dir, 'nokernel.cfg'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, 'nokernel.cfg')}: no kernel = "FILE" line`);
  });

  it("a relative kernel = is taken from the config file's folder, as xl does", async () => {
    const r = await xl('create', join(dir, 'rel.cfg'));
    // the host reports the resolved path it could not read: the config's folder, not the client's cwd
    expect(r.err).toContain(join(dir, 'missing-kernel.bin'));
  });

  it('xl --help needs no host', async () => {
    const io = captureIo();
    expect(await main(['xl', '--socket', join(dir, 'none.sock'), '--help'], io)).toBe(0);
    expect(io.out).toContain('list [-l|--long] [DOMAIN]');
  });
});

describe('malformed input: one line naming the file, no stack trace', () => {
  it('xen scenario with a file that is not JSON', async () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{bad');
    const io = captureIo();
    expect(await main(['xen', 'scenario', f], io)).toBe(1);
    expect(io.err.trim().split('\n')).toHaveLength(1);
    expect(io.err).toContain(`${f}: not JSON`);
    expect(io.err).not.toMatch(/\n\s+at /);
  });

  it('acpi sleep-types: a bad checksum warns, --strict makes it an error; a missing file exits 1 like a malformed one', async () => {
    const d = join(dir, 'tables');
    expect(await main(['acpi', 'dump', d], captureIo())).toBe(0);
    const { readFileSync } = await import('node:fs');
    const b = new Uint8Array(readFileSync(join(d, 'DSDT')));
    b[9] ^= 0x55; // the checksum byte
    writeFileSync(join(d, 'DSDT.bad'), b);
    const w = captureIo();
    expect(await main(['acpi', 'sleep-types', join(d, 'DSDT.bad')], w)).toBe(0);
    expect(w.err).toContain('DSDT checksum mismatch');
    const s = captureIo();
    expect(await main(['acpi', 'sleep-types', '--strict', join(d, 'DSDT.bad')], s)).toBe(1);
    expect(s.err).toContain('checksum mismatch (--strict)');
    const missing = captureIo();
    const malformed = captureIo();
    writeFileSync(join(d, 'short'), 'DSDT');
    expect(await main(['acpi', 'fadt', join(d, 'nothing')], missing)).toBe(await main(['acpi', 'fadt', join(d, 'short')], malformed));
    expect(missing.err).toContain('no such file');
  });
});
