// Machine profiles and laying their tables into guest RAM; the guest-side walk RSDP → RSDT/XSDT → FADT → DSDT
// is done here with the parsers, as the poweroff kernel does it in guest code.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSleepPackages, summarizeSleepTypes } from '../../src/acpi/aml/index.js';
import { installTables, layoutTables, walkGuestTables } from '../../src/acpi/install/index.js';
import { machineProfile, type MachineProfile, pcOptionsFromGlobals, qemuPcProfile, xenHvmloaderProfile } from '../../src/acpi/profiles/index.js';
import { buildFacs, buildFadt, fadtEffective, findRsdp, parseFadt, parseRsdp, parseRsdt, parseXsdt, sum8 } from '../../src/acpi/tables/index.js';
import { decodeSleep, SLP_EN } from '../../src/acpi/index.js';
import { corpusDir, readBytes } from './corpus-helpers.js';

const qemu = corpusDir('qemu');

describe('QEMU pc profile', () => {
  it.skipIf(!qemu)('FADT is byte-identical to QEMU tests/data/acpi/pc/FACP (pointers zeroed there too)', () => {
    expect(buildFadt(qemuPcProfile().tables.fadt)).toEqual(readBytes(path.join(qemu!, 'pc/FACP')));
  });
  it.skipIf(!qemu)('with smm=off the FADT matches pc/FACP.nosmm (no SMI_CMD, SCI_EN set at reset)', () => {
    const p = qemuPcProfile({ smm: false });
    expect(buildFadt(p.tables.fadt)).toEqual(readBytes(path.join(qemu!, 'pc/FACP.nosmm')));
    expect(p.pm.sciEnAtReset).toBe(true);
  });
  it.skipIf(!qemu)('FACS matches pc/FACS', () => {
    expect(buildFacs(qemuPcProfile().tables.facs)).toEqual(readBytes(path.join(qemu!, 'pc/FACS')));
  });
  it('PM layout and FADT agree (qemu-pm.md §1.3): 0x600/0x604/0x608, GPE0 0xAFE0, SCI 9, 0xB2 F1/F0, flags 0x80A5', () => {
    const p = qemuPcProfile();
    const f = parseFadt(buildFadt(p.tables.fadt));
    expect(p.pm).toMatchObject({ pmBase: 0x600, pm1aEvt: 0x600, pm1aCnt: 0x604, pmTmr: 0x608, gpe0: 0xafe0, gpe0Len: 4, sciIrq: 9, smiCmd: 0xb2, acpiEnable: 0xf1, acpiDisable: 0xf0, sciEnAtReset: false });
    expect([f.header.revision, f.pm1aEvtBlk, f.pm1aCntBlk, f.pmTmrBlk, f.gpe0Blk, f.sciInt, f.smiCmd, f.acpiEnable, f.acpiDisable, f.flags])
      .toEqual([1, p.pm.pm1aEvt, p.pm.pm1aCnt, p.pm.pmTmr, p.pm.gpe0, p.pm.sciIrq, p.pm.smiCmd, p.pm.acpiEnable, p.pm.acpiDisable, 0x80a5]);
  });
  it.each([
    ['defaults', [], { S3: [1, 1, 0, 0], S4: [2, 2, 0, 0], S5: [0, 0, 0, 0] }, 2],
    ['disable_s3=1', ['PIIX4_PM.disable_s3=1'], { S4: [2, 2, 0, 0], S5: [0, 0, 0, 0] }, 2],
    ['disable_s4=1', ['PIIX4_PM.disable_s4=1'], { S3: [1, 1, 0, 0], S5: [0, 0, 0, 0] }, 2],
    ['s4_val=3', ['PIIX4_PM.s4_val=3'], { S3: [1, 1, 0, 0], S4: [3, 3, 0, 0], S5: [0, 0, 0, 0] }, 3],
  ])('%s: the DSDT advertises exactly the sleep packages QEMU would, and the policy follows s4_val', (_n, globals, want, s4) => {
    const p = qemuPcProfile(pcOptionsFromGlobals(globals));
    const got = Object.fromEntries(Object.entries(summarizeSleepTypes(findSleepPackages(p.tables.dsdt, { strict: true }).packages)).map(([k, v]) => [k, v!.values]));
    expect(got).toEqual(want);
    expect(p.sleepPackages).toEqual(want);
    expect(p.sleepPolicy).toMatchObject({ s3: 1, s4, s5: 0 });
  });
  it('machineProfile picks a profile by id with -global settings', () => {
    expect(machineProfile('pc', ['PIIX4_PM.s4_val=4']).sleepPackages.S4).toEqual([4, 4, 0, 0]);
    expect(machineProfile('xen', ['xen.acpi_s4=0']).sleepPackages).toEqual({ S3: [1, 1, 0, 0], S5: [0, 0, 0, 0] });
    expect(() => machineProfile('q35')).toThrow(/unknown profile/);
    expect(() => machineProfile('xen', ['PIIX4_PM.s4_val=3'])).toThrow(/xen profile/);
  });
  it('rejects unknown -global properties and bad values', () => {
    expect(() => pcOptionsFromGlobals(['PIIX4_PM.foo=1'])).toThrow(/unsupported/);
    expect(() => pcOptionsFromGlobals(['PIIX4_PM.s4_val=9'])).toThrow(/0..7/);
    expect(() => pcOptionsFromGlobals(['ICH9-LPC.disable_s3=1'])).toThrow(/unsupported/);
  });
});

