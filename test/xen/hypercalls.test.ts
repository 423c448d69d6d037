// Hypercalls from the outside: argument structs written into the caller's memory, Xen's return codes and
// effects checked (xen/common/sched/core.c do_sched_op, xen/arch/x86/hvm/dm.c, xen/common/domctl.c,
// xen/arch/x86/domctl.c, xen/arch/x86/hvm/hvm.c, xen/common/domain.c).
import { describe, expect, it } from 'vitest';
import { Trace } from '../../src/trace/trace.js';
import { Hypervisor } from '../../src/xen-hvm/hypervisor.js';
import { hypercall } from '../../src/xen-hvm/hypercalls.js';
import { XenCtrl } from '../../src/xen-hvm/xenctrl.js';
import { domainInfo } from '../../src/xen-hvm/domain.js';
import * as X from '../../src/xen-hvm/xen-abi.js';

function setup() {
  const trace = new Trace();
  const hv = new Hypervisor(trace, () => 0);
  const virq: number[] = [];
  hv.bindDomExc(() => virq.push(1));
  const a = hv.createDomain({ vcpus: 2, pages: 64 });
  const b = hv.createDomain({ vcpus: 1, pages: 64 });
  const dom0 = new XenCtrl(hv, hv.dom0.vcpus[0]!);
  const asA = new XenCtrl(hv, a.vcpus[0]!);
  return { hv, a, b, dom0, asA, virq };
}

/** Write bytes into a domain's memory at `addr` and issue a hypercall from its vCPU 0. */
function call(hv: Hypervisor, d: ReturnType<Hypervisor['createDomain']>, nr: number, args: (number | bigint)[], at = 0x1800, bytes: number[] = []) {
  d.mem.bytes.set(bytes, at);
  return hypercall(hv, d.vcpus[0]!, nr, args);
}

describe('SCHEDOP_remote_shutdown (do_sched_op)', () => {
  it('-EPERM unless the caller is the control domain or the target\'s device-model domain', () => {
    const { hv, a, b, asA } = setup();
    expect(asA.domainShutdown(b.id, X.SHUTDOWN_poweroff)).toBe(-X.EPERM);
    expect(b.isShuttingDown).toBe(false);
    a.target = b.id; // a becomes b's device-model (stub) domain
    expect(asA.domainShutdown(b.id, X.SHUTDOWN_poweroff)).toBe(0);
    expect(b.isShutDown).toBe(true);
    void hv;
  });

  it('-ESRCH for no such domain; 0 even when nothing changes; the first code wins', () => {
    const { a, dom0 } = setup();
    expect(dom0.domainShutdown(999, 0)).toBe(-X.ESRCH);
    expect(dom0.domainShutdown(a.id, X.SHUTDOWN_reboot)).toBe(0);
    expect(dom0.domainShutdown(a.id, X.SHUTDOWN_poweroff)).toBe(0);
    expect(a.shutdownCode).toBe(X.SHUTDOWN_reboot);
    expect((domainInfo(a).flags >>> 16) & 0xff).toBe(X.SHUTDOWN_reboot);
  });

  it('-EFAULT when the argument is outside the caller\'s memory; unknown op -ENOSYS; never throws', () => {
    const { hv, a } = setup();
    expect(call(hv, a, X.HYPERVISOR_sched_op, [X.SCHEDOP_remote_shutdown, a.mem.bytes.length - 4])).toBe(-X.EFAULT);
    expect(call(hv, a, X.HYPERVISOR_sched_op, [X.SCHEDOP_shutdown, -1])).toBe(-X.EFAULT);
    expect(call(hv, a, X.HYPERVISOR_sched_op, [X.SCHEDOP_shutdown, 2n ** 63n])).toBe(-X.EFAULT);
    expect(call(hv, a, X.HYPERVISOR_sched_op, [99, 0])).toBe(-X.ENOSYS);
    expect(call(hv, a, 77, [])).toBe(-X.ENOSYS);
  });
});

