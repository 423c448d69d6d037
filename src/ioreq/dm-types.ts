/**
 * What a device model plugs into the DM side of the ring: the devices
 * requests are dispatched to, and the hooks cpu_handle_ioreq calls.
 */
import type { PortIO } from '../ioports/port-bus.js';
import type { Ioreq } from './ioreq-codec.js';

/**
 * Guest physical memory as the DM sees it (QEMU cpu_physical_memory_rw):
 * COPY targets and the buffers of data_is_ptr requests. `size` is 1..8.
 * Return false when [addr, addr + size) is not backed: the caller then reads
 * all-ones and drops writes, as QEMU's unassigned accesses do, and traces it.
 */
export interface GuestMemory {
  read(addr: number, dst: Uint8Array, size: number): boolean;
  write(addr: number, src: Uint8Array, size: number): boolean;
}

/** PCI config space behind IOREQ_TYPE_PCI_CONFIG (QEMU pci_host_config_{read,write}_common on the device with that SBDF). */
export interface PciConfigHandler {
  /** Is there a device with this SBDF (the high u32 of addr)? QEMU ignores requests for unknown SBDFs. */
  has(sbdf: number): boolean;
  read(sbdf: number, reg: number, size: 1 | 2 | 4): number;
  write(sbdf: number, reg: number, value: number, size: 1 | 2 | 4): void;
}

export interface DmDevices {
  /** IOREQ_TYPE_PIO: the port bus (or anything with its read/write). */
  readonly pio: PortIO;
  /** COPY and data_is_ptr buffers. */
  readonly mem: GuestMemory;
  /** IOREQ_TYPE_PCI_CONFIG. Without it, config requests reach no device (reads keep their data). */
  readonly pci?: PciConfigHandler;
  /** IOREQ_TYPE_TIMEOFFSET after the DM logged it: the signed offset added, and the running total (seconds). */
  timeOffset?(added: bigint, total: bigint): void;
  /** IOREQ_TYPE_INVALIDATE: flush the map cache. */
  invalidate?(): void;
}

/** A way to call into the hypervisor from the DM (a direct call in-thread; a shared mailbox cross-thread). */
export interface HypercallPort {
  call(op: number, args: ArrayLike<number>): number;
}

export interface DmHooks {
  /**
   * QEMU handle_ioreq entry (its trace point): the slot is INPROCESS, the
   * buffered ring drained, `req` is the working copy about to be dispatched.
   */
  beforeDispatch?(vcpu: number, req: Readonly<Ioreq>): void;
  /**
   * QEMU cpu_handle_ioreq: after dispatch and the data write-back, before
   * IORESP_READY. The place to check pending shutdown/reset requests and call
   * destroy_hvm_domain: the toolstack must see the shutdown before the guest
   * can run again. `req` is the working copy, its data as written back.
   */
  beforeResponse?(vcpu: number, req: Readonly<Ioreq>): void;
  /** destroy_hvm_domain(reboot) for the DM's own reasons ("Badness in I/O request"). */
  destroyHvmDomain?(reboot: boolean): void;
  /** The qemu-dm log file (one line, no trailing newline). */
  log?(line: string): void;
  /** The DM just stopped on a fatal error. */
  fatal?(code: string, message: string): void;
}

/** What a device-model module gets to build its devices (same shape in-thread and in a worker). */
export interface DmModuleContext {
  readonly hypercall: HypercallPort;
  /** Module-specific options (structured-cloneable when crossing to a worker). */
  readonly options: unknown;
  /** Named shared buffers (guest RAM, statistics...) the hypervisor side also sees. */
  readonly shared: Readonly<Record<string, ArrayBuffer | SharedArrayBuffer>>;
}

export interface DmModule {
  devices: DmDevices;
  hooks?: DmHooks;
}

/** A device-model module's entry point (a worker imports the module and calls its `createDeviceModel`). */
export type CreateDeviceModel = (ctx: DmModuleContext) => DmModule;
