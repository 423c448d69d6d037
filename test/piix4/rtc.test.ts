// MC146818 RTC/CMOS (QEMU hw/rtc/mc146818rtc.c, CMOS layout of hw/i386/pc.c pc_cmos_init),
// clocked by the virtual clock from a fixed base.
import { describe, expect, it } from 'vitest';
import { qtestMachine, type QtestMachine } from '../../src/machine/qtest.js';

const cmos = (q: QtestMachine, i: number): number => { q.outb(0x70, i); return q.inb(0x71); };
const setCmos = (q: QtestMachine, i: number, v: number): void => { q.outb(0x70, i); q.outb(0x71, v); };
const clock = (q: QtestMachine) => [4, 2, 0].map((i) => cmos(q, i).toString(16).padStart(2, '0')).join(':');
const date = (q: QtestMachine) => [0x32, 9, 8, 7, 6].map((i) => cmos(q, i).toString(16).padStart(2, '0')).join(' ');

describe('time', () => {
  it('starts at the base (2026-01-01 00:00:00, a Thursday) in BCD, 24-hour, and follows the virtual clock', () => {
    const q = qtestMachine();
    // A year of virtual time: stop the PIT's 18.2 Hz square wave first (mode 0 fires once), as a tickless guest does.
    q.outb(0x43, 0x30); q.outb(0x40, 0); q.outb(0x40, 0);
    expect(clock(q)).toBe('00:00:00');
    expect(date(q)).toBe('20 26 01 01 05'); // century year month day, day of week (Sunday = 1)
    q.clockStep(3_661e9 + 5e8);
    expect(clock(q)).toBe('01:01:01');
    q.clockStep(365 * 86400e9);
    expect(date(q)).toBe('20 27 01 01 06');
  });

  it('a configured base, binary mode and 12-hour mode', () => {
    const q = qtestMachine({ rtcBase: new Date(Date.UTC(1999, 11, 31, 23, 59, 58)) });
    expect(date(q)).toBe('19 99 12 31 06');
    setCmos(q, 0x0b, 0x04); // binary, 12-hour
    expect([cmos(q, 4), cmos(q, 2), cmos(q, 0)]).toEqual([0x80 | 11, 59, 58]); // 11 PM
    q.clockStep(2e9);
    expect([cmos(q, 0x32), cmos(q, 9), cmos(q, 8), cmos(q, 7), cmos(q, 4)]).toEqual([20, 0, 1, 1, 12]); // 12 AM, 2000-01-01
  });

  it('SET mode freezes the fields; clearing SET makes the written fields the time', () => {
    const q = qtestMachine();
    setCmos(q, 0x0b, 0x82);
    setCmos(q, 4, 0x13);
    setCmos(q, 2, 0x45);
    setCmos(q, 0, 0x00);
    q.clockStep(10e9);
    expect(clock(q)).toBe('13:45:00'); // frozen while SET
    setCmos(q, 0x0b, 0x02);
    q.clockStep(30e9);
    expect(clock(q)).toBe('13:45:30');
  });

  it('writing a field while running sets the time at once', () => {
    const q = qtestMachine();
    setCmos(q, 9, 0x30);
    expect(date(q)).toBe('20 30 01 01 03'); // 2030-01-01 is a Tuesday
  });

  it('UIP (register A bit 7) reads 1 only in the last 244 µs before a second boundary', () => {
    const q = qtestMachine();
    expect(cmos(q, 0x0a)).toBe(0x26);
    q.clockStep(1e9 - 200_000);
    expect(cmos(q, 0x0a)).toBe(0xa6);
    q.clockStep(200_000);
    expect(cmos(q, 0x0a)).toBe(0x26);
  });
});

describe('CMOS RAM', () => {
  it('index port reads 0xFF, bit 7 (NMI mask) is not part of the index; registers C and D are read-only', () => {
    const q = qtestMachine();
    expect(q.inb(0x70)).toBe(0xff);
    q.outb(0x70, 0x80 | 0x14);
    expect(q.inb(0x71)).toBe(0x06);
    setCmos(q, 0x0d, 0x00);
    expect(cmos(q, 0x0d)).toBe(0x80);
    setCmos(q, 0x40, 0x5a);
    expect(cmos(q, 0x40)).toBe(0x5a);
  });

  it.each([
    [128, { 0x15: 0x80, 0x16: 0x02, 0x17: 0xff, 0x18: 0xff, 0x30: 0xff, 0x31: 0xff, 0x34: 0x00, 0x35: 0x07, 0x5b: 0, 0x5c: 0 }],
    [5000, { 0x34: 0x00, 0x35: 0xbf, 0x5b: 0x80, 0x5c: 0x78, 0x5d: 0 }],
    [8, { 0x15: 0x80, 0x16: 0x02, 0x17: 0x00, 0x18: 0x1c, 0x34: 0, 0x35: 0 }],
  ])('memory size bytes for -m %i (values read from QEMU 7.2)', (mib, want) => {
    const q = qtestMachine({ memoryMiB: mib });
    for (const [i, v] of Object.entries(want)) expect([Number(i), cmos(q, Number(i))]).toEqual([Number(i), v]);
  });

  it('S3: the RTC suspend notifier writes the resume marker 0xFE to 0x0F; it survives the wake reset', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    expect(cmos(q, 0x0f)).toBe(0);
    q.outw(0x604, 0x2400);
    expect(q.events().map((e) => e.event)).toEqual(['SUSPEND']);
    expect(cmos(q, 0x0f)).toBe(0xfe);
    q.machine.runState.requestWakeup('other');
    q.events();
    expect(cmos(q, 0x0f)).toBe(0xfe);
  });
});

