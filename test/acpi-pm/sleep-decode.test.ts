// decodeSleep is pure: PM1_CNT value + board policy → sleep request.
// Expected tables come from qemu-pm.md §3.2 (QEMU hw/acpi/core.c acpi_pm1_cnt_write)
// and xen.md §10 (hvmloader tables, qemu-xen-traditional V0 values).
import { describe, expect, it } from 'vitest';
import {
  QEMU_XEN_TRADITIONAL_POLICY, QEMU_XEN_TRADITIONAL_V0_POLICY, SLP_EN, SleepPolicyError, XEN_HVMLOADER_POLICY, decodeSleep, qemuPcPolicy,
  sleepPolicy, systemStatesFile, type SleepPolicy,
} from '../../src/acpi/index.js';

type Want = 'none' | 'S3' | 'S4' | 'S5';
// Index = SLP_TYP 0..7, value with SLP_EN set.
const TABLES: [string, SleepPolicy, Want[]][] = [
  ['QEMU pc (s4_val 2)', qemuPcPolicy(), ['S5', 'S3', 'S4', 'none', 'none', 'none', 'none', 'none']],
  ['QEMU pc s4_val=3', qemuPcPolicy({ s4Val: 3 }), ['S5', 'S3', 'none', 'S4', 'none', 'none', 'none', 'none']],
  ['QEMU pc s4_val=7', qemuPcPolicy({ s4Val: 7 }), ['S5', 'S3', 'none', 'none', 'none', 'none', 'none', 'S4']],
  // s4_val 0 or 1 never produces S4 on QEMU: cases 0 and 1 are matched first.
  ['QEMU pc s4_val=0', qemuPcPolicy({ s4Val: 0 }), ['S5', 'S3', 'none', 'none', 'none', 'none', 'none', 'none']],
  ['QEMU pc s4_val=1', qemuPcPolicy({ s4Val: 1 }), ['S5', 'S3', 'none', 'none', 'none', 'none', 'none', 'none']],
  ['QEMU pc s4_val=200 (uint8, never matches)', qemuPcPolicy({ s4Val: 200 }), ['S5', 'S3', 'none', 'none', 'none', 'none', 'none', 'none']],
  // Observed on QEMU 7.2: disable_s3=1 still suspends; disable_* only drop the DSDT package.
  ['QEMU pc disable_s3 disable_s4', qemuPcPolicy({ disableS3: true, disableS4: true }), ['S5', 'S3', 'S4', 'none', 'none', 'none', 'none', 'none']],
  // hvmloader: S4 shares S5's value 0, so 0 decodes as S5.
  ['Xen hvmloader', XEN_HVMLOADER_POLICY, ['S5', 'S3', 'none', 'none', 'none', 'none', 'none', 'none']],
  ['qemu-xen-traditional V0', QEMU_XEN_TRADITIONAL_V0_POLICY, ['none', 'none', 'none', 'none', 'none', 'S3', 'S4', 'S5']],
  // What Xen mode's qemu-dm decodes with (src/xen-hvm/qemu-dm-model.ts): hvmloader's V1 values and the V0 ones (hw/piix4acpi.c).
  ['qemu-xen-traditional (Xen mode)', QEMU_XEN_TRADITIONAL_POLICY, ['S5', 'S3', 'none', 'none', 'none', 'S3', 'S4', 'S5']],
];

const rows = TABLES.flatMap(([name, policy, want]) =>
  want.flatMap((w, typ) => [
    [name, policy, typ, true, w] as const,
    [name, policy, typ, false, 'none' as Want] as const,
  ]));

describe('decodeSleep: every SLP_TYP 0-7, with and without SLP_EN, per preset', () => {
  it.each(rows)('%s: SLP_TYP %i SLP_EN=%s → %s', (_n, policy, typ, slpEn, want) => {
    // Other PM1_CNT bits (SCI_EN, BM_RLD, GBL_RLS) must not change the decision.
    for (const extra of [0, 0x0001, 0x0007]) {
      const v = (typ << 10) | (slpEn ? SLP_EN : 0) | extra;
      const d = decodeSleep(v, policy);
      if (want === 'none') expect(d).toEqual({ kind: 'none' });
      else expect(d).toMatchObject({ kind: 'sleep', state: want, typ });
    }
  });
});

