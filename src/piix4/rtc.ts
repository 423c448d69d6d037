/**
 * MC146818 RTC and CMOS RAM at 0x70/0x71 (QEMU hw/rtc/mc146818rtc.c), with
 * the CMOS layout QEMU's `pc` writes (hw/i386/pc.c `pc_cmos_init`): memory
 * sizes, equipment byte, boot order, century.
 *
 * Time runs on the machine's virtual clock from a fixed base (QEMU
 * `-rtc base=...,clock=vm`), so runs replay exactly. BCD/binary and 12/24-hour
 * modes, the SET bit and UIP follow QEMU. Interrupts on IRQ 8: the periodic
 * interrupt (rate from register A, QEMU `periodic_timer_update`), and at each
 * second boundary the update-ended flag and the alarm compare (with the 0xC0
 * don't-care values); register C reads clear the flags and lower the line. An
 * alarm with AIE set wakes a suspended machine (QEMU_WAKEUP_REASON_RTC).
 * The suspend notifier writes the S3 resume marker 0xFE to register 0x0F.
 */
import type { VirtualClock, VirtualTimer } from '../clock/virtual-clock.js';
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const RTC_PORT = 0x70;
const SEC_ALARM = 0x01, MIN_ALARM = 0x03, HOUR_ALARM = 0x05;
const REG_C_IRQF = 0x80, REG_C_PF = 0x40, REG_C_AF = 0x20, REG_C_UF = 0x10, REG_C_MASK = 0x70;
/** RTC_CLOCK_RATE: the 32.768 kHz time base the periodic rate divides. */
const RTC_CLOCK_RATE = 32768;
const SEC = 0x00, MIN = 0x02, HOUR = 0x04, DOW = 0x06, DOM = 0x07, MONTH = 0x08, YEAR = 0x09;
const REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d;
const CENTURY = 0x32, PS2_CENTURY = 0x37;
const REG_A_UIP = 0x80;
const REG_B_SET = 0x80, REG_B_PIE = 0x40, REG_B_AIE = 0x20, REG_B_UIE = 0x10, REG_B_SQWE = 0x08, REG_B_DM = 0x04, REG_B_24H = 0x02;
const NS = 1_000_000_000;
/** QEMU UIP_HOLD_LENGTH: UIP reads 1 during the last 8 periods of 32.768 kHz before a second boundary. */
const UIP_HOLD_NS = Math.floor((8 * NS) / 32768);
/** Default base: 2026-01-01T00:00:00Z, fixed so runs are deterministic. */
export const RTC_DEFAULT_BASE_MS = Date.UTC(2026, 0, 1);

export const tr = {
  write: defineEvent('piix4', 'rtc_cmos_write', (a: { index: number; val: number }) => `cmos[0x${hex(a.index, 2)}] <== 0x${hex(a.val, 2)}`),
  suspend: defineEvent('piix4', 'rtc_notify_suspend', () => 'CMOS 0x0F <== 0xFE (S3 resume marker)'),
};

export interface RtcState {
  readonly cmos: Uint8Array;
  index: number;
  /** Guest RTC time in ns = baseNs + clock.ns() + offsetNs. */
  offsetNs: number;
  readonly baseNs: number;
  readonly clock: VirtualClock;
  readonly trace: Trace;
  /** Periodic interrupt timer (virtual ns of the next PF). */
  readonly periodicTimer: VirtualTimer;
  /** Period in 32 kHz cycles while the periodic timer runs, else 0. */
  period: number;
  /** Second-boundary timer: update-ended and alarm. */
  readonly updateTimer: VirtualTimer;
  /** ISA IRQ 8. */
  setIrq: (level: boolean) => void;
  /** An alarm fired with AIE set (wakes a suspended machine). */
  onAlarm: () => void;
}

export const rtcVmState = {
  name: 'mc146818rtc', version: 2,
  fields: ['cmos', 'index', 'offsetNs', 'period', 'periodicTimer.deadline', 'updateTimer.deadline'],
} as const;

