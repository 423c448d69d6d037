/**
 * The hypervisor side of an ioreq server, as Xen xen/common/ioreq.c does it:
 * `ioreq_send` (synchronous, one slot per vCPU), `ioreq_send_buffered` (the
 * 511-slot ring) and `wait_for_io` (block the vCPU until IORESP_READY).
 *
 * It never blocks by itself: `waitForIo` calls the transport's `idle`
 * function while the request is in flight. The in-thread transport runs the
 * device model there; the cross-thread one sleeps on the event channel.
 * No allocation per request: the caller's Ioreq is the proto and receives
 * the data back (Xen copies into `vcpu->io.req` when it needs completion).
 */
import { hex, Trace } from '../trace/trace.js';
import {
  BUF_ADDR_MAX, HVM_IOREQSRV_BUFIOREQ_ATOMIC, HVM_IOREQSRV_BUFIOREQ_OFF, IOREQ_BUFFER_SLOT_NUM, IOREQ_OFF_VP_EPORT, IOREQ_TYPE_PIO, IOREQ_WRITE,
  STATE_IOREQ_INPROCESS, STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IORESP_READY, type BufioreqMode,
} from './abi.js';
import { bufSizeLog2, bufSlotOffset, packBufWord0, rpIndex, writeBufSlot, wpIndex } from './buf-ioreq-codec.js';
import type { EventChannels } from './evtchn.js';
import { ioreqDataHi, ioreqDataLo, ioreqVpEport, loadIoreqState, storeIoreqState, writeIoreq, type Ioreq } from './ioreq-codec.js';
import { ioreqTrace as tr } from './ioreq-trace.js';
import { CTL_HC_ARGS, CTL_HC_OP, CTL_HC_RET, CTL_HC_STATE, DmStatus, HC_MAX_ARGS, type RingMemory } from './ring-memory.js';

/**
 * Outcomes. Handled/Unhandled/Retry are Xen's IOREQ_STATUS_* (X86EMUL_OKAY 0,
 * X86EMUL_UNHANDLEABLE 1, X86EMUL_RETRY 3). Xen also answers RETRY for "sent,
 * now wait"; here that is `Sent`, so Retry only means "the domain is shutting
 * down: the vCPU is paused and the access is retried later".
 */
export const IoResult = {
  Handled: 0,
  Unhandled: 1,
  Retry: 3,
  /** ioreq_send posted the request: the vCPU must wait_for_io. */
  Sent: 4,
  /** wait_for_io: the request is still READY or INPROCESS. */
  Pending: 5,
  /** wait_for_io hit a weird state: the domain was crashed (hooks.domainCrash). */
  Crashed: 6,
  /** The device model stopped (fatal error, stop or exit) with this request unanswered; the slot is left as it was. */
  DmDead: 7,
  /** waitForIo's timeout expired (a stuck DM); the request stays in flight and can be waited for again. */
  Timeout: 8,
  /** ioreq_send_buffered: the ring is full (Xen answers UNHANDLED; the caller uses the synchronous path). */
  RingFull: 9,
} as const;
export type IoResult = (typeof IoResult)[keyof typeof IoResult];
export const IO_RESULT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(IoResult).map(([k, v]) => [v, k]));

export interface XenIoreqHooks {
  /** vcpu_start_shutdown_deferral: false if the domain is shutting down (the vCPU is paused instead; nothing is sent). */
  startShutdownDeferral?(vcpu: number): boolean;
  /** vcpu_end_shutdown_deferral: the I/O is over; pause the vCPU now if a shutdown is under way. */
  endShutdownDeferral?(vcpu: number): void;
  /** domain_crash(d) from wait_for_io, with the message Xen printed. */
  domainCrash?(vcpu: number, message: string): void;
  /** Xen's console (gprintk / gdprintk). */
  log?(level: 'err' | 'warn', message: string): void;
  /**
   * A hypercall from the device model (e.g. XEN_DMOP_remote_shutdown or
   * SCHEDOP_remote_shutdown), serviced while a vCPU waits or in
   * serviceHypercalls(). `args` is only valid during the call.
   */
  hypercall?(op: number, args: Int32Array, nargs: number): number;
}

