// Issue 11, "Time like a machine's": the guest that sleeps in `sti; hlt` until the 24-bit PM timer wraps
// (firmware/guests/pmtimer-wrap.asm; 2^24 ticks of 3.579545 MHz = 4.687 s of guest time) powers off under
// `acpidm run` with no instruction budget, as on QEMU (firmware/expected/pmtimer-wrap.*, recorded from QEMU 7.2).
// The halted CPU costs no host time: virtual time warps to the PM timer's overflow points. The same scenario runs
// over QMP in test/qmp/peer-recordings.test.ts and through PcSystem in test/interop/.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';

const KERNEL = join(import.meta.dirname, '../../firmware/guests/pmtimer-wrap.bin');
const WRAP_NS = (2 ** 24 / 3_579_545) * 1e9;

describe('acpidm run: the PM timer wrap', () => {
  it('waits 2^24 PM-timer ticks of guest time in HLT, then SHUTDOWN {guest: true}, exit 0, in a few thousand instructions', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', KERNEL], io), io.out.slice(-2000)).toBe(0);
    expect(io.out).toContain('SHUTDOWN {guest: true, reason: guest-shutdown}');
    const m = /instructions: ([\d,]+), virtual time ([\d.]+) ms/.exec(io.out)!;
    const insns = Number(m[1]!.replace(/,/g, ''));
    const ns = Number(m[2]) * 1e6;
    expect(ns).toBeGreaterThanOrEqual(WRAP_NS - 1000); // the counter starts at 0 on reset (1 µs: the summary rounds)
    expect(ns).toBeLessThan(WRAP_NS + 1e6); // and the S5 follows the wrap at once
    expect(insns).toBeLessThan(1_000_000); // nothing polled: the halted CPU jumped to the overflow timer
  });
});
