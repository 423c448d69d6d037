/**
 * The device model (qemu-dm) for one HVM domain, dom0's side of it: an ioreq
 * server on src/ioreq's ring whose device model is the Xen PIIX4 of
 * qemu-dm-model.ts, served by src/ioreq's `DeviceModel` (QEMU
 * cpu_handle_ioreq order). Default transport: in-thread (createInlineIoreq,
 * deterministic). Cross-thread: `startQemuDmWorker` (qemu-dm-worker-node.ts)
 * runs the same model in a worker and passes the link in `transport`.
 *
 * This side owns what belongs to dom0: the qemu-dm-NAME.log file, the cause
 * chain records, and the DM's hypercalls (qemu-dm-privcmd.ts) issued from the
 * DM's vCPU. Fatal request errors (bad size, unknown type) are QEMU hw_error
 * aborts: the ring's DM logs a named error and stops (status 'dead'), the
 * domain is left as it is for inspection, and the host never throws.
 */
import { createInlineIoreq, InlineIoreqLink, type IoreqLink } from '../ioreq/inline-transport.js';
import { ramGuestMemory } from '../ioreq/guest-memory.js';
import { DmStatus as RingDmStatus } from '../ioreq/ring-memory.js';
import type { SleepPolicy } from '../acpi/sleep-decode.js';
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { PortBus } from '../ioports/port-bus.js';
import type { Piix4Pm } from '../piix4/piix4-pm.js';
import type { CauseChain, CauseLink } from '../machine/cause-chain.js';
import { hex, type Trace } from '../trace/trace.js';
import type { Domain, Vcpu } from './domain.js';
import { DmLog } from './dm-log.js';
import type { DmSideHooks, HvmIo } from './hvm-io.js';
import type { Hypervisor } from './hypervisor.js';
import { buildQemuDmModel, QEMU_DM_PORT_RANGES, tr, type DestroyWhy, type QemuDmModel, type QemuDmSink } from './qemu-dm-model.js';
import type { OutboxReader } from './qemu-dm-outbox.js';
import { privcmd } from './qemu-dm-privcmd.js';
import { ENOSYS } from './xen-abi.js';
import { XenCtrl } from './xenctrl.js';
import type { DeviceModelVersion } from './xl-config.js';

export { tr };

/** A ring whose device model is qemu-dm-model.ts running elsewhere (see startQemuDmWorker). */
export interface QemuDmTransport {
  readonly link: IoreqLink;
  /** Where that device model's log lines, cause records and trace events arrive. */
  readonly outbox: OutboxReader;
  /** How long a vCPU waits for the DM before its access stays 'pending' (ms). */
  readonly timeoutMs?: number;
}

export interface QemuDmOptions {
  hv: Hypervisor;
  io: HvmIo;
  name: string;
  trace: Trace;
  chain: CauseChain;
  /** The domain the DM runs in (dom0 by default; a stub domain must have `target` set). */
  dmVcpu?: Vcpu;
  log?: DmLog;
  /** Board sleep policy (default QEMU_XEN_TRADITIONAL_POLICY). */
  policy?: SleepPolicy;
  /** The DM's timers (the UART's receive timeout): the domain's view of the host clock. */
  clock?: VirtualClock;
  /** qemu-xen-traditional (default) or upstream QEMU (xl `device_model_version="qemu-xen"`). */
  version?: DeviceModelVersion;
  /** Model an old Xen without XEN_DMOP_remote_shutdown: the DMOP fails with ENOTTY and the fallback is used. */
  noDmop?: boolean;
  now: () => number;
  /** Default: the in-thread ring with the model built here. */
  transport?: QemuDmTransport;
}

export type DmStatus = 'running' | 'dead';

