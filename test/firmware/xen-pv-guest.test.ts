// The xen-pv guest kernel (firmware/guests/xen-pv.bin) runs on acpidm's CPU interpreter against
// acpidm's xenstored model through a real xenstore ring page, and performs Linux's control/shutdown
// handshake (drivers/xen/manage.c shutdown_handler): ignore the empty value the toolstack created,
// acknowledge "poweroff" by writing "" in a transaction, then SCHEDOP_shutdown(SHUTDOWN_poweroff);
// an unknown command is not acknowledged. The hypervisor side here is deliberately small: CPUID
// leaves, the hypercall-page MSR (Xen's stub layout `mov eax, nr; vmcall; ret`) and the four
// hypercalls the guest issues, with Xen's numbers from xen/include/public.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { Cpu } from '../../src/cpu/cpu.js';
import type { AccessSize } from '../../src/ioports/region.js';
import { loadMultiboot } from '../../src/machine/multiboot.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { createDomainPaths, initDom0Paths, Xenstored, XsClient } from '../../src/xen-hvm/xenstore/index.js';

const KERNEL = join(import.meta.dirname, '../../firmware/guests/xen-pv.bin');
const DOMID = 1;
const RING_PFN = 0x3000; // inside the 64 MiB guest (real Xen: 0xFEFFC, a special page)
const STORE_PORT = 3;

function xenGuest() {
  const mem = PhysMemory.fromMegabytes(64);
  let out = '';
  const io = {
    read: (_p: number, size: AccessSize) => (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff),
    write: (p: number, v: number) => { if (p === 0xe9) out += String.fromCharCode(v & 0xff); },
  };
  const cpu = new Cpu({ mem, io, clock: new VirtualClock() });
  const xs = new Xenstored({});
  const xl = new XsClient(xs);
  initDom0Paths(xl);
  createDomainPaths(xl, { domid: DOMID, name: 'guest', hvm: true });
  const ringAddr = RING_PFN << 12;
  xs.introduceDomain(DOMID, { mfn: RING_PFN, port: STORE_PORT, ring: { page: mem.ram.subarray(ringAddr, ringAddr + 4096), notify: () => {} } });
  const calls: string[] = [];
  let shutdownReason: number | null = null;
  const dv = new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength);

  // Xen xen/arch/x86/cpuid.c: base leaf with "XenVMMXenVMM", version leaf, hypercall-page leaf.
  cpu.cpuidHook = (leaf) =>
    leaf === 0x40000000 ? [0x40000005, 0x566e6558, 0x65584d4d, 0x4d4d566e]
      : leaf === 0x40000001 ? [0x00040011, 0, 0, 0]
        : leaf === 0x40000002 ? [1, 0x40000000, 0, 0] : null;
  cpu.msrHook = {
    read: () => null,
    write: (msr, value) => {
      if (msr !== 0x40000000) return false;
      const page = value - (value % 4096);
      for (let nr = 0; nr < 128; nr++) mem.ram.set([0xb8, nr, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3], page + nr * 32);
      calls.push('hypercall page');
      return true;
    },
  };
  cpu.onVmcall = (c) => {
    const nr = c.getReg('eax'), cmd = c.getReg('ebx'), arg = c.getReg('ecx');
    let rc = -38; // -ENOSYS
    if (nr === 34 && cmd === 1) { // hvm_op HVMOP_get_param, struct xen_hvm_param
      const index = dv.getUint32(arg + 4, true);
      const value = index === 1 ? RING_PFN : index === 2 ? STORE_PORT : null;
      if (dv.getUint16(arg, true) === 0x7ff0 && value !== null) { dv.setUint32(arg + 8, value, true); dv.setUint32(arg + 12, 0, true); rc = 0; }
      calls.push(`HVMOP_get_param ${index}`);
    } else if (nr === 32 && cmd === 4) { // event_channel_op EVTCHNOP_send
      if (dv.getUint32(arg, true) === STORE_PORT) { xs.guestKick(DOMID); rc = 0; } else rc = -22;
    } else if (nr === 29 && cmd === 0) { // sched_op SCHEDOP_yield
      rc = 0;
    } else if (nr === 29 && cmd === 2) { // sched_op SCHEDOP_shutdown, struct sched_shutdown
      shutdownReason = dv.getUint32(arg, true);
      calls.push(`SCHEDOP_shutdown ${shutdownReason}`);
      rc = 0;
      c.requestStop();
    }
    c.setReg('eax', rc >>> 0);
  };
  const entry = loadMultiboot(mem.ram, new Uint8Array(readFileSync(KERNEL)));
  cpu.setFlatProtectedMode(entry.entry, { eax: 0x2badb002, ebx: 0 });
  const runUntil = (pred: () => boolean, slices = 400): void => {
    for (let i = 0; i < slices && !pred(); i++) cpu.run(50_000);
  };
  return { xl, calls, runUntil, out: () => out, shutdown: () => shutdownReason };
}

