// `acpidm run --xen` honours or refuses, with a reason, every acpidm/QEMU option that means something in QEMU mode
// (issue 15's list, Xen-mode plumbing): --max-insns, -S, -debugcon, -trace/-D, --json, DEBUG, and --dm-worker alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import createDebug from 'debug';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../tmp-dir.js';

const guest = (n: string) => join(__dirname, '../../firmware/guests', `${n}.bin`);

describe('acpidm run --xen options', () => {
  it('--max-insns is the guest\'s instruction budget: the poweroff guest stopped before its S5 write, exit 4', async () => {
    const io = captureIo();
    expect(await main(['run', '--xen', '--max-insns', '10000'], io)).toBe(4);
    expect(io.err).toContain('instruction budget (--max-insns 10000) ran out');
    expect(io.out).toContain('(d1) acpidm guest: poweroff');
    expect(io.out).not.toContain('Issued domain 1 poweroff');
    // The default budget is plenty for the same guest.
    const full = captureIo();
    expect(await main(['run', '--xen', '-kernel', guest('poweroff')], full)).toBe(0);
    expect(full.out).toContain('Issued domain 1 poweroff');
  });

  it('-S and -debugcon are refused with the reason, before anything runs', async () => {
    const s = captureIo();
    expect(await main(['run', '--xen', '-S'], s)).toBe(2);
    expect(s.err).toMatch(/-S is QEMU mode only/);
    expect(s.out).toBe('');
    const d = captureIo();
    expect(await main(['run', '--xen', '-debugcon', 'stdio'], d)).toBe(2);
    expect(d.err).toMatch(/-debugcon is QEMU mode only; under Xen, port 0xE9 is the hypervisor's guest console/);
  });

  it('--dm-worker without --xen is refused', async () => {
    const io = captureIo();
    expect(await main(['run', '--dm-worker'], io)).toBe(2);
    expect(io.err).toMatch(/--dm-worker .* add --xen/);
  });

  it('--json prints the timeline as JSON lines and the verdict record', async () => {
    const io = captureIo();
    expect(await main(['run', '--xen', '--json'], io)).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.find((l) => l['text'] === 'VIRQ_DOM_EXC #1 for d1')).toMatchObject({ layer: 'xen' });
    expect(lines.at(-1)).toMatchObject({ exitStatus: 0, reason: 'guest-acpi-poweroff' });
    expect(io.out).not.toContain('who did it');
  });

  it('-trace PATTERN -D FILE writes the matching trace records as JSON lines', async () => {
    const file = join(tempDir('acpidm-xen'), 'trace.jsonl');
    const io = captureIo();
    expect(await main(['run', '--xen', '--quiet', '-trace', 'xen_domain_*', '-D', file], io)).toBe(0);
    const recs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(new Set(recs.map((r) => r.event))).toEqual(new Set(['xen_domain_create', 'xen_domain_shutdown', 'xen_domain_shut_down', 'xen_domain_kill',
      'xen_domain_destroy', 'xen_domain_pause']));
    expect(io.out).toBe('');
  });

  it('DEBUG=acpidm:xen prints the hypervisor\'s events through `debug` in Xen mode', async () => {
    const lines: string[] = [];
    const prevLog = createDebug.log;
    createDebug.log = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
    createDebug.enable('acpidm:xen');
    try {
      expect(await main(['run', '--xen', '--quiet'], captureIo())).toBe(0);
    } finally {
      createDebug.disable();
      createDebug.log = prevLog;
    }
    expect(lines.some((l) => l.includes('acpidm:xen') && l.includes('xen_domain_shutdown'))).toBe(true);
    expect(lines.every((l) => l.includes('acpidm:xen'))).toBe(true);
  });

  it('a file that is neither a bzImage nor Multiboot is refused before anything runs (exit 1, no stack trace); so is -initrd with a Multiboot kernel', async () => {
    const bad = captureIo();
    expect(await main(['run', '--xen', '-kernel', join(__dirname, '../../firmware/guests/xen-pv.asm')], bad)).toBe(1);
    expect(bad.err).toMatch(/^acpidm run: --xen: -kernel '.*xen-pv\.asm': no Multiboot header/);
    expect(bad.err).not.toMatch(/\n\s+at /);
    const rd = captureIo();
    expect(await main(['run', '--xen', '-kernel', guest('poweroff'), '-initrd', guest('halt')], rd)).toBe(1);
    expect(rd.err).toMatch(/^acpidm run: --xen: -kernel '.*poweroff\.bin': -initrd needs a Linux kernel image/);
    expect(rd.err).not.toMatch(/\n\s+at /);
    const missing = captureIo();
    expect(await main(['run', '--xen', '-kernel', guest('poweroff'), '-initrd', '/nonexistent/initrd'], missing)).toBe(1);
    expect(missing.err).toMatch(/-initrd '\/nonexistent\/initrd' does not exist/);
  });

  it('-append becomes xl\'s cmdline= and reaches the kernel\'s Multiboot command line', async () => {
    const { kernelGuestFactory, runXenDomain } = await import('../../src/xen-hvm/run-xen-domain.js');
    const { CpuGuest } = await import('../../src/xen-hvm/cpu-guest.js');
    const r = runXenDomain({
      configText: `name = "guest"\nmemory = 32\nkernel = "${guest('pwrbtn')}"\ncmdline = "console=hvc0 acpi=force"\n`,
      guestFactory: kernelGuestFactory((p) => new Uint8Array(readFileSync(p))), limitNs: 1e6, runToLimit: true,
    });
    const g = [...r.libxl.records.values()][0]!.hd.guest as InstanceType<typeof CpuGuest>;
    const dv = new DataView(g.ram.buffer, g.ram.byteOffset);
    expect(g.loaded.kind).toBe('multiboot');
    const info = g.loaded.kind === 'multiboot' ? g.loaded.multiboot.ebx : 0;
    expect(dv.getUint32(info, true) & 4).toBe(4); // MULTIBOOT_INFO_CMDLINE
    const at = dv.getUint32(info + 16, true);
    const bytes = g.ram.subarray(at, g.ram.indexOf(0, at));
    expect(new TextDecoder().decode(bytes)).toBe('console=hvc0 acpi=force');
  });
});
