// i8254 PIT and port 0x61 on the virtual clock, values from QEMU's formulas (hw/timer/i8254.c
// pit_get_count / pit_get_out / pit_get_next_transition_time, i8254_common.c, hw/audio/pcspk.c).
// One tick = 1e9 / 1193182 ns; the register semantics at a frozen clock are also compared with real QEMU
// in test/machine/peer-qemu-devices.test.ts.
import { describe, expect, it } from 'vitest';
import { qtestMachine, type QtestMachine } from '../../src/machine/qtest.js';
import { nsToTicks, ticksToNs } from '../../src/piix4/i8254.js';

/** The first virtual ns at which `n` ticks have elapsed since a load at 0. */
const tickNs = (n: number): number => {
  let t = ticksToNs(n);
  while (nsToTicks(t) < n) t++;
  return t;
};
const latch = (q: QtestMachine, ch = 0): number => {
  q.outb(0x43, ch << 6);
  return q.inb(0x40 + ch) | (q.inb(0x40 + ch) << 8);
};
const status = (q: QtestMachine, ch = 0): number => { q.outb(0x43, 0xe0 | (2 << ch)); return q.inb(0x40 + ch); };
/** Rising edges of ISA IRQ 0 (pic_set_irq trace), counted from now. */
function irq0Edges(q: QtestMachine): () => number {
  let n = 0;
  let level = false;
  q.machine.trace.enable('pic_set_irq');
  q.machine.trace.subscribe((rec) => {
    if (rec.name !== 'pic_set_irq' || rec.args.irq !== 0) return;
    if (rec.args.level && !level) n++;
    level = rec.args.level as boolean;
  });
  return () => n;
}

describe('time base', () => {
  it('ns ↔ ticks are exact floor(a*b/c) like muldiv64, also beyond 2^53 / 1.19e6 ns', () => {
    expect(nsToTicks(1e9)).toBe(1193182);
    expect(nsToTicks(838)).toBe(0);
    expect(nsToTicks(839)).toBe(1);
    expect(ticksToNs(1)).toBe(838);
    const big = 1e15 + 123456789; // 11.5 days of guest time
    expect(nsToTicks(big)).toBe(Number((BigInt(big) * 1193182n) / 1000000000n));
    expect(ticksToNs(3e12 + 7)).toBe(Number(((3n * 10n ** 12n + 7n) * 1000000000n) / 1193182n));
  });
});

describe('counting modes', () => {
  it('power-on: channel 0 in mode 3 with count 0x10000, channel 2 gate low (pit_reset_common)', () => {
    const q = qtestMachine();
    expect(status(q, 0)).toBe(0x86); // OUT high, rw 0, mode 3, binary
    expect(status(q, 2)).toBe(0x86);
    expect(q.inb(0x61) & 0x21).toBe(0x20); // gate 0, OUT2 high
  });

  it('mode 0: counts down from the load, OUT rises at terminal count (IRQ 0 edge), then wraps', () => {
    const q = qtestMachine();
    const edges = irq0Edges(q);
    q.outb(0x43, 0x30);
    q.outb(0x40, 0x00);
    q.outb(0x40, 0x10);
    q.clockStep(1_000_000);
    expect(latch(q)).toBe(0x1000 - nsToTicks(1_000_000));
    expect(status(q) >> 7).toBe(0);
    q.clockStep(tickNs(0x1000) - 1_000_000 - 1);
    expect(edges()).toBe(0);
    q.clockStep(1);
    expect(edges()).toBe(1);
    expect(status(q)).toBe(0xb0);
    q.clockStep(50_000_000);
    expect(latch(q)).toBe((0x1000 - nsToTicks(q.machine.clock.ns())) & 0xffff);
    expect(edges()).toBe(1); // one-shot
  });

  it('mode 2: one IRQ 0 rising edge per period, count = count - d % count', () => {
    const q = qtestMachine();
    const edges = irq0Edges(q);
    q.outb(0x43, 0x34);
    q.outb(0x40, 1193 & 0xff);
    q.outb(0x40, 1193 >> 8);
    q.clockStep(10_000_000);
    expect(edges()).toBe(10); // 10 * 1193 ticks = 9.998 ms
    q.clockStep(400_000);
    const d = nsToTicks(10_400_000);
    expect(latch(q)).toBe(1193 - (d % 1193));
  });

  it('mode 3: the square wave toggles at half periods and the count drops by two', () => {
    const q = qtestMachine();
    const edges = irq0Edges(q);
    q.outb(0x43, 0x36);
    q.outb(0x40, 0x35);
    q.outb(0x40, 0x12); // 0x1235, odd
    q.clockStep(1_000_000);
    const d = nsToTicks(1_000_000);
    expect(latch(q)).toBe(0x1235 - ((2 * d) % 0x1235));
    expect(status(q) >> 7).toBe(d % 0x1235 < (0x1236 >> 1) ? 1 : 0);
    q.clockStep(tickNs(0x1235 * 100));
    expect(edges()).toBe(101); // the load itself raises OUT (d = 0 is in the high half), then one per period
  });

  it('mode 4: OUT strobes for one tick at terminal count', () => {
    const q = qtestMachine();
    q.outb(0x43, 0x78); // channel 1, word, mode 4
    q.outb(0x41, 100);
    q.outb(0x41, 0);
    q.clockStep(tickNs(100) - 1);
    expect(status(q, 1) >> 7).toBe(0);
    q.clockStep(1);
    expect(status(q, 1) >> 7).toBe(1);
    q.clockStep(tickNs(1) + 1);
    expect(status(q, 1) >> 7).toBe(0);
  });

  it('latch freezes the count until both bytes are read; read-back latches status and count, status first', () => {
    const q = qtestMachine();
    q.outb(0x43, 0x34);
    q.outb(0x40, 0);
    q.outb(0x40, 0); // 0x10000
    q.clockStep(tickNs(1000));
    q.outb(0x43, 0x00);
    q.clockStep(tickNs(500));
    expect(q.inb(0x40) | (q.inb(0x40) << 8)).toBe(0x10000 - 1000);
    q.outb(0x43, 0xc2); // latch count + status of channel 0
    q.clockStep(tickNs(500));
    expect(q.inb(0x40)).toBe(0x34); // OUT low, word, mode 2
    expect(q.inb(0x40) | (q.inb(0x40) << 8)).toBe(0x10000 - 1500);
  });

  it('LSB-only and MSB-only access', () => {
    const q = qtestMachine();
    q.outb(0x43, 0x50); // channel 1 LSB, mode 0
    q.outb(0x41, 0x80);
    q.clockStep(tickNs(0x10));
    expect(q.inb(0x41)).toBe(0x70);
    q.outb(0x43, 0x60); // MSB only: count 0x0200
    q.outb(0x41, 0x02);
    q.clockStep(tickNs(0x100));
    expect(q.inb(0x41)).toBe(0x01);
  });
});

