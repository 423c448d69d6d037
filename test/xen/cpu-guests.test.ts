// The firmware kernels (firmware/guests/*.bin) unchanged on acpidm's CPU in Xen mode: hvmloader's tables,
// Xen's pmtimer, the ioreq path to qemu-dm, the hypervisor, xenstored and xl. Each test asserts the guest's own
// output, every layer's log lines and libxl's events (xen.md §1, §7, §9, §11, §12).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelGuestFactory, runXenDomain, type XenAction } from '../../src/xen-hvm/run-xen-domain.js';

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));

function run(kernel: string, extra = '', actions: XenAction[] = [], limitNs = 30e9) {
  return runXenDomain({
    configText: `name = "guest"\nmemory = 32\nvcpus = 1\nkernel = "firmware/guests/${kernel}.bin"\n${extra}`,
    guestFactory: kernelGuestFactory(load), actions, limitNs,
  });
}

describe('firmware kernels in Xen mode', () => {
  it('poweroff: reads Xen\'s tables (V1 ports, _S5 = 0), writes 0x2001 to 0xB004, never runs again', () => {
    const r = run('poweroff');
    expect(r.guestConsole).toContain('FADT: PM1a_EVT 0xB000 PM1b_EVT 0x0000 PM1a_CNT 0xB004 PM1b_CNT 0x0000 PM_TMR 0xB008');
    expect(r.guestConsole).toContain('AML: \\_S5_ Package(4) {0, 0, 0, 0} -> SLP_TYPa 0 SLP_TYPb 0');
    // The last line is the write itself: the "still running" check after it never prints.
    expect(r.guestConsole.at(-1)).toBe('PM1a_CNT 0xB004 <- 0x2001 (write 2: SLP_TYP | SLP_EN)');
    expect(r.qemuDmLog).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    expect(r.libxlEvents.map((e) => e.type)).toEqual(['DOMAIN_SHUTDOWN', 'DOMAIN_DEATH']);
    expect(r.xlLog.slice(1)).toEqual(['Domain 1 has shut down, reason code 0 0x0', 'Action for shutdown reason code 0 is destroy',
      'Domain 1 needs to be cleaned up: destroying the domain', 'Done. Exiting now']);
    expect(r.cause).toBe('guest-acpi-poweroff');
    expect(r.virqDomExc).toBe(3);
    // PM1a_STS/EN writes were served by Xen's pmtimer; of the PM block only PM1a_CNT went to the device model (and
    // GPE0 at 0xAFE0, which is qemu-dm's under Xen: hvmloader's ACPI_GPE0_BLK_ADDRESS_V1).
    const sent = new Set(r.timeline.filter((t) => t.text.startsWith('xen_ioreq_send')).map((t) => Number(t.text.match(/port (0x[0-9a-f]+)/)![1])));
    expect(sent.has(0xb004)).toBe(true);
    expect([...sent].filter((p) => p !== 0xb004 && !(p >= 0xafe0 && p <= 0xafe3))).toEqual([]);
    // The guest's S5 link names the OUT instruction (CS:EIP and the instruction count), as QEMU mode's links do.
    const s5 = r.chain.find((l) => l.mechanism === 'pm1a-cnt')!;
    expect(s5.evidence).toMatchObject({ port: 0xb004, value: 0x2001, cs: 0x08 });
    expect(s5.evidence!['eip']).toBeGreaterThanOrEqual(0x100000);
    expect(s5.evidence!['insns']).toBeGreaterThan(0);
  });

  it('pwrbtn: xl shutdown -F presses the button; Xen sets PWRBTN_STS, the SCI reaches the guest on IRQ 9 through the vPIC', () => {
    const r = run('pwrbtn', '', [{ at: 1e9, xl: ['shutdown', '-F', '-w', 'guest'] }]);
    expect(r.guestConsole).toContain('waiting for the power button');
    const i = r.guestConsole.indexOf('SCI: PWRBTN_STS set');
    expect(r.guestConsole.slice(i, i + 4)).toEqual(['SCI: PWRBTN_STS set', 'PM1a_STS 0xB000 <- 0x0100 (clear PWRBTN_STS)', 'power button pressed',
      'ACPI: PM: Preparing to enter system sleep state S5']);
    expect(r.guestConsole.at(-1)).toBe('PM1a_CNT 0xB004 <- 0x2001 (write 2: SLP_TYP | SLP_EN)');
    expect(r.commands[1]!.err.slice(0, 2)).toEqual(['Shutting down domain 1', 'PV control interface not available: sending ACPI power button event.']);
    expect(r.qemuDmLog).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    // The guest's S5 answers the host's (delivered) button press.
    expect(r.cause).toBe('toolstack-acpi-button');
  });

  it('halt (acpi=off poweroff): cli; hlt → "All CPUs offline -- powering off." → reason 0', () => {
    const r = run('halt');
    expect(r.guestConsole.at(-1)).toBe('reboot: System halted');
    expect(r.xenConsole).toContain('(XEN) d1v0 All CPUs offline -- powering off.');
    expect(r.qemuDmLog).toEqual([]);
    expect(r.libxlEvents.map((e) => (e.type === 'DOMAIN_SHUTDOWN' ? `S${e.reason}` : 'D'))).toEqual(['S0', 'D']);
    expect(r.cause).toBe('hlt-all-cpus');
  });

  it('reboot-cf9 with on_reboot=destroy: qemu-dm issues SHUTDOWN_reboot, xl destroys', () => {
    const r = run('reboot-cf9', 'on_reboot = "destroy"');
    expect(r.qemuDmLog).toEqual(['reset requested in cpu_handle_ioreq.', 'Issued domain 1 reboot']);
    expect(r.xlLog).toContain('Action for shutdown reason code 1 is destroy');
    expect(r.cause).toBe('guest-reboot');
  });

  it('triple-fault: Xen applies HVM_PARAM_TRIPLE_FAULT_REASON (libxl sets reboot)', () => {
    const r = run('triple-fault', 'on_reboot = "preserve"');
    expect(r.xenConsole).toContain('(XEN) d1v0 Triple fault - invoking HVM shutdown action 1');
    expect(r.libxlEvents).toMatchObject([{ type: 'DOMAIN_SHUTDOWN', reason: 1 }]);
    expect(r.list.at(-1)).toMatch(/^guest +1 +32 +1 +---s--/);
  });

  it('xen-pv: its own xenbus driver on the ring with event-channel upcalls: xl shutdown -w works, the guest acks and powers off with ACPI S5', () => {
    const r = run('xen-pv', '', [{ at: 1e9, xl: ['shutdown', '-w', 'guest'] }]);
    expect(r.guestConsole).toContain('Xen: XenVMMXenVMM at CPUID 0x40000000, version 4.17');
    expect(r.guestConsole).toContain('Xen: HVM_PARAM_CALLBACK_IRQ <- GSI 10: event-channel upcalls on IRQ 10');
    // libxl sees HVM_PARAM_CALLBACK_IRQ != 0: PV control is available, and the guest acknowledges within the 60 s.
    expect(r.commands[1]).toMatchObject({ code: 0, err: ['Shutting down domain 1', 'Waiting for 1 domains', 'Domain 1 has been shut down, reason code 0'] });
    const tail = r.guestConsole.slice(r.guestConsole.lastIndexOf('xenstore: watch event control/shutdown'));
    expect(tail.slice(0, 7)).toEqual([
      'xenstore: watch event control/shutdown', 'xenstore: transaction start -> "2"', 'xenstore: read control/shutdown -> "poweroff"',
      'xenstore: write control/shutdown "" -> "OK"', 'xenstore: transaction end T -> "OK"', 'ACPI: PM: Preparing to enter system sleep state S5',
      'reboot: Power down',
    ]);
    expect(r.guestConsole.at(-1)).toBe('PM1a_CNT 0xB004 <- 0x2001 (write 2: SLP_TYP | SLP_EN)');
    // The guest slept in hlt until the upcall: no SCHEDOP_yield polling, and IRQ 10 was taken on the vPIC.
    const hc = r.host.trace.find('xen_hypercall').map((x) => String(x.args['op']));
    expect(hc.filter((op) => op.includes('SCHEDOP_yield'))).toEqual([]);
    expect(r.host.trace.find('pic_interrupt').filter((x) => x.args['irq'] === 10).length).toBeGreaterThan(3);
    // Who did it: the toolstack's control/shutdown, acknowledged by the guest, answered by its S5 write.
    expect(r.chain.map((l) => `${l.requester}/${l.mechanism}`)).toEqual(['host/xenstore-control', 'guest/xenstore-control', 'guest/pm1a-cnt',
      'hypervisor/schedop-remote-shutdown', 'host/domctl-destroy']);
    expect(r.chain[2]!.answers).toBe(r.chain[0]!.id);
    expect(r.cause).toBe('toolstack-pv-shutdown');
    expect(r.qemuDmLog).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    expect(r.libxlEvents.map((e) => e.type)).toEqual(['DOMAIN_SHUTDOWN', 'DOMAIN_DEATH']);
  });
});