describe('Xen hvmloader profile (xen.md §10)', () => {
  it.each([
    [{}, { S3: [1, 1, 0, 0], S4: [0, 0, 0, 0], S5: [0, 0, 0, 0] }],
    [{ acpi_s3: false }, { S4: [0, 0, 0, 0], S5: [0, 0, 0, 0] }],
    [{ acpi_s3: false, acpi_s4: false }, { S5: [0, 0, 0, 0] }],
  ])('%j: \\_S5 in the DSDT, \\_S3/\\_S4 in optional SSDTs', (o, want) => {
    const p = xenHvmloaderProfile(o);
    const all = [p.tables.dsdt, ...p.tables.ssdts].flatMap((t) => findSleepPackages(t, { strict: true }).packages);
    expect(Object.fromEntries(Object.entries(summarizeSleepTypes(all)).map(([k, v]) => [k, v!.values]))).toEqual(want);
    expect(findSleepPackages(p.tables.dsdt).packages.map((x) => x.state)).toEqual(['S5']);
  });
  it('V1 ports, no SMI_CMD, FADT revision 4 with X_ blocks and a revision-1 copy for the RSDT', () => {
    const p = xenHvmloaderProfile();
    expect(p.pm).toMatchObject({ pm1aEvt: 0xb000, pm1aCnt: 0xb004, pmTmr: 0xb008, gpe0: 0xafe0, sciIrq: 9, smiCmd: 0, sciEnAtReset: true });
    const f = parseFadt(buildFadt(p.tables.fadt));
    expect([f.header.revision, f.header.length, f.xPm1aCntBlk?.address, f.xPm1aCntBlk?.bitWidth, f.resetReg?.address, f.resetValue]).toEqual([4, 244, 0xb004n, 16, 0xcf9n, 6]);
    expect(buildFadt(p.tables.fadtForRsdt!).length).toBe(116);
  });
});

describe('profiles and the PM model share one source of truth', () => {
  // A guest writes SLP_TYPa from the advertised package | SLP_EN; the PM model's decoder (src/acpi/sleep-decode.ts)
  // must land on that state. Xen's \\_S4 reuses S5's value 0 (xen.md §10), so there an S4 request is a poweroff.
  it.each([
    ['pc', qemuPcProfile(), {}],
    ['pc s4_val=3 disable_s3', qemuPcProfile({ s4_val: 3, disable_s3: true }), {}],
    ['xen', xenHvmloaderProfile(), { S4: 'S5' }],
  ] as [string, MachineProfile, Record<string, string>][])('%s: every advertised \\_Sn_ decodes to Sn', (_n, p, remap) => {
    for (const [state, pkg] of Object.entries(p.sleepPackages)) {
      const d = decodeSleep((pkg[0]! << 10) | SLP_EN, p.sleepPolicy);
      expect(d.kind === 'sleep' ? d.state : 'none', state).toBe(remap[state] ?? state);
    }
  });
});

/** The table at `at`, as long as its header says (what guest code does after following a pointer). */
const table = (mem: Uint8Array, at: number): Uint8Array => mem.subarray(at, at + new DataView(mem.buffer, mem.byteOffset).getUint32(at + 4, true));

