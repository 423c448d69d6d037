/**
 * Hypercall entry points: decode the argument structs from the caller's
 * memory, check permissions the way Xen's dummy XSM policy does, and call the
 * lifecycle code in hypervisor.ts. Bad arguments give Xen's error codes
 * (-EFAULT, -EINVAL, -ESRCH, -EPERM, -ENOSYS, -EACCES), never a host exception.
 * Sources: xen/common/sched/core.c do_sched_op, xen/arch/x86/hvm/dm.c,
 * xen/common/domctl.c + xen/arch/x86/domctl.c, xen/arch/x86/hvm/hvm.c
 * (hvmop_set_param/get_param), xen/common/event_channel.c.
 */
import { defineEvent } from '../trace/trace.js';
import type { Domain, Vcpu } from './domain.js';
import { domainInfo } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import * as C from './hypercall-codec.js';
import * as X from './xen-abi.js';

export const tr = {
  hypercall: defineEvent('xen', 'xen_hypercall', (a: { domid: number; vcpu: number; op: string; rc: string; detail: string }) =>
    `d${a.domid}v${a.vcpu} ${a.op}${a.detail ? ` ${a.detail}` : ''} = ${a.rc}`),
};

export type HypercallArg = number | bigint;

const EOPNOTSUPP = 95;
const E2BIG = 7;
/** Continuations one destroydomain call may take before the model gives up (a runaway guard, not a Xen limit). */
const MAX_CONTINUATIONS = 1_000_000;

function record(hv: Hypervisor, v: Vcpu, op: string, rc: number, detail = ''): number {
  if (hv.trace.on(tr.hypercall)) hv.trace.emit(tr.hypercall, { domid: v.domid, vcpu: v.id, op, rc: X.errnoName(rc), detail });
  return rc;
}

const num = (a: HypercallArg | undefined): number => (a === undefined ? 0 : typeof a === 'bigint' ? Number(a) : a);

/** The hypercall instruction: `nr` with up to five arguments, issued by vCPU `caller`. */
export function hypercall(hv: Hypervisor, caller: Vcpu, nr: number, args: readonly HypercallArg[]): number {
  const d = hv.domains.get(caller.domid);
  if (!d) return -X.ESRCH;
  let rc: number;
  switch (nr) {
    case X.HYPERVISOR_sched_op: rc = doSchedOp(hv, d, caller, num(args[0]), args[1] ?? 0); break;
    case X.HYPERVISOR_dm_op: rc = doDmOp(hv, d, caller, num(args[0]), num(args[1]), args[2] ?? 0); break;
    case X.HYPERVISOR_domctl: rc = doDomctlWithContinuation(hv, d, caller, args[0] ?? 0); break;
    case X.HYPERVISOR_hvm_op: rc = doHvmOp(hv, d, caller, num(args[0]), args[1] ?? 0); break;
    case X.HYPERVISOR_event_channel_op: rc = doEventChannelOp(hv, d, caller, num(args[0]), args[1] ?? 0); break;
    default: rc = record(hv, caller, `hypercall ${nr}`, -X.ENOSYS);
  }
  hv.rcuQuiesce();
  return rc;
}

// ---- sched_op -----------------------------------------------------------------

