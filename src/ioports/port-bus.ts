/**
 * The 64 K x86 I/O port space.
 *
 * Mapping is rare and rebuilds a flat view (QEMU's FlatView): a
 * Uint16Array from port to an entry index, where entry 0 is "unassigned".
 * Dispatch is one typed-array load and one array load, with no allocation.
 *
 * Access rules follow QEMU's memory core (system/memory.c):
 *  - the whole access goes to the region that owns its first port;
 *  - `memory_region_access_valid`: an unaligned access (unless valid.unaligned)
 *    or a size outside valid.min..max is invalid: the handler is not called,
 *    a write is dropped and a read returns 0;
 *  - `access_with_adjusted_size`: a valid access smaller than impl.min is
 *    widened at the same offset (the read is truncated from its low end); a
 *    larger one is split into impl.max pieces at successive offsets, composed
 *    little-endian;
 *  - unassigned ports read all-ones and drop writes (QEMU ioport.c
 *    `unassigned_io_ops`).
 */
import { defineEvent, hex, Trace } from '../trace/trace.js';
import { PortContainer, PortRegion, type AccessSize, type Mappable } from './region.js';

export const tr = {
  unassignedRead: defineEvent('ioport', 'ioport_unassigned_read', (a: { port: number; size: number }) =>
    `port 0x${hex(a.port, 4)} size ${a.size} ==> unassigned (all-ones)`),
  unassignedWrite: defineEvent('ioport', 'ioport_unassigned_write', (a: { port: number; size: number; value: number }) =>
    `port 0x${hex(a.port, 4)} size ${a.size} <== 0x${hex(a.value)} dropped (unassigned)`),
  invalid: defineEvent('ioport', 'ioport_invalid_access', (a: { region: string; port: number; size: number; write: boolean }) =>
    `${a.write ? 'write' : 'read'} of size ${a.size} at port 0x${hex(a.port, 4)} is invalid for ${a.region}: ${a.write ? 'dropped' : 'reads 0'}`),
  read: defineEvent('ioport', 'ioport_read', (a: { region: string; port: number; size: number; value: number }) =>
    `${a.region} port 0x${hex(a.port, 4)} size ${a.size} ==> 0x${hex(a.value)}`),
  write: defineEvent('ioport', 'ioport_write', (a: { region: string; port: number; size: number; value: number }) =>
    `${a.region} port 0x${hex(a.port, 4)} size ${a.size} <== 0x${hex(a.value)}`),
  shadowed: defineEvent('ioport', 'ioport_shadowed', (a: { region: string; other: string; port: number }) =>
    `${a.region} takes port 0x${hex(a.port, 4)} from ${a.other} (equal priority: the later mapping wins, as in QEMU)`),
  remap: defineEvent('ioport', 'ioport_remap', (a: { region: string; base: number; enabled: boolean }) =>
    `${a.region} ${a.enabled ? `at 0x${hex(a.base, 4)}` : 'unmapped'}`),
};

/** What a CPU (or a hypervisor's intercept layer) needs from port space. */
export interface PortIO {
  read(port: number, size: AccessSize): number;
  write(port: number, value: number, size: AccessSize): void;
}

export class PortBusError extends Error {
  override name = 'PortBusError';
}

type ReadFn = (state: any, offset: number, size: AccessSize) => number;
type WriteFn = (state: any, offset: number, value: number, size: AccessSize) => void;
const NO_READ: ReadFn = () => 0;
const NO_WRITE: WriteFn = () => {};
/** SIZE_BIT[size]: the bit of `FlatEntry.direct` for an access size (0 for anything but 1, 2, 4). */
const SIZE_BIT: readonly number[] = [0, 2, 4, 0, 16];

/**
 * One flattened region: everything dispatch needs, in one monomorphic shape. The handlers and state are copied
 * out of the region's ops table (whose shapes differ from device to device) so the hot path loads them from here.
 */
class FlatEntry {
  /** SIZE_BIT of each size the region takes as it is: valid, and inside impl (no widening or splitting). */
  readonly direct: number;
  readonly read: ReadFn;
  readonly write: WriteFn;
  readonly state: unknown;
  constructor(
    readonly region: PortRegion<any> | null,
    readonly base: number,
    readonly validMin: number,
    readonly validMax: number,
    readonly unaligned: boolean,
    readonly implMin: number,
    readonly implMax: number,
  ) {
    let direct = 0;
    for (const s of [1, 2, 4]) {
      if (region !== null && s >= validMin && s <= validMax && s >= implMin && s <= implMax) direct |= SIZE_BIT[s]!;
    }
    this.direct = direct;
    this.read = region !== null ? region.ops.read : NO_READ;
    this.write = region !== null ? region.ops.write : NO_WRITE;
    this.state = region !== null ? region.state : null;
  }
}

