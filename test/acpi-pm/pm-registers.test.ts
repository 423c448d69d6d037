// PM register behaviour through the port bus of a CPU-less PC machine
// (qtest-style), against qemu-pm.md §3 and the per-region access table §4.2
// (upstream QEMU hw/acpi/core.c acpi_pm_evt_ops / acpi_pm_cnt_ops / acpi_pm_tmr_ops).
import { describe, expect, it } from 'vitest';
import { acpiNotifyWakeup, acpiSendGpe } from '../../src/acpi/index.js';
import { qtestMachine } from '../../src/machine/qtest.js';

const PM = 0x600;
const STS = PM, EN = PM + 2, CNT = PM + 4, TMR = PM + 8;
const GPE = 0xafe0;

describe('PM1_STS / PM1_EN (acpi-evt: valid 1-2, impl 2)', () => {
  it('TMR_STS reads 1 on the first read after reset (overflow point 0) and is W1C', () => {
    const q = qtestMachine({ pmBase: PM });
    expect(q.inw(STS)).toBe(0x0001);
    q.outw(STS, 0x0001);
    expect(q.inw(STS)).toBe(0x0000);
  });

  it('EN stores all 16 bits unmasked; word read back', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(EN, 0xffff);
    expect(q.inw(EN)).toBe(0xffff);
  });

  it('byte read at +0/+2 gives the low byte; at +1/+3 gives 0', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(EN, 0x0521);
    expect(q.inb(EN)).toBe(0x21);
    expect(q.inb(EN + 1)).toBe(0x00);
    expect(q.inb(STS)).toBe(0x01);
    expect(q.inb(STS + 1)).toBe(0x00);
  });

  it('byte write at +2 replaces all of EN (PWRBTN_EN and RTC_EN cleared)', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(EN, 0x0521);
    q.outb(EN, 0x01);
    expect(q.inw(EN)).toBe(0x0001);
  });

  it('byte write at +1/+3 is ignored', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(EN, 0x0100);
    q.outb(EN + 1, 0x04);
    q.outb(STS + 1, 0xff);
    expect(q.inw(EN)).toBe(0x0100);
  });

  it('byte write at +0 clears only low-byte STS bits', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(EN, 0x0100);
    q.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    q.events();
    expect(q.inw(STS)).toBe(0x0101);
    q.outb(STS, 0xff);
    expect(q.inw(STS)).toBe(0x0100);
    q.outw(STS, 0x0100);
    expect(q.inw(STS)).toBe(0x0000);
  });

  it('dword access is invalid: write dropped, read 0', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outl(STS, 0x01000000);
    expect(q.inw(EN)).toBe(0);
    expect(q.inl(STS)).toBe(0);
  });
});

