// AML: PkgLength and NameString codecs, and the \_Sn_ decoder on hand-built AML (each edge named).
import { describe, expect, it } from 'vitest';
import { AmlError, aml, decodePkgLength, encodePkgLength, findSleepPackages, findSleepPackagesInAml, readNameString, slpTyp, summarizeSleepTypes } from '../../src/acpi/aml/index.js';
import { buildDefinitionBlock } from '../../src/acpi/tables/index.js';

const { cat, name, pkg, integer, scope, device, method, nameString, ones } = aml;
const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
const S5 = (v: Uint8Array[]): Uint8Array => name('_S5_', pkg(v));
const hdr = { oemId: 'TEST  ', oemTableId: 'TESTTBL ', oemRevision: 1, creatorId: 'ACDM', creatorRevision: 1 };

describe('PkgLength (ACPI 6.5 §20.2.4)', () => {
  it.each([
    [0, [0x01]], [62, [0x3f]], [63, [0x41, 0x04]], [0xffd, [0x4f, 0xff]], [0xffe, [0x81, 0x00, 0x01]],
    [0xffffc, [0x8f, 0xff, 0xff]], [0xffffd, [0xc1, 0x00, 0x00, 0x01]], [0xffffffb, [0xcf, 0xff, 0xff, 0xff]],
  ])('%i content bytes → %j and back', (len, bytes) => {
    const enc = encodePkgLength(len);
    expect(Array.from(enc)).toEqual(bytes);
    const buf = new Uint8Array(enc.length + 1);
    buf.set(enc);
    const d = decodePkgLength(buf, 0, buf.length);
    expect(d.next).toBe(enc.length);
    expect(d.end - d.next).toBe(len);
  });
  it('rejects a lead byte with bits 5-4 set, and a truncated multi-byte length', () => {
    expect(() => decodePkgLength(b(0x70, 0, 0), 0, 3)).toThrow(AmlError);
    expect(() => decodePkgLength(b(0xc0, 0), 0, 2)).toThrow(/truncated/);
  });
});

describe('NameString (ACPI 6.5 §20.2.2)', () => {
  it.each([
    ['\\', { root: true, parents: 0, segs: [] }],
    ['_S5', { root: false, parents: 0, segs: ['_S5_'] }],
    ['\\_SB.PCI0', { root: true, parents: 0, segs: ['_SB_', 'PCI0'] }],
    ['\\_SB.PCI0.ISA.EC0', { root: true, parents: 0, segs: ['_SB_', 'PCI0', 'ISA_', 'EC0_'] }],
    ['^^FOO', { root: false, parents: 2, segs: ['FOO_'] }],
  ])('%s round-trips', (path, want) => {
    const enc = nameString(path);
    expect(readNameString(enc, 0, enc.length)).toEqual({ ...want, next: enc.length });
  });
  it('a NameSeg with a digit first is an AmlError at its offset', () => {
    expect(() => readNameString(b(0x31, 0x41, 0x41, 0x41), 0, 4, 36)).toThrow(/offset 0x24/);
  });
});