describe('SCHEDOP_shutdown / shutdown_code / yield / block', () => {
  it('SCHEDOP_shutdown takes (u8)reason without range check; shutdown_code only records', () => {
    const { hv, a, b } = setup();
    expect(call(hv, b, X.HYPERVISOR_sched_op, [X.SCHEDOP_shutdown_code, 0x1800], 0x1800, [4, 0, 0, 0])).toBe(0);
    expect(b.shutdownCode).toBe(4);
    expect(b.isShuttingDown).toBe(false);
    expect(call(hv, a, X.HYPERVISOR_sched_op, [X.SCHEDOP_shutdown, 0x1800], 0x1800, [0x07, 0x01, 0, 0])).toBe(0);
    expect(a.shutdownCode).toBe(7); // 0x107 & 0xff, out of SHUTDOWN_MAX but accepted
    expect(a.isShutDown).toBe(true); // the calling vCPU is not deferring: both vCPUs paused
  });

  it('yield returns 0, block marks the vCPU blocked', () => {
    const { hv, a } = setup();
    expect(call(hv, a, X.HYPERVISOR_sched_op, [X.SCHEDOP_yield, 0])).toBe(0);
    expect(call(hv, a, X.HYPERVISOR_sched_op, [X.SCHEDOP_block, 0])).toBe(0);
    expect(a.vcpus[0]!.blocked).toBe(true);
  });
});

describe('SCHEDOP_watchdog (domain_watchdog)', () => {
  it('id 0 allocates one of two timers, re-arm/delete by id, -ENOSPC when both are used, -EINVAL for bad ids', () => {
    const { hv, a, asA } = setup();
    const v = a.vcpus[0]!;
    let fire: (() => void) | null = null;
    hv.setTimer = (_t, _n, f) => { fire = f; return () => { fire = null; }; };
    expect(asA.watchdogFrom(v, 0, 10)).toBe(1);
    expect(asA.watchdogFrom(v, 0, 10)).toBe(2);
    expect(asA.watchdogFrom(v, 0, 10)).toBe(-28); // -ENOSPC
    expect(asA.watchdogFrom(v, 3, 10)).toBe(-X.EINVAL);
    expect(asA.watchdogFrom(v, 2, 0)).toBe(0); // delete timer 2
    expect(asA.watchdogFrom(v, 2, 5)).toBe(-X.EINVAL); // no longer in use
    expect(asA.watchdogFrom(v, 1, 5)).toBe(0); // re-arm timer 1
    (fire as unknown as () => void)();
    expect(a.shutdownCode).toBe(X.SHUTDOWN_watchdog);
    expect(hv.console.at(-1)).toBe(`(XEN) Watchdog timer 0 fired for d${a.id}`);
  });
});

