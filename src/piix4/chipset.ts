/**
 * The PC chipset on the port bus: PCI mechanism #1 with i440FX, PIIX3 (ISA
 * bridge, reset control), PIIX IDE (identity) and PIIX4 PM; APM; GPE0; the
 * i8042 reset paths; two 8259s; port 0x80; isa-debugcon. Everything here is
 * a RegionOps table mapped on the bus; the machine supplies the requests.
 */
import { createAcpiPm } from '../acpi/acpi-pm.js';
import { PIIX4_GPE0_BASE, type AcpiPm, type AcpiPmHooks } from '../acpi/pm-regs.js';
import type { SleepPolicy } from '../acpi/sleep-decode.js';
import type { VirtualClock } from '../clock/virtual-clock.js';
import { PortRegion } from '../ioports/region.js';
import type { PortBus } from '../ioports/port-bus.js';
import { apmOps, APM_CNT_PORT, type ApmState } from './apm.js';
import { DEBUGCON_DEFAULT_IOBASE, debugconOps, type DebugconConfig, type DebugconState } from './debugcon.js';
import { DualPic, elcrOps, picOps } from './i8259.js';
import { KBC_CMD_PORT, KBC_DATA_PORT, kbcCmdOps, kbcDataOps, kbcReset, newKbc, type KbcState } from './i8042.js';
import { newPciHost, pciAttach, pciConfAddrOps, pciConfDataOps, type PciHostState } from './pci-host.js';
import { i440fxHost, piix3IsaBridge, piixIde } from './pci-devices.js';
import type { PciFunction } from './pci-device.js';
import { createPiix4Pm, type Piix4Pm } from './piix4-pm.js';
import { newPort80, port80Ops, POST_PORT, type Port80State } from './port80.js';
import { FERR_IRQ, FERR_LATCH_PORT, ioportF0Ops, type FerrLatch } from './ioport-f0.js';
import { port92Ops, port92Reset, PORT92, type Port92State } from './port92.js';
import { newRtc, rtcOps, rtcReset, RTC_PORT, type RtcState } from './rtc.js';
import { rcrOps, RCR_PORT, type RcrState } from './reset-control.js';
import { newPit, pitOps, pitReset, PIT_PORT, type PitState } from './i8254.js';
import { newPort61, port61Ops, PORT61, type Port61State } from './port61.js';
import { ISA_SERIAL_IOBASE, ISA_SERIAL_IRQ, MAX_ISA_SERIAL_PORTS, newUart, uartOps, uartReset, type UartState } from './uart-16550.js';

/** ISA IRQ of the SCI (QEMU hw/isa/piix.c: PM gpio 0 → ISA IRQ 9). */
export const SCI_IRQ = 9;

export type ResetMechanism = 'reset-cf9' | 'reset-kbc' | 'reset-port92';

export interface PcChipsetOptions {
  /** SMM enabled (default true, QEMU TCG). false = ACPI-only PIIX4. */
  smm?: boolean;
  policy?: SleepPolicy;
  /** isa-debugcon instances; default one at QEMU's 0xE9. */
  debugcon?: DebugconConfig[];
  lpt378?: boolean;
  /**
   * isa-serial ports, in QEMU's order (COM1 0x3F8 IRQ 4, COM2 0x2F8 IRQ 3, COM3 0x3E8 IRQ 4, COM4 0x2E8 IRQ 3);
   * default one (COM1), as `qemu -M pc`. PIIX4's machine-ready COM bits follow what is mapped.
   */
  serialPorts?: number;
  /** Guest RAM in MiB, as the i440FX and the CMOS report it (default 128, QEMU's default). */
  ramMiB?: number;
  /** RTC time at virtual time 0, ms since the Unix epoch (default 2026-01-01T00:00:00Z). */
  rtcBaseMs?: number;
}

export interface PcChipsetHooks {
  /** A guest reset request from 0xCF9 or the i8042. */
  resetRequest(mechanism: ResetMechanism, what: string, evidence: Record<string, number | string>): void;
  /** ACPI hooks except the SCI line, which the chipset wires to IRQ 9. */
  acpi: Omit<AcpiPmHooks, 'setSci'>;
  /** A byte a serial port transmitted (`index` 0 = COM1). */
  serialByte?(byte: number, index: number): void;
  /** Default sink for debugcon instances without their own. */
  debugconByte(byte: number, port: number): void;
  /** The A20 gate as port 0x92 bit 1 or the i8042 output port bit 1 last set it (QEMU: both drive the CPU's A20 line). */
  a20?(enabled: boolean, source: 'port92' | 'kbc'): void;  /** A write to port 0xF0: the CPU lowers FERR# and asserts IGNNE# (QEMU hw/i386/pc.c ioportF0_write). */
  ferrClear?(): void;
  /** The i440FX PAM registers changed (config 0x59-0x5F): remap 0xC0000-0xFFFFF (see i440fx-pam.ts). */
  pamChanged?(config: Uint8Array): void;
  /** An APM command write raised an SMI (PIIX4 0x5B APMC_EN set); nothing models SMM, so the machine decides. */
  smi?(): void;
}

