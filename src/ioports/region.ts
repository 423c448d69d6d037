/**
 * A port region is data: a name, a size, the access sizes the guest may use
 * (`valid`) and the sizes the handler implements (`impl`), and read/write.
 * This mirrors QEMU's `MemoryRegionOps` (include/exec/memory.h). The bus owns
 * rejecting, widening and splitting (see dispatch in port-bus.ts), so a
 * handler never sees a size it did not declare.
 */

export type AccessSize = 1 | 2 | 4;

export interface AccessRange {
  readonly min: AccessSize;
  readonly max: AccessSize;
}

export interface ValidRange extends AccessRange {
  /** QEMU `valid.unaligned`: default false, so an access at an offset that is not a multiple of its size is invalid. */
  readonly unaligned?: boolean;
}

export interface RegionOps<T> {
  readonly name: string;
  /** Length in ports. */
  readonly size: number;
  /** What the guest may do. Default 1..4. */
  readonly valid?: ValidRange;
  /** What the handler implements. Default 1..4. */
  readonly impl?: AccessRange;
  /** `offset` is relative to the region; returns `size` bytes little-endian. */
  read(state: T, offset: number, size: AccessSize): number;
  write(state: T, offset: number, value: number, size: AccessSize): void;
}

/** A mapped (or mappable) region: ops plus the device state they act on. */
export class PortRegion<T = unknown> {
  /** Absolute base while mapped directly on the bus, or offset inside its container. */
  base = 0;
  enabled = true;
  priority = 0;
  container: PortContainer | null = null;
  constructor(
    readonly ops: RegionOps<T>,
    readonly state: T,
    readonly name: string = ops.name,
  ) {
    if (!(ops.size >= 1 && ops.size <= 0x10000)) throw new RangeError(`region ${name}: size ${ops.size} is not 1..65536`);
    checkRange(name, 'valid', ops.valid);
    checkRange(name, 'impl', ops.impl);
  }
  get size(): number {
    return this.ops.size;
  }
}

/**
 * A container claims no ports itself: only its sub-regions do, so offsets no
 * sub-region covers fall through to whatever lies underneath (QEMU containers).
 */
export class PortContainer {
  base = 0;
  enabled = true;
  priority = 0;
  container: PortContainer | null = null;
  readonly children: (PortRegion<any> | PortContainer)[] = [];
  constructor(readonly name: string, readonly size: number) {}

  add(offset: number, child: PortRegion<any> | PortContainer, priority = 0): this {
    if (child.container) throw new Error(`${child.name} is already inside ${child.container.name}`);
    if (offset < 0 || offset + child.size > this.size) {
      throw new RangeError(`${child.name} at +0x${offset.toString(16)} (size ${child.size}) does not fit in ${this.name} (size ${this.size})`);
    }
    child.base = offset;
    child.priority = priority;
    child.container = this;
    this.children.push(child);
    return this;
  }
}

export type Mappable = PortRegion<any> | PortContainer;

function checkRange(name: string, what: string, r: AccessRange | undefined): void {
  if (!r) return;
  const ok = (s: number) => s === 1 || s === 2 || s === 4;
  if (!ok(r.min) || !ok(r.max) || r.min > r.max) {
    throw new RangeError(`region ${name}: ${what} access range ${r.min}..${r.max} is not a range of 1, 2, 4`);
  }
}
