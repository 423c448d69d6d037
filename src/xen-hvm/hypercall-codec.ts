/**
 * DataView codecs for hypercall argument structs (Xen 4.17 public headers,
 * x86-64 layout). One size constant and one comment per field with its
 * offset. test/xen/abi-headers.test.ts checks every size and offset against
 * the installed headers with gcc.
 *
 * Guest memory: a hypercall's pointer arguments are addresses in the caller's
 * memory. `guestView` is Xen's copy_from_guest bounds check: a range that is
 * not entirely inside the caller's memory is -EFAULT, never a host exception.
 */
import { EFAULT } from './xen-abi.js';

/** The memory a hypercall's pointers refer to (a guest's RAM, or a dom0 process's hypercall buffer). */
export interface GuestMemory {
  readonly bytes: Uint8Array;
}

/** A view of [addr, addr+len) in `mem`, or -EFAULT. */
export function guestView(mem: GuestMemory, addr: number | bigint, len: number): DataView | number {
  const a = typeof addr === 'bigint' ? (addr > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(addr)) : addr;
  if (!Number.isInteger(a) || a < 0 || a + len > mem.bytes.length) return -EFAULT;
  return new DataView(mem.bytes.buffer, mem.bytes.byteOffset + a, len);
}

// struct sched_shutdown (sched.h), also sched_shutdown_code
export const SCHED_SHUTDOWN_SIZE = 4;
//  0  u32 reason    SHUTDOWN_*; not range-checked by Xen
export const schedShutdownReason = (v: DataView): number => v.getUint32(0, true);

// struct sched_remote_shutdown (sched.h)
export const SCHED_REMOTE_SHUTDOWN_SIZE = 8;
//  0  u16 domain_id
//  2  (padding)
//  4  u32 reason
export const remoteShutdownDomid = (v: DataView): number => v.getUint16(0, true);
export const remoteShutdownReason = (v: DataView): number => v.getUint32(4, true);
export function writeRemoteShutdown(v: DataView, domid: number, reason: number): void {
  v.setUint16(0, domid, true);
  v.setUint16(2, 0, true);
  v.setUint32(4, reason >>> 0, true);
}

// struct xen_dm_op_buf (dm_op.h): the hypercall passes an array of these
export const DM_OP_BUF_SIZE = 16;
//  0  u64 h     guest handle (address of the buffer)
//  8  u64 size  (xen_ulong_t)
export const dmOpBufAddr = (v: DataView, i: number): bigint => v.getBigUint64(i * DM_OP_BUF_SIZE, true);
export const dmOpBufSize = (v: DataView, i: number): bigint => v.getBigUint64(i * DM_OP_BUF_SIZE + 8, true);

// struct xen_dm_op (dm_op.h)
/** offsetof(struct xen_dm_op, u). */
export const DM_OP_HEADER_SIZE = 8;
//  0  u32 op    XEN_DMOP_*
//  4  u32 pad   must be 0
//  8  union u   xen_dm_op_remote_shutdown: u32 reason @8
export const DM_OP_REMOTE_SHUTDOWN_SIZE = 4;
export const dmOpOp = (v: DataView): number => v.getUint32(0, true);
export const dmOpPad = (v: DataView): number => v.getUint32(4, true);
export const dmOpRemoteShutdownReason = (v: DataView): number => v.getUint32(8, true);
//  8  union u   xen_dm_op_set_isa_irq_level: u8 isa_irq @8, u8 level @9
export const DM_OP_SET_ISA_IRQ_LEVEL_SIZE = 2;
export const dmOpIsaIrq = (v: DataView): number => v.getUint8(8);
export const dmOpIsaIrqLevel = (v: DataView): number => v.getUint8(9);

