/**
 * One HVM domain's port I/O path in Xen mode (Xen xen/arch/x86/hvm/emulate.c
 * hvmemul_do_io, io.c hvm_io_intercept, xen/common/ioreq.c):
 *  1. Xen's own handlers first: the PM1a event block and the PM timer
 *     (pmtimer.c, at the V1 or V0 base), and the 0xE9 debug console
 *     (hvm_print_line). A handler matches when the whole access lies inside
 *     its range (hvm_portio_accept).
 *  2. Else the ioreq server claiming the port: src/ioreq's XenIoreqServer
 *     (ioreq_send, then wait_for_io), its hooks wired to this hypervisor's
 *     shutdown deferral, domain_crash and console, and to the DM's hypercalls.
 *  3. Else the null handler: reads return all-ones, writes are dropped.
 */
import { IOREQ_READ, IOREQ_TYPE_PIO, IOREQ_WRITE, STATE_IOREQ_NONE } from '../ioreq/abi.js';
import { ioreqDataLo, newIoreq, type Ioreq } from '../ioreq/ioreq-codec.js';
import { IoResult, type XenIoreqHooks, type XenIoreqServer } from '../ioreq/xen-ioreq-server.js';
import type { AccessSize, RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { TimerQueue, TimerHandle } from './timer-queue.js';
import type { Domain, Vcpu } from './domain.js';
import type { EventChannelTable } from './event-channel.js';
import type { Hypervisor } from './hypervisor.js';
import { newPmTimer, nsToNextMsbFlip, pm1aEvtOps, pmtButton, pmTmrOps, pmtUpdateTime, type PmTimerState } from './pmtimer.js';
import { ACPI_PM1A_EVT_BLK_ADDRESS_V0, ACPI_PM1A_EVT_BLK_ADDRESS_V1, ACPI_PM_TMR_BLK_ADDRESS_V0, ACPI_PM_TMR_BLK_ADDRESS_V1,
  EINVAL, HVM_PARAM_ACPI_IOPORTS_LOCATION } from './xen-abi.js';

export const tr = {
  send: defineEvent('xen', 'xen_ioreq_send', (a: { domid: number; vcpu: number; dir: string; port: number; size: number; data: number; eport: number }) =>
    `d${a.domid}v${a.vcpu} PIO ${a.dir} port 0x${hex(a.port, 4)} size ${a.size} data 0x${hex(a.data)} -> READY, notify port ${a.eport}`),
  complete: defineEvent('xen', 'xen_ioreq_complete', (a: { domid: number; vcpu: number; data: number }) =>
    `d${a.domid}v${a.vcpu} IORESP_READY -> NONE data 0x${hex(a.data)}`),
  retry: defineEvent('xen', 'xen_ioreq_retry', (a: { domid: number; vcpu: number; port: number }) =>
    `d${a.domid}v${a.vcpu} domain shutting down: vCPU paused, access to 0x${hex(a.port, 4)} not started`),
  intercept: defineEvent('xen', 'xen_hvm_intercept', (a: { domid: number; handler: string; dir: string; port: number; size: number; value: number }) =>
    `d${a.domid} ${a.handler} ${a.dir} port 0x${hex(a.port, 4)} size ${a.size} ${a.dir === 'write' ? '<==' : '==>'} 0x${hex(a.value)}`),
  nullHandler: defineEvent('xen', 'xen_hvm_null_handler', (a: { domid: number; dir: string; port: number; size: number }) =>
    `d${a.domid} ${a.dir} port 0x${hex(a.port, 4)} size ${a.size}: no ioreq server, ${a.dir === 'read' ? 'all-ones' : 'dropped'}`),
  badState: defineEvent('xen', 'xen_ioreq_bad_state', (a: { domid: number; vcpu: number; msg: string }) => `d${a.domid}v${a.vcpu} ${a.msg}`),
};

/** Status of one access, as Xen's X86EMUL_* outcome seen by the vCPU. */
export type IoStatus = 'done' | 'pending' | 'retry';

interface Intercept { start: number; len: number; ops: RegionOps<any>; state: unknown }

/** An ioreq server attached to this domain: the hypervisor side of the ring and the port ranges it claims. */
export interface DmAttachment {
  readonly dmDomid: number;
  readonly server: XenIoreqServer;
  readonly ranges: readonly (readonly [number, number])[];
  /** How long a vCPU blocks in wait_for_io before its access stays 'pending' (ms). The in-thread DM never needs it. */
  readonly timeoutMs?: number;
}

/** What the device model's dom0 side gives the hypervisor side of the ring. */
export interface DmSideHooks {
  /** A hypercall from the DM (XenIoreqHooks.hypercall). */
  hypercall(op: number, args: ArrayLike<number>): number;
  /** Take in what the DM reported so far (its log and trace), before Xen acts on its answer. */
  sync(): void;
}

interface DebugCon { buf: string }

export class HvmIo {
  readonly pm: PmTimerState;
  private readonly intercepts: Intercept[] = [];
  private server: DmAttachment | null = null;
  /** Each vCPU's request while it is in flight (the server writes read data back into it). */
  private readonly reqs: Ioreq[] = [];
  private readonly con: DebugCon = { buf: '' };
  /** Lines the guest printed on port 0xE9 (the Xen debug console), without the (dN) prefix. */
  readonly consoleLines: string[] = [];
  /** Value of the last completed read, per vCPU. */
  readonly readValue: number[] = [];
  private readonly tmrTimer: TimerHandle;
  /** The vCPU whose access the ring is working on (Xen's `current`), for the console lines its hooks print. */
  private cur = 0;
  private dmSide: DmSideHooks | null = null;
  /** Upcall filter: the DM domain's own event-channel table (allocated once, not per access). */
  private readonly dmTable = (t: EventChannelTable): boolean => t === this.hv.domains.get(this.server?.dmDomid ?? -1)?.evtchn;
  /**
   * Where a vCPU's current access comes from, for cause links: a CPU guest gives the CS:EIP of the IN/OUT and the
   * instruction count, as QEMU mode's links carry (src/machine pc-machine.ts). Scripted guests give nothing.
   */
  siteOf: ((vcpu: number) => Record<string, number>) | null = null;
  /** Called when the SCI line changes (interrupt delivery wakes a blocked vCPU). */
  onSci: (level: boolean) => void = () => {};

  constructor(readonly hv: Hypervisor, readonly d: Domain, readonly clock: VirtualClock, readonly trace: Trace, timers: TimerQueue) {
    this.pm = newPmTimer(d.id, () => clock.ns(), trace, (l) => this.onSci(l));
    this.tmrTimer = timers.add(`d${d.id}-pmtimer`, () => this.pmTick());
    this.mapPm(ACPI_PM1A_EVT_BLK_ADDRESS_V1, ACPI_PM_TMR_BLK_ADDRESS_V1);
    this.intercepts.push({ start: 0xe9, len: 1, ops: debugConOps, state: this });
    d.params[HVM_PARAM_ACPI_IOPORTS_LOCATION] = 1n;
    d.hooks.powerButton = () => pmtButton(this.pm, 'power');
    d.hooks.sleepButton = () => pmtButton(this.pm, 'sleep');
    // hvm_s3_suspend: pmtimer_reset only zeroes the counter (Xen pmtimer.c); the guest's own devices register in s3ResetHooks.
    d.hooks.s3Reset = () => {
      this.pm.tmrVal = 0;
      this.pm.rem = 0;
      this.pm.lastNs = clock.ns();
      for (const f of this.s3ResetHooks) f();
    };
    d.hooks.changeIoports = (ver) => {
      if (ver === 0) this.mapPm(ACPI_PM1A_EVT_BLK_ADDRESS_V0, ACPI_PM_TMR_BLK_ADDRESS_V0);
      else if (ver === 1) this.mapPm(ACPI_PM1A_EVT_BLK_ADDRESS_V1, ACPI_PM_TMR_BLK_ADDRESS_V1);
      else return -EINVAL;
      return 0;
    };
    for (const v of d.vcpus) {
      this.readValue[v.id] = 0;
      this.reqs[v.id] = newIoreq();
    }
    this.armTmr();
  }

  /** Synchronous ioreqs sent to the device model so far (Xen's ioreq_send that reached the ring). */
  ioreqsSent = 0;

  /** The vCPU whose access the ring is serving now. */
  get currentVcpu(): number {
    return this.cur;
  }

  /** Evidence naming the guest instruction behind `vcpu`'s access (empty for scripted guests). */
  guestSite(vcpu: number): Record<string, number> {
    return this.siteOf?.(vcpu) ?? {};
  }

  /** What else hvm_s3_suspend resets (the vPIC, the vCPU's registers), added by the guest's adapter. */
  readonly s3ResetHooks: (() => void)[] = [];

  /** pmtimer_change_ioport: (re)register the two handlers at a layout's bases. */
  private mapPm(evt: number, tmr: number): void {
    for (let i = this.intercepts.length - 1; i >= 0; i--) if (this.intercepts[i]!.state === this.pm) this.intercepts.splice(i, 1);
    this.intercepts.push({ start: evt, len: 4, ops: pm1aEvtOps, state: this.pm }, { start: tmr, len: 4, ops: pmTmrOps, state: this.pm });
  }

  private armTmr(): void {
    this.tmrTimer.deadline = this.clock.ns() + nsToNextMsbFlip(this.pm);
  }

  private pmTick(): void {
    pmtUpdateTime(this.pm);
    this.armTmr();
  }

  stop(): void {
    this.tmrTimer.cancel();
  }

  /**
   * The hooks a XenIoreqServer serving this domain needs: Xen's shutdown
   * deferral around each request, domain_crash and the console for wait_for_io's
   * checks, and the DM's hypercalls. Build the server with these, then attachServer.
   */
  xenHooks(dm: DmSideHooks): XenIoreqHooks {
    this.dmSide = dm;
    const vcpu = (n: number): Vcpu => this.d.vcpus[n]!;
    return {
      // vcpu_start_shutdown_deferral: false = the domain is going down, the vCPU was paused instead.
      startShutdownDeferral: (n) => this.hv.vcpuStartShutdownDeferral(vcpu(n)),
      endShutdownDeferral: (n) => this.ended(vcpu(n)),
      domainCrash: (n) => {
        dm.sync();
        const v = vcpu(n);
        v.ioPending = false;
        v.blocked = false;
        this.hv.domainCrash(this.d, n);
      },
      log: (_level, msg) => this.badState(this.d.vcpus[this.cur]!, msg),
      hypercall: (op, args, nargs) => dm.hypercall(op, args.subarray(0, nargs)),
    };
  }

  /** Xen side of creating the server: one unbound port per vCPU (vp_eport) for the DM to bind. */
  attachServer(s: DmAttachment): number[] {
    if (s.server.mem.vcpus < this.d.vcpus.length) throw new RangeError('ioreq page too small for the vCPUs');
    this.server = s;
    const ports: number[] = [];
    for (const v of this.d.vcpus) {
      // The domain's event-channel table holds the port; the ring's channel (src/ioreq EventChannels) carries its notifications.
      const port = this.hv.allocUnbound(this.d, s.dmDomid);
      v.vpEport = port;
      ports.push(port);
    }
    return ports;
  }

  detachServer(): void {
    this.server = null;
  }


  /** Register one more of Xen's own port handlers (register_portio_handler), e.g. the vPIC. */
  addIntercept<T>(start: number, len: number, ops: RegionOps<T>, state: T): void {
    this.intercepts.push({ start, len, ops, state });
  }

  private intercept(port: number, size: number): Intercept | null {
    for (const h of this.intercepts) if (port >= h.start && port + size <= h.start + h.len) return h;
    return null;
  }

  private claimed(port: number): boolean {
    const s = this.server;
    if (!s) return false;
    for (const [a, b] of s.ranges) if (port >= a && port <= b) return true;
    return false;
  }

  /** `out`: returns 'done', 'pending' (the vCPU now waits for the DM) or 'retry' (not started: domain shutting down). */
  out(v: Vcpu, port: number, size: AccessSize, value: number): IoStatus {
    return this.access(v, port, size, value >>> 0, IOREQ_WRITE);
  }

  /** `in`: the value is in `readValue[v.id]` once the status is 'done' (or after `resume` completes it). */
  in(v: Vcpu, port: number, size: AccessSize): IoStatus {
    return this.access(v, port, size, 0, IOREQ_READ);
  }

  private access(v: Vcpu, port: number, size: AccessSize, value: number, dir: number): IoStatus {
    const h = this.intercept(port, size);
    const d = this.d;
    if (h) {
      if (dir === IOREQ_WRITE) h.ops.write(h.state, port - h.start, value, size);
      else this.readValue[v.id] = h.ops.read(h.state, port - h.start, size) >>> 0;
      if (this.trace.on(tr.intercept)) {
        this.trace.emit(tr.intercept, { domid: d.id, handler: h.ops.name, dir: dir ? 'read' : 'write', port, size, value: dir ? this.readValue[v.id]! : value });
      }
      return 'done';
    }
    const s = this.server;
    if (!s || !this.claimed(port)) {
      if (this.trace.on(tr.nullHandler)) this.trace.emit(tr.nullHandler, { domid: d.id, dir: dir ? 'read' : 'write', port, size });
      if (dir === IOREQ_READ) this.readValue[v.id] = allOnes(size);
      return 'done';
    }
    if (v.ioPending) return 'pending'; // blocked in wait_for_io: this vCPU cannot start another access
    const r = this.reqs[v.id]!;
    r.addrLo = port; r.addrHi = 0; r.dataLo = value; r.dataHi = 0; r.count = 1; r.size = size;
    r.state = STATE_IOREQ_NONE; r.dataIsPtr = 0; r.dir = dir; r.df = 0; r.type = IOREQ_TYPE_PIO;
    this.cur = v.id;
    // ioreq_send: deferral, slot checks, copy in with NONE, then READY, then notify.
    const sent = s.server.send(v.id, r);
    if (sent === IoResult.Retry) {
      if (this.trace.on(tr.retry)) this.trace.emit(tr.retry, { domid: d.id, vcpu: v.id, port });
      return 'retry';
    }
    if (sent !== IoResult.Sent) {
      // Unhandled (bad slot state or event channel): completed like the null handler; the server ended the deferral.
      if (dir === IOREQ_READ) this.readValue[v.id] = allOnes(size);
      return 'done';
    }
    this.ioreqsSent++;
    v.ioPending = true;
    v.blocked = true; // prepare_wait_on_xen_event_channel
    if (this.trace.on(tr.send)) {
      this.trace.emit(tr.send, { domid: d.id, vcpu: v.id, dir: dir ? 'read' : 'write', port, size, data: value, eport: r.vpEport });
    }
    // The vCPU now blocks, so the DM's domain gets the CPU: its pending upcalls (xenstored, the toolstack) run first.
    this.hv.pump.drain(100, this.dmTable);
    return this.resume(v) ? 'done' : 'pending';
  }

  /**
   * hvm_do_resume → wait_for_io. Returns true when no I/O is outstanding (the
   * vCPU may run guest code if not paused). In-thread, waiting runs the DM;
   * cross-thread it blocks up to the attachment's timeout.
   */
  resume(v: Vcpu): boolean {
    if (!v.ioPending) return true;
    const s = this.server;
    if (!s) {
      v.ioPending = false;
      v.blocked = false;
      this.hv.vcpuEndShutdownDeferral(v);
      return true;
    }
    this.cur = v.id;
    if (!s.server.inFlight(v.id)) {
      // Completed (or crashed) through the hooks meanwhile: nothing left to wait for.
      v.ioPending = false;
      v.blocked = false;
      return true;
    }
    const r = s.server.waitForIo(v.id, this.reqs[v.id]!, s.timeoutMs ?? Infinity);
    this.dmSide?.sync();
    if (r === IoResult.Pending || r === IoResult.DmDead || r === IoResult.Timeout) {
      v.blocked = true; // keep waiting for the device model
      return false;
    }
    return true; // Handled or Crashed: the hooks have completed it
  }

  /** endShutdownDeferral: the request is over (answered, crashed, or refused at send). */
  private ended(v: Vcpu): void {
    this.dmSide?.sync(); // the DM's own report of this request comes before Xen's completion
    if (v.ioPending) {
      // IORESP_READY -> NONE; the server copied read data into our request.
      const s = this.server!;
      const data = ioreqDataLo(s.server.mem.view, s.server.mem.slot(v.id));
      v.ioPending = false;
      v.blocked = false;
      if (this.reqs[v.id]!.dir === IOREQ_READ) this.readValue[v.id] = this.reqs[v.id]!.dataLo;
      if (this.trace.on(tr.complete)) this.trace.emit(tr.complete, { domid: v.domid, vcpu: v.id, data });
    }
    // The vCPU that asked for a shutdown is paused here, after its I/O completed.
    this.hv.vcpuEndShutdownDeferral(v);
  }

  private badState(v: Vcpu, msg: string): void {
    this.hv.log(`(XEN) d${v.domid}v${v.id} ${msg}`);
    if (this.trace.on(tr.badState)) this.trace.emit(tr.badState, { domid: v.domid, vcpu: v.id, msg });
  }
}

const allOnes = (size: number): number => (size === 4 ? 0xffff_ffff : (1 << (8 * size)) - 1);

/** hvm_print_line: byte writes to 0xE9 are buffered per domain and printed a line at a time as "(dN) text". */
const debugConOps: RegionOps<HvmIo> = {
  name: 'xen-debugcon', size: 1, valid: { min: 1, max: 1 },
  read: () => 0xff,
  write(io, _off, value) {
    const c = String.fromCharCode(value & 0xff);
    const con = (io as unknown as { con: DebugCon }).con;
    if (c !== '\n') con.buf += c;
    if (c === '\n' || con.buf.length >= 255) {
      io.consoleLines.push(con.buf);
      io.hv.log(`(d${io.d.id}) ${con.buf}`);
      con.buf = '';
    }
  },
};