describe('PM1_CNT (acpi-cnt: valid 1-2, impl 2, QEMU 8.1+ byte merge)', () => {
  it('stores everything but SLP_EN: SLP_TYP 3-7 | SLP_EN read back without SLP_EN, no event', () => {
    const q = qtestMachine({ pmBase: PM });
    for (let typ = 3; typ <= 7; typ++) {
      q.outw(CNT, 0x2001 | (typ << 10));
      expect(q.inw(CNT)).toBe(0x0001 | (typ << 10));
    }
    expect(q.events()).toEqual([]);
    expect(q.status()).toEqual({ running: true, status: 'running' });
  });

  it('GBL_RLS and BM_RLD are stored and read back', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(CNT, 0x0006);
    expect(q.inw(CNT)).toBe(0x0006);
  });

  it('byte read at +1 gives the high byte (0x1401 → lo 01, hi 14)', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(CNT, 0x1401);
    expect(q.inb(CNT)).toBe(0x01);
    expect(q.inb(CNT + 1)).toBe(0x14);
  });

  it('outb 0x20 to +1 is merged with the low byte and triggers S5', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(CNT, 0x0001);
    q.outb(CNT + 1, 0x20);
    expect(q.inw(CNT)).toBe(0x0001);
    const e = q.nextEvent();
    expect(e).toMatchObject({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } });
    expect(e!.cause!.evidence).toMatchObject({ port: CNT + 1, value: 0x2001, slpTyp: 0, state: 'S5' });
  });

  it('byte write at +0 is widened with a zero high byte: clears SLP_TYP, never triggers', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(CNT, 0x1c01);
    q.outb(CNT, 0x21);
    expect(q.inw(CNT)).toBe(0x0021);
    expect(q.events()).toEqual([]);
  });

  it('a dword OUT of 0x2000 is invalid: dropped, register unchanged, traced', () => {
    const q = qtestMachine({ pmBase: PM });
    q.machine.trace.enable('ioport_invalid_access');
    q.outw(CNT, 0x0001);
    q.outl(CNT, 0x00002000);
    expect(q.inw(CNT)).toBe(0x0001);
    expect(q.events()).toEqual([]);
    expect(q.machine.trace.find('ioport_invalid_access')[0]!.args).toMatchObject({ region: 'acpi-cnt', size: 4, write: true });
  });

  it('SCI_EN: 0 after reset with SMM; 0xF1/0xF0 on APM_CNT set/clear it', () => {
    const q = qtestMachine({ pmBase: PM });
    expect(q.inw(CNT)).toBe(0x0000);
    q.outb(0xb2, 0xf1);
    expect(q.inw(CNT)).toBe(0x0001);
    q.outb(0xb2, 0xf0);
    expect(q.inw(CNT)).toBe(0x0000);
  });

  it('ACPI-only (smm off): SCI_EN = 1 from reset and 0xF0/0xF1 do nothing', () => {
    const q = qtestMachine({ pmBase: PM, smm: false });
    expect(q.inw(CNT)).toBe(0x0001);
    q.outb(0xb2, 0xf0);
    expect(q.inw(CNT)).toBe(0x0001);
    q.outw(CNT, 0x0000);
    q.outb(0xb2, 0xf1);
    expect(q.inw(CNT)).toBe(0x0000);
  });
});

describe('PM timer (acpi-tmr: valid 1-4, impl 4; 3.579545 MHz, 24-bit)', () => {
  it('2e6 ns of virtual time = 0x1BF7 ticks (observed with -icount shift=0)', () => {
    const q = qtestMachine({ pmBase: PM });
    const t0 = q.inl(TMR);
    q.clockStep(2e6);
    expect(q.inl(TMR) - t0).toBe(0x1bf7);
  });

  it('byte and word reads at any offset return the low bits (handler ignores the offset)', () => {
    const q = qtestMachine({ pmBase: PM });
    q.clockStep(123_456_789);
    const v = q.inl(TMR);
    expect(v).toBe(Math.floor(123_456_789 * 3_579_545 / 1e9) & 0xffffff);
    for (const off of [0, 1, 2, 3]) expect(q.inb(TMR + off)).toBe(v & 0xff);
    expect(q.inw(TMR + 2)).toBe(v & 0xffff);
    q.outl(TMR, 0); // writes are ignored
    expect(q.inl(TMR)).toBe(v);
  });

  it('wraps at 24 bits: 2^24 ticks later the counter reads the same value', () => {
    const q = qtestMachine({ pmBase: PM });
    q.clockStep(1e9); // 3579545 ticks
    const v = q.inl(TMR);
    expect(v).toBe(3_579_545);
    // 2^24 ticks is 4.686 s; step whole seconds past the wrap and compare with exact arithmetic
    q.clockStep(4e9);
    expect(q.inl(TMR)).toBe((5 * 3_579_545) & 0xffffff);
    expect(q.inl(TMR)).toBeLessThan(v);
  });

  it('stays exact far beyond 2^53 / 3579545 ns (about 29 days)', () => {
    const q = qtestMachine({ pmBase: PM });
    // Stop the PIT's power-on 18.2 Hz square wave first (mode 0 fires once), as a tickless guest does: 40 days of
    // IRQ 0 edges would be 125 M timer events, as on QEMU.
    q.outb(0x43, 0x30); q.outb(0x40, 0); q.outb(0x40, 0);
    const ns = 40 * 86400e9 + 123_456_789; // 40 days
    q.clockStep(ns);
    const exact = Number((BigInt(ns) * 3_579_545n) / 1_000_000_000n & 0xffffffn);
    expect(q.inl(TMR)).toBe(exact);
  });

  it('TMR_STS latches at each bit-23 toggle after a W1C (about 2.343 s apart)', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(STS, 0x0001); // clear: next overflow = next multiple of 0x800000 ticks
    const overflowNs = Math.floor((0x800000 * 1e9) / 3_579_545);
    q.clockStep(overflowNs - 1);
    expect(q.inw(STS) & 1).toBe(0);
    q.clockStep(1);
    expect(q.inw(STS) & 1).toBe(1);
    expect(q.inl(TMR)).toBe(0x7fffff); // counter at the toggle point
    q.outw(STS, 0x0001);
    q.clockStep(Math.floor((0x1000000 * 1e9) / 3_579_545) - overflowNs);
    expect(q.inw(STS) & 1).toBe(1); // again at the 0xFFFFFF → 0 wrap
  });

  it('with TMR_EN set, the overflow timer raises the SCI (IRQ 9) with no register read', () => {
    const q = qtestMachine({ pmBase: PM });
    q.outb(0x4d1, 0x02); // ELCR: IRQ 9 level-triggered
    q.outw(STS, 0x0001);
    q.outw(EN, 0x0001);
    expect(q.machine.pm.sciLevel).toBe(false);
    q.clockStep(3e9);
    expect(q.machine.pm.sciLevel).toBe(true);
    expect(q.machine.pic.slave.irr & 0x02).toBe(0x02);
    q.outw(STS, 0x0001);
    expect(q.machine.pm.sciLevel).toBe(false);
  });
});

