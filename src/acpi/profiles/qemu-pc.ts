/**
 * QEMU `-M pc` (i440fx + PIIX4 PM) as the guest sees it with SeaBIOS: PM base 0x600 ("Moving pm_base to
 * 0x600", seabios src/fw/paravirt.c), the revision-1 FADT QEMU builds (hw/i386/acpi-build.c: build_fadt
 * with the PIIX4 values; byte-identical to QEMU tests/data/acpi/pc/FACP with the pointers zeroed), a FACS,
 * and a DSDT with the sleep packages QEMU emits: \_S3_ {1,1,0,0} unless disable_s3, \_S4_ {s4_val,
 * s4_val,0,0} unless disable_s4, \_S5_ {0,0,0,0} (qemu-pm.md §1.3), and the PCI root with the ISA devices
 * the machine has (pc-devices.ts), so Linux's ACPICA and PnP find them.
 */
import { cat, scope } from '../aml/encode.js';
import { qemuPcPolicy } from '../sleep-decode.js';
import { buildDefinitionBlock } from '../tables/definition-block.js';
import { FADT_FLAGS, type Fadt } from '../tables/fadt.js';
import { sleepPackages } from './dsdt-common.js';
import { pcPciRoot } from './pc-devices.js';
import type { MachineProfile, PmLayout, SleepStateKey } from './types.js';

/** PIIX4_PM properties that shape the tables (`-global PIIX4_PM.<name>=<value>`), with QEMU's defaults. */
export interface PcOptions {
  disable_s3?: boolean; // default false
  disable_s4?: boolean; // default false
  s4_val?: number; //     default 2
  /** SMM on (TCG default): SMI_CMD 0xB2 with 0xF1/0xF0; off (smm=off, KVM without SMM): no SMI_CMD, SCI_EN set at reset. */
  smm?: boolean;
  /** RAM below 4 GiB in bytes (`-m`; default 128 MiB): where the DSDT's PCI memory window starts. */
  ramBelow4g?: number;
}

export const PC_PM_BASE = 0x600;
export const PIIX4_GPE0 = 0xafe0;
export const APM_CNT = 0xb2;
export const PIIX4_ACPI_ENABLE = 0xf1;
export const PIIX4_ACPI_DISABLE = 0xf0;
const BOCHS = { oemId: 'BOCHS ', oemTableId: 'BXPC    ', oemRevision: 1, creatorId: 'BXPC', creatorRevision: 1 };

export function pcPmLayout(smm = true): PmLayout {
  return {
    pmBase: PC_PM_BASE, pm1aEvt: PC_PM_BASE, pm1aCnt: PC_PM_BASE + 4, pmTmr: PC_PM_BASE + 8,
    pm1EvtLen: 4, pm1CntLen: 2, pmTmrLen: 4, gpe0: PIIX4_GPE0, gpe0Len: 4, sciIrq: 9,
    smiCmd: smm ? APM_CNT : 0, acpiEnable: smm ? PIIX4_ACPI_ENABLE : 0, acpiDisable: smm ? PIIX4_ACPI_DISABLE : 0,
    sciEnAtReset: !smm,
  };
}

/** The revision-1, 116-byte FADT; firmwareCtrl/dsdt are 0 until installed. */
export function pcFadt(pm: PmLayout): Fadt {
  return {
    header: { signature: 'FACP', revision: 1, ...BOCHS },
    firmwareCtrl: 0, dsdt: 0,
    reserved0: 1, // INT_MODEL = 1 (QEMU build_fadt: fadt->int_model = 1)
    preferredPmProfile: 0, sciInt: pm.sciIrq, smiCmd: pm.smiCmd, acpiEnable: pm.acpiEnable, acpiDisable: pm.acpiDisable,
    s4biosReq: 0, pstateCnt: 0,
    pm1aEvtBlk: pm.pm1aEvt, pm1bEvtBlk: 0, pm1aCntBlk: pm.pm1aCnt, pm1bCntBlk: 0, pm2CntBlk: 0, pmTmrBlk: pm.pmTmr,
    gpe0Blk: pm.gpe0, gpe1Blk: 0,
    pm1EvtLen: pm.pm1EvtLen, pm1CntLen: pm.pm1CntLen, pm2CntLen: 0, pmTmrLen: pm.pmTmrLen, gpe0BlkLen: pm.gpe0Len, gpe1BlkLen: 0, gpe1Base: 0,
    cstCnt: 0, pLvl2Lat: 0x0fff, pLvl3Lat: 0x0fff, // > 100 / > 1000 µs: no C2/C3
    flushSize: 0, flushStride: 0, dutyOffset: 0, dutyWidth: 0, dayAlrm: 0, monAlrm: 0,
    century: 0x32, // RTC CMOS century register
    iapcBootArch: 0, reserved1: 0,
    // 0x80A5 observed: WBINVD | PROC_C1 | SLP_BUTTON | RTC_S4 | USE_PLATFORM_CLOCK
    flags: FADT_FLAGS.WBINVD | FADT_FLAGS.PROC_C1 | FADT_FLAGS.SLP_BUTTON | FADT_FLAGS.RTC_S4 | FADT_FLAGS.USE_PLATFORM_CLOCK,
  };
}

