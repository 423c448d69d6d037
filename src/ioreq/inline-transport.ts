/**
 * The in-thread, deterministic transport: the device model is a function
 * call. When a vCPU waits for I/O, the DM serves pending events right there
 * (`autoRun`, the default), so one `emulate()` is one synchronous round trip
 * with no threads and no timing. With `autoRun: false` nothing runs by itself:
 * the caller interleaves `dm.handleEvent()` and `server.pollIo()` as it likes
 * (replays, schedulers, interleaving tests).
 */
import { Trace } from '../trace/trace.js';
import { HVM_IOREQSRV_BUFIOREQ_ATOMIC, type BufioreqMode } from './abi.js';
import { DeviceModel } from './device-model.js';
import type { CreateDeviceModel, DmModule } from './dm-types.js';
import { EventChannels } from './evtchn.js';
import { RingMemory, CTL_DM_STATUS, DmStatus } from './ring-memory.js';
import { XenIoreqServer, type XenIoreqHooks } from './xen-ioreq-server.js';

/** Options both transports take. */
export interface IoreqLinkOptions {
  vcpus?: number;
  bufioreq?: BufioreqMode;
  xenHooks?: XenIoreqHooks;
  /** The hypervisor side's trace. */
  trace?: Trace;
  /** Options for the device-model module. */
  dmOptions?: unknown;
  /** Named buffers both sides see (guest RAM, statistics). Cross-thread they must be SharedArrayBuffers. */
  shared?: Record<string, ArrayBuffer | SharedArrayBuffer>;
}

/** What both transports give the hypervisor side. */
export interface IoreqLink {
  readonly kind: 'inline' | 'worker';
  readonly server: XenIoreqServer;
  readonly mem: RingMemory;
  readonly evtchn: EventChannels;
  /** The DM's fatal error as published in shared memory, or null. */
  dmError(): { code: string; message: string } | null;
  /** Stop the device model (idempotent). */
  close(): Promise<void>;
}

export interface InlineIoreqOptions extends IoreqLinkOptions {
  createDeviceModel: CreateDeviceModel;
  /** The DM's trace (defaults to the hypervisor side's). */
  dmTrace?: Trace;
  autoRun?: boolean;
}

export class InlineIoreqLink implements IoreqLink {
  readonly kind = 'inline' as const;
  readonly server: XenIoreqServer;
  readonly dm: DeviceModel;
  readonly mem: RingMemory;
  readonly evtchn: EventChannels;
  readonly module: DmModule;

  constructor(opts: InlineIoreqOptions) {
    this.mem = RingMemory.create(opts.vcpus ?? 1, false);
    this.evtchn = new EventChannels(this.mem);
    const autoRun = opts.autoRun ?? true;
    const trace = opts.trace ?? new Trace();
    this.server = new XenIoreqServer(this.mem, this.evtchn, {
      bufioreq: opts.bufioreq ?? HVM_IOREQSRV_BUFIOREQ_ATOMIC,
      ...(opts.xenHooks ? { hooks: opts.xenHooks } : {}),
      trace,
      // The vCPU "blocks" by running the DM until nothing is left to do. No progress = stuck.
      idle: () => autoRun && this.dm.runPending() > 0,
    });
    const server = this.server;
    this.module = opts.createDeviceModel({
      hypercall: { call: (op, args) => server.hypercall(op, args) },
      options: opts.dmOptions,
      shared: opts.shared ?? {},
    });
    this.dm = new DeviceModel(this.mem, this.evtchn, this.module.devices, this.module.hooks ?? {}, opts.dmTrace ?? trace);
  }

  dmError(): { code: string; message: string } | null {
    return this.mem.dmError();
  }

  async close(): Promise<void> {
    if (this.dm.running) Atomics.store(this.mem.ctl, CTL_DM_STATUS, DmStatus.Stopped);
  }
}

export function createInlineIoreq(opts: InlineIoreqOptions): InlineIoreqLink {
  return new InlineIoreqLink(opts);
}
