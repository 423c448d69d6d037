/**
 * System control port A at 0x92 (QEMU hw/i386/port92.c): bit 1 drives the
 * A20 gate, a 0 → 1 edge on bit 0 requests a reset (cause guest-reset).
 * Reads return the stored value; reset clears bit 0 only.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const PORT92 = 0x92;

export const tr = {
  write: defineEvent('piix4', 'port92_write', (a: { val: number; reset: boolean }) =>
    `0x${hex(a.val, 2)}${a.reset ? ': fast reset requested' : ''}`),
};

export interface Port92State {
  outport: number;
  /** A20 line (bit 1). */
  a20: (enabled: boolean) => void;
  /** Reset request on a 0 → 1 edge of bit 0. */
  reset: (val: number) => void;
  readonly trace: Trace;
}

export const port92VmState = { name: 'port92', version: 1, fields: ['outport'] } as const;

export function port92Reset(s: Port92State): void {
  s.outport &= ~1;
}

export const port92Ops: RegionOps<Port92State> = {
  name: 'port92',
  size: 1,
  impl: { min: 1, max: 1 },
  read: (s) => s.outport,
  write: (s, _off, val) => {
    const old = s.outport;
    const reset = (val & 1) !== 0 && (old & 1) === 0;
    if (s.trace.on(tr.write)) s.trace.emit(tr.write, { val, reset });
    s.outport = val;
    s.a20(((val >> 1) & 1) !== 0);
    if (reset) s.reset(val);
  },
};
