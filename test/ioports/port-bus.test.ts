// The port bus applies QEMU's memory-core access rules (system/memory.c
// memory_region_access_valid + access_with_adjusted_size) and flat-view
// priorities; these tests drive it from the outside with recording regions.
import { describe, expect, it } from 'vitest';
import { PortBus, PortBusError, PortContainer, PortRegion, type AccessSize, type RegionOps } from '../../src/ioports/index.js';
import { Trace } from '../../src/trace/index.js';

type Call = [op: 'r' | 'w', off: number, size: number, value?: number];
interface Rec { calls: Call[]; bytes: Uint8Array }

function recorder(name: string, size: number, valid?: { min: AccessSize; max: AccessSize; unaligned?: boolean }, impl?: { min: AccessSize; max: AccessSize }): PortRegion<Rec> {
  const ops: RegionOps<Rec> = {
    name, size,
    ...(valid ? { valid } : {}),
    ...(impl ? { impl } : {}),
    // Reads return bytes little-endian from a backing array (0x11, 0x22, ...), so widening/splitting shows.
    read: (s, off, sz) => {
      s.calls.push(['r', off, sz]);
      let v = 0;
      for (let i = 0; i < sz; i++) v |= (s.bytes[off + i] ?? 0xee) << (8 * i);
      return v >>> 0;
    },
    write: (s, off, v, sz) => { s.calls.push(['w', off, sz, v]); },
  };
  return new PortRegion(ops, { calls: [], bytes: Uint8Array.from({ length: size }, (_, i) => 0x11 * (i + 1)) });
}

describe('valid/impl: reject, widen, split (QEMU access_with_adjusted_size)', () => {
  // [label, valid, impl, port offset, access size, expected handler calls for a write of 0xAABBCCDD, expected read]
  const rows: [string, [AccessSize, AccessSize], [AccessSize, AccessSize], number, AccessSize, Call[], number][] = [
    ['exact size', [1, 4], [1, 4], 0, 2, [['w', 0, 2, 0xccdd]], 0x2211],
    ['byte widened to impl.min 2 at the same offset', [1, 2], [2, 2], 1, 1, [['w', 1, 2, 0xdd]], 0x22],
    ['byte at +0 widened, read truncated from the low end', [1, 2], [2, 2], 0, 1, [['w', 0, 2, 0xdd]], 0x11],
    ['byte widened to dword', [1, 4], [4, 4], 3, 1, [['w', 3, 4, 0xdd]], 0x44],
    ['dword split into bytes, little-endian', [1, 4], [1, 1], 0, 4,
      [['w', 0, 1, 0xdd], ['w', 1, 1, 0xcc], ['w', 2, 1, 0xbb], ['w', 3, 1, 0xaa]], 0x44332211],
    ['dword split into words', [1, 4], [1, 2], 0, 4, [['w', 0, 2, 0xccdd], ['w', 2, 2, 0xaabb]], 0x44332211],
    ['dword above valid.max is invalid: dropped, reads 0', [1, 2], [2, 2], 0, 4, [], 0],
    ['byte below valid.min is invalid', [2, 4], [2, 4], 0, 1, [], 0],
    ['unaligned word is invalid', [1, 4], [1, 4], 1, 2, [], 0],
  ];
  it.each(rows)('%s', (_label, valid, impl, off, size, writes, readBack) => {
    const bus = new PortBus();
    const r = recorder('dev', 4, { min: valid[0], max: valid[1] }, { min: impl[0], max: impl[1] });
    bus.map(r, 0x500);
    bus.write(0x500 + off, 0xaabbccdd, size);
    expect(r.state.calls).toEqual(writes);
    expect(bus.read(0x500 + off, size)).toBe(readBack);
  });

  it('valid.unaligned allows an access that straddles its natural alignment', () => {
    const bus = new PortBus();
    const r = recorder('dev', 4, { min: 1, max: 4, unaligned: true }, { min: 1, max: 4 });
    bus.map(r, 0x500);
    expect(bus.read(0x501, 2)).toBe(0x3322);
  });
});

describe('unassigned ports (QEMU unassigned_io_ops)', () => {
  it.each([[1, 0xff], [2, 0xffff], [4, 0xffffffff]] as const)('size %i reads all-ones and the trace says so', (size, v) => {
    const trace = new Trace().recordEverything();
    const bus = new PortBus(trace);
    expect(bus.read(0x1234, size)).toBe(v);
    bus.write(0x1234, 0x55, size);
    expect(trace.find('ioport_unassigned_read')).toHaveLength(1);
    expect(trace.find('ioport_unassigned_write')[0]!.args).toMatchObject({ port: 0x1234, size, value: 0x55 });
  });

  it('an invalid access is traced as invalid, not silently eaten', () => {
    const trace = new Trace().recordEverything();
    const bus = new PortBus(trace);
    bus.map(recorder('acpi-cnt-like', 2, { min: 1, max: 2 }, { min: 2, max: 2 }), 0x604);
    bus.write(0x604, 0x2000, 4);
    expect(trace.find('ioport_invalid_access')[0]!.args).toMatchObject({ region: 'acpi-cnt-like', size: 4, write: true });
  });
});

