/**
 * The device-model module a DM worker loads (src/ioreq startWorkerIoreq with
 * `dmModule` = the compiled dist/xen-hvm/qemu-dm-worker-module.js): the Xen
 * PIIX4 qemu-dm of qemu-dm-model.ts, its hypercalls going back through the
 * ring's mailbox, and everything the host must see written to the shared
 * outbox. Isomorphic (a Web Worker could load it the same way).
 */
import type { CreateDeviceModel } from '../ioreq/dm-types.js';
import { ramGuestMemory } from '../ioreq/guest-memory.js';
import { Trace } from '../trace/trace.js';
import type { SleepPolicy } from '../acpi/sleep-decode.js';
import { buildQemuDmModel } from './qemu-dm-model.js';
import { OutboxWriter } from './qemu-dm-outbox.js';
import type { DeviceModelVersion } from './xl-config.js';

/** Structured-cloneable options the host passes (`dmOptions`). */
export interface QemuDmWorkerOptions {
  domid: number;
  policy?: SleepPolicy;
  version?: DeviceModelVersion;
  /** Trace events the host wants from the DM (forwarded through the outbox). */
  traceNames: string[];
}

export const createDeviceModel: CreateDeviceModel = (ctx) => {
  const o = ctx.options as QemuDmWorkerOptions;
  const outbox = ctx.shared['outbox'];
  if (!(outbox instanceof SharedArrayBuffer)) throw new TypeError('qemu-dm worker: shared.outbox must be a SharedArrayBuffer');
  const sink = new OutboxWriter(outbox);
  const trace = new Trace();
  for (const n of o.traceNames) trace.enable(n);
  trace.historyLimit = 16; // the host keeps the history; here it only feeds the outbox
  trace.subscribe((rec) => sink.trace(rec));
  const ram = ctx.shared['ram'];
  return buildQemuDmModel(ctx.hypercall, {
    domid: o.domid, trace, sink, ...(o.policy ? { policy: o.policy } : {}), ...(o.version ? { version: o.version } : {}),
    ...(ram ? { ram: ramGuestMemory(new Uint8Array(ram), 0) } : {}),
  });
};
