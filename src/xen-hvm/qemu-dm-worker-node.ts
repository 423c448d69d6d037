/**
 * qemu-dm in its own thread (Node), as qemu-dm lives in dom0: src/ioreq's
 * startWorkerIoreq with the Xen PIIX4 device model of qemu-dm-model.ts
 * (loaded in the worker from the compiled dist/xen-hvm/qemu-dm-worker-module.js:
 * run `npm run build` first). The vCPUs stay on this thread and block in
 * wait_for_io on the shared ring; the DM's hypercalls come back through the
 * ring's mailbox and are issued here from the DM's vCPU; its log lines, cause
 * records and trace events come back through the outbox (qemu-dm-outbox.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../ioreq/package-file.js';
import { startWorkerIoreq } from '../ioreq/worker-transport-node.js';
import { eventCatalogue } from '../trace/trace.js';
import type { DmSideHooks } from './hvm-io.js';
import { QemuDm, type QemuDmOptions } from './qemu-dm.js';
import { createOutboxBuffer, OutboxReader } from './qemu-dm-outbox.js';
import type { QemuDmWorkerOptions } from './qemu-dm-worker-module.js';
import { ENOSYS } from './xen-abi.js';

/** The compiled file `name` of dist/xen-hvm, whether we run from src/ (vitest), dist/ or the CLI's bundle. */
export function distXenHvmFile(name: string): URL {
  return packageFile(`dist/xen-hvm/${name}`);
}

export interface QemuDmWorkerStart extends Omit<QemuDmOptions, 'transport'> {
  /** How long a vCPU blocks in wait_for_io before its access stays 'pending' (ms, default 10 000). */
  timeoutMs?: number;
  /** Spin iterations before Atomics.wait on both sides (src/ioreq default when unset). */
  spin?: number;
}

/** Start the DM worker, then build the QemuDm (dom0 side) on its ring. */
export async function startQemuDmWorker(o: QemuDmWorkerStart): Promise<QemuDm> {
  const dmModule = distXenHvmFile('qemu-dm-worker-module.js');
  if (!existsSync(fileURLToPath(dmModule))) {
    throw new Error(`${fileURLToPath(dmModule)} is missing: run \`npm run build\` (the qemu-dm worker runs the compiled dist/ build)`);
  }
  const d = o.io.d;
  const outbox = createOutboxBuffer();
  // The QemuDm does not exist until the ring does; the DM makes no call before its first ioreq.
  let dm: QemuDm | null = null;
  const side: DmSideHooks = {
    hypercall: (op, args) => (dm ? dm.hypercall(op, args) : -ENOSYS),
    sync: () => dm?.sync(),
  };
  const dmOptions: QemuDmWorkerOptions = {
    domid: d.id, ...(o.policy ? { policy: o.policy } : {}), ...(o.version ? { version: o.version } : {}),
    // The DM's events the host wants now (its device models and ports), forwarded through the outbox.
    traceNames: eventCatalogue().filter((e) => (e.ns === 'qemu-dm' || e.ns === 'ioport' || e.ns === 'acpi' || e.ns === 'pci' || e.ns === 'piix4') && o.trace.on(e)).map((e) => e.name),
  };
  // Guest RAM crosses only when it is shared memory starting at guest-physical 0 (data_is_ptr / COPY buffers).
  const bytes = d.mem.bytes;
  const ram = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : null;
  const link = await startWorkerIoreq({
    dmModule, vcpus: d.vcpus.length, xenHooks: o.io.xenHooks(side), trace: o.trace, dmOptions,
    shared: { outbox, ...(ram instanceof SharedArrayBuffer ? { ram } : {}) },
    ...(o.spin !== undefined ? { spin: o.spin } : {}),
  });
  dm = new QemuDm({ ...o, transport: { link, outbox: new OutboxReader(outbox), timeoutMs: o.timeoutMs ?? 10_000 } });
  return dm;
}