describe('domain_shutdown deferral and VIRQ_DOM_EXC (xen/common/domain.c)', () => {
  it('a vCPU mid-I/O is skipped; the domain completes when its deferral ends', () => {
    const { hv, a, dom0, virq } = setup();
    const v0 = a.vcpus[0]!;
    expect(hv.vcpuStartShutdownDeferral(v0)).toBe(true);
    dom0.domainShutdown(a.id, 0);
    expect(a.isShuttingDown).toBe(true);
    expect(a.isShutDown).toBe(false);
    expect(v0.pausedForShutdown).toBe(false);
    expect(virq).toHaveLength(0);
    hv.vcpuEndShutdownDeferral(v0);
    expect(a.isShutDown).toBe(true);
    hv.pump.drain();
    expect(virq).toHaveLength(1);
  });

  it('a crash cancels deferrals; a vCPU that starts I/O after the shutdown is paused instead', () => {
    const { hv, a, b, dom0 } = setup();
    hv.vcpuStartShutdownDeferral(a.vcpus[0]!);
    dom0.domainShutdown(a.id, X.SHUTDOWN_crash);
    expect(a.isShutDown).toBe(true);
    dom0.domainShutdown(b.id, 0);
    expect(hv.vcpuStartShutdownDeferral(b.vcpus[0]!)).toBe(false);
  });

  it('resumedomain clears the state and code and unpauses', () => {
    const { a, dom0 } = setup();
    dom0.domainShutdown(a.id, 1);
    expect(dom0.domainResume(a.id)).toBe(0);
    expect([a.isShuttingDown, a.isShutDown, a.shutdownCode]).toEqual([false, false, X.SHUTDOWN_CODE_INVALID]);
    expect(a.vcpus.every((v) => v.pauseCount === 0)).toBe(true);
  });

  it('VIRQ_DOM_EXC: shutdown, dead, freed = 3 sends; coalesced while pending', () => {
    const { hv, a, dom0, virq } = setup();
    dom0.domainShutdown(a.id, 0);
    expect(dom0.domainDestroy(a.id)).toBe(0);
    expect(hv.domExcSent.get(a.id)).toBe(3);
    expect(hv.domains.has(a.id)).toBe(false);
    hv.pump.drain();
    expect(virq).toHaveLength(1); // one pending bit: xenstored rescans anyway
  });

  it('all vCPUs halted with IF=0 powers the domain off; one vCPU left online does not', () => {
    const { hv, a } = setup();
    hv.vcpuDown(a.vcpus[0]!);
    expect(a.isShuttingDown).toBe(false);
    hv.vcpuDown(a.vcpus[1]!);
    expect(a.shutdownCode).toBe(X.SHUTDOWN_poweroff);
    expect(hv.console.at(-1)).toBe(`(XEN) d${a.id}v1 All CPUs offline -- powering off.`);
  });

  it('triple fault uses HVM_PARAM_TRIPLE_FAULT_REASON', () => {
    const { hv, a, dom0 } = setup();
    expect(dom0.setParam(a.id, X.HVM_PARAM_TRIPLE_FAULT_REASON, 1n)).toBe(0);
    hv.tripleFault(a.vcpus[0]!);
    expect(hv.console.at(-1)).toBe(`(XEN) d${a.id}v0 Triple fault - invoking HVM shutdown action 1`);
    expect(a.shutdownCode).toBe(X.SHUTDOWN_reboot);
  });
});

describe('domctl (destroy, pause, sendtrigger, getdomaininfo)', () => {
  it('needs the control domain and the interface version', () => {
    const { hv, a, b, asA } = setup();
    expect(asA.domainPause(b.id)).toBe(-X.EPERM);
    const v = new DataView(hv.dom0.mem.bytes.buffer);
    v.setUint32(0x1800, X.XEN_DOMCTL_pausedomain, true);
    v.setUint32(0x1804, 0x14, true); // Xen 4.16's version
    v.setUint16(0x1808, a.id, true);
    expect(hypercall(hv, hv.dom0.vcpus[0]!, X.HYPERVISOR_domctl, [0x1800])).toBe(-X.EACCES);
  });

  it('pause/unpause by the controller: paused flag, -EINVAL when not paused', () => {
    const { a, dom0 } = setup();
    expect(dom0.domainUnpause(a.id)).toBe(-X.EINVAL);
    expect(dom0.domainPause(a.id)).toBe(0);
    expect(dom0.getInfo(a.id)!.flags & X.XEN_DOMINF_paused).toBe(X.XEN_DOMINF_paused);
    expect(dom0.domainUnpause(a.id)).toBe(0);
    expect(dom0.getInfo(a.id)!.flags & X.XEN_DOMINF_paused).toBe(0);
  });

  it('sendtrigger: POWER/SLEEP reach the HVM domain, RESET/INIT are -ENOSYS on x86, bad vCPU -ESRCH', () => {
    const { a, dom0 } = setup();
    let pressed = 0;
    a.hooks.powerButton = () => pressed++;
    expect(dom0.sendTrigger(a.id, X.XEN_DOMCTL_SENDTRIGGER_POWER)).toBe(0);
    expect(pressed).toBe(1);
    expect(dom0.sendTrigger(a.id, X.XEN_DOMCTL_SENDTRIGGER_RESET)).toBe(-X.ENOSYS);
    expect(dom0.sendTrigger(a.id, X.XEN_DOMCTL_SENDTRIGGER_POWER, 5)).toBe(-X.ESRCH);
    expect(dom0.sendTrigger(999, X.XEN_DOMCTL_SENDTRIGGER_POWER)).toBe(-X.ESRCH);
  });

  it('destroydomain is preemptible (-ERESTART continuations) and refuses the caller itself', () => {
    const { hv, dom0 } = setup();
    const big = hv.createDomain({ pages: 512 * 256 });
    expect(dom0.domainDestroy(big.id)).toBe(0);
    expect(hv.trace.find('xen_hypercall').length).toBe(0); // not enabled: nothing recorded, no cost
    expect(hv.domains.has(big.id)).toBe(false);
    expect(dom0.domainDestroy(0)).toBe(-X.EINVAL);
  });

  it('a backend mapping keeps a killed domain alive (dead, dying flag) until it unmaps', () => {
    const { hv, a, dom0 } = setup();
    hv.mapForeign(hv.dom0, a, 8);
    expect(dom0.domainDestroy(a.id)).toBe(0);
    expect(a.dying).toBe('dead');
    const info = dom0.getInfo(a.id)!;
    expect(info.flags & X.XEN_DOMINF_dying).toBe(X.XEN_DOMINF_dying);
    expect(info.totPages).toBe(8);
    expect(hv.domExcSent.get(a.id)).toBe(1);
    hv.unmapForeign(hv.dom0, a);
    expect(dom0.getInfo(a.id)).toBeNull();
    expect(hv.domExcSent.get(a.id)).toBe(2);
  });

  it('getdomaininfo returns the next domain at or above the id (xc_domain_getinfolist walks it)', () => {
    const { a, b, dom0 } = setup();
    expect(dom0.listInfo().map((i) => i.domid)).toEqual([0, a.id, b.id]);
  });
});