const UNASSIGNED = new FlatEntry(null, 0, 1, 4, true, 1, 4);
const scratchIndex = new Uint16Array(0x10000);
const scratchOwner: unknown[] = new Array(0x10000);
const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;
/** 1 for the sizes an access may have; anything else (a caller bug) is dropped. */
const SIZE_OK: readonly number[] = [0, 1, 1, 0, 1];

export class PortBus implements PortIO {
  private readonly index = new Uint16Array(0x10000);
  private entries: FlatEntry[] = [UNASSIGNED];
  private readonly top: Mappable[] = [];

  constructor(readonly trace: Trace = new Trace()) {}

  // ---- mapping -----------------------------------------------------------

  /**
   * Map a region or container at `base`. Where regions overlap the higher priority wins, and at equal priority the
   * one mapped later (QEMU memory.c memory_region_update_container_subregions: a subregion is inserted before the
   * others of equal or lower priority, and render_memory_region lets the first one rendered own the range). That is
   * what makes `-device isa-debugcon,iobase=0x80` take port 0x80 from the POST-code port, as in QEMU.
   */
  map(r: Mappable, base: number, opts: { priority?: number; enabled?: boolean } = {}): void {
    if (r.container) throw new PortBusError(`${r.name} is inside ${r.container.name}; map the container instead`);
    if (this.top.includes(r)) throw new PortBusError(`${r.name} is already mapped`);
    checkPlacement(r, base);
    r.base = base;
    r.priority = opts.priority ?? 0;
    r.enabled = opts.enabled ?? true;
    this.top.push(r);
    try {
      this.rebuild();
    } catch (e) {
      this.top.pop();
      this.rebuild();
      throw e;
    }
  }

  unmap(r: Mappable): void {
    const i = this.top.indexOf(r);
    if (i < 0) throw new PortBusError(`${r.name} is not mapped`);
    this.top.splice(i, 1);
    this.rebuild();
  }

  /**
   * Move and/or enable a mapped region in one step (QEMU
   * `memory_region_transaction_begin/commit`): the guest never sees a state
   * in between.
   */
  remap(r: Mappable, to: { base?: number; enabled?: boolean }): void {
    const prev = { base: r.base, enabled: r.enabled };
    if (to.base !== undefined) checkPlacement(r, to.base);
    // QEMU memory_region_set_address re-adds the region: it becomes the latest of its priority
    const at = this.top.indexOf(r);
    if (to.base !== undefined && to.base !== r.base && at >= 0) { this.top.splice(at, 1); this.top.push(r); }
    r.base = to.base ?? r.base;
    r.enabled = to.enabled ?? r.enabled;
    try {
      this.rebuild();
    } catch (e) {
      r.base = prev.base;
      r.enabled = prev.enabled;
      this.rebuild();
      throw e;
    }
    if (this.trace.on(tr.remap)) this.trace.emit(tr.remap, { region: r.name, base: r.base, enabled: r.enabled });
  }

  /** The region that answers `port`, or null if it is unassigned. */
  regionAt(port: number): PortRegion<any> | null {
    return this.entries[this.index[port & 0xffff]!]!.region;
  }

