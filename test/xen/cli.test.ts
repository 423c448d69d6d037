// `acpidm xen host` + `acpidm xl` over the control socket: xl's output and exit codes, the log files, and the
// xenstored socket read by Debian's xenstore-utils (skipped locally without them, required on CI).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useXlHost } from '../xl-host.js';

const host = useXlHost('acpidm-xl-', {
  'pwr.cfg': 'name = "pwr"\nmemory = 64\nvcpus = 1\nkernel = "scripted:pwrbtn"\n',
  'bad.cfg': 'name = "bad"\nkernel = "scripted:pwrbtn"\non_poweroff = "explode"\n',
});
const { dir, sock, xsSock, xl } = host;

function haveXenstoreUtils(): boolean {
  try {
    execFileSync('which', ['xenstore-ls'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}


describe('acpidm xl against acpidm xen host', () => {
  it('create, list, shutdown without PV drivers fails, shutdown -F -w powers off, logs are written', async () => {
    const c = await xl('create', join(dir, 'pwr.cfg'));
    expect(c).toMatchObject({ code: 0, err: `Parsing config from ${join(dir, 'pwr.cfg')}\n` });
    const l = await xl('list');
    expect(l.code).toBe(0);
    const rows = l.out.trim().split('\n');
    expect(rows[0]).toBe('Name                                        ID   Mem VCPUs      State   Time(s)');
    expect(rows[1]).toMatch(/^Domain-0 +0 +1024 +1 +r-----/);
    expect(rows[2]).toMatch(/^pwr +1 +64 +1 +/);
    const s = await xl('shutdown', 'pwr');
    expect(s.code).toBe(1);
    expect(s.err).toBe('Shutting down domain 1\nPV control interface not available: external graceful shutdown not possible.\n'
      + 'Use "-F" to fallback to ACPI power event.\nshutdown failed (rc=-10)\n');
    const f = await xl('shutdown', '-F', '-w', 'pwr');
    expect(f.code).toBe(0);
    expect(f.err.split('\n').slice(0, 3)).toEqual(['Shutting down domain 1', 'PV control interface not available: sending ACPI power button event.', 'Waiting for 1 domains']);
    // The monitor destroys the domain; wait for it in (scaled) real time.
    for (let i = 0; i < 100 && host.srv.host.hv.domains.size > 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await xl('list')).out.trim().split('\n')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 30)); // log flush tick
    expect(readFileSync(join(dir, 'log', 'qemu-dm-pwr.log'), 'utf8')).toBe('shutdown requested in cpu_handle_ioreq\nIssued domain 1 poweroff\n');
    expect(readFileSync(join(dir, 'log', 'xl-pwr.log'), 'utf8')).toContain('Domain 1 has shut down, reason code 0 0x0\nAction for shutdown reason code 0 is destroy\n');
    expect((await xl('console', '1')).code).toBe(2); // gone
  });

  it('config errors and unknown domains give xl\'s messages', async () => {
    expect(await xl('create', join(dir, 'bad.cfg'))).toMatchObject({ code: 1, err: `Parsing config from ${join(dir, 'bad.cfg')}\nUnknown on_poweroff action "explode" specified\n` });
    expect(await xl('destroy', 'nosuch')).toMatchObject({ code: 2, err: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect(await xl('destroy', '0')).toMatchObject({ code: 1, err: 'Not destroying domain 0; use -f to force.\n' });
    expect(await xl('create', join(dir, 'missing.cfg'))).toMatchObject({ code: 1 });
  });

  it('xenstore-ls (xenstore-utils) reads the host\'s xenstored over XENSTORED_PATH', async () => {
    if (!haveXenstoreUtils()) {
      if (process.env.CI === 'true') throw new Error('xenstore-utils missing on CI');
      console.warn('skipping: xenstore-utils (xenstore-ls) not installed');
      return;
    }
    await xl('create', join(dir, 'pwr.cfg'));
    const env = { ...process.env, XENSTORED_PATH: xsSock };
    const out = await new Promise<string>((resolve, reject) => {
      import('node:child_process').then(({ execFile }) => execFile('xenstore-read', ['/local/domain/2/name'], { env }, (e, so) => (e ? reject(e) : resolve(so))));
    });
    expect(out.trim()).toBe('pwr');
    expect(existsSync(xsSock)).toBe(true);
    expect((await xl('destroy', 'pwr')).code).toBe(0);
  });
});
