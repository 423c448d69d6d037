// The whole Xen path with qemu-dm in its own worker thread (src/ioreq's cross-thread ring): xl create, the guest's
// S5 write crosses to the worker, the DM's remote shutdown comes back through the ring's mailbox, and the outcome
// (events, qemu-dm log, cause) is the in-thread one. Needs the compiled dist/ (npm test builds it first).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernelGuestFactory, runXenDomain, runXenDomainAsync } from '../../src/xen-hvm/run-xen-domain.js';
import { startQemuDmWorker } from '../../src/xen-hvm/qemu-dm-worker-node.js';

const built = existsSync(fileURLToPath(new URL('../../dist/xen-hvm/qemu-dm-worker-module.js', import.meta.url)));
if (!built && process.env.CI !== 'true') console.warn('SKIP worker-DM runs: dist/ is not built (npm run build)');
const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));

describe.runIf(built || process.env.CI === 'true')('runXenDomainAsync with qemu-dm in a worker', () => {
  it('scripted ACPI poweroff: same events, qemu-dm lines and cause as in-thread', async () => {
    const inThread = runXenDomain({ guest: 'acpi-poweroff' });
    const r = await runXenDomainAsync({ guest: 'acpi-poweroff', dmStarter: (o) => startQemuDmWorker(o) });
    expect(r.timeline.some((t) => t.text === 'device model for guest (domain 1) running in a worker')).toBe(true);
    expect(r.qemuDmLog).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    expect(r.libxlEvents.map((e) => e.type)).toEqual(inThread.libxlEvents.map((e) => e.type));
    expect(r.xlLog).toEqual(inThread.xlLog);
    expect(r.virqDomExc).toBe(3);
    expect(r.cause).toBe('guest-acpi-poweroff');
  });

  it('the real poweroff kernel on the CPU, its ioreqs served by the worker', async () => {
    const r = await runXenDomainAsync({
      configText: 'name = "guest"\nmemory = 32\nkernel = "firmware/guests/poweroff.bin"\n',
      guestFactory: kernelGuestFactory(load), dmStarter: (o) => startQemuDmWorker(o),
    });
    expect(r.guestConsole.at(-1)).toBe('PM1a_CNT 0xB004 <- 0x2001 (write 2: SLP_TYP | SLP_EN)');
    expect(r.qemuDmLog).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    expect(r.libxlEvents.map((e) => e.type)).toEqual(['DOMAIN_SHUTDOWN', 'DOMAIN_DEATH']);
  });
});
