/**
 * Trace catalogue of the ioreq layer (namespace `acpidm:ioreq`). `==>` marks
 * data going to the guest (reads), `<==` data coming from it (writes).
 */
import { defineEvent, hex } from '../trace/trace.js';

export const ioreqTrace = {
  send: defineEvent('ioreq', 'ioreq_send', (a: { vcpu: number; type: number; dir: number; addr: number; size: number; count: number; ptr: number }) =>
    `vcpu ${a.vcpu} type ${a.type} ${a.dir ? 'read' : 'write'} addr 0x${hex(a.addr)} size ${a.size} count ${a.count}${a.ptr ? ' data_is_ptr' : ''}`),
  sendBuffered: defineEvent('ioreq', 'ioreq_send_buffered', (a: { type: number; addr: number; size: number; data: number; wp: number }) =>
    `type ${a.type} addr 0x${hex(a.addr)} size ${a.size} <== 0x${hex(a.data)} slot ${a.wp % 511}`),
  complete: defineEvent('ioreq', 'ioreq_complete', (a: { vcpu: number; data: number }) => `vcpu ${a.vcpu} ==> 0x${hex(a.data)}`),
  xenLog: defineEvent('ioreq', 'ioreq_xen_log', (a: { level: string; msg: string }) => `(XEN) ${a.level}: ${a.msg}`),
  handle: defineEvent('ioreq', 'handle_ioreq', (a: { type: number; dir: number; ptr: number; addr: number; data: number; count: number; size: number }) =>
    `type ${a.type} dir ${a.dir} ptr ${a.ptr} addr 0x${hex(a.addr)} data 0x${hex(a.data)} count ${a.count} size ${a.size}`),
  buffered: defineEvent('ioreq', 'handle_buffered_iopage', (a: { rp: number; wp: number }) => `drain rp ${a.rp} wp ${a.wp}`),
  notReady: defineEvent('ioreq', 'cpu_get_ioreq_from_shared_memory_req_not_ready', (a: { vcpu: number; state: number }) =>
    `vcpu ${a.vcpu} state ${a.state}: I/O request not ready`),
  outsideRam: defineEvent('ioreq', 'ioreq_phys_outside_ram', (a: { addr: number; size: number; write: boolean }) =>
    `${a.write ? 'write' : 'read'} of ${a.size} bytes at 0x${hex(a.addr)} is outside guest RAM: ${a.write ? 'dropped' : 'reads all-ones'}`),
  dmLog: defineEvent('ioreq', 'ioreq_dm_log', (a: { msg: string }) => a.msg),
  dmFatal: defineEvent('ioreq', 'ioreq_dm_fatal', (a: { code: string; msg: string }) => `device model stopped: ${a.code}: ${a.msg}`),
  hypercall: defineEvent('ioreq', 'ioreq_dm_hypercall', (a: { op: number; ret: number }) => `op ${a.op} -> ${a.ret}`),
};