describe('interrupts on IRQ 8 (QEMU periodic_timer_update, rtc_periodic_timer, rtc_update_timer)', () => {
  const slaveIrr = (q: QtestMachine): number => { q.outb(0xa0, 0x0a); return q.inb(0xa0); };

  it('periodic: rate 6 (1024 Hz, 32 cycles of 32.768 kHz) sets PF|IRQF with PIE; reading C clears and lowers IRQ 8', () => {
    const q = qtestMachine();
    setCmos(q, 0x0a, 0x26);
    setCmos(q, 0x0b, 0x42); // PIE, 24h
    const periodNs = Math.floor((32 * 1e9) / 32768) + 1; // periodic_clock_to_ns + 1
    q.clockStep(periodNs - 1);
    expect(cmos(q, 0x0c)).toBe(0x00);
    q.clockStep(1);
    expect(slaveIrr(q) & 1).toBe(1);
    expect(cmos(q, 0x0c)).toBe(0xc0);
    expect(cmos(q, 0x0c)).toBe(0x00);
    expect(q.machine.chipset.rtc.periodicTimer.deadline).toBeLessThan(Infinity);
    setCmos(q, 0x0b, 0x02); // PIE off: the timer stops
    expect(q.machine.chipset.rtc.periodicTimer.deadline).toBe(Infinity);
    q.clockStep(10e6);
    expect(cmos(q, 0x0c)).toBe(0x00);
  });

  it('update-ended each second (UF), IRQ only with UIE; an already-set flag raises IRQF when its enable goes on', () => {
    const q = qtestMachine();
    q.clockStep(1e9);
    expect(cmos(q, 0x0c)).toBe(0x10); // UF without UIE: no IRQF
    q.clockStep(1e9);
    setCmos(q, 0x0b, 0x12); // UIE with UF pending
    expect(cmos(q, 0x0c)).toBe(0x90);
    q.clockStep(1e9);
    expect(cmos(q, 0x0c)).toBe(0x90);
  });

  it('alarm at hh:mm:ss with AIE: AF|IRQF at that second; 0xC0 is "don\'t care"', () => {
    const q = qtestMachine();
    setCmos(q, 0x01, 0x05); // 00:00:05 (BCD)
    setCmos(q, 0x03, 0x00);
    setCmos(q, 0x05, 0x00);
    setCmos(q, 0x0b, 0x22); // AIE
    q.clockStep(4e9);
    expect(cmos(q, 0x0c)).toBe(0x10); // UF only
    q.clockStep(1e9);
    expect(cmos(q, 0x0c)).toBe(0xb0); // IRQF | AF | UF
    setCmos(q, 0x01, 0xc0); setCmos(q, 0x03, 0xc0); setCmos(q, 0x05, 0xc0); // every second
    q.clockStep(1e9);
    expect(cmos(q, 0x0c)).toBe(0xb0);
  });

  it('an RTC alarm with AIE wakes the machine from S3 when RTC_EN is set (QEMU_WAKEUP_REASON_RTC)', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    setCmos(q, 0x01, 0xc0); setCmos(q, 0x03, 0xc0); setCmos(q, 0x05, 0xc0);
    setCmos(q, 0x0b, 0x22);
    q.outw(0x602, 0x0400); // RTC_EN
    q.outw(0x604, 0x2000 | (1 << 10)); // S3 (QEMU pc: SLP_TYP 1)
    expect(q.events().map((e) => e.event)).toEqual(['SUSPEND']);
    q.clockStep(1e9);
    expect(q.events().map((e) => e.event)).toEqual(['WAKEUP']);
    expect(q.inw(0x600) & 0x0400).toBe(0x0400); // RTC_STS
  });
});