/** What the transport does while a vCPU waits. false = no progress possible (DM gone or timed out). */
export type IdleFn = (server: XenIoreqServer, vcpu: number, seenBell: number, timeoutMs: number) => boolean;

export interface XenIoreqServerOptions {
  bufioreq?: BufioreqMode;
  hooks?: XenIoreqHooks;
  trace?: Trace;
  idle: IdleFn;
}

const ALL_ONES = 0xffffffff;

export class XenIoreqServer {
  readonly bufioreq: BufioreqMode;
  readonly hooks: XenIoreqHooks;
  readonly trace: Trace;
  /** sv->pending per vCPU. */
  readonly pending: Uint8Array;
  /** wait_for_io's prev_state per vCPU, kept across polls. */
  private readonly prevState: Uint8Array;
  private readonly idle: IdleFn;
  private readonly hcArgs = new Int32Array(HC_MAX_ARGS);
  /** Counters (plain, named). */
  readonly stats = { sent: 0, completed: 0, buffered: 0, bufferedFull: 0, unhandled: 0, crashed: 0, hypercalls: 0 };

  constructor(readonly mem: RingMemory, readonly evtchn: EventChannels, opts: XenIoreqServerOptions) {
    this.bufioreq = opts.bufioreq ?? HVM_IOREQSRV_BUFIOREQ_ATOMIC;
    this.hooks = opts.hooks ?? {};
    this.trace = opts.trace ?? new Trace();
    this.idle = opts.idle;
    this.pending = new Uint8Array(mem.vcpus);
    this.prevState = new Uint8Array(mem.vcpus);
    // Xen ioreq_update_evtchn(): each slot's vp_eport is the vCPU's channel, written when the vCPU is added.
    for (let v = 0; v < mem.vcpus; v++) mem.view.setUint32(mem.slot(v) + IOREQ_OFF_VP_EPORT, evtchn.xenPort(v), true);
  }

  private log(level: 'err' | 'warn', msg: string): void {
    if (this.trace.on(tr.xenLog)) this.trace.emit(tr.xenLog, { level, msg });
    this.hooks.log?.(level, msg);
  }

  /**
   * Xen ioreq_send(s, p, buffered = false). Returns Sent (now waitForIo),
   * Unhandled (slot or channel in a bad state), or Retry (domain shutting down).
   */
  send(vcpu: number, p: Ioreq): IoResult {
    if (vcpu < 0 || vcpu >= this.mem.vcpus || !Number.isInteger(vcpu)) throw new RangeError(`no vCPU ${vcpu} on this ioreq server`);
    if (this.pending[vcpu]) throw new Error(`vCPU ${vcpu} already has an ioreq in flight; waitForIo first`);
    if (this.hooks.startShutdownDeferral && !this.hooks.startShutdownDeferral(vcpu)) return IoResult.Retry;
    const o = this.mem.slot(vcpu);
    const port = this.evtchn.xenPort(vcpu);
    const state = loadIoreqState(this.mem.u8, o);
    if (state !== STATE_IOREQ_NONE) {
      this.log('err', `device model set bad IO state ${state}`);
      return this.unhandled(vcpu);
    }
    const eport = ioreqVpEport(this.mem.view, o);
    if (eport !== port) {
      this.log('err', `device model set bad event channel ${eport}`);
      return this.unhandled(vcpu);
    }
    if (this.trace.on(tr.send)) {
      this.trace.emit(tr.send, { vcpu, type: p.type, dir: p.dir, addr: p.addrHi * 0x1_0000_0000 + p.addrLo, size: p.size, count: p.count, ptr: p.dataIsPtr });
    }
    // Copy the request in with state NONE first ...
    const st = p.state;
    p.state = STATE_IOREQ_NONE;
    p.vpEport = port;
    writeIoreq(this.mem.view, o, p);
    p.state = st;
    // ... and only then (seq-cst store = the barrier prepare_wait_on_xen_event_channel implies) mark it READY:
    // the DM must never see READY with stale contents.
    storeIoreqState(this.mem.u8, o, STATE_IOREQ_READY);
    this.pending[vcpu] = 1;
    this.prevState[vcpu] = STATE_IOREQ_NONE;
    this.stats.sent++;
    this.evtchn.notifyDm(vcpu);
    return IoResult.Sent;
  }