function doSchedOp(hv: Hypervisor, d: Domain, v: Vcpu, cmd: number, arg: HypercallArg): number {
  switch (cmd) {
    case X.SCHEDOP_yield:
      return record(hv, v, 'SCHEDOP_yield', 0);
    case X.SCHEDOP_block:
      v.blocked = true; // woken by the next event for this vCPU
      return record(hv, v, 'SCHEDOP_block', 0);
    case X.SCHEDOP_shutdown: {
      const view = C.guestView(d.mem, arg, C.SCHED_SHUTDOWN_SIZE);
      if (typeof view === 'number') return record(hv, v, 'SCHEDOP_shutdown', view);
      const reason = C.schedShutdownReason(view);
      hv.domainShutdown(d, reason, 'SCHEDOP_shutdown'); // (u8)reason, not range-checked
      return record(hv, v, 'SCHEDOP_shutdown', 0, `reason ${reason}`);
    }
    case X.SCHEDOP_shutdown_code: {
      const view = C.guestView(d.mem, arg, C.SCHED_SHUTDOWN_SIZE);
      if (typeof view === 'number') return record(hv, v, 'SCHEDOP_shutdown_code', view);
      const reason = C.schedShutdownReason(view) & 0xff;
      if (d.shutdownCode === X.SHUTDOWN_CODE_INVALID) d.shutdownCode = reason; // records only; no shutdown
      return record(hv, v, 'SCHEDOP_shutdown_code', 0, `reason ${reason}`);
    }
    case X.SCHEDOP_remote_shutdown: {
      const view = C.guestView(d.mem, arg, C.SCHED_REMOTE_SHUTDOWN_SIZE);
      if (typeof view === 'number') return record(hv, v, 'SCHEDOP_remote_shutdown', view);
      const domid = C.remoteShutdownDomid(view);
      const reason = C.remoteShutdownReason(view);
      const detail = `d${domid} reason ${reason}`;
      const t = hv.domains.get(domid);
      if (!t) return record(hv, v, 'SCHEDOP_remote_shutdown', -X.ESRCH, detail);
      if (!dmPriv(d, t)) return record(hv, v, 'SCHEDOP_remote_shutdown', -X.EPERM, detail);
      hv.domainShutdown(t, reason, 'SCHEDOP_remote_shutdown');
      return record(hv, v, 'SCHEDOP_remote_shutdown', 0, detail); // 0 even if nothing changed
    }
    case X.SCHEDOP_watchdog: {
      // struct sched_watchdog { u32 id @0; u32 timeout @4; } (seconds)
      const view = C.guestView(d.mem, arg, 8);
      if (typeof view === 'number') return record(hv, v, 'SCHEDOP_watchdog', view);
      const id = view.getUint32(0, true);
      const timeout = view.getUint32(4, true);
      return record(hv, v, 'SCHEDOP_watchdog', hv.domainWatchdog(d, id, timeout), `id ${id} timeout ${timeout} s`);
    }
    default:
      return record(hv, v, `SCHEDOP ${cmd}`, -X.ENOSYS);
  }
}

/** XSM dummy XSM_DM_PRIV: the control domain, or the device-model domain whose target is `t`. */
function dmPriv(src: Domain, t: Domain): boolean {
  return src.privileged || (src.target !== null && src.target === t.id);
}

/** XSM_TARGET: the domain itself, its device model, or the control domain. */
function targetPriv(src: Domain, t: Domain): boolean {
  return src === t || dmPriv(src, t);
}

// ---- dm_op --------------------------------------------------------------------

