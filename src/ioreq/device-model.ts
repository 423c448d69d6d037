/**
 * The device-model side of the ring, as QEMU hw/xen/xen-hvm-common.c does it:
 * cpu_get_ioreq / cpu_get_ioreq_from_shared_memory, handle_buffered_iopage
 * and cpu_handle_ioreq, in QEMU's order. The transport decides when
 * `handleEvent` runs (a function call in-thread; a loop in a worker).
 *
 * A fatal error (QEMU hw_error) stops this model: it is recorded in `fatal`,
 * published in the control page, and every later call is a no-op. The slot
 * and the ring keep the state they had, so nothing is served twice and the
 * failing request can be inspected.
 */
import { Trace } from '../trace/trace.js';
import {
  IOREQ_WRITE, STATE_IOREQ_INPROCESS, STATE_IOREQ_READY, STATE_IORESP_READY,
} from './abi.js';
import { bufSlotData, bufSlotOffset, bufSlotWord0, bufWord0Addr, bufWord0Size, bufWord0Type, rpIndex, wpIndex } from './buf-ioreq-codec.js';
import { asDmFatal, IoreqDispatcher } from './dm-dispatch.js';
import { badEvent, DmFatalError, incompleteQuadWord } from './dm-errors.js';
import type { DmDevices, DmHooks } from './dm-types.js';
import type { EventChannels } from './evtchn.js';
import { loadIoreqState, newIoreq, readIoreq, setIoreqDataLoHi, storeIoreqState, type Ioreq } from './ioreq-codec.js';
import { ioreqTrace as tr } from './ioreq-trace.js';
import { CTL_DM_STATUS, DmStatus, type RingMemory } from './ring-memory.js';

const TWO32 = 0x1_0000_0000;

export class DeviceModel {
  readonly dispatch: IoreqDispatcher;
  readonly trace: Trace;
  /** The error that stopped this model, or null while it runs. */
  fatal: DmFatalError | null = null;
  readonly stats = { sync: 0, buffered: 0, notReady: 0, badness: 0, events: 0 };
  /** The working copy of the synchronous request (QEMU `ioreq_t copy = *req`). */
  private readonly copy: Ioreq = newIoreq();
  /** The request built from a buffered slot. */
  private readonly breq: Ioreq = newIoreq();

  constructor(readonly mem: RingMemory, readonly evtchn: EventChannels, devices: DmDevices, readonly hooks: DmHooks = {}, trace?: Trace) {
    this.trace = trace ?? new Trace();
    this.dispatch = new IoreqDispatcher(devices, this.trace, (line) => this.log(line));
    Atomics.store(mem.ctl, CTL_DM_STATUS, DmStatus.Running);
  }

  get running(): boolean {
    return this.fatal === null && Atomics.load(this.mem.ctl, CTL_DM_STATUS) === DmStatus.Running;
  }

  private log(line: string): void {
    if (this.trace.on(tr.dmLog)) this.trace.emit(tr.dmLog, { msg: line });
    this.hooks.log?.(line);
  }

  /**
   * One cpu_handle_ioreq() for one pending event. Returns false when there
   * was nothing to do (no event pending and the buffered ring empty) or the
   * model is stopped.
   */
  handleEvent(): boolean {
    if (!this.running) return false;
    const port = this.evtchn.takeDmPending();
    let vcpu = -1;
    try {
      if (port < 0) return this.handleBufferedIopage(); // "read error or read nothing": still drain the ring
      this.stats.events++;
      const c = this.evtchn.channelOfDmPort(port);
      if (c === this.evtchn.bufChannel) {
        this.handleBufferedIopage();
        return true;
      }
      // The pending port identifies the vCPU (QEMU compares it with ioreq_local_port[i]).
      if (c < 0) throw badEvent(port);
      vcpu = c;
      const o = this.mem.slot(vcpu);
      // cpu_get_ioreq_from_shared_memory: a slot that is not READY is logged and ignored.
      // This seq-cst load is also the read barrier: see READY, *then* read the contents.
      const state = loadIoreqState(this.mem.u8, o);
      if (state !== STATE_IOREQ_READY) {
        this.stats.notReady++;
        if (this.trace.on(tr.notReady)) this.trace.emit(tr.notReady, { vcpu, state });
        this.handleBufferedIopage();
        return true;
      }
      // Claim the slot (cpu_get_ioreq) before anything else runs, so a second event for it is "not ready".
      storeIoreqState(this.mem.u8, o, STATE_IOREQ_INPROCESS);
      // Drain the buffered ring first: writes Xen queued before this request must reach the devices before it does.
      this.handleBufferedIopage();
      // Work on a copy: the guest-visible slot only ever gets `data` back.
      const req = readIoreq(this.mem.view, o, this.copy);
      this.hooks.beforeDispatch?.(vcpu, req);
      this.dispatch.handle(req);
      // Re-check INPROCESS: if someone else rewrote the slot, it is no longer ours to answer.
      const now = loadIoreqState(this.mem.u8, o);
      if (now !== STATE_IOREQ_INPROCESS) {
        this.badness(vcpu, now, req);
        return true;
      }
      setIoreqDataLoHi(this.mem.view, o, req.dataLo, req.dataHi);
      // (The seq-cst state store below is the write barrier: data first, state second.)
      // Before responding: a pending shutdown/reset must reach the toolstack before the guest can run again.
      this.hooks.beforeResponse?.(vcpu, req);
      storeIoreqState(this.mem.u8, o, STATE_IORESP_READY);
      this.stats.sync++;
      // Notify last: the vCPU may run (and reuse the slot) as soon as it sees IORESP_READY.
      this.evtchn.notifyXen(vcpu);
      return true;
    } catch (e) {
      this.stop(e instanceof DmFatalError ? e : asDmFatal(e, vcpu >= 0 ? this.copy : this.breq), vcpu);
      return false;
    }
  }

