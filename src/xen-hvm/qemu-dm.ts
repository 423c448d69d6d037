/**
 * The device model (qemu-dm) for one HVM domain: an ioreq server whose
 * devices are the Xen PIIX4 (piix4-xen.ts), and the `cpu_handle_ioreq` loop
 * (QEMU hw/xen/xen-hvm-common.c, qemu-trad i386-dm/helper2.c), writing the
 * lines qemu-xen-traditional writes to qemu-dm-NAME.log.
 *
 * Fatal request errors (bad size, unknown type) are QEMU hw_error aborts: the
 * model logs a named error, stops serving (status 'dead'), and leaves the
 * domain as it is for inspection. The host process never throws.
 */
import { IOREQ_READ, IOREQ_SIZE, IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET,
  PAGE_SIZE, STATE_IOREQ_INPROCESS, STATE_IOREQ_READY, STATE_IORESP_READY } from '../ioreq/abi.js';
import { loadIoreqState, newIoreq, readIoreq, storeIoreqState } from '../ioreq/ioreq-codec.js';
import { PortBus } from '../ioports/port-bus.js';
import { PortContainer, PortRegion, type AccessSize } from '../ioports/region.js';
import type { CauseChain, CauseLink } from '../machine/cause-chain.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';
import type { Domain, Vcpu } from './domain.js';
import { DmLog } from './dm-log.js';
import type { HvmIo } from './hvm-io.js';
import type { Hypervisor } from './hypervisor.js';
import { newPiix4Xen, pciConfAddrOps, pciConfDataOps, pm1CntXenOps, rcrOps, type Piix4XenState, type XenSleep,
  type XenSleepPolicy } from './piix4-xen.js';
import { ENOTTY, HVM_PARAM_ACPI_S_STATE, SHUTDOWN_poweroff, SHUTDOWN_reboot } from './xen-abi.js';
import { XenCtrl } from './xenctrl.js';

export const tr = {
  handle: defineEvent('qemu-dm', 'cpu_handle_ioreq', (a: { domid: number; vcpu: number; type: number; dir: string; addr: number; size: number; data: number }) =>
    `d${a.domid}v${a.vcpu} type ${a.type} ${a.dir} addr 0x${hex(a.addr)} size ${a.size} data 0x${hex(a.data)}`),
  respond: defineEvent('qemu-dm', 'cpu_ioreq_respond', (a: { domid: number; vcpu: number; data: number }) =>
    `d${a.domid}v${a.vcpu} IORESP_READY data 0x${hex(a.data)}`),
  shutdown: defineEvent('qemu-dm', 'destroy_hvm_domain', (a: { domid: number; reboot: boolean; via: string; rc: number }) =>
    `d${a.domid} ${a.reboot ? 'reboot' : 'poweroff'} via ${a.via} rc ${a.rc}`),
  fatal: defineEvent('qemu-dm', 'qemu_dm_fatal', (a: { domid: number; msg: string }) => `d${a.domid} ${a.msg}`),
};

export interface QemuDmOptions {
  hv: Hypervisor;
  io: HvmIo;
  name: string;
  trace: Trace;
  chain: CauseChain;
  /** The domain the DM runs in (dom0 by default; a stub domain must have `target` set). */
  dmVcpu?: Vcpu;
  log?: DmLog;
  policy?: XenSleepPolicy;
  /** Model an old Xen without XEN_DMOP_remote_shutdown: the DMOP fails with ENOTTY and the fallback is used. */
  noDmop?: boolean;
  now: () => number;
}

export type DmStatus = 'running' | 'dead';

/** Thrown inside the model for requests QEMU would abort on; caught in handle(). */
class DmFatal extends Error {}

export class QemuDm {
  readonly bus: PortBus;
  readonly piix4: Piix4XenState;
  readonly page = new Uint8Array(PAGE_SIZE);
  readonly view = new DataView(this.page.buffer);
  readonly log: DmLog;
  readonly xc: XenCtrl;
  readonly localPorts: number[] = [];
  status: DmStatus = 'running';
  fatalError: string | null = null;
  private shutdownRequested: CauseLink | null = null;
  private resetRequested: CauseLink | null = null;
  private readonly req = newIoreq();
  readonly domid: number;
  /** The host request a guest S5 answers (a delivered power-button press), consumed by the first S5. */
  answersFor: () => CauseLink | null = () => null;