function doDmOp(hv: Hypervisor, d: Domain, v: Vcpu, domid: number, nrBufs: number, bufs: HypercallArg): number {
  const op = 'dm_op';
  if (nrBufs < 1) return record(hv, v, op, -X.EINVAL);
  if (nrBufs > 2) return record(hv, v, op, -E2BIG);
  const bufArr = C.guestView(d.mem, bufs, nrBufs * C.DM_OP_BUF_SIZE);
  if (typeof bufArr === 'number') return record(hv, v, op, bufArr);
  // rcu_lock_remote_domain_by_id: no such domain -ESRCH; the caller itself -EPERM.
  const t = hv.domains.get(domid);
  if (!t) return record(hv, v, op, -X.ESRCH, `d${domid}`);
  if (t === d) return record(hv, v, op, -X.EPERM, `d${domid}`);
  if (!t.hvm) return record(hv, v, op, -X.EINVAL, `d${domid} is not HVM`);
  if (!dmPriv(d, t)) return record(hv, v, op, -X.EPERM, `d${domid}`);
  const size = C.dmOpBufSize(bufArr, 0);
  if (size < BigInt(C.DM_OP_HEADER_SIZE)) return record(hv, v, op, -X.EFAULT);
  const hdr = C.guestView(d.mem, C.dmOpBufAddr(bufArr, 0), C.DM_OP_HEADER_SIZE);
  if (typeof hdr === 'number') return record(hv, v, op, hdr);
  const code = C.dmOpOp(hdr);
  if (C.dmOpPad(hdr) !== 0) return record(hv, v, op, -X.EINVAL, 'pad != 0');
  if (code === X.XEN_DMOP_set_isa_irq_level) {
    // dm.c: isa_irq > 15 or level > 1 is -EINVAL, then hvm_isa_irq_assert/deassert. Not traced: a UART's every
    // interrupt-line change comes through here.
    if (size < BigInt(C.DM_OP_HEADER_SIZE + C.DM_OP_SET_ISA_IRQ_LEVEL_SIZE)) return record(hv, v, 'XEN_DMOP_set_isa_irq_level', -X.EFAULT);
    const op = C.guestView(d.mem, C.dmOpBufAddr(bufArr, 0), C.DM_OP_HEADER_SIZE + C.DM_OP_SET_ISA_IRQ_LEVEL_SIZE);
    if (typeof op === 'number') return record(hv, v, 'XEN_DMOP_set_isa_irq_level', op);
    const irq = C.dmOpIsaIrq(op);
    const level = C.dmOpIsaIrqLevel(op);
    if (irq > 15 || level > 1) return record(hv, v, 'XEN_DMOP_set_isa_irq_level', -X.EINVAL, `irq ${irq} level ${level}`);
    t.hooks.setIsaIrq?.(irq, level === 1);
    return 0;
  }
  if (code !== X.XEN_DMOP_remote_shutdown) return record(hv, v, `dm_op ${code}`, -EOPNOTSUPP);
  if (size < BigInt(C.DM_OP_HEADER_SIZE + C.DM_OP_REMOTE_SHUTDOWN_SIZE)) return record(hv, v, 'XEN_DMOP_remote_shutdown', -X.EFAULT);
  const full = C.guestView(d.mem, C.dmOpBufAddr(bufArr, 0), C.DM_OP_HEADER_SIZE + C.DM_OP_REMOTE_SHUTDOWN_SIZE);
  if (typeof full === 'number') return record(hv, v, 'XEN_DMOP_remote_shutdown', full);
  const reason = C.dmOpRemoteShutdownReason(full);
  hv.domainShutdown(t, reason, 'XEN_DMOP_remote_shutdown');
  return record(hv, v, 'XEN_DMOP_remote_shutdown', 0, `d${domid} reason ${reason}`);
}

// ---- domctl -------------------------------------------------------------------

function doDomctlWithContinuation(hv: Hypervisor, d: Domain, v: Vcpu, arg: HypercallArg): number {
  // XEN_DOMCTL_destroydomain returns -ERESTART while domain_kill is preempted;
  // hypercall_create_continuation re-issues the same call.
  let n = 0;
  for (;;) {
    const rc = doDomctl(hv, d, v, arg, n);
    if (rc !== -X.ERESTART) return rc;
    if (++n >= MAX_CONTINUATIONS) return rc;
  }
}

