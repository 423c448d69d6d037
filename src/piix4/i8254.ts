/**
 * i8254 PIT at 0x40-0x43 (QEMU hw/timer/i8254.c + i8254_common.c): three
 * channels clocked at 1.193182 MHz from the virtual clock. Counts, outputs and
 * the next output edge are pure functions of the time since the count was
 * loaded, as in QEMU, so nothing polls: channel 0 arms one VirtualTimer at its
 * next output transition and drives IRQ 0 with the output level (the PIC sees
 * the edges), so a halted CPU can warp straight to the next tick.
 *
 * Follows QEMU where it simplifies the chip: BCD is stored and reported in the
 * status byte but counting is binary; a low gate does not stop modes 0/2/3/4
 * (only the rising edge restarts modes 1/2/3/5); modes 6 and 7 stay as written.
 * Channel 2's gate and output are port 0x61 (pc-speaker-port.ts).
 */
import type { VirtualClock, VirtualTimer } from '../clock/virtual-clock.js';
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const PIT_PORT = 0x40;
export const PIT_FREQ = 1193182;
const NS = 1_000_000_000;

const RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4;

export const tr = {
  write: defineEvent('piix4', 'pit_ioport_write', (a: { port: number; val: number }) => `0x${hex(a.port, 2)} <== 0x${hex(a.val, 2)}`),
  load: defineEvent('piix4', 'pit_load_count', (a: { channel: number; mode: number; count: number }) => `channel ${a.channel} mode ${a.mode} count ${a.count}`),
};

export interface PitChannel {
  /** Reload value; 0 is stored as 0x10000. */
  count: number;
  latchedCount: number;
  /** 0, or the RW state the latched count is read in. */
  countLatched: number;
  status: number;
  statusLatched: boolean;
  readState: number;
  writeState: number;
  writeLatch: number;
  rwMode: number;
  mode: number;
  bcd: number;
  gate: number;
  /** Virtual ns when the count was loaded (or the gate restarted it). */
  countLoadTime: number;
  nextTransitionTime: number;
  /**
   * Not migrated, a cache of pitGetOut in mode 0: how many ns after the load the output goes high (out0At), for the
   * count it was computed from (out0Count; -1 when none).
   */
  out0At: number;
  out0Count: number;
}

export interface PitState {
  readonly channels: readonly [PitChannel, PitChannel, PitChannel];
  readonly clock: VirtualClock;
  readonly trace: Trace;
  /** Channel 0's output transition timer. */
  readonly irqTimer: VirtualTimer;
  /** Channel 0's output → ISA IRQ 0. */
  readonly setIrq: (level: boolean) => void;
}

export const pitVmState = {
  name: 'i8254', version: 3,
  fields: ['channels[].count', 'channels[].latchedCount', 'channels[].countLatched', 'channels[].status', 'channels[].statusLatched',
    'channels[].readState', 'channels[].writeState', 'channels[].writeLatch', 'channels[].rwMode', 'channels[].mode', 'channels[].bcd',
    'channels[].gate', 'channels[].countLoadTime', 'channels[].nextTransitionTime'],
} as const;

/** floor(ns * PIT_FREQ / 1e9) exactly (QEMU muldiv64) without leaving 2^53. */
export function nsToTicks(ns: number): number {
  const q = Math.floor(ns / NS);
  return q * PIT_FREQ + Math.floor(((ns - q * NS) * PIT_FREQ) / NS);
}

/** floor(ticks * 1e9 / PIT_FREQ) exactly. */
export function ticksToNs(ticks: number): number {
  const q = Math.floor(ticks / PIT_FREQ);
  return q * NS + Math.floor(((ticks - q * PIT_FREQ) * NS) / PIT_FREQ);
}

const newChannel = (): PitChannel => ({
  count: 0x10000, latchedCount: 0, countLatched: 0, status: 0, statusLatched: false, readState: 0, writeState: 0, writeLatch: 0,
  rwMode: 0, mode: 3, bcd: 0, gate: 0, countLoadTime: 0, nextTransitionTime: 0, out0At: 0, out0Count: -1,
});