describe('sleep package decoder', () => {
  it('root Name with Zero/One/Byte/Word/DWord/QWord/Ones elements (QEMU build_dsdt shapes)', () => {
    const r = findSleepPackagesInAml(cat(scope('\\', name('_S3_', pkg([integer(1), integer(1), integer(0), integer(0)]))),
      S5([integer(7), integer(0x1234), integer(0x12345678), integer(0x1_0000_0000n), ones()])));
    expect(r.packages.map((p) => [p.state, p.path, p.values, p.packageCount, p.conditional])).toEqual([
      ['S3', '\\_S3_', [1, 1, 0, 0], 4, false],
      ['S5', '\\_S5_', [7, 0x1234, 0x12345678, 0x1_0000_0000, 0xffff_ffff_ffff_ffffn], 5, false],
    ]);
  });
  it('Ones is 32-bit in a revision-1 DSDT (integer width follows the table revision)', () => {
    const t = buildDefinitionBlock({ signature: 'DSDT', revision: 1, ...hdr }, S5([ones()]));
    expect(findSleepPackages(t).packages[0]!.values).toEqual([0xffffffff]);
  });
  it('packages shorter than four elements, and NumElements larger than the initialisers', () => {
    const r = findSleepPackagesInAml(cat(name('_S4_', pkg([integer(6), integer(6), integer(0)])), name('_S5_', pkg([integer(7)], 4))));
    expect(r.packages.map((p) => [p.values, p.packageCount])).toEqual([[[6, 6, 0], 3], [[7], 4]]);
    expect(slpTyp(r.packages[1]!)).toEqual({ a: 7, b: 0 });
  });
  it('a one-element package gives SLP_TYPa/b from the low two bytes (ACPICA acpi_get_sleep_type_data)', () => {
    expect(slpTyp({ values: [0x0705] })).toEqual({ a: 5, b: 7 });
    expect(slpTyp({ values: [] })).toBeUndefined();
  });
  it('definitions inside If and Else are conditional; method bodies are not walked', () => {
    // If (SS3) { Name (_S3_, ...) } Else { Name (_S3_, ...) }  Method (_PTS, 1) { Name (_S5_, ...) }
    const ifBlock = (body: Uint8Array): Uint8Array => cat(b(0xa0), encodePkgLength(body.length + 4), nameString('SS3'), body);
    const elseBlock = (body: Uint8Array): Uint8Array => cat(b(0xa1), encodePkgLength(body.length), body);
    const r = findSleepPackagesInAml(cat(
      name('SS3', integer(1)),
      ifBlock(name('_S3_', pkg([integer(5), integer(0)]))),
      elseBlock(name('_S3_', pkg([integer(3), integer(0)]))),
      method('_PTS', 1, S5([integer(1)])),
      S5([integer(7), integer(0)]),
    ));
    expect(r.packages.map((p) => [p.state, p.values, p.conditional, p.context.map((c) => c.kind)])).toEqual([
      ['S3', [5, 0], true, ['If']],
      ['S3', [3, 0], true, ['Else']],
      ['S5', [7, 0], false, []],
    ]);
    expect(summarizeSleepTypes(r.packages)).toEqual({
      S3: { values: [5, 0], conditional: true, packageCount: 2, path: '\\_S3_', alternatives: 1 },
      S5: { values: [7, 0], conditional: false, packageCount: 2, path: '\\_S5_' },
    });
  });
  it('Else { If .. Else .. } reads as ElseIf / Else beside it, as the ASL+ disassembler prints it', () => {
    // If (A) { _S1_ } ElseIf (B) { _S2_ } Else { _S0_ }  ==  If (A) {..} Else { If (B) {..} Else {..} }
    const ifb = (pred: string, body: Uint8Array): Uint8Array => { const n = nameString(pred); return cat(b(0xa0), encodePkgLength(n.length + body.length), n, body); };
    const elseb = (body: Uint8Array): Uint8Array => cat(b(0xa1), encodePkgLength(body.length), body);
    const r = findSleepPackagesInAml(cat(name('AAAA', integer(0)), name('BBBB', integer(1)),
      ifb('AAAA', name('_S1_', pkg([integer(1)]))),
      elseb(cat(ifb('BBBB', name('_S2_', pkg([integer(2)]))), elseb(name('_S0_', pkg([integer(0)])))))));
    expect(r.packages.map((p) => [p.state, p.context.map((c) => c.kind)])).toEqual([['S1', ['If']], ['S2', ['ElseIf']], ['S0', ['Else']]]);
  });
  it('includeMethods also reports method-local Names, with a Method context and the method path', () => {
    const r = findSleepPackagesInAml(cat(method('\\_PTS', 1, S5([integer(1)])), S5([integer(7)])), { includeMethods: true });
    expect(r.packages.map((p) => [p.path, p.context])).toEqual([['\\_PTS._S5_', [{ kind: 'Method', name: '\\_PTS' }]], ['\\_S5_', []]]);
    expect(summarizeSleepTypes(r.packages).S5?.values).toEqual([7]);
  });
  it('If predicates that call a method use its argument count (LEqual (M001 (One, Zero), Zero))', () => {
    const pred = cat(b(0x93), nameString('M001'), integer(1), integer(0), integer(0));
    const body = name('_S4_', pkg([integer(6)]));
    const r = findSleepPackagesInAml(cat(method('M001', 2), b(0xa0), encodePkgLength(pred.length + body.length), pred, body));
    expect(r.packages.map((p) => [p.state, p.values, p.conditional])).toEqual([['S4', [6], true]]);
    expect(r.warnings).toEqual([]);
  });
  it('an If predicate the walker cannot size is skipped with a warning, and its \\_Sn_ found by byte pattern', () => {
    const pred = b(0xf7, 0x01); // not an AML opcode
    const body = name('_S3_', pkg([integer(5), integer(5)]));
    const r = findSleepPackagesInAml(cat(b(0xa0), encodePkgLength(pred.length + body.length), pred, body, S5([integer(7)])));
    expect(r.packages.map((p) => [p.state, p.values, p.conditional, p.heuristic ?? false])).toEqual([['S3', [5, 5], true, true], ['S5', [7], false, false]]);
    expect(r.warnings[0]!.message).toMatch(/If predicate not understood/);
    expect(() => findSleepPackagesInAml(cat(b(0xa0), encodePkgLength(pred.length + body.length), pred, body), { strict: true })).toThrow(AmlError);
  });
  it('scopes, devices, processors, power resources and thermal zones resolve paths; dual-name Scope back to root', () => {
    const proc = cat(b(0x5b, 0x83), encodePkgLength(4 + 6 + 3), nameString('CPU0'), b(0, 0x10, 0x04, 0, 0, 6), name('FOO', integer(1)));
    const r = findSleepPackagesInAml(cat(
      scope('\\_SB', device('PCI0', scope('\\', name('_S3_', pkg([integer(5), integer(5), integer(0)]))), name('_S5_', pkg([integer(9)])))),
      scope('\\_PR', proc),
      scope('\\_SB.PCI0', name('_S4_', pkg([integer(6)]))),
    ));
    expect(r.packages.map((p) => [p.path, p.context.map((c) => `${c.kind} (${c.name})`)])).toEqual([
      ['\\_S3_', ['Scope (\\_SB)', 'Device (PCI0)', 'Scope (\\)']],
      ['\\_SB_.PCI0._S5_', ['Scope (\\_SB)', 'Device (PCI0)']],
      ['\\_SB_.PCI0._S4_', ['Scope (\\_SB.PCI0)']],
    ]);
    expect(Object.keys(summarizeSleepTypes(r.packages))).toEqual(['S3']);
  });
  it('Field, OperationRegion, Buffer, Mutex and Store at namespace level are skipped by their extent', () => {
    const opRegion = cat(b(0x5b, 0x80), nameString('PMIO'), b(0x01), integer(0x600), integer(0x40));
    const field = cat(b(0x5b, 0x81), encodePkgLength(4 + 1 + 4), nameString('PMIO'), b(0x01), b(0x50, 0x4d, 0x31, 0x10)); // junk-looking field list
    const buffer = name('BUF0', cat(b(0x11), encodePkgLength(2 + 3), integer(3), b(0x08, 0x12, 0x5f))); // bytes that look like opcodes
    const r = findSleepPackagesInAml(cat(opRegion, field, buffer, b(0x5b, 0x01), nameString('MUT0'), b(0), b(0x70), integer(1), nameString('FOO'), S5([integer(5)])));
    expect(r.packages.map((p) => p.values)).toEqual([[5]]);
    expect(r.warnings).toEqual([]);
  });
  it('an unknown opcode inside a Device skips the rest of that Device with a warning (lenient) or throws (strict)', () => {
    const t = cat(scope('\\_SB', device('DEV0', b(0xf0, 0x01), S5([integer(1)]))), S5([integer(7)]));
    const r = findSleepPackagesInAml(t, { base: 36 });
    expect(r.packages.map((p) => p.path)).toContain('\\_S5_');
    expect(r.warnings[0]!.message).toMatch(/unknown opcode 0xf0/);
    expect(() => findSleepPackagesInAml(t, { strict: true, base: 36 })).toThrow(AmlError);
  });
  it.each([
    ['a PkgLength past the end of the table', cat(b(0x10, 0x3f), nameString('\\'))],
    ['a truncated package', S5([integer(0), integer(0)]).subarray(0, 8)],
    ['a truncated NameSeg', b(0x08, 0x5f, 0x53)],
    ['a truncated DWord', cat(name('FOO', b(0x0c, 1, 2)))],
  ])('%s is an AmlError naming the offset', (_n, bytes) => {
    expect(() => findSleepPackagesInAml(bytes, { base: 36 })).toThrow(/AML: .*\(at offset 0x[0-9a-f]+\)/);
    try {
      findSleepPackagesInAml(bytes, { base: 36 });
    } catch (e) {
      expect(e).toBeInstanceOf(AmlError);
      expect((e as AmlError).offset).toBeGreaterThanOrEqual(36);
    }
  });
});