// struct xen_domctl (domctl.h)
export const DOMCTL_SIZE = 16 + 128;
//  0  u32 cmd
//  4  u32 interface_version   XEN_DOMCTL_INTERFACE_VERSION
//  8  u16 domain
// 10  u16 _pad[3]
// 16  union u (128 bytes)
export const DOMCTL_U = 16;
export const domctlCmd = (v: DataView): number => v.getUint32(0, true);
export const domctlVersion = (v: DataView): number => v.getUint32(4, true);
export const domctlDomain = (v: DataView): number => v.getUint16(8, true);
export function writeDomctlHeader(v: DataView, cmd: number, version: number, domid: number): void {
  v.setUint32(0, cmd, true);
  v.setUint32(4, version, true);
  v.setUint16(8, domid, true);
  for (let i = 10; i < DOMCTL_SIZE; i++) v.setUint8(i, 0);
}
// struct xen_domctl_sendtrigger at u
// 16  u32 trigger   XEN_DOMCTL_SENDTRIGGER_*
// 20  u32 vcpu
export const sendtriggerTrigger = (v: DataView): number => v.getUint32(DOMCTL_U, true);
export const sendtriggerVcpu = (v: DataView): number => v.getUint32(DOMCTL_U + 4, true);

// struct xen_domctl_getdomaininfo at u (offsets relative to u)
export const GDI = {
  domain: 0,            // u16 (also echoed in domctl.domain)
  flags: 4,             // u32 XEN_DOMINF_*, shutdown code in bits 16-23
  tot_pages: 8,         // u64
  max_pages: 16,        // u64
  shared_info_frame: 48, // u64
  cpu_time: 56,         // u64 ns
  nr_online_vcpus: 64,  // u32
  max_vcpu_id: 68,      // u32
  ssidref: 72,          // u32
  handle: 76,           // u8[16]
  cpupool: 92,          // u32
} as const;

export interface DomainInfo {
  domid: number;
  flags: number;
  totPages: number;
  maxPages: number;
  cpuTimeNs: number;
  nrOnlineVcpus: number;
  maxVcpuId: number;
}

export function writeDomainInfo(v: DataView, i: DomainInfo): void {
  const u = DOMCTL_U;
  v.setUint16(u + GDI.domain, i.domid, true);
  v.setUint32(u + GDI.flags, i.flags >>> 0, true);
  v.setBigUint64(u + GDI.tot_pages, BigInt(i.totPages), true);
  v.setBigUint64(u + GDI.max_pages, BigInt(i.maxPages), true);
  v.setBigUint64(u + GDI.cpu_time, BigInt(Math.floor(i.cpuTimeNs)), true);
  v.setUint32(u + GDI.nr_online_vcpus, i.nrOnlineVcpus, true);
  v.setUint32(u + GDI.max_vcpu_id, i.maxVcpuId >>> 0, true);
}

export function readDomainInfo(v: DataView): DomainInfo {
  const u = DOMCTL_U;
  return {
    domid: v.getUint16(u + GDI.domain, true),
    flags: v.getUint32(u + GDI.flags, true),
    totPages: Number(v.getBigUint64(u + GDI.tot_pages, true)),
    maxPages: Number(v.getBigUint64(u + GDI.max_pages, true)),
    cpuTimeNs: Number(v.getBigUint64(u + GDI.cpu_time, true)),
    nrOnlineVcpus: v.getUint32(u + GDI.nr_online_vcpus, true),
    maxVcpuId: v.getUint32(u + GDI.max_vcpu_id, true),
  };
}

// struct xen_hvm_param (hvm_op.h)
export const HVM_PARAM_SIZE = 16;
//  0  u16 domid   DOMID_SELF allowed
//  2  u16 pad
//  4  u32 index   HVM_PARAM_*
//  8  u64 value   IN for set, OUT for get
export const hvmParamDomid = (v: DataView): number => v.getUint16(0, true);
export const hvmParamIndex = (v: DataView): number => v.getUint32(4, true);
export const hvmParamValue = (v: DataView): bigint => v.getBigUint64(8, true);
export function writeHvmParam(v: DataView, domid: number, index: number, value: bigint): void {
  v.setUint16(0, domid, true);
  v.setUint16(2, 0, true);
  v.setUint32(4, index >>> 0, true);
  v.setBigUint64(8, value, true);
}

// struct evtchn_send (event_channel.h)
export const EVTCHN_SEND_SIZE = 4;
//  0  u32 port
export const evtchnSendPort = (v: DataView): number => v.getUint32(0, true);