describe('HVMOP_get_param / set_param', () => {
  it('a guest may set CALLBACK_IRQ on itself but not IOREQ_PFN; -EINVAL past HVM_NR_PARAMS; -EPERM on others', () => {
    const { hv, a, b, asA, dom0 } = setup();
    expect(asA.setParamFrom(a.vcpus[0]!, X.HVM_PARAM_CALLBACK_IRQ, 28n)).toBe(0);
    expect(dom0.getParam(a.id, X.HVM_PARAM_CALLBACK_IRQ)).toEqual({ rc: 0, value: 28n });
    expect(asA.setParamFrom(a.vcpus[0]!, X.HVM_PARAM_IOREQ_PFN, 1n)).toBe(-X.EPERM);
    expect(dom0.setParam(a.id, X.HVM_NR_PARAMS, 1n)).toBe(-X.EINVAL);
    expect(asA.getParam(b.id, X.HVM_PARAM_CALLBACK_IRQ).rc).toBe(-X.EPERM);
    expect(dom0.setParam(a.id, X.HVM_PARAM_ACPI_IOPORTS_LOCATION, 2n)).toBe(-X.EINVAL);
    void hv;
  });
});

describe('dm_op XEN_DMOP_remote_shutdown', () => {
  it('shuts down an HVM target; -EPERM on itself, -ESRCH missing, -EINVAL for bad pad or nr_bufs', () => {
    const { hv, a, b, dom0, asA } = setup();
    expect(asA.dmShutdown(a.id, 0)).toBe(-X.EPERM);
    expect(dom0.dmShutdown(999, 0)).toBe(-X.ESRCH);
    expect(hypercall(hv, hv.dom0.vcpus[0]!, X.HYPERVISOR_dm_op, [b.id, 0, 0x1000])).toBe(-X.EINVAL);
    expect(dom0.dmShutdown(b.id, 0)).toBe(0);
    expect(b.isShutDown).toBe(true);
  });
});

describe('EVTCHNOP_send', () => {
  it('-EINVAL for a port that is not open', () => {
    const { asA } = setup();
    expect(asA.evtchnSend(42)).toBe(-X.EINVAL);
  });
});