  private rebuild(): void {
    // Collect enabled leaf regions with absolute bases and effective priorities.
    type Leaf = { r: PortRegion<any>; base: number; prio: number[] };
    const leaves: Leaf[] = [];
    const walk = (m: Mappable, base: number, prio: number[]): void => {
      if (!m.enabled) return;
      const p = [...prio, m.priority];
      if (m instanceof PortContainer) for (const c of m.children) walk(c, base + c.base, p);
      else leaves.push({ r: m, base, prio: p });
    };
    for (const m of this.top) walk(m, m.base, []);
    const cmp = (a: number[], b: number[]): number => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const d = (a[i] ?? 0) - (b[i] ?? 0);
        if (d !== 0) return d;
      }
      return 0;
    };
    // Scratch tables shared by every bus (rebuilds are synchronous), so mapping allocates no 64 K arrays.
    const index = scratchIndex.fill(0);
    const owner = scratchOwner.fill(undefined) as (Leaf | undefined)[];
    const entries: FlatEntry[] = [UNASSIGNED];
    for (const leaf of leaves) {
      const o = leaf.r.ops;
      const e = new FlatEntry(leaf.r, leaf.base, o.valid?.min ?? 1, o.valid?.max ?? 4, o.valid?.unaligned ?? false,
        o.impl?.min ?? 1, o.impl?.max ?? 4);
      entries.push(e);
      const id = entries.length - 1;
      for (let p = leaf.base; p < leaf.base + leaf.r.size; p++) {
        const cur = owner[p];
        if (cur) {
          const c = cmp(leaf.prio, cur.prio);
          if (c < 0) continue;
          if (c === 0 && this.trace.on(tr.shadowed)) this.trace.emit(tr.shadowed, { region: leaf.r.name, other: cur.r.name, port: p });
        }
        owner[p] = leaf;
        index[p] = id;
      }
    }
    if (entries.length > 0xffff) throw new PortBusError('too many port regions');
    this.index.set(index);
    this.entries = entries;
  }

  // ---- dispatch (hot path: no allocation) -------------------------------

  read(port: number, size: AccessSize): number {
    port &= 0xffff;
    const e = this.entries[this.index[port]!]!;
    const off = port - e.base;
    // the common case: a size the region implements, aligned (or unaligned allowed), nobody tracing reads
    if ((e.direct & SIZE_BIT[size]!) !== 0 && (e.unaligned || (off & (size - 1)) === 0) && !this.trace.on(tr.read)) {
      return (e.read(e.state, off, size) & SIZE_MASK[size]) >>> 0;
    }
    return this.readSlow(port, size);
  }

  write(port: number, value: number, size: AccessSize): void {
    port &= 0xffff;
    const e = this.entries[this.index[port]!]!;
    const off = port - e.base;
    if ((e.direct & SIZE_BIT[size]!) !== 0 && (e.unaligned || (off & (size - 1)) === 0) && !this.trace.on(tr.write)) {
      e.write(e.state, off, (value & SIZE_MASK[size]) >>> 0, size);
      return;
    }
    this.writeSlow(port, value, size);
  }

  /** Everything else: unassigned ports, invalid sizes, widening and splitting, tracing. */
  private readSlow(port: number, size: AccessSize): number {
    if (SIZE_OK[size] !== 1) return this.impossible(port, size, false);
    const e = this.entries[this.index[port]!]!;
    const r = e.region;
    if (r === null) {
      if (this.trace.on(tr.unassignedRead)) this.trace.emit(tr.unassignedRead, { port, size });
      return SIZE_MASK[size];
    }
    const off = port - e.base;
    if (size < e.validMin || size > e.validMax || (!e.unaligned && (off & (size - 1)) !== 0)) {
      if (this.trace.on(tr.invalid)) this.trace.emit(tr.invalid, { region: r.name, port, size, write: false });
      return 0;
    }
    let v: number;
    if (size >= e.implMin && size <= e.implMax) {
      v = r.ops.read(r.state, off, size) & SIZE_MASK[size];
    } else {
      const step = (size > e.implMax ? e.implMax : e.implMin) as AccessSize;
      const mask = SIZE_MASK[step];
      v = 0;
      for (let i = 0; i < size; i += step) v |= (r.ops.read(r.state, off + i, step) & mask) << (i * 8);
      v &= SIZE_MASK[size];
    }
    v >>>= 0;
    if (this.trace.on(tr.read)) this.trace.emit(tr.read, { region: r.name, port, size, value: v });
    return v;
  }

  private writeSlow(port: number, value: number, size: AccessSize): void {
    if (SIZE_OK[size] !== 1) {
      this.impossible(port, size, true);
      return;
    }
    value = (value & SIZE_MASK[size]) >>> 0;
    const e = this.entries[this.index[port]!]!;
    const r = e.region;
    if (r === null) {
      if (this.trace.on(tr.unassignedWrite)) this.trace.emit(tr.unassignedWrite, { port, size, value });
      return;
    }
    const off = port - e.base;
    if (size < e.validMin || size > e.validMax || (!e.unaligned && (off & (size - 1)) !== 0)) {
      if (this.trace.on(tr.invalid)) this.trace.emit(tr.invalid, { region: r.name, port, size, write: true });
      return;
    }
    if (this.trace.on(tr.write)) this.trace.emit(tr.write, { region: r.name, port, size, value });
    if (size >= e.implMin && size <= e.implMax) {
      r.ops.write(r.state, off, value, size);
      return;
    }
    const step = (size > e.implMax ? e.implMax : e.implMin) as AccessSize;
    const mask = SIZE_MASK[step];
    for (let i = 0; i < size; i += step) r.ops.write(r.state, off + i, ((value >>> (i * 8)) & mask) >>> 0, step);
  }

  /** A size other than 1, 2 or 4 (a caller bug, not a guest access): dropped, reads 0, traced. */
  private impossible(port: number, size: number, write: boolean): number {
    if (this.trace.on(tr.invalid)) this.trace.emit(tr.invalid, { region: `(impossible size ${size})`, port, size, write });
    return 0;
  }

  inb(port: number): number { return this.read(port, 1); }
  inw(port: number): number { return this.read(port, 2); }
  inl(port: number): number { return this.read(port, 4); }
  outb(port: number, v: number): void { this.write(port, v, 1); }
  outw(port: number, v: number): void { this.write(port, v, 2); }
  outl(port: number, v: number): void { this.write(port, v, 4); }
}

function checkPlacement(r: Mappable, base: number): void {
  if (!Number.isInteger(base) || base < 0 || base + r.size > 0x10000) {
    throw new PortBusError(`${r.name}: base 0x${hex(base)} with size ${r.size} is outside the 64 K port space`);
  }
}
