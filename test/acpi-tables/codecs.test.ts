// Table codecs: build → parse → build is byte-exact, checksums hold, bad input gives AcpiError with an offset.
import { describe, expect, it } from 'vitest';
import {
  AcpiError, buildDefinitionBlock, buildFacs, buildFadt, buildRsdp, buildRsdt, buildXsdt, fadtEffective, findRsdp,
  parseDefinitionBlock, parseFacs, parseFadt, parseRsdp, parseRsdt, parseXsdt, sum8,
} from '../../src/acpi/tables/index.js';
import { qemuPcProfile, xenHvmloaderProfile } from '../../src/acpi/profiles/index.js';

const hdr = { oemId: 'TESTOE', oemTableId: 'TESTTBL ', oemRevision: 7, creatorId: 'ACDM', creatorRevision: 3 };

describe('RSDP (ACPI 6.5 §5.2.5.3)', () => {
  it('revision 0 is 20 bytes with one checksum over them', () => {
    const b = buildRsdp({ oemId: 'BOCHS ', revision: 0, rsdtAddress: 0x7ffe1234 });
    expect(b.length).toBe(20);
    expect(sum8(b, 0, 20)).toBe(0);
    const r = parseRsdp(b);
    expect(r).toMatchObject({ oemId: 'BOCHS ', revision: 0, rsdtAddress: 0x7ffe1234, checksumValid: true });
    expect(buildRsdp(r)).toEqual(b);
  });
  it('revision 2 is 36 bytes; the first checksum covers 0..19 and the extended one all 36', () => {
    const b = buildRsdp({ oemId: 'Xen\0\0\0', revision: 2, rsdtAddress: 0xfc00a000, xsdtAddress: 0x1_0000_2000n });
    expect(b.length).toBe(36);
    expect(sum8(b, 0, 20)).toBe(0);
    expect(sum8(b, 0, 36)).toBe(0);
    const r = parseRsdp(b);
    expect(r).toMatchObject({ revision: 2, length: 36, xsdtAddress: 0x1_0000_2000n, checksumValid: true });
    expect(buildRsdp(r)).toEqual(b);
  });
  it('reports a corrupted extended checksum, and throws on it when strict', () => {
    const b = buildRsdp({ oemId: 'X', revision: 2, rsdtAddress: 1, xsdtAddress: 2n });
    b[34] = 1; // reserved byte: only the extended checksum covers it
    expect(parseRsdp(b).checksumValid).toBe(false);
    expect(() => parseRsdp(b, { strictChecksum: true })).toThrow(AcpiError);
  });
  it('findRsdp scans 16-byte boundaries and skips a signature with a bad checksum', () => {
    const mem = new Uint8Array(0x100000);
    const good = buildRsdp({ oemId: 'BOCHS ', revision: 0, rsdtAddress: 0x1000 });
    const bad = good.slice();
    bad[8] = bad[8]! ^ 0xff;
    mem.set(bad, 0xe0010);
    mem.set(good, 0xf5a00);
    mem.set(good, 0xe0028); // not on a 16-byte boundary: ignored
    expect(findRsdp(mem)).toBe(0xf5a00);
    expect(findRsdp(new Uint8Array(0x100000))).toBe(-1);
  });
});

describe('RSDT / XSDT', () => {
  it('round-trip with 32- and 64-bit entries', () => {
    const r = buildRsdt({ header: { signature: 'RSDT', revision: 1, ...hdr }, entries: [0x1000, 0xfffffff0] });
    expect(r.length).toBe(44);
    expect(sum8(r, 0, r.length)).toBe(0);
    expect(parseRsdt(r).entries).toEqual([0x1000, 0xfffffff0]);
    expect(buildRsdt(parseRsdt(r))).toEqual(r);
    const x = buildXsdt({ header: { signature: 'XSDT', revision: 1, ...hdr }, entries: [0x1_2345_6789n, 0xffff_ffff_ffff_fff0n] });
    expect(x.length).toBe(52);
    expect(parseXsdt(x).entries).toEqual([0x1_2345_6789n, 0xffff_ffff_ffff_fff0n]);
    expect(buildXsdt(parseXsdt(x))).toEqual(x);
  });
  it('rejects a wrong signature and a length beyond the buffer', () => {
    const r = buildRsdt({ header: { signature: 'RSDT', revision: 1, ...hdr }, entries: [1] });
    expect(() => parseXsdt(r)).toThrow(/expected 'XSDT'/);
    expect(() => parseRsdt(r.subarray(0, 39))).toThrow(/truncated/);
  });
});