describe('policy details', () => {
  it('disabled states still decode but say they were not advertised', () => {
    const p = qemuPcPolicy({ disableS3: true });
    expect(decodeSleep(SLP_EN | (1 << 10), p)).toEqual({ kind: 'sleep', state: 'S3', typ: 1, advertised: false });
    expect(decodeSleep(SLP_EN | (2 << 10), p)).toEqual({ kind: 'sleep', state: 'S4', typ: 2, advertised: true });
    expect(decodeSleep(SLP_EN, p)).toEqual({ kind: 'sleep', state: 'S5', typ: 0, advertised: true });
  });

  it('results are shared immutable constants (decoding allocates nothing)', () => {
    const p = qemuPcPolicy();
    expect(decodeSleep(0x2000, p)).toBe(decodeSleep(0x2001, p));
    expect(decodeSleep(0x0000, p)).toBe(decodeSleep(0x1c00, p));
    expect(Object.isFrozen(decodeSleep(0x2400, p))).toBe(true);
  });

  it('values beyond 16 bits and bits above SLP_EN are ignored', () => {
    expect(decodeSleep(0x4000 | (1 << 10), qemuPcPolicy())).toEqual({ kind: 'none' });
  });

  it('bad policy values are clear errors', () => {
    expect(() => qemuPcPolicy({ s4Val: -1 })).toThrow(SleepPolicyError);
    expect(() => qemuPcPolicy({ s4Val: 2.5 })).toThrow(/s4 = 2.5 is not an integer 0..255/);
    expect(() => sleepPolicy({ name: 'x', s3: 300, s4: null, s5: 0, disableS3: false, disableS4: false })).toThrow(/x: s3/);
  });

  it('a policy without an S3 value never suspends', () => {
    const p = sleepPolicy({ name: 'no-s3', s3: null, s4: null, s5: 0, disableS3: true, disableS4: true });
    expect([0, 1, 2, 3].map((t) => decodeSleep(SLP_EN | (t << 10), p).kind)).toEqual(['sleep', 'none', 'none', 'none']);
  });

  // QEMU hw/acpi/core.c acpi_pm1_cnt_init: {128, 0, 0, 1|(!disable_s3)<<7, s4_val|(!disable_s4)<<7, 128}
  it.each([
    [qemuPcPolicy(), [0x80, 0, 0, 0x81, 0x82, 0x80]],
    [qemuPcPolicy({ s4Val: 3, disableS3: true }), [0x80, 0, 0, 0x01, 0x83, 0x80]],
    [qemuPcPolicy({ disableS4: true }), [0x80, 0, 0, 0x81, 0x02, 0x80]],
  ])('etc/system-states for %o', (p, bytes) => {
    expect(Array.from(systemStatesFile(p))).toEqual(bytes);
  });
});

describe('the policy Xen mode uses', () => {
  it('qemu-dm\'s PIIX4 is src/piix4 + src/acpi with QEMU_XEN_TRADITIONAL_POLICY (no table of its own)', async () => {
    const { buildQemuDmModel } = await import('../../src/xen-hvm/qemu-dm-model.js');
    const { Trace } = await import('../../src/trace/trace.js');
    const sink = { log: () => {}, sleep: () => {}, reset: () => {}, issued: () => {}, fatal: () => {}, serial: () => {} };
    const m = buildQemuDmModel({ call: () => 0 }, { domid: 1, trace: new Trace(), sink });
    expect(m.acpi.policy).toBe(QEMU_XEN_TRADITIONAL_POLICY);
    expect(() => sleepPolicy({ ...QEMU_XEN_TRADITIONAL_POLICY, also: { S3: [300] } })).toThrow(SleepPolicyError);
  });
});
