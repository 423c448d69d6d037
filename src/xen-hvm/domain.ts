/**
 * Domain and vCPU state, as plain named objects (Xen xen/include/xen/sched.h
 * `struct domain` / `struct vcpu`, the fields the shutdown and teardown paths
 * use). Behaviour lives in hypervisor.ts.
 */
import type { GuestMemory } from './hypercall-codec.js';
import { EventChannelTable } from './event-channel.js';
import {
  HVM_NR_PARAMS, SHUTDOWN_CODE_INVALID, XEN_DOMINF_blocked, XEN_DOMINF_dying, XEN_DOMINF_hvm_guest,
  XEN_DOMINF_paused, XEN_DOMINF_running, XEN_DOMINF_shutdown, XEN_DOMINF_shutdownshift,
} from './xen-abi.js';
import type { DomainInfo } from './hypercall-codec.js';

/** Xen `d->is_dying`: DOMDYING_alive / dying / dead. */
export type Dying = 'alive' | 'dying' | 'dead';

export interface Vcpu {
  readonly id: number;
  readonly domid: number;
  /** vcpu_pause / domain_pause nesting count; runnable only at 0. */
  pauseCount: number;
  /** Paused by domain_shutdown or vcpu_check_shutdown. */
  pausedForShutdown: boolean;
  /** Mid-I/O: domain_shutdown skips this vCPU until the I/O completes (vcpu_start_shutdown_deferral). */
  deferShutdown: boolean;
  /** VPF_blocked: SCHEDOP_block, `hlt` with IF=1, waiting for an ioreq response. */
  blocked: boolean;
  /** VPF_down: `hlt` with IF=0 took this vCPU offline (hvm_vcpu_down). */
  down: boolean;
  /** In wait_for_io: the ioreq slot of this vCPU is owned by the device model. */
  ioPending: boolean;
  /** Guest event channel port of this vCPU's ioreq (ioreq_t.vp_eport). */
  vpEport: number;
  /** Virtual ns this vCPU has run. */
  runtimeNs: number;
}

export interface DomainHooks {
  /** hvm_acpi_power_button (pmtimer.c). */
  powerButton?(): void;
  /** hvm_acpi_sleep_button (pmtimer.c). */
  sleepButton?(): void;
  /**
   * hvm_s3_suspend's device resets (vpic_reset, pit_reset, rtc_reset, pmtimer_reset…) and vcpu_reset with vCPU 0
   * at F000:FFF0: the domain's Xen-side devices and its guest code register here.
   */
  s3Reset?(): void;
  /** pmtimer_change_ioport: HVM_PARAM_ACPI_IOPORTS_LOCATION 0 (V0) or 1 (V1); returns 0 or -errno. */
  changeIoports?(version: number): number;
  /** XEN_DMOP_set_isa_irq_level from the device model: an ISA IRQ line of the domain's vPIC (hvm_isa_irq_assert/deassert). */
  setIsaIrq?(irq: number, level: boolean): void;
}

export interface Domain {
  readonly id: number;
  readonly hvm: boolean;
  /** Control domain (dom0): may use domctl and remote_shutdown on anyone. */
  readonly privileged: boolean;
  readonly vcpus: Vcpu[];
  readonly mem: GuestMemory;
  readonly evtchn: EventChannelTable;
  readonly params: bigint[];
  readonly hooks: DomainHooks;
  /** Xen `d->target`: a device-model stub domain has the domain it serves here. */
  target: number | null;
  pauseCount: number;
  controllerPauseCount: number;
  isShuttingDown: boolean;
  isShutDown: boolean;
  /** First code wins; SHUTDOWN_CODE_INVALID until one is recorded. */
  shutdownCode: number;
  dying: Dying;
  /** Reference count: the domain's own reference, one while it owns pages, plus get_domain holders. */
  refcnt: number;
  totPages: number;
  maxPages: number;
  /** Pages a backend still maps (foreign mappings hold page references). */
  foreignMapped: number;
  /** Teardown progress for the preemptible domain_kill. */
  evtchnDestroyed: boolean;
  /** Set once domain_destroy has removed the domain from the domain list. */
  destroyed: boolean;
  /** Xen `d->arch.hvm.is_s3_suspended`: paused by HVM_PARAM_ACPI_S_STATE = 3 until it is set back to 0. */
  s3Suspended: boolean;
  /** SCHEDOP_watchdog timers in use: each slot holds its cancel function, or null. */
  watchdogs: ((() => void) | null)[];
  readonly createdAt: number;
}

export function newVcpu(domid: number, id: number): Vcpu {
  return { id, domid, pauseCount: 0, pausedForShutdown: false, deferShutdown: false, blocked: false, down: false, ioPending: false, vpEport: 0, runtimeNs: 0 };
}

export function newDomain(o: { id: number; hvm: boolean; privileged: boolean; vcpus: number; maxPages: number; mem: GuestMemory; now: number }): Domain {
  const vcpus: Vcpu[] = [];
  for (let i = 0; i < o.vcpus; i++) vcpus.push(newVcpu(o.id, i));
  return {
    id: o.id, hvm: o.hvm, privileged: o.privileged, vcpus, mem: o.mem, evtchn: new EventChannelTable(),
    params: new Array<bigint>(HVM_NR_PARAMS).fill(0n), hooks: {}, target: null, s3Suspended: false,
    pauseCount: 0, controllerPauseCount: 0, isShuttingDown: false, isShutDown: false, shutdownCode: SHUTDOWN_CODE_INVALID,
    dying: 'alive', refcnt: 1, totPages: 0, maxPages: o.maxPages, foreignMapped: 0, evtchnDestroyed: false, destroyed: false, watchdogs: [null, null],
    createdAt: o.now,
  };
}

export const vcpuRunnable = (v: Vcpu): boolean => v.pauseCount === 0 && !v.blocked && !v.down;

/** Xen xen/common/domctl.c getdomaininfo: how the flags word is built. */
export function domainInfo(d: Domain): DomainInfo {
  let flags = XEN_DOMINF_blocked;
  let online = 0;
  let cpu = 0;
  for (const v of d.vcpus) {
    cpu += v.runtimeNs;
    if (!v.down) {
      if (!v.blocked) flags &= ~XEN_DOMINF_blocked;
      if (vcpuRunnable(v)) flags |= XEN_DOMINF_running;
      online++;
    }
  }
  const info = (online ? flags : 0)
    | (d.dying === 'dead' ? XEN_DOMINF_dying : 0)
    | (d.isShutDown ? XEN_DOMINF_shutdown : 0)
    | (d.controllerPauseCount > 0 ? XEN_DOMINF_paused : 0)
    | (d.hvm ? XEN_DOMINF_hvm_guest : 0)
    | ((d.shutdownCode & 0xff) << XEN_DOMINF_shutdownshift);
  return { domid: d.id, flags: info >>> 0, totPages: d.totPages, maxPages: d.maxPages, cpuTimeNs: cpu, nrOnlineVcpus: online, maxVcpuId: d.vcpus.length - 1 };
}