// ---- civil date maths (days since 1970-01-01, proleptic Gregorian; no Date objects) ----
function civilFromDays(z: number): [y: number, m: number, d: number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const toBcd = (v: number): number => ((Math.floor(v / 10) % 10) << 4) | (v % 10);
const fromBcd = (v: number): number => (v >> 4) * 10 + (v & 0x0f);

function running(s: RtcState): boolean {
  return (s.cmos[REG_B]! & REG_B_SET) === 0 && (s.cmos[REG_A]! & 0x70) <= 0x20;
}

function guestNs(s: RtcState): number {
  return s.baseNs + s.clock.ns() + s.offsetNs;
}

/** `rtc_update_time` + `rtc_set_cmos`: refresh the time fields from the clock. */
function updateTime(s: RtcState): void {
  const secs = Math.floor(guestNs(s) / NS);
  const days = Math.floor(secs / 86400);
  let rem = secs - days * 86400;
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const [y, mo, d] = civilFromDays(days);
  const c = s.cmos;
  const enc = (v: number): number => ((c[REG_B]! & REG_B_DM) !== 0 ? v : toBcd(v));
  c[SEC] = enc(rem % 60);
  c[MIN] = enc(Math.floor(rem / 60));
  if ((c[REG_B]! & REG_B_24H) !== 0) c[HOUR] = enc(hour);
  else c[HOUR] = enc(hour % 12 === 0 ? 12 : hour % 12) | (hour >= 12 ? 0x80 : 0);
  c[DOW] = enc((((days % 7) + 11) % 7) + 1); // 1970-01-01 was a Thursday; Sunday = 1
  c[DOM] = enc(d);
  c[MONTH] = enc(mo);
  c[YEAR] = enc(y % 100);
  c[CENTURY] = enc(Math.floor(y / 100));
}

/** `rtc_set_time`: the fields the guest wrote become the time now. */
function setTime(s: RtcState): void {
  const c = s.cmos;
  const dec = (v: number): number => ((c[REG_B]! & REG_B_DM) !== 0 ? v : fromBcd(v));
  let hour = dec(c[HOUR]! & 0x7f);
  if ((c[REG_B]! & REG_B_24H) === 0) hour = (hour % 12) + ((c[HOUR]! & 0x80) !== 0 ? 12 : 0);
  const year = dec(c[CENTURY]!) * 100 + dec(c[YEAR]!);
  const days = daysFromCivil(year, dec(c[MONTH]!), dec(c[DOM]!));
  const secs = days * 86400 + hour * 3600 + dec(c[MIN]!) * 60 + dec(c[SEC]!);
  s.offsetNs = secs * NS - s.baseNs - s.clock.ns();
}

const muldiv = (a: number, b: number, c: number): number => {
  const q = Math.floor(a / c);
  return q * b + Math.floor(((a - q * c) * b) / c);
};

/**
 * QEMU periodic_timer_update: the next PF is `period` 32 kHz cycles after the last one; on a rate change the
 * cycles already elapsed since the last interrupt count (at most one period).
 */
function periodicUpdate(s: RtcState, now: number, oldPeriod: number, periodChange: boolean): void {
  let code = s.cmos[REG_A]! & 0x0f;
  if (code !== 0 && (s.cmos[REG_B]! & REG_B_PIE) !== 0) {
    if (code <= 2) code += 7;
    const period = 1 << (code - 1);
    const cur = muldiv(now, RTC_CLOCK_RATE, NS);
    let lost = 0;
    if (oldPeriod && periodChange && s.periodicTimer.deadline !== Infinity) {
      const last = muldiv(s.periodicTimer.deadline, RTC_CLOCK_RATE, NS) - oldPeriod;
      lost = Math.min(Math.max(0, cur - last), period);
    }
    s.period = period;
    s.periodicTimer.deadline = muldiv(cur + period - lost, NS, RTC_CLOCK_RATE) + 1;
  } else {
    s.period = 0;
    s.periodicTimer.deadline = Infinity;
  }
}

function raiseIf(s: RtcState): void {
  const c = s.cmos;
  if (c[REG_B]! & c[REG_C]! & REG_C_MASK) {
    c[REG_C] = c[REG_C]! | REG_C_IRQF;
    s.setIrq(true);
  }
}

/** Virtual ns of the next guest-second boundary. */
function nextSecond(s: RtcState): number {
  const g = guestNs(s);
  return s.clock.ns() + (NS - (((g % NS) + NS) % NS));
}

function armUpdate(s: RtcState): void {
  s.updateTimer.deadline = running(s) ? nextSecond(s) : Infinity;
}

const alarmMatch = (alarm: number, now: number): boolean => (alarm & 0xc0) === 0xc0 || alarm === now;

/** A second boundary: UF, the alarm compare (AF), IRQ 8 for the enabled ones (QEMU rtc_update_timer). */
function secondTick(s: RtcState): void {
  const c = s.cmos;
  if (running(s)) {
    updateTime(s);
    let flags = REG_C_UF;
    if (alarmMatch(c[SEC_ALARM]!, c[SEC]!) && alarmMatch(c[MIN_ALARM]!, c[MIN]!) && alarmMatch(c[HOUR_ALARM]!, c[HOUR]!)) {
      flags |= REG_C_AF;
      if (c[REG_B]! & REG_B_AIE) s.onAlarm();
    }
    c[REG_C] = c[REG_C]! | flags;
    raiseIf(s);
  }
  // QEMU check_update_timer: with UF and AF both latched and neither interrupt enabled, nothing can change
  // until register C is read, so the timer sleeps (a guest that never looks costs no host time).
  if ((c[REG_C]! & (REG_C_UF | REG_C_AF)) === (REG_C_UF | REG_C_AF) && (c[REG_B]! & (REG_B_UIE | REG_B_AIE)) === 0) {
    s.updateTimer.deadline = Infinity;
  } else {
    armUpdate(s);
  }
}

export interface RtcOptions {
  /** RTC time at virtual time 0, in ms since the Unix epoch (default 2026-01-01T00:00:00Z). */
  baseMs?: number;
  /** Guest RAM in MiB for the CMOS memory-size bytes (default 128). */
  ramMiB?: number;
}

export function newRtc(clock: VirtualClock, trace: Trace, opts: RtcOptions = {}, setIrq: (level: boolean) => void = () => {}): RtcState {
  const baseMs = opts.baseMs ?? RTC_DEFAULT_BASE_MS;
  if (!Number.isFinite(baseMs)) throw new RangeError(`RTC base ${baseMs} is not a time`);
  const s: RtcState = {
    cmos: new Uint8Array(128), index: 0, offsetNs: 0, baseNs: Math.floor(baseMs) * 1e6, clock, trace,
    period: 0, setIrq, onAlarm: () => {},
    periodicTimer: clock.timer('rtc-periodic', (now) => {
      // rtc_periodic_timer: re-arm from this tick, then PF (and IRQF with PIE).
      periodicUpdate(s, now, s.period, false);
      s.cmos[REG_C] = s.cmos[REG_C]! | REG_C_PF;
      raiseIf(s);
    }),
    updateTimer: clock.timer('rtc-update', () => secondTick(s)),
  };
  const c = s.cmos;
  // mc146818rtc realize
  c[REG_A] = 0x26;
  c[REG_B] = REG_B_24H;
  c[REG_C] = 0x00;
  c[REG_D] = 0x80;
  // pc_cmos_init: memory sizes for the PC BIOS (i440FX keeps 3 GiB below 4 GiB once RAM reaches 3.5 GiB)
  const KiB = 1024, MiB = 1024 * KiB;
  const ram = (opts.ramMiB ?? 128) * MiB;
  const below4g = ram >= 0xe0000000 ? 0xc0000000 : ram;
  const above4g = ram - below4g;
  const put16 = (i: number, v: number): void => { c[i] = v & 0xff; c[i + 1] = (v >> 8) & 0xff; };
  put16(0x15, Math.min(below4g / KiB, 640));
  const ext = Math.min(below4g > MiB ? Math.floor((below4g - MiB) / KiB) : 0, 65535);
  put16(0x17, ext);
  put16(0x30, ext);
  put16(0x34, Math.min(below4g > 16 * MiB ? Math.floor((below4g - 16 * MiB) / (64 * KiB)) : 0, 65535));
  const hi = Math.floor(above4g / 65536);
  c[0x5b] = hi & 0xff; c[0x5c] = (hi >> 8) & 0xff; c[0x5d] = (hi >> 16) & 0xff;
  c[0x5f] = 0; // number of CPUs minus one (pc_cmos_init: smp.cpus - 1; acpidm has one CPU)
  c[0x3d] = 0x12; // boot order "cad": hard disk, floppy ...
  c[0x38] = 0x30; // ... then CD-ROM; floppy signature check on
  c[0x14] = 0x06; // equipment: FPU, PS/2 mouse, no floppy
  updateTime(s);
  armUpdate(s);
  return s;
}

/**
 * `rtc_reset_enter`: interrupt enables and flags cleared; CMOS RAM and time kept, except the shutdown status
 * (0x0F), which QEMU clears unless it is the S3 marker 0xFE (hw/rtc/mc146818rtc.c): after a reset SeaBIOS never
 * sees 0x05/0x0A-0x0C and hard-reboots (firmware/guests/warm-reset.asm shows it on QEMU 7.2).
 */
export function rtcReset(s: RtcState): void {
  if (s.cmos[0x0f] !== 0xfe) s.cmos[0x0f] = 0;
  s.cmos[REG_B] = s.cmos[REG_B]! & ~(REG_B_PIE | REG_B_AIE | REG_B_SQWE);
  s.cmos[REG_C] = s.cmos[REG_C]! & ~0xf0;
  s.setIrq(false);
  periodicUpdate(s, s.clock.ns(), 0, false);
  armUpdate(s);
}

/** QEMU `rtc_notify_suspend`: the resume marker SeaBIOS checks on the next boot. */
export function rtcNotifySuspend(s: RtcState): void {
  if (s.trace.on(tr.suspend)) s.trace.emit(tr.suspend, {});
  s.cmos[0x0f] = 0xfe;
}

function readData(s: RtcState): number {
  // The IBM PS/2 century byte is an alias of 0x32 (and moves the index there).
  if (s.index === PS2_CENTURY) s.index = CENTURY;
  const i = s.index;
  switch (i) {
    case CENTURY: case SEC: case MIN: case HOUR: case DOW: case DOM: case MONTH: case YEAR:
      if (running(s)) updateTime(s); // calibrate before reading unless in SET mode
      return s.cmos[i]!;
    case REG_A: {
      const inUpdate = running(s) && guestNs(s) % NS >= NS - UIP_HOLD_NS;
      return s.cmos[REG_A]! | (inUpdate ? REG_A_UIP : 0);
    }
    case REG_C: {
      const v = s.cmos[REG_C]!;
      s.cmos[REG_C] = 0; // reading C acknowledges the flags and lowers IRQ 8
      s.setIrq(false);
      if (s.updateTimer.deadline === Infinity) armUpdate(s);
      return v;
    }
    default:
      return s.cmos[i]!;
  }
}

function writeData(s: RtcState, val: number): void {
  if (s.index === PS2_CENTURY) s.index = CENTURY;
  const i = s.index;
  if (s.trace.on(tr.write)) s.trace.emit(tr.write, { index: i, val });
  switch (i) {
    case CENTURY: case SEC: case MIN: case HOUR: case DOW: case DOM: case MONTH: case YEAR:
      if (running(s)) updateTime(s);
      s.cmos[i] = val;
      if (running(s)) setTime(s); // in SET mode the time is taken when SET is cleared
      return;
    case REG_A: {
      const old = s.period;
      const wasRunning = running(s);
      s.cmos[REG_A] = val & ~REG_A_UIP;
      periodicUpdate(s, s.clock.ns(), old, true);
      if (running(s) !== wasRunning) armUpdate(s);
      return;
    }
    case REG_B:
      if (val & REG_B_SET) {
        if (running(s)) updateTime(s); // freeze the fields at the moment the clock stops
        val &= ~REG_B_UIE;
      } else if ((s.cmos[REG_B]! & REG_B_SET) !== 0 && (s.cmos[REG_A]! & 0x70) <= 0x20) {
        s.cmos[REG_B] = val;
        setTime(s); // leaving SET mode: the fields become the time
      }
      {
        const old = s.cmos[REG_B]!;
        s.cmos[REG_B] = val;
        // An interrupt flag already set when its enable goes on raises IRQ 8 at once (QEMU cmos_ioport_write).
        if (val & s.cmos[REG_C]! & REG_C_MASK) {
          s.cmos[REG_C] = s.cmos[REG_C]! | REG_C_IRQF;
          s.setIrq(true);
        } else {
          s.cmos[REG_C] = s.cmos[REG_C]! & ~REG_C_IRQF;
          s.setIrq(false);
        }
        if ((old ^ val) & REG_B_PIE) periodicUpdate(s, s.clock.ns(), s.period, true);
        if ((old ^ val) & (REG_B_SET | REG_B_UIE | REG_B_AIE)) armUpdate(s);
      }
      return;
    case REG_C: case REG_D:
      return; // read-only
    default:
      s.cmos[i] = val;
  }
}

export const rtcOps: RegionOps<RtcState> = {
  name: 'rtc',
  size: 2,
  impl: { min: 1, max: 1 },
  read: (s, off) => ((off & 1) === 0 ? 0xff : readData(s)),
  write: (s, off, val) => {
    if ((off & 1) === 0) s.index = val & 0x7f; // bit 7 is the NMI mask, not part of the index
    else writeData(s, val);
  },
};
