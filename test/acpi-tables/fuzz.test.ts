// Fuzz: mutated and truncated tables and AML into every parser, fixed seed and bounded count. The only
// acceptable failures are AcpiError/AmlError; anything else (RangeError, TypeError, stack overflow) fails.
// A hang would show up as the test timing out; the walker also refuses to loop without progress.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmlError, findSleepPackages, findSleepPackagesInAml } from '../../src/acpi/aml/index.js';
import { layoutTables } from '../../src/acpi/install/index.js';
import { qemuPcProfile, xenHvmloaderProfile } from '../../src/acpi/profiles/index.js';
import { AcpiError, parseAcpidumpText, parseDefinitionBlock, parseFacs, parseFadt, parseRsdp, parseRsdt, parseXsdt, buildFadt } from '../../src/acpi/tables/index.js';
import { corpusDir, readBytes } from './corpus-helpers.js';

/** mulberry32: small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0x01, 0x08, 0x10, 0x12, 0x14, 0x2e, 0x2f, 0x3f, 0x40, 0x5b, 0x5c, 0x5e, 0x7f, 0x80, 0xa0, 0xa1, 0xc0, 0xcf, 0xff];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(r() * n);
  let b = src.slice();
  const kind = pick(5);
  if (kind === 0) return b.subarray(0, pick(b.length + 1)); // truncation
  if (kind === 1) {
    // delete or insert a run
    const at = pick(b.length);
    const n = 1 + pick(8);
    if (r() < 0.5) return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
    return Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: n }, () => INTERESTING[pick(INTERESTING.length)]!), ...b.subarray(at)]);
  }
  const flips = 1 + pick(kind === 4 ? 64 : 6);
  for (let i = 0; i < flips; i++) {
    const at = pick(b.length);
    b[at] = kind === 2 ? b[at]! ^ (1 << pick(8)) : kind === 3 ? INTERESTING[pick(INTERESTING.length)]! : pick(256);
  }
  return b;
}

function expectOnlyAcpiErrors(fn: () => unknown): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof AcpiError)) throw new Error(`non-ACPI exception: ${(e as Error)?.stack ?? e}`);
    expect(e.message.length).toBeGreaterThan(0);
    return 'error';
  }
}

const pcTables = layoutTables(qemuPcProfile(), 64 << 20).tables;
const xenTables = layoutTables(xenHvmloaderProfile(), 64 << 20).tables;
const real = corpusDir('real');
const qemu = corpusDir('qemu');

describe('fuzz: parsers throw only AcpiError/AmlError', () => {
  it('tables: RSDP/RSDT/XSDT/FADT/FACS/DSDT, 6000 mutations (seed 0xAC91)', () => {
    const r = rng(0xac91);
    const seeds = [...pcTables, ...xenTables].map((t) => t.bytes);
    if (real) seeds.push(readBytes(path.join(real, 'Notebook_HUAWEI_BOD-WXX9_2052EC1EF02F.FACP.aml')));
    const parsers = [parseRsdp, parseRsdt, parseXsdt, parseFadt, parseFacs, parseDefinitionBlock, (x: Uint8Array) => buildFadt(parseFadt(x))];
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 6000; i++) {
      const m = mutate(seeds[i % seeds.length]!, r);
      for (const p of parsers) tally[expectOnlyAcpiErrors(() => p(m))]++;
    }
    expect(tally.error).toBeGreaterThan(0);
    expect(tally.ok).toBeGreaterThan(0);
  });

  it('AML: generated DSDT/SSDTs and QEMU DSDTs, 4000 mutations, lenient and strict (seed 0x5EED)', () => {
    const r = rng(0x5eed);
    const seeds = [...pcTables, ...xenTables].filter((t) => t.name === 'DSDT' || t.name.startsWith('SSDT')).map((t) => t.bytes);
    if (qemu) seeds.push(readBytes(path.join(qemu, 'pc/DSDT')), readBytes(path.join(qemu, 'q35/DSDT')));
    const tally = { ok: 0, error: 0, amlErrors: 0 };
    for (let i = 0; i < 4000; i++) {
      const m = mutate(seeds[i % seeds.length]!, r);
      tally[expectOnlyAcpiErrors(() => findSleepPackages(m))]++;
      expectOnlyAcpiErrors(() => findSleepPackages(m, { strict: true }));
      expectOnlyAcpiErrors(() => findSleepPackages(m, { includeMethods: true }));
      try {
        findSleepPackagesInAml(m.subarray(36), { strict: true, base: 36 });
      } catch (e) {
        if (!(e instanceof AmlError)) throw e;
        expect(e.message).toMatch(/at offset 0x[0-9a-f]+/);
        tally.amlErrors++;
      }
    }
    expect(tally.amlErrors).toBeGreaterThan(0);
  });

  it.skipIf(!real)('AML: a real DSDT (Apple Macmini6,2), 400 mutations (seed 0xD5D7)', () => {
    const r = rng(0xd5d7);
    const src = readBytes(path.join(real!, 'Mini_Pc_Apple_Macmini6_2_11618970C18C.DSDT.aml'));
    for (let i = 0; i < 400; i++) {
      const m = mutate(src, r);
      expectOnlyAcpiErrors(() => findSleepPackages(m));
      expectOnlyAcpiErrors(() => findSleepPackagesInAml(m, { strict: true, includeMethods: true }));
    }
  });

  it('acpidump text: 1500 mutated dumps (seed 0x7E57)', () => {
    const r = rng(0x7e57);
    const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
    const dsdt = pcTables.find((t) => t.name === 'DSDT')!.bytes;
    const lines = ['DSDT @ 0x0000000007fff040'];
    for (let o = 0; o < dsdt.length; o += 16) lines.push(`    ${o.toString(16).padStart(4, '0')}: ${hex(dsdt.subarray(o, o + 16))}`);
    const text = new TextEncoder().encode(lines.join('\n') + '\n');
    for (let i = 0; i < 1500; i++) {
      const m = new TextDecoder('latin1').decode(mutate(text, r));
      expectOnlyAcpiErrors(() => parseAcpidumpText(m).map((t) => findSleepPackages(t.bytes)));
    }
  });

  it('random bytes as AML never escape as another exception (2000 buffers, seed 7)', () => {
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const m = Uint8Array.from({ length: 1 + Math.floor(r() * 96) }, () => (r() < 0.3 ? INTERESTING[Math.floor(r() * INTERESTING.length)]! : Math.floor(r() * 256)));
      expectOnlyAcpiErrors(() => findSleepPackagesInAml(m));
      expectOnlyAcpiErrors(() => findSleepPackagesInAml(m, { strict: true, includeMethods: r() < 0.5 }));
    }
  });
});