  private unhandled(vcpu: number): IoResult {
    this.stats.unhandled++;
    // The I/O is over without reaching the DM: end the deferral ioreq_send started.
    this.hooks.endShutdownDeferral?.(vcpu);
    return IoResult.Unhandled;
  }

  /** Can Xen buffer this request? (ioreq_send_buffered: 20-bit addr, no pointer, count 1, size 1/2/4/8). */
  canBuffer(p: Ioreq): boolean {
    return this.bufioreq !== HVM_IOREQSRV_BUFIOREQ_OFF && p.addrHi === 0 && p.addrLo <= BUF_ADDR_MAX && p.dataIsPtr === 0 &&
      p.count === 1 && bufSizeLog2(p.size) >= 0;
  }

  /**
   * Xen ioreq_send_buffered(s, p): Handled (queued, fire-and-forget),
   * RingFull (use the synchronous path), or Unhandled (cannot be buffered).
   */
  sendBuffered(p: Ioreq): IoResult {
    if (this.bufioreq === HVM_IOREQSRV_BUFIOREQ_OFF) return IoResult.Unhandled; // no buffered page
    // Xen: 'addr' is only a 20-bit field; guest memory buffers must be accessed synchronously; no count field.
    if (p.addrHi !== 0 || p.addrLo > BUF_ADDR_MAX || p.dataIsPtr !== 0 || p.count !== 1) return IoResult.Unhandled;
    const log2 = bufSizeLog2(p.size);
    if (log2 < 0) {
      this.log('warn', `unexpected ioreq size: ${p.size}`);
      return IoResult.Unhandled;
    }
    const qw = log2 === 3 ? 1 : 0;
    const { u32, view, bufPage } = this.mem;
    const wp = Atomics.load(u32, wpIndex(bufPage)); // only this side writes it (Xen holds bufioreq_lock)
    const rp = Atomics.load(u32, rpIndex(bufPage));
    if (((wp - rp) >>> 0) >= IOREQ_BUFFER_SLOT_NUM - qw) {
      this.stats.bufferedFull++;
      return IoResult.RingFull; // "The queue is full: send the iopacket through the normal path."
    }
    const w0 = packBufWord0(p.type, p.dir, log2, p.addrLo);
    writeBufSlot(view, bufSlotOffset(bufPage, wp), w0, p.dataLo);
    // An 8-byte request takes two slots: the second carries data >> 32 with the same header.
    if (qw) writeBufSlot(view, bufSlotOffset(bufPage, wp + 1), w0, p.dataHi);
    // Make the slots visible /before/ write_pointer (the seq-cst store is the smp_wmb()).
    Atomics.store(u32, wpIndex(bufPage), (wp + 1 + qw) >>> 0);
    if (this.bufioreq === HVM_IOREQSRV_BUFIOREQ_ATOMIC) this.canonicalisePointers(qw);
    if (this.trace.on(tr.sendBuffered)) this.trace.emit(tr.sendBuffered, { type: p.type, addr: p.addrLo, size: p.size, data: p.dataLo, wp });
    this.stats.buffered++;
    this.evtchn.notifyDm(this.evtchn.bufChannel);
    return IoResult.Handled;
  }

