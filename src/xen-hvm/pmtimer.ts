/**
 * The ACPI registers Xen emulates itself for an HVM guest (Xen
 * xen/arch/x86/hvm/pmtimer.c): PM1a_STS/PM1a_EN (the 4-byte event block) and
 * the 32-bit PM timer. Only PM1a_CNT is left for the device model.
 *  - PM1a_STS bits are write-1-to-clear, handled a byte at a time;
 *  - the SCI (IRQ 9) is asserted while PM1a_EN & PM1a_STS & (TMR|PWRBTN|SLPBTN|GBL);
 *  - the timer counts at 3.579545 MHz in 32 bits (TMR_VAL_EXT), and TMR_STS is
 *    set whenever bit 31 flips; only 4-byte reads are valid ("HVM_PMT bad access");
 *  - the power and sleep button triggers set PWRBTN_STS / SLPBTN_STS.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const TMR_STS = 0x0001;
export const GBL_STS = 0x0020;
export const PWRBTN_STS = 0x0100;
export const SLPBTN_STS = 0x0200;
export const SCI_MASK = TMR_STS | PWRBTN_STS | SLPBTN_STS | GBL_STS;
export const SCI_IRQ = 9;
export const FREQUENCE_PMTIMER = 3_579_545;
const TMR_VAL_MSB = 0x8000_0000;

export const tr = {
  evt: defineEvent('xen', 'xen_pmtimer_evt', (a: { write: boolean; off: number; value: number; sts: number; en: number }) =>
    `PM1a_EVT+${a.off} ${a.write ? '<==' : '==>'} 0x${hex(a.value)} (sts 0x${hex(a.sts, 4)} en 0x${hex(a.en, 4)})`),
  sci: defineEvent('xen', 'xen_pmtimer_sci', (a: { level: boolean; sts: number; en: number }) =>
    `SCI (IRQ 9) ${a.level ? 'asserted' : 'deasserted'} sts 0x${hex(a.sts, 4)} en 0x${hex(a.en, 4)}`),
  button: defineEvent('xen', 'xen_acpi_button', (a: { domid: number; button: string; sts: number; en: number }) =>
    `d${a.domid} ${a.button} button: PM1a_STS 0x${hex(a.sts, 4)} PM1a_EN 0x${hex(a.en, 4)}`),
};

/** struct hvm_hw_pmtimer plus the timer's reference point. Plain, serialisable. */
export interface PmTimerState {
  domid: number;
  pm1aSts: number;
  pm1aEn: number;
  tmrVal: number;
  /** Virtual ns at which tmrVal was last brought up to date. */
  lastNs: number;
  /** Sub-tick remainder in tick-ns units (ns * FREQUENCE_PMTIMER), kept exact. */
  rem: number;
  sci: boolean;
  now: () => number;
  trace: Trace;
  onSci: (level: boolean) => void;
}

export const pmTimerStateFields = { name: 'xen_pmtimer', version: 1, fields: ['pm1aSts', 'pm1aEn', 'tmrVal', 'lastNs', 'rem', 'sci'] } as const;

export function newPmTimer(domid: number, now: () => number, trace: Trace, onSci: (level: boolean) => void): PmTimerState {
  return { domid, pm1aSts: 0, pm1aEn: 0, tmrVal: 0, lastNs: now(), rem: 0, sci: false, now, trace, onSci };
}

/** pmt_update_time: advance the counter; TMR_STS when bit 31 flips. */
export function pmtUpdateTime(s: PmTimerState): void {
  const now = s.now();
  const dt = now - s.lastNs;
  if (dt <= 0) return;
  s.lastNs = now;
  const total = dt * FREQUENCE_PMTIMER + s.rem;
  const ticks = Math.floor(total / 1e9);
  s.rem = total - ticks * 1e9;
  const old = s.tmrVal;
  s.tmrVal = (old + ticks) >>> 0;
  if (((old ^ s.tmrVal) & TMR_VAL_MSB) !== 0 || ticks >= 0x8000_0000) s.pm1aSts |= TMR_STS;
  pmtUpdateSci(s);
}

/** ns until bit 31 of the counter next flips (for the overflow timer). */
export function nsToNextMsbFlip(s: PmTimerState): number {
  const left = 0x8000_0000 - (s.tmrVal & 0x7fff_ffff);
  return Math.ceil((left * 1e9 - s.rem) / FREQUENCE_PMTIMER);
}

export function pmtUpdateSci(s: PmTimerState): void {
  const level = (s.pm1aEn & s.pm1aSts & SCI_MASK) !== 0;
  if (level === s.sci) return;
  s.sci = level;
  if (s.trace.on(tr.sci)) s.trace.emit(tr.sci, { level, sts: s.pm1aSts, en: s.pm1aEn });
  s.onSci(level);
}

/** hvm_acpi_power_button / hvm_acpi_sleep_button. */
export function pmtButton(s: PmTimerState, which: 'power' | 'sleep'): void {
  s.pm1aSts |= which === 'power' ? PWRBTN_STS : SLPBTN_STS;
  if (s.trace.on(tr.button)) s.trace.emit(tr.button, { domid: s.domid, button: which, sts: s.pm1aSts, en: s.pm1aEn });
  pmtUpdateSci(s);
}

/** handle_evt_io: the 4-byte PM1a event block (STS at +0, EN at +2). */
export const pm1aEvtOps: RegionOps<PmTimerState> = {
  name: 'xen-pm1a-evt', size: 4,
  valid: { min: 1, max: 4, unaligned: true }, impl: { min: 1, max: 4 },
  read(s, off, size) {
    let data = (s.pm1aSts | (s.pm1aEn << 16)) >>> (8 * off);
    data = size === 1 ? data & 0xff : size === 2 ? data & 0xffff : data >>> 0;
    if (s.trace.on(tr.evt)) s.trace.emit(tr.evt, { write: false, off, value: data, sts: s.pm1aSts, en: s.pm1aEn });
    return data;
  },
  write(s, off, value, size) {
    // One byte at a time; PM1a_STS bits are write-to-clear.
    let data = value;
    for (let i = size, a = off; i > 0 && a < 4; i--, a++, data >>>= 8) {
      const byte = data & 0xff;
      if (a === 0) s.pm1aSts &= ~byte;
      else if (a === 1) s.pm1aSts &= ~(byte << 8);
      else if (a === 2) s.pm1aEn = (s.pm1aEn & 0xff00) | byte;
      else s.pm1aEn = (s.pm1aEn & 0x00ff) | (byte << 8);
    }
    if (s.trace.on(tr.evt)) s.trace.emit(tr.evt, { write: true, off, value, sts: s.pm1aSts, en: s.pm1aEn });
    pmtUpdateSci(s); // fix up the SCI state to match the new register state
  },
};

/** handle_pmt_io: 4-byte reads only; anything else reads all-ones and writes are dropped. */
export const pmTmrOps: RegionOps<PmTimerState> = {
  name: 'xen-pm-tmr', size: 4,
  valid: { min: 1, max: 4, unaligned: true }, impl: { min: 1, max: 4 },
  read(s, off, size) {
    if (size !== 4 || off !== 0) return 0xffff_ffff; // "HVM_PMT bad access"
    pmtUpdateTime(s);
    return s.tmrVal;
  },
  write() {
    // "HVM_PMT bad access": the timer is read-only.
  },
};
