// Xen-mode I/O on src/ioreq's ring, both transports: the guest's port accesses go through HvmIo (XenIoreqServer:
// ioreq_send + wait_for_io) to qemu-dm's Xen PIIX4 served by src/ioreq's DeviceModel, in this thread or in a
// worker_threads worker. The same scripted ACPI poweroff must give the same outcome on both.
// The worker runs the compiled dist/ build: `npm run build` first (`npm test` does).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { IOREQ_READ, IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_TIMEOFFSET } from '../../src/ioreq/abi.js';
import { loadIoreqState, newIoreq } from '../../src/ioreq/ioreq-codec.js';
import { IoResult } from '../../src/ioreq/xen-ioreq-server.js';
import { CauseChain } from '../../src/machine/cause-chain.js';
import { Trace } from '../../src/trace/trace.js';
import { domainInfo } from '../../src/xen-hvm/domain.js';
import { HvmIo } from '../../src/xen-hvm/hvm-io.js';
import { Hypervisor } from '../../src/xen-hvm/hypervisor.js';
import { QemuDm } from '../../src/xen-hvm/qemu-dm.js';
import { distXenHvmFile, startQemuDmWorker } from '../../src/xen-hvm/qemu-dm-worker-node.js';
import { TimerQueue } from '../../src/xen-hvm/timer-queue.js';
import { XEN_DOMINF_shutdown } from '../../src/xen-hvm/xen-abi.js';

type Kind = 'inline' | 'worker';

/** The sources the DM worker runs compiled: src/ioreq, and the qemu-dm model with what it imports. */
const WORKER_SOURCES = (dir: string, f: string): boolean =>
  dir === 'ioreq' || /^(qemu-dm-(model|outbox|privcmd|worker-module)|xen-abi)\.ts$/.test(f);

/** Fail clearly when the worker's compiled files are missing or older than their sources. */
function checkDist(): void {
  for (const dir of ['xen-hvm', 'ioreq']) {
    const src = fileURLToPath(new URL(`../../src/${dir}/`, import.meta.url));
    const dist = fileURLToPath(new URL(`../${dir}/`, distXenHvmFile('x.js')));
    for (const f of readdirSync(src).filter((n) => n.endsWith('.ts') && WORKER_SOURCES(dir, n))) {
      const js = `${dist}${f.replace(/\.ts$/, '.js')}`;
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(`${src}${f}`).mtimeMs) {
        throw new Error(`dist/${dir}/${f.replace(/\.ts$/, '.js')} is missing or older than src/${dir}/${f}: run \`npm run build\``);
      }
    }
  }
}

const open: QemuDm[] = [];
afterEach(async () => {
  for (const dm of open.splice(0)) await dm.link.close();
});

async function setup(kind: Kind, vcpus = 1, version?: 'qemu-xen') {
  const clock = new VirtualClock();
  const trace = new Trace(() => clock.ns()).recordEverything();
  const hv = new Hypervisor(trace, () => clock.ns());
  const d = hv.createDomain({ vcpus, pages: 256 });
  const io = new HvmIo(hv, d, clock, trace, new TimerQueue(clock));
  const chain = new CauseChain();
  const o = { hv, io, name: 'g', trace, chain, now: () => clock.ns(), ...(version ? { version } : {}) };
  if (kind === 'worker') checkDist();
  const dm = kind === 'inline' ? new QemuDm(o) : await startQemuDmWorker(o);
  open.push(dm);
  return { clock, trace, hv, d, io, dm, chain };
}

