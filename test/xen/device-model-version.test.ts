// Which qemu-dm serves the domain (xen.md §7): qemu-xen-traditional by default, as in the seeds (i386-dm/helper2.c
// destroy_hvm_domain → xc_domain_shutdown → SCHEDOP_remote_shutdown, "Issued domain N poweroff"); xl's
// device_model_version="qemu-xen" selects upstream QEMU (hw/xen/xen-hvm-common.c: XEN_DMOP_remote_shutdown, silent).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelGuestFactory, runXenDomain } from '../../src/xen-hvm/run-xen-domain.js';
import { parseXlConfig } from '../../src/xen-hvm/xl-config.js';

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));
const run = (extra: string) => runXenDomain({
  configText: `name = "guest"\nmemory = 32\nkernel = "firmware/guests/poweroff.bin"\n${extra}`, guestFactory: kernelGuestFactory(load),
});
const texts = (r: ReturnType<typeof run>, re: RegExp): string[] => r.timeline.filter((e) => re.test(e.text)).map((e) => e.text);

describe('device_model_version', () => {
  it('default qemu-xen-traditional: cpu_handle_ioreq → destroy_hvm_domain → SCHEDOP_remote_shutdown, "Issued domain 1 poweroff"', () => {
    const r = run('');
    expect(r.qemuDmLog).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    expect(texts(r, /remote_shutdown/)).toEqual([
      'domain_shutdown(d1, 0) code 0 via SCHEDOP_remote_shutdown',
      'xen_hypercall d0v0 SCHEDOP_remote_shutdown d1 reason 0 = 0',
      'destroy_hvm_domain d1 poweroff via SCHEDOP_remote_shutdown rc 0',
      '[guest] #2 hypervisor via schedop-remote-shutdown: qemu-dm SCHEDOP_remote_shutdown(d1, SHUTDOWN_poweroff) (answers #1)',
    ]);
    // The log lines come in qemu-trad's order: the request, the hypercall, then "Issued".
    const order = r.timeline.map((e) => e.text);
    const i = order.indexOf('[guest] shutdown requested in cpu_handle_ioreq');
    const j = order.indexOf('xen_hypercall d0v0 SCHEDOP_remote_shutdown d1 reason 0 = 0');
    const k = order.indexOf('[guest] Issued domain 1 poweroff');
    expect(i).toBeGreaterThan(-1);
    expect(j).toBeGreaterThan(i);
    expect(k).toBeGreaterThan(j);
    expect(r.libxlEvents.map((e) => e.type)).toEqual(['DOMAIN_SHUTDOWN', 'DOMAIN_DEATH']);
  });

  it('device_model_version="qemu-xen": XEN_DMOP_remote_shutdown, and upstream QEMU logs nothing on success', () => {
    const r = run('device_model_version = "qemu-xen"\n');
    expect(r.qemuDmLog).toEqual([]);
    expect(texts(r, /remote_shutdown/).slice(0, 3)).toEqual([
      'domain_shutdown(d1, 0) code 0 via XEN_DMOP_remote_shutdown',
      'xen_hypercall d0v0 XEN_DMOP_remote_shutdown d1 reason 0 = 0',
      'destroy_hvm_domain d1 poweroff via XEN_DMOP_remote_shutdown rc 0',
    ]);
    // The chain names the path taken: the DMOP here, SCHEDOP_remote_shutdown for qemu-xen-traditional.
    expect(r.chain.map((l) => `${l.requester}/${l.mechanism}`).slice(0, 2)).toEqual(['guest/pm1a-cnt', 'hypervisor/dmop-remote-shutdown']);
    expect(r.libxlEvents.map((e) => e.type)).toEqual(['DOMAIN_SHUTDOWN', 'DOMAIN_DEATH']);
    expect(r.cause).toBe('guest-acpi-poweroff');
  });

  it('xl refuses an unknown device_model_version with xl_parse.c\'s message', () => {
    expect(parseXlConfig('name = "g"\n').device_model_version).toBe('qemu-xen-traditional');
    expect(() => parseXlConfig('name = "g"\ndevice_model_version = "qemu-dm"\n')).toThrow('Unknown device_model_version "qemu-dm" specified');
  });
});