export function newPit(clock: VirtualClock, trace: Trace, setIrq: (level: boolean) => void): PitState {
  const s: PitState = {
    channels: [newChannel(), newChannel(), newChannel()], clock, trace, setIrq,
    irqTimer: clock.timer('pit-ch0', () => irqTimerUpdate(s, s.channels[0].nextTransitionTime)),
  };
  pitReset(s);
  return s;
}

/** pit_reset_common + pit_reset: mode 3, count 0x10000, gates 1/1/0, channel 0's timer armed. */
export function pitReset(s: PitState): void {
  const now = s.clock.ns();
  s.channels.forEach((c, i) => {
    c.mode = 3;
    c.gate = i !== 2 ? 1 : 0;
    c.countLoadTime = now;
    c.count = 0x10000;
  });
  const c0 = s.channels[0];
  c0.nextTransitionTime = nextTransitionTime(c0, now);
  s.irqTimer.deadline = c0.nextTransitionTime;
}

/** pit_get_count: the counter now. */
export function pitGetCount(c: PitChannel, now: number): number {
  const d = nsToTicks(now - c.countLoadTime);
  switch (c.mode) {
    case 0: case 1: case 4: case 5:
      return (c.count - d) & 0xffff;
    case 3:
      return c.count - ((2 * d) % c.count); // counts down by two (QEMU: "may be incorrect for odd counts")
    default:
      return c.count - (d % c.count);
  }
}

/** pit_get_out: the output pin at `now`. */
export function pitGetOut(c: PitChannel, now: number): number {
  const x = now - c.countLoadTime;
  // Mode 0 (Linux's TSC and PM-timer calibration polls channel 2's output on port 0x61 some two million times a
  // boot): the output is high from the first ns whose tick count reaches the count, found once per count instead of
  // converting the time to ticks on every read. Whole ns only (the clock's are); anything else takes the formula.
  if (c.mode === 0 && x === Math.floor(x)) {
    if (c.out0Count !== c.count) {
      const t = ticksToNs(c.count); // nsToTicks(t) <= count <= nsToTicks(t + 1)
      c.out0At = nsToTicks(t) >= c.count ? t : t + 1;
      c.out0Count = c.count;
    }
    return x >= c.out0At ? 1 : 0;
  }
  const d = nsToTicks(x);
  switch (c.mode) {
    case 1:
      return d < c.count ? 1 : 0;
    case 2:
      return d % c.count === 0 && d !== 0 ? 1 : 0;
    case 3:
      return d % c.count < ((c.count + 1) >> 1) ? 1 : 0;
    case 4: case 5:
      return d === c.count ? 1 : 0;
    default: // 0, and 6/7 as QEMU leaves them
      return d >= c.count ? 1 : 0;
  }
}

/** pit_get_next_transition_time: virtual ns of the next output change, or Infinity. */
function nextTransitionTime(c: PitChannel, now: number): number {
  const d = nsToTicks(now - c.countLoadTime);
  let next: number;
  switch (c.mode) {
    case 2: {
      const base = Math.floor(d / c.count) * c.count;
      next = d - base === 0 && d !== 0 ? base + c.count : base + c.count + 1;
      break;
    }
    case 3: {
      const base = Math.floor(d / c.count) * c.count;
      const half = (c.count + 1) >> 1;
      next = d - base < half ? base + half : base + c.count;
      break;
    }
    case 4: case 5:
      if (d < c.count) next = c.count;
      else if (d === c.count) next = c.count + 1;
      else return Infinity;
      break;
    default: // 0, 1
      if (d < c.count) next = c.count;
      else return Infinity;
  }
  const t = c.countLoadTime + ticksToNs(next);
  return t <= now ? now + 1 : t; // QEMU: "fix potential rounding problems"
}

/** pit_irq_timer_update for channel 0: drive IRQ 0 with the output and arm the next edge. */
function irqTimerUpdate(s: PitState, now: number): void {
  const c = s.channels[0];
  const expire = nextTransitionTime(c, now);
  s.setIrq(pitGetOut(c, now) === 1);
  c.nextTransitionTime = expire;
  s.irqTimer.deadline = expire;
}

