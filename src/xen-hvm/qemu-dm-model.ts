/**
 * The device-model half of qemu-dm: what src/ioreq's `DeviceModel` serves
 * (the `createDeviceModel` shape of ioreq/dm-types.ts), built the same way
 * in-thread and inside a DM worker:
 *  - `pio`: a PortBus with QEMU mode's own chipset models under the board policy
 *    QEMU_XEN_TRADITIONAL_POLICY: src/piix4's PCI host (i440FX 00:00.0, PIIX3
 *    00:01.0, PIIX4 PM 00:01.3 with its write masks) at 0xCF8/0xCFC, src/acpi's
 *    PM block at hvmloader's PMBA 0xB000 (only PM1a_CNT and GPE0 reach the DM:
 *    Xen serves PM1a_STS/EN and the timer, pmtimer.ts), the 0xCF9 reset control,
 *    the i8042 reset line, and the 16550 COM1 at 0x3F8 whose IRQ 4 goes to
 *    Xen's vPIC with XEN_DMOP_set_isa_irq_level;
 *  - `pci`: IOREQ_TYPE_PCI_CONFIG on the same config spaces;
 *  - `timeOffset` / `invalidate`: qemu-trad's RTC offset, the mapcache flush;
 *  - `hooks.beforeResponse`: qemu-trad's pending shutdown/reset check and
 *    destroy_hvm_domain, issued before IORESP_READY.
 * Everything the host must see (log lines, cause records) goes through a
 * `QemuDmSink`: direct calls in-thread, the shared outbox (qemu-dm-outbox.ts)
 * from a worker. Hypercalls go through the ring's HypercallPort (qemu-dm-
 * privcmd.ts says what the calls carry).
 */
import { acpiPmReset, createAcpiPm } from '../acpi/acpi-pm.js';
import type { AcpiPm } from '../acpi/pm-regs.js';
import { QEMU_XEN_TRADITIONAL_POLICY, type SleepPolicy } from '../acpi/sleep-decode.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import { PortBus } from '../ioports/port-bus.js';
import { PortContainer, PortRegion } from '../ioports/region.js';
import type { DmModule, GuestMemory, HypercallPort, PciConfigHandler } from '../ioreq/dm-types.js';
import type { Ioreq } from '../ioreq/ioreq-codec.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';
import { KBC_CMD_PORT, KBC_DATA_PORT, kbcCmdOps, kbcDataOps, newKbc } from '../piix4/i8042.js';
import { newPciHost, pciAttach, pciConfAddrOps, pciConfDataOps, pciDataRead, pciDataWrite, type PciHostState } from '../piix4/pci-host.js';
import { i440fxHost, piix3IsaBridge } from '../piix4/pci-devices.js';
import { createPiix4Pm, PIIX4_PM_DEVFN, PMBA, PMREGMISC, type Piix4Pm } from '../piix4/piix4-pm.js';
import { rcrOps, RCR_PORT, type RcrState } from '../piix4/reset-control.js';
import { ISA_SERIAL_IOBASE, ISA_SERIAL_IRQ, newUart, uartOps, type UartState } from '../piix4/uart-16550.js';
import { dmpDmShutdown, dmpSchedRemoteShutdown, dmpSetIsaIrqLevel, dmpSetParam } from './qemu-dm-privcmd.js';
import type { DeviceModelVersion } from './xl-config.js';
import { ENOTTY, HVM_PARAM_ACPI_S_STATE, SHUTDOWN_poweroff, SHUTDOWN_reboot } from './xen-abi.js';

/** hvmloader's V1 layout (xen/include/public/hvm/ioreq.h ACPI_PM1A_EVT_BLK_ADDRESS_V1, ACPI_GPE0_BLK_ADDRESS_V1). */
export const XEN_PM_BASE = 0xb000;
export const XEN_GPE0_BASE = 0xafe0;
/** The ports qemu-dm registers with Xen (xen_map_io_section); Xen's own intercepts (pmtimer, vPIC, vPIT, vRTC) come first. */
export const QEMU_DM_PORT_RANGES: readonly (readonly [number, number])[] = [
  [0x60, 0x60], [0x64, 0x64], [0x3f8, 0x3ff], [XEN_GPE0_BASE, XEN_GPE0_BASE + 3], [XEN_PM_BASE + 4, XEN_PM_BASE + 5], [0xcf8, 0xcff],
];

