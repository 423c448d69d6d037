/**
 * Port 0x80 (QEMU hw/i386/pc.c `ioport80_io_ops`): writes are swallowed, reads
 * return all-ones. acpidm also keeps the last POST code and a ring of recent
 * ones, and traces each. Linux uses port 0x80 as an I/O delay (`outb_p`), so
 * a write is a couple of stores: no allocation.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const POST_PORT = 0x80;
const RING = 256;

export const tr = {
  post: defineEvent('firmware', 'post_code', (a: { code: number }) => `POST 0x${hex(a.code, 2)}`),
};

export interface Port80State {
  /** Last POST code written, or -1. */
  last: number;
  /** Writes so far. */
  count: number;
  /** The last 256 codes, oldest overwritten. */
  readonly ring: Uint8Array;
  readonly trace: Trace;
}

export function newPort80(trace: Trace): Port80State {
  return { last: -1, count: 0, ring: new Uint8Array(RING), trace };
}

/** The most recent POST codes, oldest first (at most 256). */
export function postCodes(s: Port80State): number[] {
  const n = Math.min(s.count, RING);
  const out: number[] = [];
  for (let i = s.count - n; i < s.count; i++) out.push(s.ring[i % RING]!);
  return out;
}

export const port80Ops: RegionOps<Port80State> = {
  name: 'ioport80',
  size: 1,
  impl: { min: 1, max: 1 },
  read: () => 0xff,
  write: (s, _off, val) => {
    s.last = val;
    s.ring[s.count % RING] = val;
    s.count++;
    if (s.trace.on(tr.post)) s.trace.emit(tr.post, { code: val });
  },
};