describe('FADT', () => {
  it.each([
    ['pc (revision 1, 116 bytes)', qemuPcProfile().tables.fadt, 116],
    ['xen (revision 4, 244 bytes)', xenHvmloaderProfile().tables.fadt, 244],
    ['xen RSDT copy (revision 1)', xenHvmloaderProfile().tables.fadtForRsdt!, 116],
  ])('%s: build → parse → build is byte-exact and checksummed', (_n, f, len) => {
    const b = buildFadt(f);
    expect(b.length).toBe(len);
    expect(sum8(b, 0, len)).toBe(0);
    const p = parseFadt(b);
    expect(p.checksumValid).toBe(true);
    expect(buildFadt(p)).toEqual(b);
  });
  it('revision 6 fields (sleep registers, hypervisor id) and an unknown tail survive', () => {
    const base = xenHvmloaderProfile().tables.fadt;
    const f = { ...base, header: { ...base.header, revision: 6 }, sleepControlReg: { spaceId: 1, bitWidth: 8, bitOffset: 0, accessSize: 1, address: 0x404n },
      sleepStatusReg: { spaceId: 1, bitWidth: 8, bitOffset: 0, accessSize: 1, address: 0x405n }, hypervisorVendorId: 0x4d564b4e524f4bn, tail: Uint8Array.of(1, 2, 3) };
    const b = buildFadt(f);
    expect(b.length).toBe(279);
    const p = parseFadt(b);
    expect(p.sleepControlReg?.address).toBe(0x404n);
    expect(p.hypervisorVendorId).toBe(0x4d564b4e524f4bn);
    expect(Array.from(p.tail!)).toEqual([1, 2, 3]);
    expect(buildFadt(p)).toEqual(b);
  });
  it('fadtEffective uses X_ addresses where the 32-bit fields are zero (HUAWEI-style FADT)', () => {
    const base = xenHvmloaderProfile().tables.fadt;
    const e = fadtEffective({ ...base, pm1aCntBlk: 0, pm1aEvtBlk: 0 });
    expect(e.pm1aCntBlk).toBe(0xb004);
    expect(e.pm1aEvtBlk).toBe(0xb000);
    expect(e.hardwareReduced).toBe(false);
  });
  it('a FADT shorter than 116 bytes is an AcpiError naming the length field', () => {
    const b = buildFadt(qemuPcProfile().tables.fadt).slice(0, 100);
    new DataView(b.buffer).setUint32(4, 100, true);
    expect(() => parseFadt(b)).toThrow(/shorter than the 116-byte/);
  });
});

describe('FACS and definition blocks', () => {
  it('FACS is 64 bytes and round-trips', () => {
    const f = buildFacs({ hardwareSignature: 0x1234, firmwareWakingVector: 0x9000, globalLock: 0, flags: 1, xFirmwareWakingVector: 0n, version: 2, ospmFlags: 0 });
    expect(f.length).toBe(64);
    expect(buildFacs(parseFacs(f))).toEqual(f);
    expect(() => parseFacs(f.subarray(0, 63))).toThrow(AcpiError);
  });
  it('DSDT: header + AML, checksummed; SSDT accepted; other signatures rejected', () => {
    const aml = Uint8Array.of(0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x04, 0, 0, 0, 0);
    const d = buildDefinitionBlock({ signature: 'SSDT', revision: 2, ...hdr }, aml);
    expect(sum8(d, 0, d.length)).toBe(0);
    const p = parseDefinitionBlock(d);
    expect(Array.from(p.aml)).toEqual(Array.from(aml));
    expect(buildDefinitionBlock(p.header, p.aml)).toEqual(d);
    expect(() => parseDefinitionBlock(buildRsdt({ header: { signature: 'RSDT', revision: 1, ...hdr }, entries: [] }))).toThrow(/expected DSDT or SSDT/);
  });
});