  /**
   * ATOMIC mode: reduce both pointers by a multiple of 511 once rp >= 511, in
   * one 64-bit cmpxchg, so the DM (which only ever adds to rp) never sees a
   * torn pair. Bounded like Xen's loop (qw++ < IOREQ_BUFFER_SLOT_NUM).
   */
  private canonicalisePointers(qw: number): void {
    const { u32, u64, bufPage } = this.mem;
    while (qw++ < IOREQ_BUFFER_SLOT_NUM && Atomics.load(u32, rpIndex(bufPage)) >= IOREQ_BUFFER_SLOT_NUM) {
      const old = Atomics.load(u64, 0);
      const orp = Number(old & 0xffff_ffffn);
      const owp = Number(old >> 32n);
      const n = Math.floor(orp / IOREQ_BUFFER_SLOT_NUM);
      const neu = BigInt(orp - n * IOREQ_BUFFER_SLOT_NUM) | (BigInt((owp - n * IOREQ_BUFFER_SLOT_NUM) >>> 0) << 32n);
      Atomics.compareExchange(u64, 0, old, neu);
    }
  }

  /**
   * One non-blocking pass of Xen wait_for_io(). Pending while READY or
   * INPROCESS. On IORESP_READY: state back to NONE, data into `p` if it
   * needs completion, end the shutdown deferral, Handled.
   */
  pollIo(vcpu: number, p: Ioreq): IoResult {
    if (!this.pending[vcpu]) throw new Error(`vCPU ${vcpu} has no ioreq in flight`);
    const o = this.mem.slot(vcpu);
    this.evtchn.takeXen(vcpu); // consume the wake-up; the state word is the truth
    let state = loadIoreqState(this.mem.u8, o);
    let dataLo = ALL_ONES;
    let dataHi = ALL_ONES;
    // The only reason to see NONE here is an emulator dying while the I/O was requested: data stays all-ones.
    while (state !== STATE_IOREQ_NONE) {
      const prev = this.prevState[vcpu]!;
      if (state < prev) {
        return this.crash(vcpu, `Weird HVM ioreq state transition ${prev} -> ${state}`);
      }
      this.prevState[vcpu] = state;
      if (state === STATE_IORESP_READY) {
        // IORESP_READY -> NONE. The seq-cst load above ordered the data read after the DM's publish.
        dataLo = ioreqDataLo(this.mem.view, o);
        dataHi = ioreqDataHi(this.mem.view, o);
        storeIoreqState(this.mem.u8, o, STATE_IOREQ_NONE);
        break;
      }
      if (state === STATE_IOREQ_READY || state === STATE_IOREQ_INPROCESS) return IoResult.Pending;
      return this.crash(vcpu, `Weird HVM iorequest state ${state}`);
    }
    // ioreq_needs_completion(): not a pointer request and not a PIO write.
    if (p.dataIsPtr === 0 && !(p.type === IOREQ_TYPE_PIO && p.dir === IOREQ_WRITE)) {
      p.dataLo = dataLo;
      p.dataHi = dataHi;
    }
    this.pending[vcpu] = 0;
    this.stats.completed++;
    if (this.trace.on(tr.complete)) this.trace.emit(tr.complete, { vcpu, data: dataHi * 0x1_0000_0000 + dataLo });
    this.hooks.endShutdownDeferral?.(vcpu);
    return IoResult.Handled;
  }

  private crash(vcpu: number, msg: string): IoResult {
    this.log('err', msg);
    this.pending[vcpu] = 0;
    this.stats.crashed++;
    this.hooks.domainCrash?.(vcpu, msg);
    this.hooks.endShutdownDeferral?.(vcpu);
    return IoResult.Crashed;
  }