export class QemuDm implements DmSideHooks {
  readonly link: IoreqLink;
  /** The device model itself when it runs in this thread (null cross-thread). */
  readonly model: QemuDmModel | null = null;
  /** The shared ioreq page(s): vCPU n's ioreq_t at byte 32·n. */
  readonly page: Uint8Array;
  readonly view: DataView;
  readonly log: DmLog;
  readonly xc: XenCtrl;
  readonly localPorts: number[] = [];
  fatalError: string | null = null;
  readonly domid: number;
  /** The host request a guest S5 answers (a delivered power-button press), consumed by the first S5. */
  answersFor: () => CauseLink | null = () => null;
  private stopped = false;
  private readonly outbox: OutboxReader | null;
  private shutdownLink: CauseLink | null = null;
  private resetLink: CauseLink | null = null;
  private hostAnswers: CauseLink | null = null;

  /** dom0's end of the DM's reports (direct calls in-thread, outbox records cross-thread). */
  private readonly sink: QemuDmSink = {
    log: (line) => this.log.write(line),
    sleep: (kind, typ, value, port, vcpu) => {
      const what = `outw 0x${hex(port, 4)} <== 0x${hex(value, 4)}`;
      const site = this.o.io.guestSite(vcpu);
      if (kind === 'S3') {
        this.o.chain.add({ requester: 'guest', mechanism: 'pm1a-cnt', what: `${what} (S3)`, evidence: { port, value, slpTyp: typ, ...site }, t: this.o.now() });
        return;
      }
      const answers = this.answersFor();
      this.shutdownLink = this.o.chain.add({
        ...(answers ? { answers: answers.id } : {}),
        requester: 'guest', mechanism: 'pm1a-cnt', what: `${what} (${kind}, SLP_TYP ${typ})`,
        evidence: { port, value, slpTyp: typ, ioreqSlot: vcpu, ...site }, t: this.o.now(),
      });
    },
    reset: (mechanism, port, value) => {
      const what = mechanism === 'reset-cf9' ? `outb 0xcf9 <== 0x${hex(value, 2)}` : 'outb 0x64 <== 0xfe';
      this.resetLink = this.o.chain.add({ requester: 'guest', mechanism, what, evidence: { port, value, ...this.o.io.guestSite(this.o.io.currentVcpu) },
        t: this.o.now() });
    },
    issued: (reboot, via, reason, why) => {
      const answers = this.takeAnswers(why);
      this.o.chain.add({
        // The path qemu-dm took: qemu-trad's xc_domain_shutdown, or upstream's DMOP (its SCHEDOP fallback on ENOTTY).
        requester: 'hypervisor', mechanism: via === 'XEN_DMOP_remote_shutdown' ? 'dmop-remote-shutdown' : 'schedop-remote-shutdown', what: `qemu-dm ${via}(d${this.domid}, ${reboot ? 'SHUTDOWN_reboot' : 'SHUTDOWN_poweroff'})`,
        evidence: { via, reason }, ...(answers ? { answers: answers.id } : {}), t: this.o.now(),
      });
    },
    fatal: (_code, message) => {
      this.fatalError = message;
    },
    serial: (text) => {
      this.serialOut += text;
      // only the new text is searched: searching serialOut flattened the whole output on every byte (quadratic)
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        if (nl < 0) { this.partialLine += text.slice(from); break; }
        const line = (this.partialLine + text.slice(from, nl)).replace(/\r$/, '');
        this.partialLine = '';
        from = nl + 1;
        this.serialLines.push(line);
        this.onSerialLine(line);
      }
    },
  };
  /** Everything the guest sent on COM1 (qemu-dm's serial chardev), and its complete lines. */
  serialOut = '';
  readonly serialLines: string[] = [];
  /** The COM1 line being written (no newline yet). */
  private partialLine = '';
  /** Called for each complete COM1 line (the host notes it on the timeline). */
  onSerialLine: (line: string) => void = () => {};

  constructor(readonly o: QemuDmOptions) {
    const d = o.io.d;
    this.domid = d.id;
    this.log = o.log ?? new DmLog(o.name);
    this.xc = new XenCtrl(o.hv, o.dmVcpu ?? o.hv.dom0.vcpus[0]!);
    this.outbox = o.transport?.outbox ?? null;
    this.link = o.transport?.link ?? createInlineIoreq({
      vcpus: d.vcpus.length, xenHooks: o.io.xenHooks(this), trace: o.trace,
      createDeviceModel: (ctx) => (this as { model: QemuDmModel | null }).model = buildQemuDmModel(ctx.hypercall, {
        domid: d.id, trace: o.trace, sink: this.sink, ...(o.policy ? { policy: o.policy } : {}), ...(o.version ? { version: o.version } : {}),
        ...(o.clock ? { clock: o.clock } : {}), ...(d.mem.bytes.length >= 1 << 20 ? { ramMiB: d.mem.bytes.length >>> 20 } : {}),
        ...(d.mem.bytes.length > 0 ? { ram: ramGuestMemory(d.mem.bytes, 0) } : {}),
      }),
    });
    this.page = this.link.mem.u8;
    this.view = this.link.mem.view;
    // Register the claimed ranges and bind one channel per vCPU (xen_map_io_section; "shared evtchn %d bind error %d").
    const ports = o.io.attachServer({
      dmDomid: this.xc.caller.domid, server: this.link.server,
      ranges: QEMU_DM_PORT_RANGES,
      ...(o.transport?.timeoutMs !== undefined ? { timeoutMs: o.transport.timeoutMs } : {}),
    });
    ports.forEach((remote, vcpu) => {
      const lp = o.hv.bindInterdomain(this.dmDomain, d, remote, null);
      if (lp < 0) this.die(`shared evtchn ${vcpu} bind error ${lp}`);
      this.localPorts.push(lp);
    });
  }

  private get dmDomain(): Domain {
    return this.o.hv.domains.get(this.xc.caller.domid)!;
  }

  get bus(): PortBus | null {
    return this.model?.bus ?? null;
  }

  get piix4(): Piix4Pm | null {
    return this.model?.piix4 ?? null;
  }

  get status(): DmStatus {
    if (this.stopped || this.fatalError !== null) return 'dead';
    const s = this.link.mem.dmStatus();
    return s === RingDmStatus.Running || s === RingDmStatus.NotStarted ? 'running' : 'dead';
  }

  private takeAnswers(why: DestroyWhy): CauseLink | null {
    let l: CauseLink | null = null;
    if (why === 'shutdown') { l = this.shutdownLink; this.shutdownLink = null; }
    else if (why === 'reset') { l = this.resetLink; this.resetLink = null; }
    else { l = this.hostAnswers; this.hostAnswers = null; }
    return l;
  }

  private die(msg: string): void {
    this.fatalError = msg;
    this.log.write(msg);
    if (this.o.trace.on(tr.fatal)) this.o.trace.emit(tr.fatal, { domid: this.domid, msg });
  }

  /** DmSideHooks: a hypercall from the DM, issued from the DM's vCPU after its earlier reports are in. */
  hypercall(op: number, args: ArrayLike<number>): number {
    this.sync();
    return privcmd(this.xc, { noDmop: () => this.o.noDmop === true }, op, args);
  }

  /** DmSideHooks: take in what a cross-thread DM reported so far (no-op in-thread). */
  sync(): void {
    this.outbox?.drain(this.sink, this.o.trace);
  }

  /** The port for `vcpu` fired: cpu_handle_ioreq (in-thread it runs now; a worker DM serves it on its own). */
  handle(vcpu: number): void {
    if (this.status !== 'running') return;
    this.link.evtchn.notifyDm(vcpu);
    if (this.link instanceof InlineIoreqLink) this.link.dm.handleEvent();
    this.sync();
  }

  /**
   * destroy_hvm_domain from dom0's own code (in-thread only): XEN_DMOP_remote_shutdown,
   * SCHEDOP_remote_shutdown as the fallback; the cause record answers `answers`.
   */
  destroyHvmDomain(reboot: boolean, answers: CauseLink | null): number {
    if (!this.model) return -ENOSYS; // the model lives in the DM worker
    this.hostAnswers = answers;
    return this.model.destroyHvmDomain(reboot, 'badness');
  }

  stop(): void {
    if (this.stopped) return;
    this.sync();
    this.stopped = true;
    this.o.io.detachServer();
    void this.link.close();
  }
}