  constructor(readonly o: QemuDmOptions) {
    const d = o.io.d;
    this.domid = d.id;
    this.log = o.log ?? new DmLog(o.name);
    this.xc = new XenCtrl(o.hv, o.dmVcpu ?? o.hv.dom0.vcpus[0]!);
    this.bus = new PortBus(o.trace);
    this.piix4 = newPiix4Xen({
      trace: o.trace, ...(o.policy ? { policy: o.policy } : {}),
      onSleep: (s, v, port) => this.onSleep(s, v, port),
      onReset: (v) => this.requestReset('reset-cf9', `outb 0xcf9 <== 0x${hex(v, 2)}`, { port: 0xcf9, value: v }),
    });
    // One container for everything, mapped once: the bus rebuilds its 64 K index per map() call.
    const space = new PortContainer('qemu-dm-io', 0x10000);
    const pm = new PortContainer('piix4acpi-pm', 64);
    pm.add(4, new PortRegion(pm1CntXenOps, this.piix4));
    space.add(0xb000, pm);
    space.add(0xcf8, new PortRegion(pciConfAddrOps, this.piix4));
    space.add(0xcfc, new PortRegion(pciConfDataOps, this.piix4));
    space.add(0xcf9, new PortRegion(rcrOps, this.piix4), 1);
    space.add(0x64, new PortRegion({
      name: 'i8042-cmd', size: 1, valid: { min: 1, max: 1 },
      read: () => 0x1c,
      write: (_s: null, _o: number, v: number) => {
        if (v === 0xfe) this.requestReset('reset-kbc', 'outb 0x64 <== 0xfe', { port: 0x64, value: v }); // pulse reset line
      },
    }, null));
    this.bus.map(space, 0);
    // Register the claimed ranges and bind one channel per vCPU (xen_map_io_section; "shared evtchn %d bind error %d").
    const ports = o.io.attachServer({
      dmDomid: this.xc.caller.domid, page: this.page, view: this.view,
      ranges: [[0x64, 0x64], [0xb004, 0xb005], [0xcf8, 0xcff]],
      kick: () => o.hv.pump.drain(100, (t) => t === this.dmDomain.evtchn),
    });
    ports.forEach((remote, vcpu) => {
      const lp = o.hv.bindInterdomain(this.dmDomain, d, remote, () => this.handle(vcpu));
      if (lp < 0) this.die(`shared evtchn ${vcpu} bind error ${lp}`);
      this.localPorts.push(lp);
    });
  }

  private get dmDomain(): Domain {
    return this.o.hv.domains.get(this.xc.caller.domid)!;
  }

  private onSleep(s: XenSleep, value: number, port: number): void {
    if (s.kind === 'S3') {
      // qemu-trad: S3 resets the machine, marks CMOS for resume and tells Xen ACPI_S_STATE = 3.
      this.o.chain.add({ requester: 'guest', mechanism: 'pm1a-cnt', what: `outw 0x${hex(port, 4)} <== 0x${hex(value, 4)} (S3)`, evidence: { port, value, slpTyp: s.typ }, t: this.o.now() });
      this.xc.setParam(this.domid, HVM_PARAM_ACPI_S_STATE, 3n);
      return;
    }
    if (s.kind === 'S4' || s.kind === 'S5') {
      // qemu_system_shutdown_request: consumed in cpu_handle_ioreq before the response.
      const answers = this.answersFor();
      this.shutdownRequested = this.o.chain.add({
        ...(answers ? { answers: answers.id } : {}),
        requester: 'guest', mechanism: 'pm1a-cnt', what: `outw 0x${hex(port, 4)} <== 0x${hex(value, 4)} (${s.kind}, SLP_TYP ${s.typ})`,
        evidence: { port, value, slpTyp: s.typ, ioreqSlot: this.currentVcpu }, t: this.o.now(),
      });
    }
  }

  private requestReset(mechanism: 'reset-cf9' | 'reset-kbc', what: string, evidence: Record<string, number>): void {
    this.resetRequested = this.o.chain.add({ requester: 'guest', mechanism, what, evidence, t: this.o.now() });
  }

  private currentVcpu = 0;

  private die(msg: string): void {
    this.fatalError = msg;
    this.status = 'dead';
    this.log.write(msg);
    if (this.o.trace.on(tr.fatal)) this.o.trace.emit(tr.fatal, { domid: this.domid, msg });
  }

  /** The port for `vcpu` fired: cpu_handle_ioreq. */
  handle(vcpu: number): void {
    if (this.status !== 'running') return;
    const o = vcpu * IOREQ_SIZE;
    this.currentVcpu = vcpu;
    // cpu_get_ioreq: only a READY slot is taken; the read barrier is the Atomics load.
    const state = loadIoreqState(this.page, o);
    const r = readIoreq(this.view, o, this.req); // work on a copy; only `data` is written back
    if (state !== STATE_IOREQ_READY) {
      this.log.write(`I/O request not ready: ${hex(state)}, ptr: ${hex(r.dataIsPtr)}, port: ${hex(r.addrLo)}, data: ${hex(r.dataLo)}, count: ${r.count}, size: ${r.size}`);
      return;
    }
    storeIoreqState(this.page, o, STATE_IOREQ_INPROCESS);
    // (No buffered ring in this model: nothing to drain before the synchronous request.)
    if (this.o.trace.on(tr.handle)) {
      this.o.trace.emit(tr.handle, { domid: this.domid, vcpu, type: r.type, dir: r.dir ? 'read' : 'write', addr: r.addrLo, size: r.size, data: r.dataLo });
    }
    try {
      this.dispatch(vcpu);
    } catch (e) {
      if (e instanceof DmFatal) return this.die(e.message);
      throw e;
    }
    if (loadIoreqState(this.page, o) !== STATE_IOREQ_INPROCESS) {
      this.log.write(`Badness in I/O request ... not in service?!`);
      this.destroyHvmDomain(false, null);
      return;
    }
    this.view.setUint32(o + 8, r.dataLo, true); // only data goes back
    this.view.setUint32(o + 12, r.dataHi, true);
    // Before responding: the toolstack must see the shutdown before the guest can run again.
    if (this.shutdownRequested) {
      const link = this.shutdownRequested;
      this.shutdownRequested = null; // qemu-trad consumes the request
      this.log.write('shutdown requested in cpu_handle_ioreq');
      this.destroyHvmDomain(false, link);
    }
    if (this.resetRequested) {
      const link = this.resetRequested;
      this.resetRequested = null;
      this.log.write('reset requested in cpu_handle_ioreq.');
      this.piix4.pm1Cnt = 0x0001; // qemu_system_reset: devices back to their reset state
      this.destroyHvmDomain(true, link);
    }
    storeIoreqState(this.page, o, STATE_IORESP_READY); // contents first, then state (seq-cst store)
    if (this.o.trace.on(tr.respond)) this.o.trace.emit(tr.respond, { domid: this.domid, vcpu, data: r.dataLo });
    this.o.hv.evtchnSend(this.dmDomain, this.localPorts[vcpu]!);
  }

