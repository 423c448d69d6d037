// Port-level (qtest-style) tests of the Xen-mode I/O path: no guest CPU, the test performs the guest's
// port accesses through the hypervisor's HvmIo, and asserts what Xen, the DM and its log do.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { CauseChain } from '../../src/machine/cause-chain.js';
import { Trace } from '../../src/trace/trace.js';
import { HvmIo } from '../../src/xen-hvm/hvm-io.js';
import { TimerQueue } from '../../src/xen-hvm/timer-queue.js';
import { Hypervisor } from '../../src/xen-hvm/hypervisor.js';
import { QemuDm } from '../../src/xen-hvm/qemu-dm.js';
import { domainInfo } from '../../src/xen-hvm/domain.js';
import { XEN_DOMINF_shutdown } from '../../src/xen-hvm/xen-abi.js';

function setup(vcpus = 1, version?: 'qemu-xen') {
  const clock = new VirtualClock();
  const trace = new Trace(() => clock.ns()).recordEverything();
  const hv = new Hypervisor(trace, () => clock.ns());
  const virqs: number[] = [];
  hv.bindDomExc(() => virqs.push(clock.ns()));
  const d = hv.createDomain({ vcpus, pages: 256 });
  const io = new HvmIo(hv, d, clock, trace, new TimerQueue(clock));
  const chain = new CauseChain();
  const dm = new QemuDm({ hv, io, name: 'g', trace, chain, now: () => clock.ns(), ...(version ? { version } : {}) });
  return { clock, trace, hv, d, io, dm, chain, virqs };
}

