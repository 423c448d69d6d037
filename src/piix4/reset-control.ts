/**
 * PIIX reset control register at 0xCF9 (QEMU hw/isa/piix.c `rcr_write`): a
 * 1-byte region laid over the 0xCF8-0xCFB config-address register with
 * priority 1, so only accesses that start at 0xCF9 reach it. Bit 2 (RST_CPU)
 * requests a reset and the value is not stored; otherwise only bit 1
 * (SYS_RST) is kept. Reads return the stored value; reset clears it.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex } from '../trace/trace.js';
import type { Trace } from '../trace/trace.js';

export const RCR_PORT = 0xcf9;
export const RCR_SYS_RST = 0x02;
export const RCR_RST_CPU = 0x04;
export const RCR_FULL_RST = 0x08;

export const tr = {
  write: defineEvent('piix4', 'piix_rcr_write', (a: { val: number; reset: boolean }) =>
    `val 0x${hex(a.val, 2)}${a.reset ? ' RST_CPU: reset requested' : ''}`),
};

export interface RcrState {
  rcr: number;
  /** Called for a write with RST_CPU; `val` is the byte written. */
  reset: (val: number) => void;
  readonly trace: Trace;
}

export const rcrOps: RegionOps<RcrState> = {
  name: 'piix-reset-control',
  size: 1,
  impl: { min: 1, max: 1 },
  read: (s) => s.rcr,
  write: (s, _off, val) => {
    const reset = (val & RCR_RST_CPU) !== 0;
    if (s.trace.on(tr.write)) s.trace.emit(tr.write, { val, reset });
    if (reset) {
      s.reset(val);
      return;
    }
    s.rcr = val & RCR_SYS_RST; // keep System Reset type only
  },
};