  private dispatch(vcpu: number): void {
    const r = this.req;
    switch (r.type) {
      case IOREQ_TYPE_PIO: {
        if (r.size > 4) throw new DmFatal(`PIO: bad size (${r.size})`);
        if (r.size !== 1 && r.size !== 2 && r.size !== 4) throw new DmFatal(`PIO: bad size (${r.size})`);
        if (r.dataIsPtr) throw new DmFatal(`PIO: data_is_ptr rep I/O is not modelled (vcpu ${vcpu})`);
        const size = r.size as AccessSize;
        if (r.dir === IOREQ_READ) r.dataLo = this.bus.read(r.addrLo & 0xffff, size) >>> 0;
        else this.bus.write(r.addrLo & 0xffff, size === 4 ? r.dataLo >>> 0 : r.dataLo & ((1 << (8 * size)) - 1), size); // once, whatever count says
        r.dataHi = 0;
        return;
      }
      case IOREQ_TYPE_PCI_CONFIG: {
        if ((r.size !== 1 && r.size !== 2 && r.size !== 4) || r.count !== 1) throw new DmFatal(`PCI config: bad size (${r.size}) or count (${r.count})`);
        const sbdf = r.addrHi;
        const reg = r.addrLo;
        this.piix4.confAddr = (0x8000_0000 | ((sbdf & 0xffff) << 8) | (reg & 0xfc)) >>> 0;
        if (r.dir === IOREQ_READ) r.dataLo = this.bus.read(0xcfc + (reg & 3), r.size as AccessSize);
        else this.bus.write(0xcfc + (reg & 3), r.dataLo, r.size as AccessSize);
        return;
      }
      case IOREQ_TYPE_TIMEOFFSET:
      case IOREQ_TYPE_INVALIDATE:
        return; // upstream ignores TIMEOFFSET; INVALIDATE flushes a mapcache we do not have
      default:
        throw new DmFatal(`Invalid ioreq type 0x${hex(r.type)}`);
    }
  }

  /**
   * destroy_hvm_domain: XEN_DMOP_remote_shutdown first, SCHEDOP_remote_shutdown
   * as the fallback; the log lines are qemu-trad's.
   */
  destroyHvmDomain(reboot: boolean, answers: CauseLink | null): number {
    const reason = reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff;
    let rc = this.o.noDmop ? -ENOTTY : this.xc.dmShutdown(this.domid, reason);
    let via = 'XEN_DMOP_remote_shutdown';
    if (rc !== 0) {
      if (rc !== -ENOTTY) this.log.write(`xendevicemodel_shutdown failed with error ${-rc}`);
      rc = this.xc.domainShutdown(this.domid, reason);
      via = 'SCHEDOP_remote_shutdown';
    }
    if (this.o.trace.on(tr.shutdown)) this.o.trace.emit(tr.shutdown, { domid: this.domid, reboot, via, rc });
    if (rc === 0) {
      this.log.write(`Issued domain ${this.domid} ${reboot ? 'reboot' : 'poweroff'}`);
      this.o.chain.add({
        requester: 'hypervisor', mechanism: 'dmop-remote-shutdown', what: `qemu-dm ${via}(d${this.domid}, ${reboot ? 'SHUTDOWN_reboot' : 'SHUTDOWN_poweroff'})`,
        evidence: { via, reason }, ...(answers ? { answers: answers.id } : {}), t: this.o.now(),
      });
    } else if (reboot) {
      this.log.write(`? xc_domain_shutdown failed to issue reboot, sts -1`);
    } else {
      this.log.write(`? xc_domain_shutdown failed to issue poweroff, sts -1, errno ${-rc}`);
    }
    return rc;
  }

  stop(): void {
    this.status = 'dead';
    this.o.io.detachServer();
  }
}