export interface PcChipset {
  readonly pciHost: PciHostState;
  readonly host: PciFunction;
  readonly isa: PciFunction;
  readonly ide: PciFunction;
  readonly pm: Piix4Pm;
  readonly acpi: AcpiPm;
  readonly pic: DualPic;
  readonly kbc: KbcState;
  readonly apm: ApmState;
  readonly rcr: RcrState;
  readonly port80: Port80State;
  readonly port92: Port92State;
  readonly rtc: RtcState;
  readonly debugcons: readonly DebugconState[];
  /** i8254 PIT (channel 0 on IRQ 0) and port 0x61 (channel 2 gate and output, speaker data). */
  readonly pit: PitState;
  readonly port61: Port61State;
  /** 16550A UARTs, COM1 first. */
  readonly serials: readonly UartState[];
  /** Device reset of every chipset device (QEMU qemu_devices_reset). */
  reset(): void;
}

function clearOnReset(d: PciFunction): void {
  // pci_do_device_reset (PCI bus hold phase, after the device's own reset):
  // writable COMMAND bits, W1C STATUS bits, interrupt line and cache line size are cleared.
  const c = d.config;
  c[0x04] = c[0x04]! & ~d.wmask[0x04]!;
  c[0x05] = c[0x05]! & ~d.wmask[0x05]!;
  c[0x06] = c[0x06]! & ~(d.wmask[0x06]! | d.w1cmask[0x06]!);
  c[0x07] = c[0x07]! & ~(d.wmask[0x07]! | d.w1cmask[0x07]!);
  c[0x3c] = c[0x3c]! & ~d.wmask[0x3c]!;
  c[0x0c] = 0;
}