function doDomctl(hv: Hypervisor, d: Domain, v: Vcpu, arg: HypercallArg, continuation: number): number {
  const view = C.guestView(d.mem, arg, C.DOMCTL_SIZE);
  if (typeof view === 'number') return record(hv, v, 'domctl', view);
  const cmd = C.domctlCmd(view);
  const name = DOMCTL_NAMES[cmd] ?? `domctl ${cmd}`;
  if (C.domctlVersion(view) !== X.XEN_DOMCTL_INTERFACE_VERSION) return record(hv, v, name, -X.EACCES, 'interface version');
  if (!d.privileged) return record(hv, v, name, -X.EPERM);
  const domid = C.domctlDomain(view);
  if (cmd === X.XEN_DOMCTL_getdomaininfo) {
    // Returns the first domain with an id >= the one asked for (xen/common/domctl.c).
    let best: Domain | null = null;
    for (const x of hv.domains.values()) if (x.id >= domid && (best === null || x.id < best.id)) best = x;
    if (!best) return -X.ESRCH; // not traced: the toolstack polls this
    view.setUint16(8, best.id, true);
    C.writeDomainInfo(view, domainInfo(best));
    return 0; // not traced: the toolstack polls this
  }
  const t = hv.domains.get(domid);
  if (!t) return record(hv, v, name, -X.ESRCH, `d${domid}`);
  switch (cmd) {
    case X.XEN_DOMCTL_destroydomain: {
      const rc = hv.domainKill(t, d);
      return record(hv, v, name, rc, `d${domid}${continuation ? ` (continuation ${continuation})` : ''}`);
    }
    case X.XEN_DOMCTL_pausedomain:
      return record(hv, v, name, t === d ? -X.EINVAL : hv.pauseByController(t), `d${domid}`);
    case X.XEN_DOMCTL_unpausedomain:
      return record(hv, v, name, hv.unpauseByController(t), `d${domid}`);
    case X.XEN_DOMCTL_resumedomain:
      hv.domainResume(t);
      return record(hv, v, name, 0, `d${domid}`);
    case X.XEN_DOMCTL_sendtrigger: {
      const trig = C.sendtriggerTrigger(view);
      const vcpu = C.sendtriggerVcpu(view);
      const detail = `d${domid} trigger ${TRIGGER_NAMES[trig] ?? trig} vcpu ${vcpu}`;
      if (vcpu >= t.vcpus.length) return record(hv, v, name, -X.ESRCH, detail);
      switch (trig) {
        case X.XEN_DOMCTL_SENDTRIGGER_NMI: return record(hv, v, name, 0, detail);
        case X.XEN_DOMCTL_SENDTRIGGER_POWER:
          if (!t.hvm) return record(hv, v, name, -X.EINVAL, detail);
          t.hooks.powerButton?.();
          return record(hv, v, name, 0, detail);
        case X.XEN_DOMCTL_SENDTRIGGER_SLEEP:
          if (!t.hvm) return record(hv, v, name, -X.EINVAL, detail);
          t.hooks.sleepButton?.();
          return record(hv, v, name, 0, detail);
        default:
          // x86 arch_do_domctl has no case for RESET or INIT: -ENOSYS (xen-devel, Dec 2020).
          return record(hv, v, name, -X.ENOSYS, detail);
      }
    }
    default:
      return record(hv, v, name, -X.ENOSYS);
  }
}

const DOMCTL_NAMES: Record<number, string> = {
  [X.XEN_DOMCTL_createdomain]: 'XEN_DOMCTL_createdomain', [X.XEN_DOMCTL_destroydomain]: 'XEN_DOMCTL_destroydomain',
  [X.XEN_DOMCTL_pausedomain]: 'XEN_DOMCTL_pausedomain', [X.XEN_DOMCTL_unpausedomain]: 'XEN_DOMCTL_unpausedomain',
  [X.XEN_DOMCTL_getdomaininfo]: 'XEN_DOMCTL_getdomaininfo', [X.XEN_DOMCTL_resumedomain]: 'XEN_DOMCTL_resumedomain',
  [X.XEN_DOMCTL_sendtrigger]: 'XEN_DOMCTL_sendtrigger',
};
const TRIGGER_NAMES = ['nmi', 'reset', 'init', 'power', 'sleep'];

// ---- hvm_op -------------------------------------------------------------------

/** Parameters a guest may set on itself (hvm.c hvm_allow_set_param). */
const HVM_PARAM_VM86_TSS = 15;
const HVM_PARAM_VM_GENERATION_ID_ADDR = 34;
const HVM_PARAM_X87_FIP_WIDTH = 36;
const HVM_PARAM_VM86_TSS_SIZED = 37;
const HVM_PARAM_ALTP2M = 35;
const HVM_PARAM_MCA_CAP = 38;
const GUEST_SETTABLE = new Set([X.HVM_PARAM_CALLBACK_IRQ, HVM_PARAM_VM86_TSS, HVM_PARAM_VM86_TSS_SIZED, X.HVM_PARAM_ACPI_IOPORTS_LOCATION,
  HVM_PARAM_VM_GENERATION_ID_ADDR, X.HVM_PARAM_STORE_EVTCHN, X.HVM_PARAM_CONSOLE_EVTCHN, HVM_PARAM_X87_FIP_WIDTH]);