  /** QEMU's name for one step. */
  cpuHandleIoreq(): boolean {
    return this.handleEvent();
  }

  /** Serve every pending event; returns how many were handled. */
  runPending(): number {
    let n = 0;
    while (this.handleEvent()) n++;
    return n;
  }

  /**
   * QEMU handle_buffered_iopage(): serve the ring in order until it is empty.
   * Returns whether anything was served.
   */
  handleBufferedIopage(): boolean {
    const { u32, view, bufPage } = this.mem;
    const req = this.breq;
    let handled = false;
    for (;;) {
      // Read rp, then wp (seq-cst loads = QEMU's xen_rmb()s), then rp again: in ATOMIC mode Xen may have
      // reduced both pointers in between, so retry until rp is stable.
      const rp = Atomics.load(u32, rpIndex(bufPage));
      const wp = Atomics.load(u32, wpIndex(bufPage));
      if (rp !== Atomics.load(u32, rpIndex(bufPage))) continue;
      if (rp === wp) break;
      if (!handled && this.trace.on(tr.buffered)) this.trace.emit(tr.buffered, { rp, wp });
      const s = bufSlotOffset(bufPage, rp);
      const w0 = bufSlotWord0(view, s);
      // Upstream QEMU: READY, count 1, dir forced to WRITE.
      req.state = STATE_IOREQ_READY;
      req.count = 1;
      req.dir = IOREQ_WRITE;
      req.dataIsPtr = 0;
      req.df = 0;
      req.size = bufWord0Size(w0);
      req.addrLo = bufWord0Addr(w0);
      req.addrHi = 0;
      req.type = bufWord0Type(w0);
      req.dataLo = bufSlotData(view, s);
      req.dataHi = 0;
      const qw = req.size === 8 ? 1 : 0;
      if (qw) {
        // The high half is in the next slot; Xen publishes both before moving wp, so one slot alone is corrupt.
        if (((rp + 1) >>> 0) === wp) throw incompleteQuadWord();
        req.dataHi = bufSlotData(view, bufSlotOffset(bufPage, rp + 1));
      }
      this.dispatch.handle(req);
      // Only now consume the slot(s): a fatal error above leaves them in the ring, unserved.
      Atomics.add(u32, rpIndex(bufPage), 1 + qw);
      this.stats.buffered++;
      handled = true;
    }
    return handled;
  }

  /** "Badness in I/O request ... not in service?!": no response is posted and the domain is powered off. */
  private badness(vcpu: number, state: number, req: Ioreq): void {
    this.stats.badness++;
    this.log(`Badness in I/O request ... not in service?!: ${state.toString(16)}, ptr: ${req.dataIsPtr.toString(16)}, ` +
      `port: ${(req.addrHi * TWO32 + req.addrLo).toString(16)}, data: ${(req.dataHi * TWO32 + req.dataLo).toString(16)}, ` +
      `count: ${req.count}, size: ${req.size}, type: ${req.type} (vcpu ${vcpu})`);
    this.hooks.destroyHvmDomain?.(false);
  }

  /** Stop the model on a fatal error: record, publish, wake the hypervisor side. */
  stop(err: DmFatalError, vcpu = -1): void {
    if (this.fatal) return;
    const e = vcpu >= 0 && err.vcpu < 0 ? new DmFatalError(err.code, err.message, vcpu) : err;
    this.fatal = e;
    this.mem.publishDmError(e.code, e.message);
    Atomics.store(this.mem.ctl, CTL_DM_STATUS, DmStatus.Fatal);
    if (this.trace.on(tr.dmFatal)) this.trace.emit(tr.dmFatal, { code: e.code, msg: e.message });
    this.log(`${e.message}`);
    this.hooks.fatal?.(e.code, e.message);
    this.evtchn.kickXen();
  }
}
