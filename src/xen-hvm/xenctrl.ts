/**
 * A libxenctrl / libxendevicemodel-like client: builds the argument structs in
 * the caller's memory (a hypercall buffer, as libxencall's bounce buffers) and
 * issues the hypercall from one of the caller's vCPUs. Return values follow
 * the hypercall: 0 or -errno (libxc would turn that into -1 + errno).
 */
import type { Vcpu } from './domain.js';
import type { Hypervisor } from './hypervisor.js';
import { hypercall } from './hypercalls.js';
import * as C from './hypercall-codec.js';
import * as X from './xen-abi.js';

/** Where the hypercall buffer lives in the caller's memory. */
const BUF = 0x1000;

export class XenCtrl {
  constructor(readonly hv: Hypervisor, readonly caller: Vcpu) {}

  private view(len: number): DataView {
    const d = this.hv.domains.get(this.caller.domid);
    if (!d) throw new Error(`caller d${this.caller.domid} is gone`);
    const v = C.guestView(d.mem, BUF, len);
    if (typeof v === 'number') throw new Error('hypercall buffer outside the caller memory');
    return v;
  }

  /** xc_domain_shutdown: SCHEDOP_remote_shutdown. */
  domainShutdown(domid: number, reason: number): number {
    C.writeRemoteShutdown(this.view(C.SCHED_REMOTE_SHUTDOWN_SIZE), domid, reason);
    return hypercall(this.hv, this.caller, X.HYPERVISOR_sched_op, [X.SCHEDOP_remote_shutdown, BUF]);
  }

  /** xendevicemodel_shutdown: dm_op XEN_DMOP_remote_shutdown with one buffer. */
  dmShutdown(domid: number, reason: number): number {
    const v = this.view(0x40);
    // buffer array at BUF, the xen_dm_op itself at BUF + 0x20
    v.setBigUint64(0, BigInt(BUF + 0x20), true);
    v.setBigUint64(8, BigInt(C.DM_OP_HEADER_SIZE + C.DM_OP_REMOTE_SHUTDOWN_SIZE), true);
    v.setUint32(0x20, X.XEN_DMOP_remote_shutdown, true);
    v.setUint32(0x24, 0, true);
    v.setUint32(0x28, reason >>> 0, true);
    return hypercall(this.hv, this.caller, X.HYPERVISOR_dm_op, [domid, 1, BUF]);
  }

  /** xendevicemodel_set_isa_irq_level(domid, irq, level): XEN_DMOP_set_isa_irq_level. */
  setIsaIrqLevel(domid: number, irq: number, level: number): number {
    const v = this.view(0x40);
    v.setBigUint64(0, BigInt(BUF + 0x20), true);
    v.setBigUint64(8, BigInt(C.DM_OP_HEADER_SIZE + C.DM_OP_SET_ISA_IRQ_LEVEL_SIZE), true);
    v.setUint32(0x20, X.XEN_DMOP_set_isa_irq_level, true);
    v.setUint32(0x24, 0, true);
    v.setUint8(0x28, irq & 0xff);
    v.setUint8(0x29, level & 0xff);
    return hypercall(this.hv, this.caller, X.HYPERVISOR_dm_op, [domid, 1, BUF]);
  }

  private domctl(cmd: number, domid: number, fill?: (v: DataView) => void): { rc: number; view: DataView } {
    const v = this.view(C.DOMCTL_SIZE);
    C.writeDomctlHeader(v, cmd, X.XEN_DOMCTL_INTERFACE_VERSION, domid);
    fill?.(v);
    const rc = hypercall(this.hv, this.caller, X.HYPERVISOR_domctl, [BUF]);
    return { rc, view: v };
  }

  domainDestroy(domid: number): number { return this.domctl(X.XEN_DOMCTL_destroydomain, domid).rc; }
  domainPause(domid: number): number { return this.domctl(X.XEN_DOMCTL_pausedomain, domid).rc; }
  domainUnpause(domid: number): number { return this.domctl(X.XEN_DOMCTL_unpausedomain, domid).rc; }
  domainResume(domid: number): number { return this.domctl(X.XEN_DOMCTL_resumedomain, domid).rc; }

  sendTrigger(domid: number, trigger: number, vcpu = 0): number {
    return this.domctl(X.XEN_DOMCTL_sendtrigger, domid, (v) => {
      v.setUint32(C.DOMCTL_U, trigger, true);
      v.setUint32(C.DOMCTL_U + 4, vcpu, true);
    }).rc;
  }

  /** xc_domain_getinfo for exactly `domid`: null when it does not exist. */
  getInfo(domid: number): C.DomainInfo | null {
    const { rc, view } = this.domctl(X.XEN_DOMCTL_getdomaininfo, domid);
    if (rc < 0) return null;
    const info = C.readDomainInfo(view);
    return info.domid === domid ? info : null;
  }

  /** xc_domain_getinfolist: every domain, by walking getdomaininfo upward. */
  listInfo(): C.DomainInfo[] {
    const out: C.DomainInfo[] = [];
    for (let next = 0; next < X.DOMID_SELF;) {
      const { rc, view } = this.domctl(X.XEN_DOMCTL_getdomaininfo, next);
      if (rc < 0) break;
      const info = C.readDomainInfo(view);
      out.push(info);
      next = info.domid + 1;
    }
    return out;
  }

  getParam(domid: number, index: number): { rc: number; value: bigint } {
    const v = this.view(C.HVM_PARAM_SIZE);
    C.writeHvmParam(v, domid, index, 0n);
    const rc = hypercall(this.hv, this.caller, X.HYPERVISOR_hvm_op, [X.HVMOP_get_param, BUF]);
    return { rc, value: rc === 0 ? C.hvmParamValue(v) : 0n };
  }

  setParam(domid: number, index: number, value: bigint): number {
    C.writeHvmParam(this.view(C.HVM_PARAM_SIZE), domid, index, value);
    return hypercall(this.hv, this.caller, X.HYPERVISOR_hvm_op, [X.HVMOP_set_param, BUF]);
  }

  /** SCHEDOP_shutdown issued by guest vCPU `v` of the caller domain. */
  schedShutdownFrom(v: Vcpu, reason: number): number {
    this.view(4).setUint32(0, reason >>> 0, true);
    return hypercall(this.hv, v, X.HYPERVISOR_sched_op, [X.SCHEDOP_shutdown, BUF]);
  }

  /** HVMOP_set_param on DOMID_SELF, issued by guest vCPU `v` (PV drivers set CALLBACK_IRQ this way). */
  setParamFrom(v: Vcpu, index: number, value: bigint): number {
    C.writeHvmParam(this.view(C.HVM_PARAM_SIZE), X.DOMID_SELF, index, value);
    return hypercall(this.hv, v, X.HYPERVISOR_hvm_op, [X.HVMOP_set_param, BUF]);
  }

  /** SCHEDOP_watchdog issued by guest vCPU `v`: struct sched_watchdog { u32 id; u32 timeout; }. */
  watchdogFrom(v: Vcpu, id: number, timeout: number): number {
    const w = this.view(8);
    w.setUint32(0, id >>> 0, true);
    w.setUint32(4, timeout >>> 0, true);
    return hypercall(this.hv, v, X.HYPERVISOR_sched_op, [X.SCHEDOP_watchdog, BUF]);
  }

  evtchnSend(port: number): number {
    this.view(4).setUint32(0, port, true);
    return hypercall(this.hv, this.caller, X.HYPERVISOR_event_channel_op, [X.EVTCHNOP_send, BUF]);
  }
}