function loadCount(s: PitState, ch: number, val: number): void {
  const c = s.channels[ch]!;
  if (val === 0) val = 0x10000;
  c.countLoadTime = s.clock.ns();
  c.count = val;
  if (s.trace.on(tr.load)) s.trace.emit(tr.load, { channel: ch, mode: c.mode, count: val });
  if (ch === 0) irqTimerUpdate(s, c.countLoadTime);
}

function latchCount(s: PitState, c: PitChannel): void {
  if (!c.countLatched) {
    c.latchedCount = pitGetCount(c, s.clock.ns());
    c.countLatched = c.rwMode;
  }
}

/** pit_set_gate (channel 2 from port 0x61): a rising edge restarts modes 1, 2, 3 and 5. */
export function pitSetGate(s: PitState, ch: number, val: number): void {
  const c = s.channels[ch]!;
  if (c.gate < val && (c.mode === 1 || c.mode === 2 || c.mode === 3 || c.mode === 5)) {
    c.countLoadTime = s.clock.ns();
    if (ch === 0) irqTimerUpdate(s, c.countLoadTime);
  }
  c.gate = val;
}

function ioWrite(s: PitState, addr: number, val: number): void {
  if (s.trace.on(tr.write)) s.trace.emit(tr.write, { port: PIT_PORT + addr, val });
  if (addr === 3) {
    const ch = val >> 6;
    if (ch === 3) {
      // Read-back: bit 5 clear latches the counts, bit 4 clear the status, of the channels in bits 1-3.
      for (let i = 0; i < 3; i++) {
        if (!(val & (2 << i))) continue;
        const c = s.channels[i]!;
        if (!(val & 0x20)) latchCount(s, c);
        if (!(val & 0x10) && !c.statusLatched) {
          c.status = (pitGetOut(c, s.clock.ns()) << 7) | (c.rwMode << 4) | (c.mode << 1) | c.bcd;
          c.statusLatched = true;
        }
      }
      return;
    }
    const c = s.channels[ch]!;
    const access = (val >> 4) & 3;
    if (access === 0) {
      latchCount(s, c);
      return;
    }
    c.rwMode = access;
    c.readState = access;
    c.writeState = access;
    c.mode = (val >> 1) & 7;
    c.bcd = val & 1;
    return; // QEMU does not touch the output until a count is written
  }
  const c = s.channels[addr]!;
  switch (c.writeState) {
    case RW_MSB:
      loadCount(s, addr, val << 8);
      break;
    case RW_WORD0:
      c.writeLatch = val;
      c.writeState = RW_WORD1;
      break;
    case RW_WORD1:
      loadCount(s, addr, c.writeLatch | (val << 8));
      c.writeState = RW_WORD0;
      break;
    default: // RW_LSB (and 0 before any control word, as QEMU's default case)
      loadCount(s, addr, val);
  }
}

function ioRead(s: PitState, addr: number): number {
  if (addr === 3) return 0; // the control word register is write-only
  const c = s.channels[addr]!;
  if (c.statusLatched) {
    c.statusLatched = false;
    return c.status;
  }
  if (c.countLatched) {
    switch (c.countLatched) {
      case RW_MSB:
        c.countLatched = 0;
        return (c.latchedCount >> 8) & 0xff;
      case RW_WORD0:
        c.countLatched = RW_MSB;
        return c.latchedCount & 0xff;
      default:
        c.countLatched = 0;
        return c.latchedCount & 0xff;
    }
  }
  const count = pitGetCount(c, s.clock.ns());
  switch (c.readState) {
    case RW_MSB:
      return (count >> 8) & 0xff;
    case RW_WORD0:
      c.readState = RW_WORD1;
      return count & 0xff;
    case RW_WORD1:
      c.readState = RW_WORD0;
      return (count >> 8) & 0xff;
    default:
      return count & 0xff;
  }
}

/** QEMU pit_ioport_ops: four byte registers. */
export const pitOps: RegionOps<PitState> = {
  name: 'pit',
  size: 4,
  impl: { min: 1, max: 1 },
  read: (s, off) => ioRead(s, off),
  write: (s, off, val) => ioWrite(s, off, val & 0xff),
};
