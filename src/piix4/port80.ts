/**
 * Port 0x80 (QEMU hw/i386/pc.c `ioport80_io_ops`): writes are swallowed, reads
 * return all-ones. acpidm also keeps the last POST code and traces each one.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const POST_PORT = 0x80;

export const tr = {
  post: defineEvent('firmware', 'post_code', (a: { code: number }) => `POST 0x${hex(a.code, 2)}`),
};

export interface Port80State {
  /** Last POST code written, or -1. */
  last: number;
  readonly codes: number[];
  /** Keep at most this many codes in `codes` (oldest dropped). */
  limit: number;
  readonly trace: Trace;
}

export const port80Ops: RegionOps<Port80State> = {
  name: 'ioport80',
  size: 1,
  impl: { min: 1, max: 1 },
  read: () => 0xff,
  write: (s, _off, val) => {
    s.last = val;
    if (s.codes.length >= s.limit) s.codes.shift();
    s.codes.push(val);
    if (s.trace.on(tr.post)) s.trace.emit(tr.post, { code: val });
  },
};