describe('wakeup notifier (acpi_notify_wakeup)', () => {
  it.each([
    ['other', 0x8100], // "resume was caused by the power button"
    ['rtc', 0x8400],
    ['pmtimer', 0x8001],
    ['none', 0x0000],
  ] as const)('reason %s sets PM1_STS to %i', (reason, bits) => {
    const q = qtestMachine({ pmBase: PM });
    q.outw(STS, 0xffff); // clear everything, TMR_STS included
    acpiNotifyWakeup(q.machine.pm, reason);
    expect(q.inw(STS)).toBe(bits);
  });

  it('PM1_EN arms RTC and PM timer as wakeup reasons (qemu_system_wakeup_enable); reset disarms them', () => {
    const q = qtestMachine({ pmBase: PM });
    const mask = q.machine.runState.wakeupMask;
    expect([...mask].sort()).toEqual(['other']);
    q.outw(EN, 0x0401);
    expect([...mask].sort()).toEqual(['other', 'pmtimer', 'rtc']);
    q.outw(EN, 0x0400);
    expect([...mask].sort()).toEqual(['other', 'rtc']);
    q.machine.reset();
    expect([...mask].sort()).toEqual(['other']);
  });
});

describe('GPE0 at 0xAFE0 (valid 1-4, impl 1)', () => {
  it('STS W1C per byte, EN stored per byte, dword split into bytes', () => {
    const q = qtestMachine();
    q.outl(GPE, 0x0f0f0000);
    expect(q.inl(GPE)).toBe(0x0f0f0000);
    expect(q.inb(GPE + 2)).toBe(0x0f);
    q.outb(GPE, 0xff); // nothing set, nothing to clear
    expect(q.inw(GPE + 2)).toBe(0x0f0f);
  });

  it('a GPE event with its EN bit raises the SCI on IRQ 9; W1C lowers it (acpi_send_gpe_event)', () => {
    const q = qtestMachine();
    q.outb(0x4d1, 0x02); // ELCR: IRQ 9 level-triggered
    acpiSendGpe(q.machine.pm, 0x02);
    expect(q.inb(GPE)).toBe(0x02);
    expect(q.machine.pm.sciLevel).toBe(false); // EN clear
    q.outb(GPE + 2, 0x02);
    expect(q.machine.pm.sciLevel).toBe(true);
    expect(q.machine.pic.slave.irr & 0x02).toBe(0x02);
    q.outb(GPE, 0x02);
    expect(q.inb(GPE)).toBe(0x00);
    expect(q.machine.pm.sciLevel).toBe(false);
    expect(q.machine.pic.slave.irr & 0x02).toBe(0);
  });

  it('reset zeroes STS and EN', () => {
    const q = qtestMachine();
    q.outl(GPE, 0xffff0000);
    acpiSendGpe(q.machine.pm, 0x0e);
    q.machine.reset();
    expect(q.inl(GPE)).toBe(0);
  });
});