/** Parameters a guest may not read (hvm.c hvm_allow_get_param). */
const GUEST_UNREADABLE = new Set([X.HVM_PARAM_IOREQ_SERVER_PFN, X.HVM_PARAM_NR_IOREQ_SERVER_PAGES, HVM_PARAM_ALTP2M, HVM_PARAM_MCA_CAP]);

function doHvmOp(hv: Hypervisor, d: Domain, v: Vcpu, op: number, arg: HypercallArg): number {
  if (op !== X.HVMOP_set_param && op !== X.HVMOP_get_param) return record(hv, v, `HVMOP ${op}`, -X.ENOSYS);
  const name = op === X.HVMOP_set_param ? 'HVMOP_set_param' : 'HVMOP_get_param';
  const view = C.guestView(d.mem, arg, C.HVM_PARAM_SIZE);
  if (typeof view === 'number') return record(hv, v, name, view);
  const index = C.hvmParamIndex(view);
  const rawDom = C.hvmParamDomid(view);
  const detail = `d${rawDom === X.DOMID_SELF ? 'SELF' : rawDom} param ${index}`;
  if (index >= X.HVM_NR_PARAMS) return record(hv, v, name, -X.EINVAL, detail);
  const t = rawDom === X.DOMID_SELF ? d : hv.domains.get(rawDom);
  if (!t) return record(hv, v, name, -X.ESRCH, detail);
  if (!t.hvm) return record(hv, v, name, -X.EINVAL, detail);
  if (!targetPriv(d, t)) return record(hv, v, name, -X.EPERM, detail);
  if (op === X.HVMOP_get_param) {
    if (t === d && GUEST_UNREADABLE.has(index)) return record(hv, v, name, -X.EPERM, detail);
    // hvm.c hvm_get_param: ACPI_S_STATE reads 3 while the domain is S3-suspended, else 0.
    const val = index === X.HVM_PARAM_ACPI_S_STATE ? (t.s3Suspended ? 3n : 0n) : t.params[index]!;
    view.setBigUint64(8, val, true);
    return record(hv, v, name, 0, `${detail} = ${t.params[index]}`);
  }
  const value = C.hvmParamValue(view);
  if (t === d && !GUEST_SETTABLE.has(index)) return record(hv, v, name, -X.EPERM, detail);
  if (index === X.HVM_PARAM_ACPI_IOPORTS_LOCATION) {
    // pmtimer_change_ioport: 0 = V0 (old qemu-trad layout), 1 = V1 (hvmloader default)
    if (value > 1n) return record(hv, v, name, -X.EINVAL, `${detail} = ${value}`);
    const rc = t.hooks.changeIoports?.(Number(value)) ?? 0;
    if (rc < 0) return record(hv, v, name, rc, detail);
  }
  if (index === X.HVM_PARAM_ACPI_S_STATE) {
    // hvm.c hvm_set_param: not reflexive (the caller must not pause itself); 3 = hvm_s3_suspend, 0 = hvm_s3_resume.
    if (t === d) return record(hv, v, name, -X.EPERM, detail);
    if (value === 3n) hv.s3Suspend(t);
    else if (value === 0n) hv.s3Resume(t);
    else return record(hv, v, name, -X.EINVAL, `${detail} = ${value}`);
    return record(hv, v, name, 0, `${detail} = ${value}`);
  }
  t.params[index] = value;
  return record(hv, v, name, 0, `${detail} = ${value}`);
}

// ---- event_channel_op ------------------------------------------------------------

function doEventChannelOp(hv: Hypervisor, d: Domain, v: Vcpu, cmd: number, arg: HypercallArg): number {
  if (cmd !== X.EVTCHNOP_send) return record(hv, v, `EVTCHNOP ${cmd}`, -X.ENOSYS);
  const view = C.guestView(d.mem, arg, C.EVTCHN_SEND_SIZE);
  if (typeof view === 'number') return record(hv, v, 'EVTCHNOP_send', view);
  const port = C.evtchnSendPort(view);
  return record(hv, v, 'EVTCHNOP_send', hv.evtchnSend(d, port), `port ${port}`);
}