export const tr = {
  handle: defineEvent('qemu-dm', 'cpu_handle_ioreq', (a: { domid: number; vcpu: number; type: number; dir: string; addr: number; size: number; data: number }) =>
    `d${a.domid}v${a.vcpu} type ${a.type} ${a.dir} addr 0x${hex(a.addr)} size ${a.size} data 0x${hex(a.data)}`),
  respond: defineEvent('qemu-dm', 'cpu_ioreq_respond', (a: { domid: number; vcpu: number; data: number }) =>
    `d${a.domid}v${a.vcpu} IORESP_READY data 0x${hex(a.data)}`),
  shutdown: defineEvent('qemu-dm', 'destroy_hvm_domain', (a: { domid: number; reboot: boolean; via: string; rc: number }) =>
    `d${a.domid} ${a.reboot ? 'reboot' : 'poweroff'} via ${a.via} rc ${a.rc}`),
  action: defineEvent('qemu-dm', 'destroy_hvm_domain_action', (a: { domid: number; action: string }) => `Issued domain ${a.domid} ${a.action}`),
  failedAction: defineEvent('qemu-dm', 'destroy_hvm_domain_failed_action', (a: { action: string; sts: number; errno: number }) =>
    `xc_domain_shutdown failed to issue ${a.action}, sts ${a.sts}, errno ${a.errno}`),
  fatal: defineEvent('qemu-dm', 'qemu_dm_fatal', (a: { domid: number; msg: string }) => `d${a.domid} ${a.msg}`),
};

/** Why destroy_hvm_domain ran (the host links the cause record to the matching guest request). */
export type DestroyWhy = 'shutdown' | 'reset' | 'badness';

/** What the device model tells the host. Every method takes plain values (they cross threads as outbox records). */
export interface QemuDmSink {
  /** One line of qemu-dm-NAME.log. */
  log(line: string): void;
  /** The guest wrote an S3/S4/S5 sleep to PM1a_CNT while serving `vcpu`'s ioreq. */
  sleep(kind: 'S3' | 'S4' | 'S5', typ: number, value: number, port: number, vcpu: number): void;
  /** The guest pulled a reset line (0xCF9 bit 2, or 0xFE to the i8042 command port). */
  reset(mechanism: 'reset-cf9' | 'reset-kbc', port: number, value: number): void;
  /** destroy_hvm_domain succeeded through `via`. */
  issued(reboot: boolean, via: string, reason: number, why: DestroyWhy): void;
  /** The DM stopped on a fatal error (QEMU hw_error). */
  fatal(code: string, message: string): void;
  /** COM1 transmitted these bytes (qemu-dm's serial chardev: the domain's console). */
  serial(text: string): void;
}

export interface QemuDmModelOptions {
  domid: number;
  trace: Trace;
  sink: QemuDmSink;
  /** Board sleep policy (default QEMU_XEN_TRADITIONAL_POLICY, src/acpi). */
  policy?: SleepPolicy;
  /** The DM's timers (the UART's receive timeout, the PM block's timer): the host's domain clock in-thread. */
  clock?: VirtualClock;
  /** Guest RAM in MiB (what the i440FX reports). */
  ramMiB?: number;
  /** Which qemu-dm: qemu-xen-traditional (default) or upstream QEMU (`device_model_version="qemu-xen"`). */
  version?: DeviceModelVersion;
  /** Guest RAM for data_is_ptr and COPY requests; without it such buffers read all-ones and writes are dropped. */
  ram?: GuestMemory;
}

