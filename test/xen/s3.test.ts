// S3 under Xen (xen.md §10): the guest's S3 write reaches qemu-dm, which resets its devices, sets the CMOS resume
// flag (qemu-trad cmos_set_s3_resume) and sets HVM_PARAM_ACPI_S_STATE = 3; Xen's hvm_s3_suspend pauses the domain and
// resets its vCPUs and devices. `xl trigger s3resume` (libxl: HVM_PARAM_ACPI_S_STATE = 0) runs hvm_s3_resume; the
// firmware at the reset vector sees the flag and jumps to the FACS waking vector. Xen's pmtimer never sets WAK_STS
// (pmtimer_reset only zeroes the counter), so firmware/guests/suspend.bin takes the resume for a cold boot and
// suspends again: the wake path ran, through the guest's own trampoline.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelGuestFactory, runXenDomain, type XenAction } from '../../src/xen-hvm/run-xen-domain.js';
import { HVM_PARAM_ACPI_S_STATE } from '../../src/xen-hvm/xen-abi.js';

const load = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../${p}`, import.meta.url)));
const run = (actions: XenAction[]) => runXenDomain({
  configText: 'name = "guest"\nmemory = 32\nkernel = "firmware/guests/suspend.bin"\n', guestFactory: kernelGuestFactory(load),
  actions, limitNs: 3e9, runToLimit: true,
});

describe('S3 under Xen', () => {
  it('the S3 write suspends the domain: ACPI_S_STATE = 3, paused, no shutdown, nothing else runs', () => {
    const r = run([]);
    const d = r.host.hv.domains.get(1)!;
    expect(d.s3Suspended).toBe(true);
    expect(d.isShuttingDown).toBe(false);
    expect(r.host.xc.getParam(1, HVM_PARAM_ACPI_S_STATE).value).toBe(3n);
    expect(r.guestConsole.at(-1)).toBe('PM1a_CNT 0xB004 <- 0x2401 (write 2: SLP_TYP | SLP_EN)');
    expect(r.virqDomExc).toBe(0);
    expect(r.libxlEvents).toEqual([]);
    expect(r.cause).toBe('suspended');
    // The DM's part, in order, inside the ioreq: the S3 decode, then Xen's hvm_s3_suspend via the param.
    const texts = r.timeline.map((e) => e.text);
    const s3 = texts.findIndex((t) => t.includes('acpi_pm1_cnt_write val 0x2401 <== typ 1 SLP_EN -> S3'));
    const susp = texts.findIndex((t) => t.startsWith('xen_hvm_s3 d1 hvm_s3_suspend'));
    const param = texts.indexOf('xen_hypercall d0v0 HVMOP_set_param d1 param 14 = 3 = 0');
    expect(s3).toBeGreaterThan(-1);
    expect(susp).toBeGreaterThan(s3);
    expect(param).toBeGreaterThan(susp);
  });

  it('xl trigger s3resume: ACPI_S_STATE back to 0, the firmware jumps to the waking vector, the guest runs its resume code', () => {
    const r = run([{ at: 1e9, xl: ['trigger', 'guest', 's3resume'] }]);
    const at = (s: string): number => {
      const e = r.timeline.find((x) => x.text.includes(s));
      if (!e) throw new Error(`missing: ${s}`);
      return e.t;
    };
    expect(at('xl trigger guest s3resume')).toBe(1e9);
    expect(at('xen_hypercall d0v0 HVMOP_set_param d1 param 14 = 0 = 0')).toBe(1e9);
    expect(at('hvm_s3_resume: unpaused')).toBe(1e9);
    expect(at('seabios_s3_resume S3 resume: jump to the FACS waking vector 0x2000 in real mode')).toBe(1e9);
    // The guest's trampoline ran and restored the PIIX4 config it saved before suspending.
    const back = r.guestConsole.indexOf('ACPI: back from S3 at the FACS waking vector');
    expect(back).toBeGreaterThan(-1);
    expect(at('(d1) ACPI: back from S3 at the FACS waking vector')).toBeGreaterThan(1e9);
    expect(r.guestConsole[back + 1]).toBe('PCI: 00:01.3 restored PMBA 0x0000B001 PMREGMISC 0x01');
    // No WAK_STS under Xen: the guest sees a cold boot and suspends again, which Xen accepts (a second hvm_s3_suspend).
    expect(r.guestConsole[back + 2]).toBe('cold boot (WAK_STS clear)');
    expect(r.timeline.filter((e) => e.text.startsWith('xen_hvm_s3 d1 hvm_s3_suspend'))).toHaveLength(2);
    expect(r.host.hv.domains.get(1)!.s3Suspended).toBe(true);
    expect(r.cause).toBe('suspended');
  });

  it('s3resume on a domain that is not suspended changes nothing; ACPI_S_STATE cannot be set by the guest on itself', () => {
    const r = runXenDomain({ guest: 'idle', actions: [{ at: 1e6, xl: ['trigger', 'guest', 's3resume'] }], limitNs: 1e7, runToLimit: true });
    expect(r.commands[1]!.code).toBe(0);
    expect(r.host.hv.domains.get(1)!.s3Suspended).toBe(false);
    const d = r.host.hv.domains.get(1)!;
    // hvm.c hvm_set_param: ACPI_S_STATE is not reflexive (the domain would have to pause itself): -EPERM.
    const guestXc = r.host.domains.get(1)!.ctx.xc;
    expect(guestXc.setParamFrom(d.vcpus[0]!, HVM_PARAM_ACPI_S_STATE, 3n)).toBe(-1);
    expect(d.s3Suspended).toBe(false);
    expect(d.isShuttingDown).toBe(false);
  });
});
