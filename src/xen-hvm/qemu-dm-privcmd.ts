/**
 * qemu-dm's hypercalls, both ends. The DM (in-thread or in a worker) cannot
 * touch the hypervisor's memory, so a call crosses the ioreq ring's
 * HypercallPort (src/ioreq: a direct call in-thread, the shared mailbox
 * cross-thread) at the libxenctrl / libxendevicemodel level:
 *
 *   op = hypercall number, args[0] = sub-op, args[1..] = scalar arguments
 *
 * and the dom0 side plays libxencall + privcmd: it builds the argument struct
 * in the DM domain's memory (XenCtrl's hypercall buffer) and enters the
 * hypervisor's hypercall entry from the DM's vCPU, so Xen's own decoding and
 * XSM checks (dm_op, sched_op, hvm_op) apply unchanged.
 */
import type { HypercallPort } from '../ioreq/dm-types.js';
import {
  ENOSYS, ENOTTY, HVMOP_set_param, HYPERVISOR_dm_op, HYPERVISOR_hvm_op, HYPERVISOR_sched_op, SCHEDOP_remote_shutdown,
  XEN_DMOP_remote_shutdown, XEN_DMOP_set_isa_irq_level,
} from './xen-abi.js';
import type { XenCtrl } from './xenctrl.js';

// ---- DM side -----------------------------------------------------------------------

/** xendevicemodel_shutdown(domid, reason): XEN_DMOP_remote_shutdown. */
export const dmpDmShutdown = (hc: HypercallPort, domid: number, reason: number): number =>
  hc.call(HYPERVISOR_dm_op, [XEN_DMOP_remote_shutdown, domid, reason]);

/** xc_domain_shutdown(domid, reason): SCHEDOP_remote_shutdown. */
export const dmpSchedRemoteShutdown = (hc: HypercallPort, domid: number, reason: number): number =>
  hc.call(HYPERVISOR_sched_op, [SCHEDOP_remote_shutdown, domid, reason]);

/** xendevicemodel_set_isa_irq_level(domid, irq, level): XEN_DMOP_set_isa_irq_level. */
export const dmpSetIsaIrqLevel = (hc: HypercallPort, domid: number, irq: number, level: number): number =>
  hc.call(HYPERVISOR_dm_op, [XEN_DMOP_set_isa_irq_level, domid, irq, level]);

/** xc_hvm_param_set(domid, index, value), value < 2^32. */
export const dmpSetParam = (hc: HypercallPort, domid: number, index: number, value: number): number =>
  hc.call(HYPERVISOR_hvm_op, [HVMOP_set_param, domid, index, value]);

// ---- dom0 side ---------------------------------------------------------------------

export interface PrivcmdOptions {
  /** Model an old Xen without XEN_DMOP_remote_shutdown: the dm_op fails with ENOTTY. Read at call time. */
  noDmop(): boolean;
}

/** Issue one DM call through `xc` (the DM's vCPU). Unknown calls get -ENOSYS. */
export function privcmd(xc: XenCtrl, o: PrivcmdOptions, op: number, args: ArrayLike<number>): number {
  const sub = args[0] ?? -1;
  const a1 = (args[1] ?? 0) >>> 0;
  const a2 = (args[2] ?? 0) >>> 0;
  if (op === HYPERVISOR_dm_op && sub === XEN_DMOP_remote_shutdown) return o.noDmop() ? -ENOTTY : xc.dmShutdown(a1, a2);
  if (op === HYPERVISOR_dm_op && sub === XEN_DMOP_set_isa_irq_level) return xc.setIsaIrqLevel(a1, a2, (args[3] ?? 0) >>> 0);
  if (op === HYPERVISOR_sched_op && sub === SCHEDOP_remote_shutdown) return xc.domainShutdown(a1, a2);
  if (op === HYPERVISOR_hvm_op && sub === HVMOP_set_param) return xc.setParam(a1, a2, BigInt((args[3] ?? 0) >>> 0));
  return -ENOSYS;
}