/** The devices and the pending requests qemu-dm keeps between ioreqs (plain, named). */
export interface QemuDmModel extends DmModule {
  readonly bus: PortBus;
  /** src/piix4's PIIX4 PM function (config space with write masks) and src/acpi's PM block behind it. */
  readonly piix4: Piix4Pm;
  readonly acpi: AcpiPm;
  readonly pciHost: PciHostState;
  readonly com1: UartState;
  /** qemu_system_shutdown_request / qemu_system_reset_request, consumed in cpu_handle_ioreq (qemu-trad). */
  readonly pending: { shutdown: boolean; reset: boolean; vcpu: number };
  /** qemu-trad time_offset (seconds) and mapcache invalidations seen. */
  readonly counts: { timeOffset: bigint; invalidate: number };
  destroyHvmDomain(reboot: boolean, why: DestroyWhy): number;
  /** CMOS 0x0F as the firmware reads it after a reset: 0xFE after an S3 (cmos_set_s3_resume), then 0. */
  takeCmosShutdownStatus(): number;
}

const unbacked: GuestMemory = { read: () => false, write: () => false };

export function buildQemuDmModel(hc: HypercallPort, o: QemuDmModelOptions): QemuDmModel {
  const { domid, trace, sink } = o;
  const pending = { shutdown: false, reset: false, vcpu: 0 };
  let cmosShutdownStatus = 0;
  const counts = { timeOffset: 0n, invalidate: 0 };
  const clock = o.clock ?? new VirtualClock();
  const bus = new PortBus(trace);
  // src/acpi's PM block with the board policy; ACPI-only (QEMU under Xen has no SMM: SCI_EN from reset).
  // The SCI is Xen's (pmtimer.c raises IRQ 9 for PM1a_STS/EN); nothing here raises a GPE.
  const acpi = createAcpiPm({
    clock, trace, acpiOnly: true, name: 'piix4acpi', policy: o.policy ?? QEMU_XEN_TRADITIONAL_POLICY,
    hooks: {
      sleep: (d, value, port) => {
        sink.sleep(d.state, d.typ, value, port, pending.vcpu);
        // qemu-trad hw/piix4acpi.c: S3 resets the DM's devices (qemu_system_reset), marks CMOS 0x0F = 0xFE for the
        // BIOS to resume (cmos_set_s3_resume) and tells Xen HVM_PARAM_ACPI_S_STATE = 3 (hvm_s3_suspend pauses the domain).
        if (d.state === 'S3') {
          acpiPmReset(acpi);
          cmosShutdownStatus = 0xfe;
          dmpSetParam(hc, domid, HVM_PARAM_ACPI_S_STATE, 3);
        }
        else pending.shutdown = true; // qemu_system_shutdown_request: consumed in cpu_handle_ioreq before the response
      },
    },
  });
  const pciHost = newPciHost(trace);
  const piix4 = createPiix4Pm(bus, acpi, { smm: false, lpt378: false, com1: true, com2: false });
  for (const f of [i440fxHost(o.ramMiB ?? 128), piix3IsaBridge(), piix4.pci]) pciAttach(pciHost, f);
  // The fixed devices go in one container mapped once (the bus rebuilds its 64 K index per map); the PIIX4 PM block
  // is mapped and moved by src/piix4 itself.
  const space = new PortContainer('qemu-dm-io', 0x10000);
  space.add(0xcf8, new PortRegion(pciConfAddrOps, pciHost));
  space.add(0xcfc, new PortRegion(pciConfDataOps, pciHost));
  // hvmloader pci_setup for 00:01.3: PMBA = 0xB000 | 1, PMREGMISC = 1, interrupt line 9 (xen.md §10).
  const pmAddr = (reg: number): number => (0x8000_0000 | (PIIX4_PM_DEVFN << 8) | reg) >>> 0;
  pciDataWrite(pciHost, pmAddr(0x3c), 9, 1);
  pciDataWrite(pciHost, pmAddr(PMBA), XEN_PM_BASE | 1, 4);
  pciDataWrite(pciHost, pmAddr(PMREGMISC), 1, 1);
  space.add(XEN_GPE0_BASE, acpi.gpeIo);
  // The PIIX3 reset control register and the i8042 are src/piix4's models, as in QEMU mode (the DM under Xen
  // emulates both: QEMU hw/isa/piix.c rcr, hw/input/pckbd.c). Their reset requests are qemu_system_reset_request.
  const rcr: RcrState = { rcr: 0, trace, reset: (v) => {
    sink.reset('reset-cf9', RCR_PORT, v);
    pending.reset = true;
  } };
  space.add(RCR_PORT, new PortRegion(rcrOps, rcr), 1); // over the 0xCF8 dword, as in QEMU mode
  const kbc = newKbc(trace, (how, v) => {
    sink.reset('reset-kbc', 0x64, how === 'pulse' ? 0xfe : v);
    pending.reset = true;
  }, () => {}); // IRQ 1 (keyboard input) is not modelled under Xen
  space.add(KBC_DATA_PORT, new PortRegion(kbcDataOps, kbc));
  space.add(KBC_CMD_PORT, new PortRegion(kbcCmdOps, kbc));
  // COM1: qemu-dm's serial port (xl serial='pty'); its interrupt is an ISA IRQ line of Xen's vPIC, set with
  // xendevicemodel_set_isa_irq_level (XEN_DMOP_set_isa_irq_level) on each level change.
  let irqLevel = false;
  let pendingText = '';
  const com1 = newUart(ISA_SERIAL_IOBASE[0], clock, trace, (level) => {
    if (level === irqLevel) return;
    irqLevel = level;
    dmpSetIsaIrqLevel(hc, domid, ISA_SERIAL_IRQ[0], level ? 1 : 0);
  }, (b) => { pendingText += String.fromCharCode(b); });
  space.add(com1.iobase, new PortRegion(uartOps, com1, 'serial0'));
  bus.map(space, 0);

  /** IOREQ_TYPE_PCI_CONFIG: the SBDF selects the function; the access goes through the 0xCF8/0xCFC pair. */
  const pci: PciConfigHandler = {
    has: (sbdf) => (sbdf >>> 8) === 0 && pciHost.devices[sbdf & 0xff] !== null,
    read: (sbdf, reg, size) => pciDataRead(pciHost, (0x8000_0000 | ((sbdf & 0xffff) << 8) | (reg & 0xff)) >>> 0, size),
    write: (sbdf, reg, value, size) => pciDataWrite(pciHost, (0x8000_0000 | ((sbdf & 0xffff) << 8) | (reg & 0xff)) >>> 0, value, size),
  };

  const upstream = o.version === 'qemu-xen';

  /**
   * qemu-xen-traditional i386-dm/helper2.c destroy_hvm_domain: no DMOP at all. xc_domain_shutdown =
   * SCHEDOP_remote_shutdown, then "Issued domain %d poweroff" (or the failure line) in qemu-dm's log. Its reboot
   * is issued from the CPU-reset path with the same call and "Issued domain %d reboot".
   */
  function destroyTrad(reboot: boolean, why: DestroyWhy): number {
    const reason = reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff;
    const rc = dmpSchedRemoteShutdown(hc, domid, reason);
    const via = 'SCHEDOP_remote_shutdown';
    if (trace.on(tr.shutdown)) trace.emit(tr.shutdown, { domid, reboot, via, rc });
    if (rc === 0) {
      sink.log(`Issued domain ${domid} ${reboot ? 'reboot' : 'poweroff'}`);
      sink.issued(reboot, via, reason, why);
    } else if (reboot) {
      sink.log(`? xc_domain_shutdown failed to issue reboot, sts -1`);
    } else {
      sink.log(`? xc_domain_shutdown failed to issue poweroff, sts -1, errno ${-rc}`);
    }
    return rc;
  }

  /**
   * Upstream QEMU hw/xen/xen-hvm-common.c destroy_hvm_domain: xendevicemodel_shutdown (XEN_DMOP_remote_shutdown)
   * and nothing logged when it works; an error other than ENOTTY (old Xen) is reported with error_report, then
   * xc_domain_shutdown is tried, whose outcome goes only to trace events (destroy_hvm_domain_action "Issued domain
   * %d %s", destroy_hvm_domain_failed_action "xc_domain_shutdown failed to issue %s, sts %d, %s").
   */
  function destroyUpstream(reboot: boolean, why: DestroyWhy): number {
    const reason = reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff;
    let rc = dmpDmShutdown(hc, domid, reason);
    let via = 'XEN_DMOP_remote_shutdown';
    if (rc !== 0) {
      if (rc !== -ENOTTY) sink.log(`xendevicemodel_shutdown failed with error ${-rc}`);
      rc = dmpSchedRemoteShutdown(hc, domid, reason);
      via = 'SCHEDOP_remote_shutdown';
      const action = reboot ? 'reboot' : 'poweroff';
      if (rc === 0 && trace.on(tr.action)) trace.emit(tr.action, { domid, action });
      if (rc !== 0 && trace.on(tr.failedAction)) trace.emit(tr.failedAction, { action, sts: -1, errno: -rc });
    }
    if (trace.on(tr.shutdown)) trace.emit(tr.shutdown, { domid, reboot, via, rc });
    if (rc === 0) sink.issued(reboot, via, reason, why);
    return rc;
  }

  const destroyHvmDomain = upstream ? destroyUpstream : destroyTrad;

  return {
    bus, piix4, acpi, pciHost, com1, pending, counts, destroyHvmDomain,
    takeCmosShutdownStatus: () => {
      const v = cmosShutdownStatus;
      cmosShutdownStatus = 0;
      return v;
    },
    devices: {
      pio: bus, mem: o.ram ?? unbacked, pci,
      timeOffset: (_added, total) => void (counts.timeOffset = total),
      invalidate: () => void counts.invalidate++, // no mapcache to flush
    },
    hooks: {
      beforeDispatch(vcpu: number, r: Readonly<Ioreq>): void {
        pending.vcpu = vcpu;
        if (trace.on(tr.handle)) {
          trace.emit(tr.handle, { domid, vcpu, type: r.type, dir: r.dir ? 'read' : 'write', addr: r.addrLo, size: r.size, data: r.dataLo });
        }
      },
      // Before responding: the toolstack must see the shutdown before the guest can run again.
      beforeResponse(vcpu: number, r: Readonly<Ioreq>): void {
        if (pending.shutdown) {
          pending.shutdown = false; // qemu-trad consumes the request (upstream only peeks; its main loop then exits)
          if (!upstream) sink.log('shutdown requested in cpu_handle_ioreq');
          destroyHvmDomain(false, 'shutdown');
        }
        if (pending.reset) {
          pending.reset = false;
          if (!upstream) sink.log('reset requested in cpu_handle_ioreq.');
          acpiPmReset(acpi); // qemu_system_reset: the PM block back to its reset state (SCI_EN: ACPI-only)
          destroyHvmDomain(true, 'reset');
        }
        // What COM1 sent while serving this request reaches the console before the guest runs on.
        if (pendingText) {
          sink.serial(pendingText);
          pendingText = '';
        }
        // Traced here, just before DeviceModel stores IORESP_READY (data first, then state).
        if (trace.on(tr.respond)) trace.emit(tr.respond, { domid, vcpu, data: r.dataLo });
      },
      // "Badness in I/O request": the slot is no longer ours; power the domain off without responding.
      destroyHvmDomain: (reboot) => void destroyHvmDomain(reboot, 'badness'),
      log: (line) => sink.log(line),
      fatal: (code, message) => {
        if (trace.on(tr.fatal)) trace.emit(tr.fatal, { domid, msg: message });
        sink.fatal(code, message);
      },
    },
  };
}
