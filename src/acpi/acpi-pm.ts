/**
 * The ACPI PM block as a board sees it: state, the 64-byte relocatable
 * container (acpi-evt +0, acpi-cnt +4, acpi-tmr +8), the GPE0 region, reset,
 * power button and wakeup. The board decides where the container sits
 * (PIIX4: PCI config 0x40/0x80; Xen qemu-dm: fixed 0xB000).
 */
import type { VirtualClock } from '../clock/virtual-clock.js';
import { PortContainer, PortRegion } from '../ioports/region.js';
import { Trace } from '../trace/trace.js';
import { gpe0Ops, gpeReset, gpeSendEvent } from './gpe0.js';
import { pm1CntOps, pm1CntReset, pm1CntUpdate } from './pm1-cnt.js';
import { pm1EvtOps, pm1EvtReset, pm1NotifyWakeup, pm1PowerButton } from './pm1-evt.js';
import {
  PIIX4_GPE0_LEN, PM1_CNT_OFFSET, PM1_EVT_OFFSET, PM_IO_SIZE, PM_TMR_OFFSET,
  type AcpiPm, type AcpiPmHooks, type AcpiRegs, type AcpiWakeupReason,
} from './pm-regs.js';
import { pmTimerOps, pmTimerReset } from './pm-timer.js';
import { updateSci } from './sci.js';
import { qemuPcPolicy, type SleepPolicy } from './sleep-decode.js';

export interface AcpiPmOptions {
  clock: VirtualClock;
  trace?: Trace;
  /** Board sleep-type policy; default QEMU pc (S3 1, S4 2, S5 0). */
  policy?: SleepPolicy;
  /** PIIX4 ACPI-only mode (no SMM): SCI_EN from reset. Default false. */
  acpiOnly?: boolean;
  /** GPE0 length in bytes (PIIX4: 4). */
  gpeLen?: number;
  /** Container name (QEMU: `piix4-pm`). */
  name?: string;
  hooks?: Partial<AcpiPmHooks>;
}

const NO_HOOKS: AcpiPmHooks = { setSci: () => {}, wakeupEnable: () => {}, pmTimerWakeup: () => {}, sleep: () => {} };

export function newAcpiRegs(gpeLen = PIIX4_GPE0_LEN): AcpiRegs {
  return {
    pm1: { sts: 0, en: 0, cnt: 0 },
    tmr: { overflowTime: 0 },
    gpe: { sts: new Uint8Array(gpeLen >> 1), en: new Uint8Array(gpeLen >> 1) },
  };
}

/** Build a PM block in its reset state. The container is not mapped: the board maps it. */
export function createAcpiPm(opts: AcpiPmOptions): AcpiPm {
  const gpeLen = opts.gpeLen ?? PIIX4_GPE0_LEN;
  if (!Number.isInteger(gpeLen) || gpeLen < 2 || gpeLen % 2 !== 0 || gpeLen > 256) throw new RangeError(`GPE0 length ${gpeLen} must be an even number 2..256`);
  const io = new PortContainer(opts.name ?? 'piix4-pm', PM_IO_SIZE);
  const pm = {
    regs: newAcpiRegs(gpeLen),
    clock: opts.clock,
    trace: opts.trace ?? new Trace(),
    timer: null as never,
    tmrRead: { ns: 0, next: 0, ticks: 0 },
    policy: opts.policy ?? qemuPcPolicy(),
    acpiOnly: opts.acpiOnly ?? false,
    hooks: { ...NO_HOOKS, ...opts.hooks },
    sciLevel: false,
    wakeArmed: -1,
    io,
    evtIo: null as never,
    cntIo: null as never,
    tmrIo: null as never,
    gpeIo: null as never,
  } as { -readonly [K in keyof AcpiPm]: AcpiPm[K] };
  // QEMU `acpi_pm_tmr_timer`: request a PM-timer wakeup, then re-evaluate the SCI (which latches TMR_STS).
  pm.timer = opts.clock.timer(`${io.name}-tmr`, () => {
    pm.hooks.pmTimerWakeup();
    updateSci(pm);
  });
  pm.evtIo = new PortRegion(pm1EvtOps, pm as AcpiPm);
  pm.cntIo = new PortRegion(pm1CntOps, pm as AcpiPm);
  pm.tmrIo = new PortRegion(pmTimerOps, pm as AcpiPm);
  pm.gpeIo = new PortRegion(gpe0Ops(gpeLen), pm as AcpiPm);
  io.add(PM1_EVT_OFFSET, pm.evtIo).add(PM1_CNT_OFFSET, pm.cntIo).add(PM_TMR_OFFSET, pm.tmrIo);
  acpiPmReset(pm);
  return pm;
}

/** Reset order of QEMU `piix4_pm_reset`: evt, cnt, timer, GPE, then the SCI. */
export function acpiPmReset(pm: AcpiPm): void {
  pm1EvtReset(pm);
  pm1CntReset(pm);
  pmTimerReset(pm);
  gpeReset(pm);
  updateSci(pm);
}

export const acpiPowerButton = pm1PowerButton;
export const acpiNotifyWakeup = (pm: AcpiPm, reason: AcpiWakeupReason | 'none'): void => pm1NotifyWakeup(pm, reason);
export const acpiSendGpe = gpeSendEvent;
/** APM hook: value written to the SMI command port (0xF1 ACPI_ENABLE / 0xF0 ACPI_DISABLE on PIIX4). */
export const acpiSciEnableUpdate = pm1CntUpdate;
