/**
 * ACPI PM register state (PM1 event/control, PM timer, GPE0) and its bits.
 * Bits from QEMU include/hw/acpi/acpi.h. The state is a plain named object;
 * `acpiRegsVmState` lists what a snapshot holds (QEMU hw/acpi/piix4.c `vmstate_acpi`).
 */
import type { VirtualClock, VirtualTimer } from '../clock/virtual-clock.js';
import type { PortContainer, PortRegion } from '../ioports/region.js';
import type { Trace } from '../trace/trace.js';
import type { SleepDecode, SleepPolicy } from './sleep-decode.js';

// PM1_STS
export const TMR_STS = 0x0001;
export const BM_STS = 0x0010;
export const GBL_STS = 0x0020;
export const PWRBTN_STS = 0x0100;
export const SLPBTN_STS = 0x0200;
export const RTC_STS = 0x0400;
export const PCIEXP_WAKE_STS = 0x4000;
export const WAK_STS = 0x8000;
/** All fixed status bits. */
export const PM1_STS_ALL = 0x8731;
// PM1_EN
export const TMR_EN = 0x0001;
export const GBL_EN = 0x0020;
export const PWRBTN_EN = 0x0100;
export const SLPBTN_EN = 0x0200;
export const RTC_EN = 0x0400;
export const PCIEXP_WAKE_DIS = 0x4000;
/** QEMU ACPI_BITMASK_PM1_COMMON_ENABLED: RTC_EN|PWRBTN_EN|GBL_EN|TMR_EN. SLPBTN is not an SCI source. */
export const SCI_SOURCES = 0x0521;
// PM1_CNT
export const SCI_EN = 0x0001;
export const BM_RLD = 0x0002;
export const GBL_RLS = 0x0004;
export const SLP_TYP_MASK = 0b0001_1100_0000_0000;
export const SLP_TYP_SHIFT = 10;
export const SLP_EN = 0b0010_0000_0000_0000;
// Offsets inside the 64-byte PM container
export const PM1_EVT_OFFSET = 0;
export const PM1_CNT_OFFSET = 4;
export const PM_TMR_OFFSET = 8;
export const PM_IO_SIZE = 64;
/** PIIX4 GPE0 block: fixed port, 2 STS bytes then 2 EN bytes (QEMU hw/acpi/piix4.c GPE_BASE/GPE_LEN). */
export const PIIX4_GPE0_BASE = 0xafe0;
export const PIIX4_GPE0_LEN = 4;

export interface AcpiRegs {
  pm1: { sts: number; en: number; cnt: number };
  /** Next TMR_STS point, in PM timer ticks (QEMU `tmr.overflow_time`). */
  tmr: { overflowTime: number };
  /** GPE0: `sts` and `en` hold len/2 bytes each. */
  gpe: { sts: Uint8Array; en: Uint8Array };
}

export const acpiRegsVmState = {
  name: 'acpi_regs',
  version: 1,
  fields: ['pm1.sts', 'pm1.en', 'pm1.cnt', 'tmr.overflowTime', 'gpe.sts', 'gpe.en'],
} as const;

export type AcpiWakeupReason = 'rtc' | 'pmtimer' | 'other';

/** What the board plugs into the PM block (QEMU: qemu_irq sci, wakeup enables, run-state requests). */
export interface AcpiPmHooks {
  /** Drive the SCI line (PIIX4: ISA IRQ 9, level). Called on every re-evaluation; compare if you care. */
  setSci(level: boolean): void;
  /** `qemu_system_wakeup_enable`: PM1_EN arms RTC and PM timer as wakeup reasons. */
  wakeupEnable(reason: 'rtc' | 'pmtimer', on: boolean): void;
  /** `qemu_system_wakeup_request(PMTIMER, NULL)`: ignored unless suspended. */
  pmTimerWakeup(): void;
  /** PM1_CNT was written with SLP_EN and the decoder found a sleep state. `port` is the absolute port written. */
  sleep(d: SleepDecode & { kind: 'sleep' }, value: number, port: number): void;
}

/** The PM block: plain state + the context its register tables act on. */
export interface AcpiPm {
  readonly regs: AcpiRegs;
  readonly clock: VirtualClock;
  readonly trace: Trace;
  /** Armed at the next overflow while TMR_EN is set and TMR_STS clear. */
  readonly timer: VirtualTimer;
  /**
   * The last PM timer reading (not device state: a function of the clock): `ticks` (24 bits) holds for every time
   * from `ns` up to `next`, the first nanosecond of the next tick (pm-timer.ts `pmTimerValue`).
   */
  readonly tmrRead: { ns: number; next: number; ticks: number };
  policy: SleepPolicy;
  /** PIIX4 "ACPI-only" (no SMM): SCI_EN set from reset, APM 0xF0/0xF1 ignored. */
  readonly acpiOnly: boolean;
  hooks: AcpiPmHooks;
  /** Last level driven on the SCI line. */
  sciLevel: boolean;
  /** PM1_EN's RTC_EN | TMR_EN as last passed to `hooks.wakeupEnable` (-1: not yet). */
  wakeArmed: number;
  /** The 64-byte relocatable container holding acpi-evt (+0), acpi-cnt (+4), acpi-tmr (+8). */
  readonly io: PortContainer;
  readonly evtIo: PortRegion<AcpiPm>;
  readonly cntIo: PortRegion<AcpiPm>;
  readonly tmrIo: PortRegion<AcpiPm>;
  /** GPE0 block, mapped by the board (PIIX4: fixed 0xAFE0). */
  readonly gpeIo: PortRegion<AcpiPm>;
}
