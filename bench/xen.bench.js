// Xen mode: how many domains per second go from the guest's ACPI poweroff to domain_destroy (through the
// ioreq, qemu-dm, the hypervisor, xenstored's @releaseDomain and xl's on_poweroff=destroy), the whole
// xl create -> destroy cycle, the heap each live domain costs, and the ioreq round trip in a real guest workload (a
// Multiboot guest on the CPU printing lines on COM1, which qemu-dm emulates: every byte is an ioreq). Numbers only.
import v8 from 'node:v8';
import vm from 'node:vm';
import { XenHost } from '../dist/xen-hvm/xen-host.js';
import { Libxl } from '../dist/xen-hvm/libxl.js';
import { Xl } from '../dist/xen-hvm/xl.js';
import { makeGuest } from '../dist/xen-hvm/guest-library.js';
import { kernelGuestFactory, runXenDomain, runXenDomainAsync } from '../dist/xen-hvm/run-xen-domain.js';
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

/**
 * A Multiboot v1 guest (32-bit flat, loaded at 1 MiB) that writes `lines` lines of 36 bytes to COM1 (0x3F8, one
 * OUT per byte, no LSR polling: qemu-dm's 16550 transmits at once), then writes SLP_EN with SLP_TYP 0 to PM1a_CNT
 * (0xB004: S5 in hvmloader's tables), so the domain is destroyed.
 */
export function consoleGuest(lines) {
  const u32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const base = 0x100000, entry = base + 32;
  const code = [
    0xb9, ...u32(lines), //                       mov ecx, lines
    0xe3, 0x14, //                                jecxz done (over the 20-byte loop)
    0xbe, 0, 0, 0, 0, //                          L: mov esi, msg (patched)
    0x66, 0xba, 0xf8, 0x03, //                    mov dx, 0x3F8
    0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, // c: lodsb / test al,al / jz e / out dx,al / jmp c
    0x49, 0x75, 0xec, //                          e: dec ecx / jnz L
    0x66, 0xba, 0x04, 0xb0, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, // done: PM1a_CNT = SLP_EN (S5)
    0xfa, 0xf4, 0xeb, 0xfd,
  ];
  const msg = [...'acpidm xen console line 0123456789\n'].map((ch) => ch.charCodeAt(0));
  const at = code.indexOf(0xbe) + 1;
  code.splice(at, 4, ...u32(entry + code.length));
  const img = new Uint8Array(32 + code.length + msg.length + 1);
  const dv = new DataView(img.buffer);
  const magic = 0x1badb002, flags = 0x00010000; // a.out kludge: the addresses below
  [magic, flags, (-(magic + flags)) >>> 0, base, base, 0, 0, entry].forEach((v, k) => dv.setUint32(k * 4, v, true));
  img.set(code, 32);
  img.set(msg, 32 + code.length);
  return img;
}

/** `acpidm run --xen -kernel consoleGuest(lines)` in-process: CPU ms, ioreqs sent, COM1 lines qemu-dm received. */
export function consoleRun(lines) {
  const image = consoleGuest(lines);
  const t0 = process.cpuUsage();
  const r = runXenDomain({
    configText: 'name = "console"\nmemory = 16\nvcpus = 1\nkernel = "console.bin"\n',
    guestFactory: kernelGuestFactory(() => image),
  });
  const { user, system } = process.cpuUsage(t0);
  if (r.cause !== 'guest-acpi-poweroff' || r.serialConsole.length !== lines) {
    throw new Error(`xen console bench: expected ${lines} COM1 lines and a poweroff, got ${r.serialConsole.length} lines, ${r.cause}`);
  }
  return { ms: (user + system) / 1000, ioreqs: r.ioreqs };
}

export default async function (h) {
  // 0. The ioreq round trip in a real guest workload: COM1 output through qemu-dm (t(N lines) - t(0 lines)).
  {
    const N = 2000;
    consoleRun(N); consoleRun(0); // warm-up
    const dMs = [], dIo = [];
    for (let k = 0; k < 5; k++) {
      const z = consoleRun(0), n = consoleRun(N);
      dMs.push(n.ms - z.ms); dIo.push(n.ioreqs - z.ioreqs);
    }
    const order = dMs.map((_, k) => k).sort((a, b) => dMs[a] - dMs[b]);
    const mid = order[2];
    h.report(`xen: guest COM1 output through qemu-dm, ioreqs per second (${N} lines, whole domain)`, dIo[mid] / (dMs[mid] / 1000),
      'ioreqs/s', undefined, `${(dMs[mid] * 1e6 / dIo[mid]).toFixed(0)} ns per OUT round trip (guest CPU + ioreq + qemu-dm 16550 + console), median of 5`);
  }

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
