// Bad input never crashes the host: options get clear errors at construction;
// odd guest accesses get QEMU's documented behaviour, never an exception.
import { describe, expect, it } from 'vitest';
import { PcMachine } from '../../src/machine/pc-machine.js';
import { qtestMachine } from '../../src/machine/qtest.js';

describe('machine options', () => {
  it.each([
    [{ icountShift: 11 }, /icount shift must be an integer 0..10, got 11/],
    [{ icountShift: 1.5 }, /icount shift/],
    [{ s4Val: -2 }, /s4 = -2 is not an integer 0..255/],
    [{ debugcon: [{ iobase: 0x70000 }] }, /outside the 64 K port space/],
  ])('%o is refused with a clear error', (opts, msg) => {
    expect(() => new PcMachine(opts)).toThrow(msg);
  });
});

describe('a debugcon over a chipset port (QEMU: the later ISA region wins at equal priority)', () => {
  it('-device isa-debugcon,iobase=0x80 captures POST codes written to port 0x80', () => {
    const q = qtestMachine({ pmBase: 0x600, debugcon: [{ iobase: 0x80 }] });
    q.machine.bus.write(0x80, 0x41, 1);
    q.machine.bus.write(0x80, 0x42, 1);
    expect(q.machine.debugconOutput).toBe('AB');
    expect(q.machine.bus.regionAt(0x80)?.name).toMatch(/debugcon/);
  });
});

describe('guest accesses that must not throw', () => {
  it('every port, every size, read and write, on a fully wired machine', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    // Keep the run state quiet: a write may request a reset or a sleep, which is fine; it must not throw.
    expect(() => {
      for (let port = 0; port < 0x10000; port += 1) {
        if (port === 0xcf9 || port === 0x64 || port === 0x604 || port === 0x605) continue; // reset/sleep ports: below
        for (const size of [1, 2, 4] as const) {
          q.machine.bus.read(port, size);
          if (port !== 0xcf8) q.machine.bus.write(port, 0xffffffff, size);
        }
      }
    }).not.toThrow();
  });

  it('sleep and reset writes of every size and value only produce requests', () => {
    for (const port of [0x604, 0x605, 0xcf9, 0x64, 0x60]) {
      for (const size of [1, 2, 4] as const) {
        for (const v of [0, 0x2000, 0x2400, 0x2800, 0x3c00, 0xfe, 0x06, 0xffffffff]) {
          const q = qtestMachine({ pmBase: 0x600 });
          expect(() => { q.machine.bus.write(port, v, size); q.events(); }).not.toThrow();
        }
      }
    }
  });

  it('PIC inputs out of range are ignored', () => {
    const q = qtestMachine();
    expect(() => { q.machine.pic.setIrq(16, true); q.machine.pic.setIrq(-1, true); }).not.toThrow();
    expect(q.machine.pic.intr()).toBe(false);
  });
});