const shutdownPath = `/local/domain/${DOMID}/control/shutdown`;

describe('xen-pv guest on the CPU interpreter and the xenstored model', () => {
  it('ignores the initial empty control/shutdown, then acks "poweroff" in a transaction and issues SCHEDOP_shutdown(poweroff)', () => {
    const g = xenGuest();
    g.runUntil(() => g.out().includes('transaction end F'));
    g.runUntil(() => false, 10); // idle in the yield loop: nothing more happens
    expect(g.out()).toBe([
      'acpidm guest: xen-pv',
      'multiboot: magic 0x2BADB002',
      'Xen: XenVMMXenVMM at CPUID 0x40000000, version 4.17',
      'Xen: 1 hypercall page(s), MSR 0x40000000',
      'xenstore: ring at pfn 0x00003000, event channel 3',
      // This minimal hypervisor has no ACPI tables and no HVMOP_set_param: the guest keeps SCHEDOP_shutdown as its
      // poweroff and polls xenstore with SCHEDOP_yield (acpidm's Xen mode gives it both; test/xen/cpu-guests.test.ts).
      'ACPI: no RSDP found',
      'PIC: ICW1 0x11, vectors 0x20/0x28, cascade on IRQ2, all masked',
      'ELCR: IRQ 10 level-triggered',
      'PIC: unmasked IRQ 10 and the cascade IRQ2',
      'LAPIC: SVR <- 0x1FF, LINT0 <- 0x700 (ExtINT)',
      'Xen: HVMOP_set_param(CALLBACK_IRQ) failed, rc 0xFFFFFFDA; polling xenstore',
      'xenstore: write control/feature-poweroff "1" -> "OK"',
      'xenstore: watch control/shutdown token "shutdown" -> "OK"',
      'xenstore: watch event control/shutdown',
      'xenstore: transaction start -> "1"',
      'xenstore: read control/shutdown -> ""',
      'xenstore: transaction end F -> "OK"',
      '',
    ].join('\n'));
    expect(g.xl.read(`/local/domain/${DOMID}/control/feature-poweroff`)).toBe('1');
    expect(g.shutdown()).toBeNull();

    g.xl.write(shutdownPath, 'poweroff');
    g.runUntil(() => g.shutdown() !== null);
    expect(g.out().split('\n').slice(17)).toEqual([
      'xenstore: watch event control/shutdown',
      'xenstore: transaction start -> "2"',
      'xenstore: read control/shutdown -> "poweroff"',
      'xenstore: write control/shutdown "" -> "OK"',
      'xenstore: transaction end T -> "OK"',
      'reboot: Power down',
      'Xen: SCHEDOP_shutdown(SHUTDOWN_poweroff)',
      '',
    ]);
    expect(g.shutdown()).toBe(0);
    expect(g.xl.read(shutdownPath)).toBe('');
    expect(g.calls).toEqual(['hypercall page', 'HVMOP_get_param 1', 'HVMOP_get_param 2', 'SCHEDOP_shutdown 0']);
  });

  it('does not acknowledge a command it cannot handle (Linux: "Ignoring shutdown request")', () => {
    const g = xenGuest();
    g.runUntil(() => g.out().includes('transaction end F'));
    g.xl.write(shutdownPath, 'reboot');
    g.runUntil(() => g.out().includes('Ignoring shutdown request'));
    g.runUntil(() => false, 10);
    expect(g.out()).toContain('xenstore: read control/shutdown -> "reboot"\nxenstore: transaction end T -> "OK"\nxen:manage: Ignoring shutdown request: reboot\n');
    expect(g.out()).not.toContain('write control/shutdown ""');
    expect(g.xl.read(shutdownPath)).toBe('reboot');
    expect(g.shutdown()).toBeNull();
    // a later poweroff still works
    g.xl.write(shutdownPath, 'halt');
    g.runUntil(() => g.shutdown() !== null);
    expect(g.shutdown()).toBe(0);
    expect(g.xl.read(shutdownPath)).toBe('');
  });
});