/** The guest's ACPI poweroff (xen.md §1): SLP_TYP alone, then SLP_TYP|SLP_EN, as word writes to PM1a_CNT. */
function poweroff(s: Awaited<ReturnType<typeof setup>>) {
  const v = s.d.vcpus[0]!;
  const first = s.io.out(v, 0xb004, 2, 0x0001);
  const shutdownAfterFirst = s.d.isShuttingDown;
  const second = s.io.out(v, 0xb004, 2, 0x2001);
  const names = s.trace.history.map((r) => r.name)
    .filter((n) => /^(xen_ioreq|cpu_|destroy_hvm|xen_domain_sh|xen_vcpu|xen_send|acpi_pm1_cnt|xen_hypercall)/.test(n));
  return {
    statuses: [first, second], shutdownAfterFirst, log: [...s.dm.log.lines], chain: s.chain.describe(), names,
    hypercalls: s.trace.find('xen_hypercall').map((r) => `${r.args['op']} ${r.args['detail']} = ${r.args['rc']}`),
    destroy: s.trace.find('destroy_hvm_domain').map((r) => r.args),
    shutDown: s.d.isShutDown, code: s.d.shutdownCode, paused: v.pausedForShutdown, ioPending: v.ioPending,
    dominfoShutdown: (domainInfo(s.d).flags & XEN_DOMINF_shutdown) !== 0, virqs: s.hv.domExcSent.get(s.d.id) ?? 0,
    stats: { ...s.dm.link.server.stats }, slotState: loadIoreqState(s.dm.page, 0), dmError: s.dm.link.dmError(), status: s.dm.status,
  };
}