export function pcSleepPackages(o: PcOptions = {}): Partial<Record<SleepStateKey, number[]>> {
  const s4 = o.s4_val ?? 2;
  return {
    ...(o.disable_s3 ? {} : { S3: [1, 1, 0, 0] }),
    ...(o.disable_s4 ? {} : { S4: [s4, s4, 0, 0] }),
    S5: [0, 0, 0, 0],
  };
}

export function qemuPcProfile(o: PcOptions = {}): MachineProfile {
  const s4Val = o.s4_val ?? 2;
  if (!Number.isInteger(s4Val) || s4Val < 0 || s4Val > 7) throw new RangeError(`s4_val must be 0..7 (a 3-bit SLP_TYP), got ${o.s4_val}`);
  const pm = pcPmLayout(o.smm ?? true);
  const sleep = pcSleepPackages(o);
  // QEMU: Scope (\) { Name (_S3_, ...) ... } holds the sleep packages.
  const dsdt = buildDefinitionBlock({ signature: 'DSDT', revision: 1, ...BOCHS }, cat(scope('\\', ...sleepPackages(sleep)), pcPciRoot({ ramBelow4g: o.ramBelow4g ?? 128 << 20 })));
  return {
    id: 'pc',
    description: `QEMU pc (i440fx/PIIX4) with SeaBIOS: PM base 0x600, FADT rev 1${o.disable_s3 ? ', S3 disabled' : ''}${o.disable_s4 ? ', S4 disabled' : ''}, s4_val ${s4Val}`,
    pm,
    sleepPolicy: qemuPcPolicy({ s4Val, disableS3: o.disable_s3 ?? false, disableS4: o.disable_s4 ?? false }),
    sleepPackages: sleep,
    tables: {
      rsdp: { oemId: 'BOCHS ', revision: 0 }, // pc: ACPI 1.0 RSDP, RSDT only
      rootHeader: { revision: 1, ...BOCHS },
      fadt: pcFadt(pm),
      // QEMU build_facs: signature and length only.
      facs: { hardwareSignature: 0, firmwareWakingVector: 0, globalLock: 0, flags: 0, xFirmwareWakingVector: 0n, version: 0, ospmFlags: 0 },
      dsdt,
      ssdts: [],
    },
  };
}

/** Reads `-global PIIX4_PM.disable_s3=1`-style settings (values 0/1/on/off/true/false; s4_val a number). */
export function pcOptionsFromGlobals(globals: readonly string[]): PcOptions {
  const o: PcOptions = {};
  for (const g of globals) {
    const m = /^PIIX4_PM\.(\w+)=(.*)$/.exec(g);
    if (!m) throw new RangeError(`unsupported -global '${g}' (expected PIIX4_PM.disable_s3|disable_s4|s4_val=VALUE)`);
    const [, key, val] = m as unknown as [string, string, string];
    const bool = (): boolean => {
      if (/^(1|on|true|yes)$/i.test(val)) return true;
      if (/^(0|off|false|no)$/i.test(val)) return false;
      throw new RangeError(`-global ${key}: '${val}' is not a boolean`);
    };
    if (key === 'disable_s3') o.disable_s3 = bool();
    else if (key === 'disable_s4') o.disable_s4 = bool();
    else if (key === 's4_val') {
      const n = Number(val);
      if (!Number.isInteger(n) || n < 0 || n > 7) throw new RangeError(`-global s4_val: '${val}' is not 0..7`);
      o.s4_val = n;
    } else throw new RangeError(`unsupported PIIX4_PM property '${key}'`);
  }
  return o;
}