export function createPcChipset(bus: PortBus, clock: VirtualClock, opts: PcChipsetOptions, hooks: PcChipsetHooks): PcChipset {
  const trace = bus.trace;
  const smm = opts.smm ?? true;
  const pic = new DualPic(trace);
  const acpi = createAcpiPm({
    clock, trace, acpiOnly: !smm,
    ...(opts.policy ? { policy: opts.policy } : {}),
    hooks: { ...hooks.acpi, setSci: (level) => pic.setIrq(SCI_IRQ, level) },
  });

  const pciHost = newPciHost(trace);
  const host = i440fxHost(opts.ramMiB ?? 128, (config) => hooks.pamChanged?.(config));
  const isa = piix3IsaBridge();
  const ide = piixIde();
  const nSerial = opts.serialPorts ?? 1;
  if (!(Number.isInteger(nSerial) && nSerial >= 0 && nSerial <= MAX_ISA_SERIAL_PORTS)) {
    throw new RangeError(`${nSerial} serial ports: the pc machine has 0..${MAX_ISA_SERIAL_PORTS}`);
  }
  // QEMU piix4_pm_machine_ready: the COM bits say whether 0x3F8 / 0x2F8 are assigned.
  const pm = createPiix4Pm(bus, acpi, {
    smm, lpt378: opts.lpt378 ?? true, com1: nSerial >= 1, com2: nSerial >= 2,
    ...(hooks.smi ? { smi: hooks.smi } : {}),
  });
  for (const d of [host, isa, ide, pm.pci]) pciAttach(pciHost, d);
  bus.map(new PortRegion(pciConfAddrOps, pciHost), 0xcf8);
  bus.map(new PortRegion(pciConfDataOps, pciHost), 0xcfc);

  const rcr: RcrState = {
    rcr: 0, trace,
    reset: (val) => hooks.resetRequest('reset-cf9', `outb 0x${RCR_PORT.toString(16)} <== 0x${val.toString(16)} (RST_CPU)`, { port: RCR_PORT, value: val }),
  };
  // Priority 1: the 1-byte RCR sits inside the 4-byte config-address register (memory_region_add_subregion_overlap).
  bus.map(new PortRegion(rcrOps, rcr), RCR_PORT, { priority: 1 });

  const apm: ApmState = { apmc: 0, apms: 0, trace, callback: (v) => pm.apmCtrlChanged(v) };
  bus.map(new PortRegion(apmOps, apm), APM_CNT_PORT);
  bus.map(acpi.gpeIo, PIIX4_GPE0_BASE);

  const kbc = newKbc(trace, (how, val) => {
    const what = how === 'pulse' ? `outb 0x64 <== 0x${val.toString(16)} (pulse reset line)` : `i8042 output port <== 0x${val.toString(16)} (bit 0 clear)`;
    hooks.resetRequest('reset-kbc', what, { port: how === 'pulse' ? KBC_CMD_PORT : KBC_DATA_PORT, value: val });
  }, (level) => pic.setIrq(1, level), (on) => hooks.a20?.(on, 'kbc'));
  bus.map(new PortRegion(kbcDataOps, kbc), KBC_DATA_PORT);
  bus.map(new PortRegion(kbcCmdOps, kbc), KBC_CMD_PORT);

  bus.map(new PortRegion(picOps, { pic, chip: pic.master }, 'pic-master'), 0x20);
  bus.map(new PortRegion(picOps, { pic, chip: pic.slave }, 'pic-slave'), 0xa0);
  bus.map(new PortRegion(elcrOps, pic.master, 'elcr-master'), 0x4d0);
  bus.map(new PortRegion(elcrOps, pic.slave, 'elcr-slave'), 0x4d1);

  const port80: Port80State = newPort80(trace);
  bus.map(new PortRegion(port80Ops, port80), POST_PORT);
  // the x87 FERR# line is IRQ 13 (the machine sets the CPU's onFerr to ferrIrq); port 0xF0 acknowledges it
  const ferrLatch: FerrLatch = { clear: () => hooks.ferrClear?.() };
  bus.map(new PortRegion(ioportF0Ops, ferrLatch), FERR_LATCH_PORT);

  const port92: Port92State = {
    outport: 0, trace,
    a20: (on) => hooks.a20?.(on, 'port92'),
    reset: (val) => hooks.resetRequest('reset-port92', `outb 0x92 <== 0x${val.toString(16)} (fast reset)`, { port: PORT92, value: val }),
  };
  bus.map(new PortRegion(port92Ops, port92), PORT92);

  const rtc = newRtc(clock, trace, {
    ...(opts.ramMiB !== undefined ? { ramMiB: opts.ramMiB } : {}),
    ...(opts.rtcBaseMs !== undefined ? { baseMs: opts.rtcBaseMs } : {}),
  }, (level) => pic.setIrq(8, level));
  bus.map(new PortRegion(rtcOps, rtc), RTC_PORT);

  const debugcons: DebugconState[] = [];
  for (const cfg of opts.debugcon ?? [{}]) {
    const iobase = cfg.iobase ?? DEBUGCON_DEFAULT_IOBASE;
    const s: DebugconState = { iobase, readback: cfg.readback ?? 0xe9, trace, sink: cfg.sink ?? ((b) => hooks.debugconByte(b, iobase)) };
    bus.map(new PortRegion(debugconOps, s), iobase);
    debugcons.push(s);
  }

  const pit = newPit(clock, trace, (level) => pic.setIrq(0, level));
  bus.map(new PortRegion(pitOps, pit), PIT_PORT);
  const port61 = newPort61(pit);
  bus.map(new PortRegion(port61Ops, port61), PORT61);

  const serials: UartState[] = [];
  for (let i = 0; i < nSerial; i++) {
    const irq = ISA_SERIAL_IRQ[i]!;
    const u = newUart(ISA_SERIAL_IOBASE[i]!, clock, trace, (level) => pic.setIrq(irq, level), (b) => hooks.serialByte?.(b, i));
    bus.map(new PortRegion(uartOps, u, `serial${i}`), u.iobase);
    serials.push(u);
  }

  const chipset: PcChipset = {
    pciHost, host, isa, ide, pm, acpi, pic, kbc, apm, rcr, port80, port92, rtc, debugcons, pit, port61, serials,
    reset: () => {
      // The PIC first, so the SCI level PIIX4 drives after its own reset is not lost.
      pic.reset();
      kbcReset(kbc);
      port92Reset(port92);
      rtcReset(rtc);
      pitReset(pit);
      for (const u of serials) uartReset(u);
      rcr.rcr = 0; // piix_reset
      // The config-address latch (PCIHostState.config_reg) has no reset in QEMU.
      for (const d of [host, isa, ide, pm.pci]) {
        d.reset?.();
        clearOnReset(d);
      }
    },
  };
  return chipset;
}
