// The PM timer's last-reading cache (src/acpi/pm-timer.ts pmTimerValue): every read must equal QEMU's
// muldiv64(ns, 3579545, 10^9) & 0xFFFFFF (acpi_pm_tmr_get) computed afresh, at tick boundaries and between them,
// as the clock moves forward in small and large steps and when a second clock reading goes back.
import { describe, expect, it } from 'vitest';
import { createAcpiPm } from '../../src/acpi/acpi-pm.js';
import { nsToTicks, pmTimerValue, tickStartNs } from '../../src/acpi/pm-timer.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

describe('PM timer reads (the cached tick)', () => {
  it('matches nsToTicks on every nanosecond around tick boundaries', () => {
    const clock = new VirtualClock();
    const pm = createAcpiPm({ clock });
    for (const t of [1, 2, 3, 1000, 3579545, 0x7fffff, 0x800000, 0xffffff, 0x1000000, 123456789]) {
      const start = tickStartNs(t);
      expect(nsToTicks(start)).toBe(t);
      expect(nsToTicks(start - 1)).toBe(t - 1);
      clock.advance(Math.max(0, start - 3 - clock.ns()));
      for (let k = 0; k < 6; k++) {
        expect(pmTimerValue(pm)).toBe(nsToTicks(clock.ns()) & 0xffffff);
        clock.advance(1);
      }
    }
  });

  it('matches nsToTicks over a polling loop of 7 ns steps and over random jumps', () => {
    const clock = new VirtualClock();
    const pm = createAcpiPm({ clock });
    for (let i = 0; i < 100_000; i++) {
      expect(pmTimerValue(pm)).toBe(nsToTicks(clock.ns()) & 0xffffff);
      clock.advance(7);
    }
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      clock.advance(seed % 5_000_000);
      expect(pmTimerValue(pm)).toBe(nsToTicks(clock.ns()) & 0xffffff);
    }
  });

  it('a reading taken before the cached one (another clock) is computed afresh', () => {
    const late = new VirtualClock(), pm = createAcpiPm({ clock: late });
    late.advance(10_000_000);
    const ahead = pmTimerValue(pm);
    (pm as { clock: VirtualClock }).clock = new VirtualClock();
    expect(pmTimerValue(pm)).toBe(0);
    expect(ahead).toBe(nsToTicks(10_000_000));
  });
});