describe('installTables', () => {
  it.each([
    ['pc', qemuPcProfile()],
    ['pc disable_s3', qemuPcProfile({ disable_s3: true })],
    ['xen', xenHvmloaderProfile()],
  ] as [string, MachineProfile][])('%s: an OS finds RSDP in E0000-FFFFF and walks to PM1a_CNT and \\_S5_', (_n, p) => {
    const mem = new Uint8Array(32 << 20);
    const r = installTables(mem, p);
    expect(findRsdp(mem)).toBe(r.rsdp);
    expect(r.rsdp % 16).toBe(0);
    expect(r.rsdp).toBeGreaterThanOrEqual(0xe0000);
    expect(r.facs % 64).toBe(0);
    expect(r.region.end).toBeLessThanOrEqual(mem.length);
    const rsdp = parseRsdp(mem.subarray(r.rsdp, r.rsdp + 36), { strictChecksum: true });
    let fadtAt: number;
    if (rsdp.revision >= 2) {
      const x = parseXsdt(table(mem, Number(rsdp.xsdtAddress)), { strictChecksum: true });
      fadtAt = Number(x.entries[0]);
      expect(parseRsdt(table(mem, rsdp.rsdtAddress)).entries.slice(1)).toEqual(x.entries.slice(1).map(Number));
    } else {
      fadtAt = parseRsdt(table(mem, rsdp.rsdtAddress), { strictChecksum: true }).entries[0]!;
    }
    expect(fadtAt).toBe(r.fadt);
    const fadt = parseFadt(table(mem, fadtAt), { strictChecksum: true });
    const e = fadtEffective(fadt);
    expect(e.pm1aCntBlk).toBe(p.pm.pm1aCnt);
    expect(e.facs).toBe(r.facs);
    expect(String.fromCharCode(...mem.subarray(e.facs, e.facs + 4))).toBe('FACS');
    const dsdt = table(mem, e.dsdt);
    expect(sum8(dsdt, 0, dsdt.length)).toBe(0);
    const found = [dsdt, ...r.ssdts.map((a) => table(mem, a))].flatMap((t) => findSleepPackages(t).packages);
    expect(summarizeSleepTypes(found).S5?.values).toEqual(p.sleepPackages.S5);
  });
  it.each([
    ['pc', qemuPcProfile(), 'RSDT', ['RSDT', 'FACP', 'DSDT', 'FACS']],
    ['xen', xenHvmloaderProfile(), 'XSDT', ['XSDT', 'FACP', 'SSDT', 'SSDT', 'DSDT', 'FACS']],
  ] as [string, MachineProfile, string, string[]][])('walkGuestTables (%s) sees what an OS sees: root %s, tables, PM1a_CNT, sleep types', (_n, p, root, sigs) => {
    const mem = new Uint8Array(16 << 20);
    const r = installTables(mem, p);
    const g = walkGuestTables(mem);
    expect(g.rsdpAddress).toBe(r.rsdp);
    expect(g.root).toBe(root);
    expect(g.tables.map((t) => t.signature)).toEqual(sigs);
    expect(g.tables.every((t) => t.checksumValid)).toBe(true);
    expect([g.pm.pm1aCntBlk, g.pm.pm1aEvtBlk, g.pm.pmTmrBlk]).toEqual([p.pm.pm1aCnt, p.pm.pm1aEvt, p.pm.pmTmr]);
    expect(Object.fromEntries(Object.entries(g.sleepTypes).map(([k, v]) => [k, v!.values]))).toEqual(p.sleepPackages);
  });
  it('walkGuestTables: no RSDP, or a root pointer outside memory, is an AcpiError', () => {
    const mem = new Uint8Array(2 << 20);
    expect(() => walkGuestTables(mem)).toThrow(/no RSDP/);
    const r = installTables(mem, qemuPcProfile());
    new DataView(mem.buffer, mem.byteOffset).setUint32(r.rsdp + 16, 0x7fff0000, true); // RSDT address beyond RAM
    mem[r.rsdp + 8] = 0;
    mem[r.rsdp + 8] = (0x100 - sum8(mem, r.rsdp, 20)) & 0xff;
    expect(() => walkGuestTables(mem)).toThrow(/outside guest memory/);
  });
  it('is deterministic and independent of previous memory contents', () => {
    const a = new Uint8Array(16 << 20);
    const b = new Uint8Array(16 << 20).fill(0xa5);
    const ra = installTables(a, xenHvmloaderProfile());
    const rb = installTables(b, xenHvmloaderProfile());
    expect(rb).toEqual(ra);
    expect(b.subarray(ra.region.start, ra.region.end)).toEqual(a.subarray(ra.region.start, ra.region.end));
    expect(layoutTables(xenHvmloaderProfile(), 16 << 20).region).toEqual(ra.region);
  });
  it('refuses memory without a BIOS area or too small for the tables, and a misaligned RSDP address', () => {
    expect(() => installTables(new Uint8Array(0x80000), qemuPcProfile())).toThrow(/1 MiB/);
    expect(() => installTables(new Uint8Array(0x100000), qemuPcProfile())).toThrow(/no room/);
    expect(() => installTables(new Uint8Array(4 << 20), qemuPcProfile(), { rsdpAddress: 0xf5a08 })).toThrow(/16-byte aligned/);
  });
});