describe('Xen-mode PM1a_CNT poweroff (xen.md §1, qemu-trad cpu_handle_ioreq)', () => {
  it('S5 write goes as an ioreq, the DM issues the shutdown before responding, the vCPU pauses on completion', () => {
    const { hv, d, io, dm, trace, chain } = setup();
    const v = d.vcpus[0]!;
    expect(io.out(v, 0xb004, 2, 0x0001)).toBe('done'); // write 1: SLP_TYP only, nothing happens
    expect(d.isShuttingDown).toBe(false);
    expect(io.out(v, 0xb004, 2, 0x2001)).toBe('done');
    expect(dm.log.lines).toEqual(['shutdown requested in cpu_handle_ioreq', `Issued domain ${d.id} poweroff`]);
    expect(d.isShutDown).toBe(true);
    expect(d.shutdownCode).toBe(0);
    expect(v.pausedForShutdown).toBe(true);
    expect(domainInfo(d).flags & XEN_DOMINF_shutdown).toBe(XEN_DOMINF_shutdown);
    const names = trace.history.map((r) => r.name).filter((n) => /^(xen_ioreq|cpu_|destroy_hvm|xen_domain_sh|xen_vcpu|xen_send)/.test(n));
    // The shutdown is issued inside the ioreq (deferral), the vCPU pauses only when the I/O completes.
    expect(names.slice(-10)).toEqual([
      'xen_ioreq_send', 'cpu_handle_ioreq', 'xen_domain_shutdown', 'xen_vcpu_shutdown_deferred', 'destroy_hvm_domain',
      'cpu_ioreq_respond', 'xen_ioreq_complete', 'xen_vcpu_paused_for_shutdown', 'xen_domain_shut_down',
      'xen_send_global_virq',
    ]);
    expect(trace.find('xen_send_global_virq')).toHaveLength(1);
    expect(chain.describe()).toEqual([
      '#1 guest via pm1a-cnt: outw 0xb004 <== 0x2001 (S5, SLP_TYP 0)',
      `#2 hypervisor via schedop-remote-shutdown: qemu-dm SCHEDOP_remote_shutdown(d${d.id}, SHUTDOWN_poweroff) (answers #1)`,
    ]);
    // qemu-xen-traditional's destroy_hvm_domain is xc_domain_shutdown: SCHEDOP_remote_shutdown from dom0, no DMOP.
    expect(trace.find('xen_hypercall').map((r) => r.args['op'])).toEqual(['SCHEDOP_remote_shutdown']);
    void hv;
  });

  it('upstream QEMU (qemu-xen): XEN_DMOP_remote_shutdown, nothing in its log', () => {
    const s = setup(1, 'qemu-xen');
    s.io.out(s.d.vcpus[0]!, 0xb004, 2, 0x2000);
    expect(s.d.isShutDown).toBe(true);
    expect(s.trace.find('xen_hypercall').map((r) => r.args['op'])).toEqual(['XEN_DMOP_remote_shutdown']);
    expect(s.trace.find('destroy_hvm_domain')[0]!.args).toMatchObject({ via: 'XEN_DMOP_remote_shutdown', rc: 0 });
    expect(s.dm.log.lines).toEqual([]);
  });

  it('upstream QEMU falls back to SCHEDOP_remote_shutdown when the DMOP is unavailable (ENOTTY: no error line)', () => {
    const s = setup(1, 'qemu-xen');
    s.dm.o.noDmop = true;
    s.io.out(s.d.vcpus[0]!, 0xb004, 2, 0x2000);
    expect(s.trace.find('destroy_hvm_domain')[0]!.args).toMatchObject({ via: 'SCHEDOP_remote_shutdown', rc: 0 });
    expect(s.trace.find('destroy_hvm_domain_action').map((r) => r.args)).toEqual([{ domid: s.d.id, action: 'poweroff' }]);
    expect(s.dm.log.lines).toEqual([]);
  });

  it('qemu-trad\'s table (src/acpi QEMU_XEN_TRADITIONAL_POLICY): V0 S5 = 7 and S4 = 6 shut down, V0 S3 = 5 suspends, 2 does nothing', () => {
    for (const [typ, what] of [[7, 'shutdown'], [6, 'shutdown'], [5, 's3'], [2, 'none']] as const) {
      const s = setup();
      s.io.out(s.d.vcpus[0]!, 0xb004, 2, 0x2000 | (typ << 10));
      expect(s.d.isShutDown, `SLP_TYP ${typ}`).toBe(what === 'shutdown');
      expect(s.d.s3Suspended, `SLP_TYP ${typ}`).toBe(what === 's3');
    }
  });

  it('a byte write at +0 never triggers; a byte at +1 merges with the low byte and triggers (qemu-trad)', () => {
    const s = setup();
    const v = s.d.vcpus[0]!;
    s.io.out(v, 0xb004, 1, 0x01);
    expect(s.d.isShuttingDown).toBe(false);
    s.io.out(v, 0xb005, 1, 0x20);
    expect(s.d.isShutDown).toBe(true);
  });

  it('PM1a_STS/EN and the timer are served by Xen, never the DM; unclaimed ports hit the null handler', () => {
    const s = setup();
    const v = s.d.vcpus[0]!;
    s.io.out(v, 0xb002, 2, 0x0100); // PWRBTN_EN
    s.io.in(v, 0xb000, 4);
    expect(s.io.readValue[0]).toBe(0x0100_0000);
    s.clock.advance(1_000_000); // 1 ms = 3579 ticks
    s.io.in(v, 0xb008, 4);
    expect(s.io.readValue[0]).toBe(3579);
    s.io.in(v, 0xb008, 2); // HVM_PMT bad access
    expect(s.io.readValue[0]).toBe(0xffff_ffff);
    s.io.in(v, 0x80, 1);
    expect(s.io.readValue[0]).toBe(0xff);
    expect(s.trace.find('cpu_handle_ioreq')).toHaveLength(0);
  });

  it('a bad ioreq type stops the DM with a named error, the domain stays inspectable, the host does not throw', () => {
    const s = setup();
    const v = s.d.vcpus[0]!;
    s.io.out(v, 0xcf8, 4, 0x8000_0800); // a sane request first
    s.dm.page[30] = 1; // READY
    s.dm.page[31] = 0x55;
    expect(() => s.dm.handle(0)).not.toThrow();
    expect(s.dm.status).toBe('dead');
    expect(s.dm.log.lines.at(-1)).toBe('Invalid ioreq type 0x55');
    expect(s.hv.domains.get(s.d.id)).toBeDefined();
  });
});
