/**
 * Port 0x61, the PC speaker / system control port B (QEMU hw/audio/pcspk.c
 * `pcspk_io_read` / `pcspk_io_write`): bit 0 is PIT channel 2's gate, bit 1
 * the speaker data enable, bit 4 the DRAM refresh toggle and bit 5 channel 2's
 * output. Linux calibrates the TSC by gating channel 2 here and polling bit 5.
 * No sound is produced.
 */
import type { RegionOps } from '../ioports/region.js';
import { pitGetOut, pitSetGate, type PitState } from './i8254.js';

export const PORT61 = 0x61;

export interface Port61State {
  readonly pit: PitState;
  dataOn: number;
  /** QEMU's dummy_refresh_clock: bit 4, flipped on every read. */
  refresh: number;
}

export const port61VmState = { name: 'pcspk', version: 1, fields: ['dataOn', 'refresh'] } as const;

export const newPort61 = (pit: PitState): Port61State => ({ pit, dataOn: 0, refresh: 0 });

export const port61Ops: RegionOps<Port61State> = {
  name: 'pcspk',
  size: 1,
  impl: { min: 1, max: 1 },
  read: (s) => {
    const c2 = s.pit.channels[2];
    s.refresh ^= 0x10;
    return c2.gate | (s.dataOn << 1) | s.refresh | (pitGetOut(c2, s.pit.clock.ns()) << 5);
  },
  write: (s, _off, val) => {
    s.dataOn = (val >> 1) & 1;
    pitSetGate(s.pit, 2, val & 1);
  },
};