  /**
   * Xen wait_for_io(): poll, service DM hypercalls, and idle through the
   * transport until the request completes, the domain crashes, the DM dies,
   * or `timeoutMs` passes (the request then stays in flight).
   */
  waitForIo(vcpu: number, p: Ioreq, timeoutMs = Infinity): IoResult {
    const deadline = timeoutMs === Infinity ? Infinity : now() + timeoutMs;
    for (;;) {
      const seen = this.evtchn.xenBell(); // read before the state, so a change after it is never missed
      const r = this.pollIo(vcpu, p);
      if (r !== IoResult.Pending) return r;
      this.serviceHypercalls();
      const st = this.mem.dmStatus();
      if (st !== DmStatus.Running && st !== DmStatus.NotStarted) return this.stillPending(vcpu, p);
      const left = deadline === Infinity ? Infinity : deadline - now();
      if (left <= 0) return IoResult.Timeout;
      if (!this.idle(this, vcpu, seen, left)) return this.stillPending(vcpu, p);
    }
  }

  /** The DM can make no more progress: one last poll (it may have answered just before stopping). */
  private stillPending(vcpu: number, p: Ioreq): IoResult {
    this.serviceHypercalls();
    const r = this.pollIo(vcpu, p);
    if (r !== IoResult.Pending) return r;
    const st = this.mem.dmStatus();
    return st === DmStatus.Running || st === DmStatus.NotStarted ? IoResult.Timeout : IoResult.DmDead;
  }

  /** Xen's signature: ioreq_send(s, p, buffered). */
  ioreqSend(vcpu: number, p: Ioreq, buffered = false): IoResult {
    return buffered ? this.sendBuffered(p) : this.send(vcpu, p);
  }

  /** Synchronous emulation of one access: send, then wait (the path a PM1a_CNT write takes). */
  emulate(vcpu: number, p: Ioreq, timeoutMs = Infinity): IoResult {
    const r = this.send(vcpu, p);
    return r === IoResult.Sent ? this.waitForIo(vcpu, p, timeoutMs) : r;
  }

  /** Buffered if the ring takes it, else (full) the synchronous path, as Xen's callers do. */
  emulateBuffered(vcpu: number, p: Ioreq, timeoutMs = Infinity): IoResult {
    const r = this.sendBuffered(p);
    return r === IoResult.RingFull ? this.emulate(vcpu, p, timeoutMs) : r;
  }

  /** Answer a hypercall the DM posted in the mailbox. Returns how many were serviced (0 or 1). */
  serviceHypercalls(): number {
    const ctl = this.mem.ctl;
    if (Atomics.load(ctl, CTL_HC_STATE) !== 1) return 0;
    const op = Atomics.load(ctl, CTL_HC_OP);
    for (let i = 0; i < HC_MAX_ARGS; i++) this.hcArgs[i] = Atomics.load(ctl, CTL_HC_ARGS + i);
    const ret = this.hypercall(op, this.hcArgs);
    Atomics.store(ctl, CTL_HC_RET, ret);
    Atomics.store(ctl, CTL_HC_STATE, 2); // after the return value: the DM reads it once it sees 2
    this.evtchn.kickDm();
    return 1;
  }

  /** A hypercall from the DM (direct in-thread; from the mailbox cross-thread). -ENOSYS without a hook. */
  hypercall(op: number, args: ArrayLike<number>): number {
    this.stats.hypercalls++;
    if (!this.hooks.hypercall) return -38;
    const a = args instanceof Int32Array && args.length === HC_MAX_ARGS ? args : Int32Array.from({ length: HC_MAX_ARGS }, (_, i) => args[i] ?? 0);
    return this.hooks.hypercall(op, a, Math.min(args.length, HC_MAX_ARGS)) | 0;
  }

  /** Is vCPU n's request still in flight? */
  inFlight(vcpu: number): boolean {
    return this.pending[vcpu] === 1;
  }

  describeSlot(vcpu: number): string {
    const o = this.mem.slot(vcpu);
    return `vcpu ${vcpu} state ${loadIoreqState(this.mem.u8, o)} data 0x${hex(ioreqDataHi(this.mem.view, o))}${hex(ioreqDataLo(this.mem.view, o), 8)}`;
  }
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
