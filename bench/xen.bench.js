// Xen mode: how many domains per second go from the guest's ACPI poweroff to domain_destroy (through the
// ioreq, qemu-dm, the hypervisor, xenstored's @releaseDomain and xl's on_poweroff=destroy), the whole
// xl create -> destroy cycle, and the heap each live domain costs. Numbers only, no assertions.
import v8 from 'node:v8';
import vm from 'node:vm';
import { XenHost } from '../dist/xen-hvm/xen-host.js';
import { Libxl } from '../dist/xen-hvm/libxl.js';
import { Xl } from '../dist/xen-hvm/xl.js';
import { makeGuest } from '../dist/xen-hvm/guest-library.js';
import { runXenDomainAsync } from '../dist/xen-hvm/run-xen-domain.js';
import { startQemuDmWorker } from '../dist/xen-hvm/qemu-dm-worker-node.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function newHost(uptimeNs) {
  const host = new XenHost();
  const libxl = new Libxl(host, () => makeGuest('acpi-poweroff', { uptimeNs }));
  const xl = new Xl(libxl);
  return { host, libxl, xl };
}

const cfgText = (i) => `name = "g${i}"\nmemory = 16\nvcpus = 1\nkernel = "scripted:acpi-poweroff"\n`;
/** `xl create` (with its monitor, which applies on_poweroff=destroy). */
function create(xl, i) {
  const r = xl.exec(['create', `g${i}.cfg`], { [`g${i}.cfg`]: cfgText(i) });
  if (r.code !== 0) throw new Error(r.err.join('\n'));
}

export default async function (h) {
  // 1. Poweroff -> domain_destroy, N domains at once: boot them all (they sleep 1 s of virtual time), then time
  //    from the moment they start their ACPI poweroff sequence until every one is destroyed.
  for (const N of [1, 100]) {
    const rates = [];
    for (let rep = 0; rep < 5; rep++) {
      const { host, xl } = newHost(1e9);
      for (let i = 0; i < N; i++) create(xl, i);
      host.runUntil(() => false, 0.9e9); // booted, sleeping before "reboot: Power down"
      const t0 = process.hrtime.bigint();
      host.runUntil(() => host.hv.domains.size === 1, 60e9);
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      if (host.hv.domains.size !== 1) throw new Error('domains did not all go away');
      rates.push(N / dt);
    }
    rates.sort((a, b) => a - b);
    h.report(`xen: guest poweroff -> domain_destroy, ${N} domain(s) in flight (median of 5)`, rates[2], 'domains/s', undefined,
      `min ${rates[0].toFixed(0)} max ${rates[4].toFixed(0)}`);
  }

  // 2. The whole cycle for one domain: xl create, boot, ACPI poweroff, destroy (benchmark.js).
  const { host, xl } = newHost(0);
  let i = 0;
  h.measure('xen: xl create -> ACPI poweroff -> domain_destroy (one domain)', () => {
    create(xl, i++);
    host.runUntil(() => host.hv.domains.size === 1, 10e9);
  }, { unit: 'domains/s' });

  // 2b. The same cycle with qemu-dm in its own worker thread (worker start-up included), sequentially.
  {
    const N = 10;
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < N; k++) {
      const r = await runXenDomainAsync({ guest: 'acpi-poweroff', dmStarter: (o) => startQemuDmWorker(o) });
      if (r.libxlEvents.length !== 2) throw new Error('worker run did not end in SHUTDOWN + DEATH');
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    h.report(`xen: xl create -> ACPI poweroff -> domain_destroy, qemu-dm in a worker (${N} sequential)`, N / dt, 'domains/s', undefined, 'includes Worker start-up');
  }

  // 3. Heap per live domain (hypervisor state, HvmIo, qemu-dm with its ioreq page, xenstore nodes, libxl record).
  const M = 200;
  const w = newHost(1e12);
  gc(); gc();
  const m0 = process.memoryUsage();
  const before = m0.heapUsed;
  for (let k = 0; k < M; k++) create(w.xl, k);
  w.host.runUntil(() => false, 1e6);
  gc(); gc();
  const m1 = process.memoryUsage();
  h.report(`xen: JS heap per live domain (${M} domains, after gc)`, (m1.heapUsed - before) / M, 'bytes', undefined,
    'hypervisor + HvmIo + qemu-dm + xenstore nodes + libxl/xl records');
  h.report(`xen: ArrayBuffer memory per live domain (${M} domains)`, (m1.arrayBuffers - m0.arrayBuffers) / M, 'bytes', undefined,
    'ioreq page, 8 KiB of hypercall-argument memory, the DM port bus index; guest RAM itself is not backed');
}
