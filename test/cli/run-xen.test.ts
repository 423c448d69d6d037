import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';

const guest = (n: string) => join(__dirname, '../../firmware/guests', `${n}.bin`);

describe('acpidm run --xen: one HVM domain from boot to domain_destroy', () => {
  it('the poweroff kernel reads hvmloader\'s tables, its S5 write becomes an ioreq, and the domain is destroyed', async () => {
    const io = captureIo();
    expect(await main(['run', '--xen'], io)).toBe(0);
    const out = io.out;
    expect(out).toMatch(/\(d1\) FADT: PM1a_EVT 0xB000 .* PM1a_CNT 0xB004/);
    expect(out).toMatch(/xen_ioreq_send d1v0 PIO write port 0xb004 size 2 data 0x2001/);
    expect(out).toContain('shutdown requested in cpu_handle_ioreq');
    expect(out).toMatch(/Issued domain 1 poweroff/);
    // domain_shutdown → VIRQ_DOM_EXC → @releaseDomain → xl on_poweroff=destroy → kill → destroy
    const order = ['is_shut_down (code 0)', 'DOMAIN_SHUTDOWN(0)', 'Domain 1 has shut down, reason code 0 0x0',
      'Action for shutdown reason code 0 is destroy', 'd1 dying', 'd1 dead', 'complete_domain_destroy', 'DOMAIN_DEATH domid 1'];
    const at = order.map((s) => out.indexOf(s));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(out).toContain('VIRQ_DOM_EXC sent 3 times');
    expect(out).toContain('verdict: d1 "guest": guest-acpi-poweroff [xl: DOMAIN_SHUTDOWN reason 0 (poweroff)');
    expect(out).toMatch(/#1 guest via pm1a-cnt: outw 0xb004 <== 0x2001/);
  });

  it('an acpi=off style halt ends with Xen\'s "All CPUs offline" poweroff', async () => {
    const io = captureIo();
    expect(await main(['run', '--xen', '-kernel', guest('halt')], io)).toBe(0);
    expect(io.out).toContain('All CPUs offline -- powering off.');
    expect(io.out).toContain('verdict: d1 "guest": hlt-all-cpus [xl: DOMAIN_SHUTDOWN reason 0 (poweroff)');
  });

  it('-no-shutdown maps to on_poweroff = "preserve": the shut-down domain stays listed', async () => {
    const io = captureIo();
    expect(await main(['run', '--xen', '-no-shutdown'], io)).toBe(0);
    expect(io.out).toContain('Action for shutdown reason code 0 is preserve');
    expect(io.out).toMatch(/guest\s+1\s+128\s+1\s+---s--/);
    expect(io.out).toContain("VIRQ_DOM_EXC sent 1 times");
  });

  it('with --dm-worker qemu-dm serves the ioreqs from its own worker thread with the same outcome', async () => {
    const io = captureIo();
    expect(await main(['run', '--xen', '--dm-worker'], io)).toBe(0);
    expect(io.out).toContain('qemu-dm in a worker thread');
    expect(io.out).toContain('shutdown requested in cpu_handle_ioreq');
    expect(io.out).toContain('verdict: d1 "guest": guest-acpi-poweroff');
  });
});