describe('port 0x61 and channel 2', () => {
  it("Linux's pit_calibrate_tsc: gate on, mode 0 count 0xffff, OUT2 in bit 5 rises after 0xffff ticks", () => {
    const q = qtestMachine();
    q.outb(0x61, (q.inb(0x61) & ~0x02) | 0x01);
    q.outb(0x43, 0xb0);
    q.outb(0x42, 0xff);
    q.outb(0x42, 0xff);
    q.clockStep(50_000_000);
    expect(q.inb(0x61) & 0x20).toBe(0);
    const d = nsToTicks(50_000_000);
    expect(q.inb(0x42) | (q.inb(0x42) << 8)).toBe(0xffff - d);
    q.clockStep(tickNs(0xffff) - 50_000_000);
    expect(q.inb(0x61) & 0x20).toBe(0x20);
  });

  it('mode 0 OUT2 rises exactly at the first ns whose tick count reaches the count, load after load', () => {
    // pitGetOut finds that ns once per count; each reload (another count, a later load time) must move it
    const q = qtestMachine();
    q.outb(0x61, (q.inb(0x61) & ~0x02) | 0x01);
    let seed = 12345;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    for (const count of [1, 2, 3, 7, 0x2e9c, 0xfffe, 0xffff, 0x10000, ...Array.from({ length: 40 }, () => 1 + rand(0xffff))]) {
      q.clockStep(1 + rand(3_000_000)); // a load time that is not a whole tick
      q.outb(0x43, 0xb0);
      q.outb(0x42, 0x10);
      q.outb(0x42, 0x00); // count 16 loads now...
      q.inb(0x61);
      q.outb(0x43, 0xb0);
      q.outb(0x42, count & 0xff); // ...and the real one at the same ns: only the count differs
      q.outb(0x42, (count >> 8) & 0xff); // the count loads here
      const first = tickNs(count);
      q.clockStep(first - 1);
      expect(q.inb(0x61) & 0x20, `count ${count}, 1 ns early`).toBe(0);
      q.clockStep(1);
      expect(q.inb(0x61) & 0x20, `count ${count}, on time`).toBe(0x20);
      q.clockStep(1 + rand(1000));
      expect(q.inb(0x61) & 0x20, `count ${count}, later`).toBe(0x20);
    }
  });

  it('mode 1 on channel 2 restarts on the gate rising edge (pit_set_gate); QEMU: out = d < count', () => {
    const q = qtestMachine();
    q.outb(0x61, 0x00);
    q.outb(0x43, 0xb2);
    q.outb(0x42, 0x00);
    q.outb(0x42, 0x08); // 2048
    q.clockStep(tickNs(3000));
    expect(q.inb(0x61) & 0x20).toBe(0); // ran out (QEMU counts from the load even with the gate low)
    q.outb(0x61, 0x01); // rising edge: restart
    expect(q.inb(0x61) & 0x20).toBe(0x20);
    q.clockStep(tickNs(2048));
    expect(q.inb(0x61) & 0x20).toBe(0);
    q.outb(0x61, 0x01); // no edge: nothing happens
    expect(q.inb(0x61) & 0x20).toBe(0);
  });

  it('bit 4 flips on every read (QEMU dummy_refresh_clock); bit 1 is the speaker data latch', () => {
    const q = qtestMachine();
    const a = q.inb(0x61);
    const b = q.inb(0x61);
    expect((a ^ b) & 0x10).toBe(0x10);
    q.outb(0x61, 0x02);
    expect(q.inb(0x61) & 0x03).toBe(0x02);
  });
});

describe('a halted CPU and the PIT', () => {
  it('the PIT timer cannot wake the guest while IRQ 0 is masked at the PIC', () => {
    const q = qtestMachine();
    const t = q.machine.chipset.pit.irqTimer;
    expect(t.deadline).toBeLessThan(Infinity);
    expect(q.machine.clock.nextWakeDeadline()).toBe(t.deadline);
    q.outb(0x21, 0x01);
    expect(q.machine.clock.nextWakeDeadline()).toBe(Infinity);
  });
});
