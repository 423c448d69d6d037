// `acpidm xl cause DOM`: the xl client prints the domain's verdict from the chain the host holds, in the words
// `acpidm run --xen` and the QEMU-mode clients use (issue 14: one answer in every client).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { domainVerdict } from '../../src/xen-hvm/domain-verdict.js';
import { useXlHost } from '../xl-host.js';

const host = useXlHost('acpidm-xlcause-', { 'pwr.cfg': 'name = "pwr"\nmemory = 64\nvcpus = 1\nkernel = "scripted:pwrbtn"\n' });
const { dir, xl } = host;

describe('acpidm xl cause', () => {
  it('after xl shutdown -F -w (the ACPI button): the guest\'s S5 answered the toolstack\'s button; same sentence as the host\'s record', async () => {
    expect((await xl('create', join(dir, 'pwr.cfg'))).code).toBe(0);
    expect((await xl('shutdown', '-F', '-w', 'pwr')).code).toBe(0);
    const c = await xl('cause', '1');
    expect(c.code).toBe(0);
    const rec = host.srv.xl.libxl.records.get(1)!;
    expect(c.out).toBe(`verdict: ${domainVerdict(rec).sentence}\n`);
    expect(c.out).toMatch(/^verdict: d1 "pwr": toolstack-acpi-button \[xl: DOMAIN_SHUTDOWN reason 0 \(poweroff\), DOMAIN_DEATH\] by the machine: .*answering the guest: outw 0xb004 <== 0x2001 .*answering the host: xl trigger power/);
    expect((await xl('cause', 'pwr')).out).toBe(c.out); // by name, too
    const none = await xl('cause', 'nosuch');
    expect(none).toMatchObject({ code: 1, err: "xl cause: no domain 'nosuch' (a name or a domid this host created)\n" });
  });
});