describe('qemu-dm on the src/ioreq ring, in-thread and in a worker (xen.md §1, §4, §7)', () => {
  it('a guest ACPI poweroff across threads has the in-thread outcome', async () => {
    const inline = poweroff(await setup('inline'));
    const worker = poweroff(await setup('worker'));
    expect(worker).toEqual(inline);
    // And that outcome is Xen's (not merely equal):
    expect(worker.statuses).toEqual(['done', 'done']);
    expect(worker.shutdownAfterFirst).toBe(false);
    expect(worker.log).toEqual(['shutdown requested in cpu_handle_ioreq', 'Issued domain 1 poweroff']);
    // qemu-xen-traditional (the default): xc_domain_shutdown = SCHEDOP_remote_shutdown, no DMOP at all.
    expect(worker.hypercalls).toEqual(['SCHEDOP_remote_shutdown d1 reason 0 = 0']);
    expect(worker.destroy).toEqual([{ domid: 1, reboot: false, via: 'SCHEDOP_remote_shutdown', rc: 0 }]);
    expect(worker.shutDown).toBe(true);
    expect(worker.code).toBe(0);
    expect(worker.dominfoShutdown).toBe(true);
    expect(worker.virqs).toBe(1);
    // Shutdown deferral: the shutdown is issued inside the ioreq, the vCPU pauses only once the I/O completed.
    expect(worker.names.slice(-12)).toEqual([
      'xen_ioreq_send', 'cpu_handle_ioreq', 'acpi_pm1_cnt_write', 'xen_domain_shutdown', 'xen_vcpu_shutdown_deferred',
      'xen_hypercall', 'destroy_hvm_domain', 'cpu_ioreq_respond', 'xen_ioreq_complete', 'xen_vcpu_paused_for_shutdown',
      'xen_domain_shut_down', 'xen_send_global_virq',
    ]);
    expect(worker.paused).toBe(true);
    expect(worker.ioPending).toBe(false);
    // No request lost or left behind: both sent, both completed, the slot back to NONE, the DM still running.
    expect(worker.stats).toMatchObject({ sent: 2, completed: 2, unhandled: 0, crashed: 0, hypercalls: 1 });
    expect(worker.slotState).toBe(0);
    expect(worker.dmError).toBeNull();
    expect(worker.status).toBe('running');
    expect(worker.chain).toEqual([
      '#1 guest via pm1a-cnt: outw 0xb004 <== 0x2001 (S5, SLP_TYP 0)',
      '#2 hypervisor via schedop-remote-shutdown: qemu-dm SCHEDOP_remote_shutdown(d1, SHUTDOWN_poweroff) (answers #1)',
    ]);
  });

  it('upstream QEMU (device_model_version="qemu-xen") uses XEN_DMOP_remote_shutdown and logs nothing, on both transports', async () => {
    const inline = poweroff(await setup('inline', 1, 'qemu-xen'));
    const worker = poweroff(await setup('worker', 1, 'qemu-xen'));
    expect(worker).toEqual(inline);
    expect(worker.log).toEqual([]);
    expect(worker.hypercalls).toEqual(['XEN_DMOP_remote_shutdown d1 reason 0 = 0']);
    expect(worker.destroy).toEqual([{ domid: 1, reboot: false, via: 'XEN_DMOP_remote_shutdown', rc: 0 }]);
    expect(worker.shutDown).toBe(true);
  });

  it('upstream QEMU without the DMOP (old Xen: ENOTTY) falls back to SCHEDOP_remote_shutdown through the mailbox', async () => {
    const out: Record<Kind, unknown> = { inline: null, worker: null };
    for (const kind of ['inline', 'worker'] as const) {
      const s = await setup(kind, 1, 'qemu-xen');
      s.dm.o.noDmop = true;
      expect(s.io.out(s.d.vcpus[0]!, 0xb004, 2, 0x2000)).toBe('done');
      expect(s.d.isShutDown).toBe(true);
      out[kind] = { log: s.dm.log.lines, destroy: s.trace.find('destroy_hvm_domain').map((r) => r.args), hc: s.dm.link.server.stats.hypercalls,
        action: s.trace.find('destroy_hvm_domain_action').map((r) => r.args) };
    }
    expect(out.worker).toEqual(out.inline);
    // ENOTTY is not reported; the fallback's outcome is only a trace event (QEMU trace-events destroy_hvm_domain_action).
    expect(out.worker).toEqual({
      log: [], action: [{ domid: 1, action: 'poweroff' }],
      destroy: [{ domid: 1, reboot: false, via: 'SCHEDOP_remote_shutdown', rc: 0 }], hc: 2,
    });
  });

  it('reads come back across the ring: PCI config of the PIIX4 ACPI function, and a reset through 0xCF9', async () => {
    for (const kind of ['inline', 'worker'] as const) {
      const s = await setup(kind);
      const v = s.d.vcpus[0]!;
      s.io.out(v, 0xcf8, 4, 0x8000_0b00); // 00:01.3, register 0
      expect(s.io.in(v, 0xcfc, 4)).toBe('done');
      expect(s.io.readValue[0]).toBe(0x7113_8086);
      s.io.out(v, 0xcf8, 4, 0x8000_0b40);
      s.io.in(v, 0xcfc, 4);
      expect(s.io.readValue[0], kind).toBe(0xb001); // PMBA as hvmloader leaves it
      s.io.out(v, 0xcf9, 1, 0x06);
      expect(s.dm.log.lines, kind).toEqual(['reset requested in cpu_handle_ioreq.', 'Issued domain 1 reboot']);
      expect(s.d.shutdownCode).toBe(1);
      expect(v.pausedForShutdown).toBe(true);
    }
  });

  it('2 vCPUs, 1536 alternating config-space accesses: each served once, in order, with the same data on both transports', async () => {
    const seen: Record<Kind, number[]> = { inline: [], worker: [] };
    for (const kind of ['inline', 'worker'] as const) {
      const s = await setup(kind, 2);
      for (let i = 0; i < 512; i++) {
        const v = s.d.vcpus[i & 1]!;
        const fn = [0x0000, 0x0800, 0x0b00][i % 3]!; // 00:00.0, 00:01.0, 00:01.3
        expect(s.io.out(v, 0xcf8, 4, 0x8000_0000 | fn | ((i * 4) & 0xfc))).toBe('done');
        // Sizes that stay inside the 0xCFC dword (src/piix4's pci-conf-data, as in QEMU mode).
        let size = 1 << (i % 3);
        while ((i & 3) + size > 4) size >>= 1;
        expect(s.io.in(v, 0xcfc + (i & 3), size as 1 | 2 | 4)).toBe('done');
        seen[kind].push(s.io.readValue[v.id]!);
        s.io.in(v, 0xcf8, 4); // the latch reads back what this vCPU wrote
        seen[kind].push(s.io.readValue[v.id]!);
      }
      expect(s.dm.link.server.stats, kind).toMatchObject({ sent: 1536, completed: 1536, unhandled: 0, crashed: 0 });
      expect(s.d.vcpus.map((v) => v.ioPending)).toEqual([false, false]);
    }
    expect(seen.worker).toEqual(seen.inline);
    // i=0: byte 0 of 00:00.0 (vendor 0x8086); i=2: the dword at register 0x0a of 00:01.3 (class 0x0680 = bridge, other).
    expect(seen.inline.slice(0, 6)).toEqual([0x86, 0x8000_0000, 0x00, 0x8000_0804, 0x0680, 0x8000_0b08]);
  });

  it('PCI_CONFIG, a buffered TIMEOFFSET and INVALIDATE reach qemu-dm the same way on both transports', async () => {
    const out: Record<Kind, unknown> = { inline: null, worker: null };
    for (const kind of ['inline', 'worker'] as const) {
      const s = await setup(kind);
      const srv = s.dm.link.server;
      const cfg = newIoreq({ type: IOREQ_TYPE_PCI_CONFIG, dir: IOREQ_READ, addrHi: 0x000b, addrLo: 0x40, size: 4, count: 1 }); // 00:01.3 PMBA
      expect(srv.emulate(0, cfg)).toBe(IoResult.Handled);
      const absent = newIoreq({ type: IOREQ_TYPE_PCI_CONFIG, dir: IOREQ_READ, addrHi: 0x0010, addrLo: 0, size: 4, count: 1, dataLo: 0x1234 });
      expect(srv.emulate(0, absent)).toBe(IoResult.Handled); // no device at 00:02.0: QEMU leaves the data alone
      // Xen buffers TIMEOFFSET (8 bytes: two slots); the DM drains the ring before the next synchronous request.
      expect(srv.emulateBuffered(0, newIoreq({ type: IOREQ_TYPE_TIMEOFFSET, size: 8, count: 1, dataLo: 0xffff_fff0, dataHi: 0xffff_ffff }))).toBe(IoResult.Handled);
      expect(srv.emulate(0, newIoreq({ type: IOREQ_TYPE_INVALIDATE, size: 4, count: 1, dataLo: 0xffff_ffff }))).toBe(IoResult.Handled);
      s.dm.sync();
      out[kind] = { pmba: cfg.dataLo, absent: absent.dataLo, log: [...s.dm.log.lines], stats: { ...srv.stats }, deferring: s.d.vcpus[0]!.deferShutdown };
    }
    expect(out.worker).toEqual(out.inline);
    expect(out.inline).toMatchObject({ pmba: 0xb001, absent: 0x1234, log: ['Time offset set -16, added offset -16'], deferring: false,
      stats: { sent: 3, completed: 3, buffered: 1 } });
  });

  it('a bad ioreq type stops the worker DM with QEMU\'s message; the host does not throw and nothing is served twice', async () => {
    const s = await setup('worker');
    s.io.out(s.d.vcpus[0]!, 0xb004, 2, 0x0001);
    s.dm.page[31] = 0x55; // type
    s.dm.page[30] = 1; // READY
    expect(() => s.dm.handle(0)).not.toThrow();
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 200 && s.dm.link.dmError() === null; i++) Atomics.wait(ctl, 0, 0, 10);
    s.dm.sync();
    expect(s.dm.link.dmError()).toEqual({ code: 'INVALID_TYPE', message: 'Invalid ioreq type 0x55' });
    expect(s.dm.status).toBe('dead');
    expect(s.dm.log.lines.at(-1)).toBe('Invalid ioreq type 0x55');
    expect(s.trace.find('qemu_dm_fatal').map((r) => r.args['msg'])).toEqual(['Invalid ioreq type 0x55']);
    expect(loadIoreqState(s.dm.page, 0)).toBe(2); // left INPROCESS for inspection
    expect(s.hv.domains.get(s.d.id)).toBeDefined();
  });
});