describe('overlap and priority', () => {
  it('equal priority: the region mapped later wins where they overlap (QEMU memory.c), unmapping it uncovers the first', () => {
    const trace = new Trace().recordEverything();
    const bus = new PortBus(trace);
    const a = recorder('first', 4);
    bus.map(a, 0x700);
    const b = recorder('second', 2);
    bus.map(b, 0x702);
    expect(bus.regionAt(0x701)?.name).toBe('first');
    expect(bus.regionAt(0x702)?.name).toBe('second');
    expect(bus.regionAt(0x703)?.name).toBe('second');
    expect(trace.find('ioport_shadowed').map((r) => r.args.port)).toEqual([0x702, 0x703]);
    bus.unmap(b);
    expect(bus.regionAt(0x702)?.name).toBe('first');
    // moving a region re-adds it (QEMU memory_region_set_address): it becomes the later one again
    bus.map(b, 0x710);
    bus.remap(a, { base: 0x70f });
    expect(bus.regionAt(0x710)?.name).toBe('first');
  });

  it('0xCF9 (1 byte, priority 1) wins inside 0xCF8-0xCFB; a dword at 0xCF8 reaches the config register', () => {
    const bus = new PortBus();
    const conf = recorder('pci-conf-idx', 4);
    const rcr = recorder('rcr', 1, undefined, { min: 1, max: 1 });
    bus.map(conf, 0xcf8);
    bus.map(rcr, 0xcf9, { priority: 1 });
    bus.write(0xcf9, 0x06, 1);
    bus.write(0xcf8, 0x80000000, 4);
    bus.write(0xcfa, 0x1, 1);
    expect(rcr.state.calls).toEqual([['w', 0, 1, 0x06]]);
    expect(conf.state.calls).toEqual([['w', 0, 4, 0x80000000], ['w', 2, 1, 1]]);
    expect(bus.regionAt(0xcf9)!.name).toBe('rcr');
    expect(bus.regionAt(0xcfb)!.name).toBe('pci-conf-idx');
  });

  it('a container only claims ports its sub-regions cover; the rest falls through', () => {
    const bus = new PortBus();
    const under = recorder('under', 64);
    bus.map(under, 0x600);
    const c = new PortContainer('pm', 64).add(4, recorder('cnt', 2));
    bus.map(c, 0x600, { priority: 1 });
    expect(bus.regionAt(0x604)!.name).toBe('cnt');
    expect(bus.regionAt(0x600)!.name).toBe('under');
    expect(bus.regionAt(0x606)!.name).toBe('under');
  });
});

describe('remap is atomic (memory_region_transaction_commit)', () => {
  it('move and enable in one step; a failed remap restores the previous mapping', () => {
    const trace = new Trace().recordEverything();
    const bus = new PortBus(trace);
    const blocker = recorder('blocker', 2);
    bus.map(blocker, 0xb004);
    const c = new PortContainer('pm', 64).add(0, recorder('evt', 4)).add(4, recorder('cnt', 2));
    bus.map(c, 0, { enabled: false });
    expect(bus.regionAt(0)).toBeNull();
    bus.remap(c, { base: 0x600, enabled: true });
    expect(bus.regionAt(0x604)!.name).toBe('cnt');
    bus.remap(c, { base: 0x700 });
    expect(bus.regionAt(0x604)).toBeNull();
    expect(bus.regionAt(0x704)!.name).toBe('cnt');
    // A move outside the port space fails and nothing changes.
    expect(() => bus.remap(c, { base: 0xfff0 })).toThrow(PortBusError);
    expect(bus.regionAt(0x704)!.name).toBe('cnt');
    expect(bus.regionAt(0xb004)!.name).toBe('blocker');
    bus.remap(c, { enabled: false });
    expect(bus.read(0x704, 2)).toBe(0xffff);
    expect(trace.find('ioport_remap').map((r) => r.args)).toEqual([
      { region: 'pm', base: 0x600, enabled: true }, { region: 'pm', base: 0x700, enabled: true }, { region: 'pm', base: 0x700, enabled: false },
    ]);
  });

  it('bad placement is a clear error', () => {
    const bus = new PortBus();
    expect(() => bus.map(recorder('big', 16), 0xfff8)).toThrow(/outside the 64 K port space/);
    expect(() => new PortRegion({ name: 'bad', size: 2, valid: { min: 4, max: 2 }, read: () => 0, write: () => {} }, {})).toThrow(/access range/);
  });
});

describe('impossible sizes (bad input from a caller)', () => {
  it.each([0, 3, 5, 8, -1, 2.5])('size %s: write dropped, read 0, traced, no exception', (size) => {
    const trace = new Trace().recordEverything();
    const bus = new PortBus(trace);
    const r = recorder('dev', 4);
    bus.map(r, 0x500);
    expect(() => bus.write(0x500, 0x1234, size as AccessSize)).not.toThrow();
    expect(bus.read(0x500, size as AccessSize)).toBe(0);
    expect(r.state.calls).toEqual([]);
    expect(trace.find('ioport_invalid_access')).toHaveLength(2);
  });
});
