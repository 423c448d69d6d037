// REP MOVS / REP STOS, forward and (DF = 1) backward, run a page at a time where nothing can fault (src/cpu/rep-bulk.ts). These random
// cases check the result against the SDM's per-element definition, modelled here one element at a time: a source
// read, then a destination write, ECX/ESI/EDI stepped per element, and a #PF at the first element that touches a
// not-present page, with the registers and memory as that element left them (SDM Vol. 2B "REP": the registers
// are updated per iteration, so a fault restarts the instruction where it stopped). Overlapping copies, counts
// longer than the interpreter's 4096-element slice, page crossings and unaligned elements are all in the mix; going
// backward, a destination just below the source is the copy that reads what it wrote.
// REP string instructions end a compiled block (src/cpu/jit), so the interpreter is what runs them here.
import { describe, expect, it } from 'vitest';
import { le32, runPaged } from './paged-machine.js';

const WIN = 0x200000, WIN_END = 0x210000, HOLE = 0x20a000; // the not-present page inside the window

/** xorshift32: the cases are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

interface Case { store: boolean; size: 1 | 2 | 4; count: number; esi: number; edi: number; eax: number; back?: boolean }

function machine(c: Case, fill: Uint8Array) {
  const op = (c.store ? 0xaa : 0xa4) + (c.size === 1 ? 0 : 1);
  const code = [
    0xb8, ...le32(c.eax), 0xb9, ...le32(c.count), 0xbe, ...le32(c.esi), 0xbf, ...le32(c.edi),
    c.back ? 0xfd : 0xfc,                      // std / cld
    ...(c.size === 2 ? [0x66] : []), 0xf3, op, // rep movs/stos
    0xf4,                                      // hlt
  ];
  const { cpu, ram, exit, vector } = runPaged(code, { notPresent: [HOLE], setup: (r) => r.set(fill, WIN) });
  return {
    exit, vector,
    regs: { ecx: cpu.getReg('ecx'), esi: cpu.getReg('esi'), edi: cpu.getReg('edi') },
    window: ram.slice(WIN, WIN_END),
  };
}

/** The SDM's REP MOVS/STOS, one element at a time over the window (all addresses of a case lie inside it). */
function model(c: Case, fill: Uint8Array) {
  const m = fill.slice();
  const present = (lin: number, n: number): boolean => {
    for (let i = 0; i < n; i++) if (((lin + i) & ~0xfff) === HOLE) return false;
    return true;
  };
  let { count, esi, edi } = c;
  let vector = -1;
  while (count > 0) {
    let v = c.eax;
    if (!c.store) {
      if (!present(esi, c.size)) { vector = 14; break; }
      v = 0;
      for (let i = c.size - 1; i >= 0; i--) v = (v << 8) | m[esi - WIN + i]!;
    }
    if (!present(edi, c.size)) { vector = 14; break; }
    for (let i = 0; i < c.size; i++) m[edi - WIN + i] = (v >>> (8 * i)) & 0xff;
    const d = c.back ? -c.size : c.size;
    if (!c.store) esi += d;
    edi += d;
    count--;
  }
  return { vector, regs: { ecx: count, esi: c.store ? c.esi : esi, edi }, window: m };
}

function randomCase(r: () => number): Case {
  const size = ([1, 2, 4] as const)[r() % 3]!;
  const count = r() % 4 === 0 ? 4096 + (r() % 3000) : r() % 3000;
  const span = count * size;
  const pick = (): number => WIN + (r() % (WIN_END - WIN - span - 8));
  const esi = pick();
  // a quarter of the copies overlap just above their source (the forward copy repeats its first bytes)
  const edi = r() % 4 === 0 ? esi + 1 + (r() % 12) : pick();
  return { store: r() % 3 === 0, size, count, esi, edi: Math.min(edi, WIN_END - span - 8), eax: r() };
}

/** Backward (DF = 1): ESI and EDI name the highest element, so a case keeps `count` elements of room below them. */
function randomBackCase(r: () => number): Case {
  const size = ([1, 2, 4] as const)[r() % 3]!;
  const count = r() % 4 === 0 ? 4096 + (r() % 3000) : r() % 3000;
  const span = count * size;
  const pick = (): number => WIN + span + 8 + (r() % (WIN_END - WIN - span - 16));
  const esi = pick();
  // a third overlap: just below their source (an element reads what an earlier one wrote) or just above it
  const k = r() % 6;
  const edi = k === 0 ? esi - 1 - (r() % 12) : k === 1 ? esi + 1 + (r() % 12) : pick();
  return { store: r() % 3 === 0, size, count, esi, edi: Math.max(WIN + span + 8, Math.min(edi, WIN_END - 8)), eax: r(), back: true };
}

describe('REP MOVS/STOS a page at a time (rep-bulk.ts) against the per-element definition', () => {
  const r = rng(0x5eed);
  const fill = new Uint8Array(WIN_END - WIN);
  for (let i = 0; i < fill.length; i++) fill[i] = (i * 131 + 7) & 0xff;
  const cases = Array.from({ length: 60 }, () => randomCase(r));
  // fixed edges: a run that ends exactly at the hole, one that starts on its far side, a copy reading from it
  cases.push({ store: true, size: 4, count: 0x400, esi: 0, edi: HOLE - 0x1000, eax: 0x11223344 });
  cases.push({ store: false, size: 4, count: 0x500, esi: WIN, edi: HOLE - 0x1000, eax: 0 });
  cases.push({ store: false, size: 2, count: 0x900, esi: HOLE - 0x11, edi: WIN + 0x100, eax: 0 });
  cases.push({ store: false, size: 1, count: 0x1800, esi: WIN + 0x40, edi: WIN + 0x41, eax: 0 });
  const rb = rng(0xdf1);
  for (let i = 0; i < 60; i++) cases.push(randomBackCase(rb));
  // backward edges: a move and a fill down to the hole's top, a move reading down into it, a destination one below
  cases.push({ store: true, size: 4, count: 0x400, esi: 0, edi: HOLE + 0x1ffc, eax: 0x55667788, back: true });
  cases.push({ store: false, size: 4, count: 0x500, esi: WIN_END - 0x10, edi: HOLE + 0x1ffc, eax: 0, back: true });
  cases.push({ store: false, size: 2, count: 0x900, esi: HOLE + 0x10, edi: WIN_END - 0x20, eax: 0, back: true });
  cases.push({ store: false, size: 1, count: 0x1800, esi: WIN_END - 0x40, edi: WIN_END - 0x41, eax: 0, back: true });

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const want = model(c, fill);
    const got = machine(c, fill);
    expect(got.exit).toBe('halted-cli');
    expect({ vector: got.vector, regs: got.regs }).toEqual({ vector: want.vector, regs: want.regs });
    expect(Buffer.compare(got.window, want.window), 'memory differs').toBe(0);
  });

  it('crosses the hole in some cases and faults at it, going either way', () => {
    expect(cases.filter((c) => !c.back && model(c, fill).vector === 14).length).toBeGreaterThan(3);
    expect(cases.filter((c) => c.back && model(c, fill).vector === 14).length).toBeGreaterThan(3);
  });
});
