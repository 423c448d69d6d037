/**
 * Xen HVM guest with hvmloader's tables (xen tools/libacpi: static_tables.c, build.c, dsdt.asl,
 * ssdt_s3.asl, ssdt_s4.asl) and the V1 PM port layout (xen/include/public/hvm/ioreq.h: ACPI_PM1A_*_V1):
 * PM1a_EVT 0xB000, PM1a_CNT 0xB004, PM_TMR 0xB008, GPE0 0xAFE0 (len 4), SCI 9, no SMI_CMD (SCI_EN is set from
 * reset: QEMU under Xen has no SMM). Sleep packages: \_S5 {0,0,0,0} in the DSDT; \_S3 {1,1,0,0} and \_S4
 * {0,0,0,0} each in an optional SSDT (xl acpi_s3 / acpi_s4, both on by default). See xen.md §10.
 *
 * FADT: hvmloader sets acpi_revision 4, so the XSDT's FADT is revision 4 (244 bytes, up to X_GPE1_BLK), and
 * the RSDT points to a revision-1 116-byte copy (build.c: "Windows 2000 ... copies FADT into a 116 bytes
 * buffer"). Flags PROC_C1 | WBINVD | FIX_RTC | TMR_VAL_EXT | USE_PLATFORM_CLOCK; RESET_REG = I/O 0xCF9 value 6
 * (RESET_REG_SUP is not set); IAPC_BOOT_ARCH 8042 (hvmloader has a keyboard controller and VGA).
 */
import { cat } from '../aml/encode.js';
import { sleepPolicy } from '../sleep-decode.js';
import { buildDefinitionBlock } from '../tables/definition-block.js';
import { FADT_FLAGS, type Fadt, IAPC_BOOT_ARCH } from '../tables/fadt.js';
import { ioGas, zeroGas } from '../tables/gas.js';
import { pciRootAndPic, sleepPackage } from './dsdt-common.js';
import type { MachineProfile, PmLayout, SleepStateKey } from './types.js';

export interface XenOptions {
  /** xl.cfg acpi_s3 (default true): include SSDT_S3 with \_S3. */
  acpi_s3?: boolean;
  /** xl.cfg acpi_s4 (default true): include SSDT_S4 with \_S4. */
  acpi_s4?: boolean;
}

export const XEN_PM1A_EVT_V1 = 0xb000;
export const XEN_PM1A_CNT_V1 = 0xb004;
export const XEN_PM_TMR_V1 = 0xb008;
export const XEN_GPE0_V1 = 0xafe0;
// strncpy'd ids: NUL padded (tools/libacpi/build.c: fixed_strcpy).
const XEN = { oemId: 'Xen\0\0\0', oemTableId: 'HVM\0\0\0\0\0', oemRevision: 0, creatorId: 'HVML', creatorRevision: 0 };
// DSDT/SSDTs are iasl-compiled DefinitionBlock (..., 2, "Xen", "HVM", 0); ours are built by acpidm.
const XEN_AML = { oemId: 'Xen\0\0\0', oemTableId: 'HVM\0\0\0\0\0', oemRevision: 0, creatorId: 'ADM ', creatorRevision: 1 };

export function xenPmLayout(): PmLayout {
  return {
    pmBase: XEN_PM1A_EVT_V1, pm1aEvt: XEN_PM1A_EVT_V1, pm1aCnt: XEN_PM1A_CNT_V1, pmTmr: XEN_PM_TMR_V1,
    pm1EvtLen: 4, pm1CntLen: 2, pmTmrLen: 4, gpe0: XEN_GPE0_V1, gpe0Len: 4, sciIrq: 9,
    smiCmd: 0, acpiEnable: 0, acpiDisable: 0, sciEnAtReset: true,
  };
}

export function xenFadt(pm: PmLayout): Fadt {
  return {
    header: { signature: 'FACP', revision: 4, ...XEN },
    firmwareCtrl: 0, dsdt: 0, reserved0: 0, preferredPmProfile: 0, sciInt: pm.sciIrq,
    smiCmd: 0, acpiEnable: 0, acpiDisable: 0, s4biosReq: 0, pstateCnt: 0,
    pm1aEvtBlk: pm.pm1aEvt, pm1bEvtBlk: 0, pm1aCntBlk: pm.pm1aCnt, pm1bCntBlk: 0, pm2CntBlk: 0, pmTmrBlk: pm.pmTmr,
    gpe0Blk: pm.gpe0, gpe1Blk: 0,
    pm1EvtLen: pm.pm1EvtLen, pm1CntLen: pm.pm1CntLen, pm2CntLen: 0, pmTmrLen: pm.pmTmrLen, gpe0BlkLen: pm.gpe0Len, gpe1BlkLen: 0, gpe1Base: 0,
    cstCnt: 0, pLvl2Lat: 0x0fff, pLvl3Lat: 0x0fff, flushSize: 0, flushStride: 0, dutyOffset: 0, dutyWidth: 0,
    dayAlrm: 0, monAlrm: 0, century: 0, iapcBootArch: IAPC_BOOT_ARCH.I8042, reserved1: 0,
    flags: FADT_FLAGS.PROC_C1 | FADT_FLAGS.WBINVD | FADT_FLAGS.FIX_RTC | FADT_FLAGS.TMR_VAL_EXT | FADT_FLAGS.USE_PLATFORM_CLOCK,
    resetReg: ioGas(0xcf9, 8), resetValue: 6, armBootArch: 0, minorVersion: 0,
    xFirmwareCtrl: 0n, xDsdt: 0n,
    xPm1aEvtBlk: ioGas(pm.pm1aEvt, 32), xPm1bEvtBlk: zeroGas(), xPm1aCntBlk: ioGas(pm.pm1aCnt, 16), xPm1bCntBlk: zeroGas(),
    xPm2CntBlk: zeroGas(), xPmTmrBlk: ioGas(pm.pmTmr, 32), xGpe0Blk: zeroGas(), xGpe1Blk: zeroGas(),
  };
}

/** The revision-1 copy hvmloader links from the RSDT: the first 116 bytes, header revision 1. */
export function fadtRevision1Copy(f: Fadt): Fadt {
  const { header, firmwareCtrl, dsdt, reserved0, preferredPmProfile, sciInt, smiCmd, acpiEnable, acpiDisable, s4biosReq, pstateCnt,
    pm1aEvtBlk, pm1bEvtBlk, pm1aCntBlk, pm1bCntBlk, pm2CntBlk, pmTmrBlk, gpe0Blk, gpe1Blk, pm1EvtLen, pm1CntLen, pm2CntLen, pmTmrLen,
    gpe0BlkLen, gpe1BlkLen, gpe1Base, cstCnt, pLvl2Lat, pLvl3Lat, flushSize, flushStride, dutyOffset, dutyWidth, dayAlrm, monAlrm,
    century, iapcBootArch, reserved1, flags } = f;
  return {
    header: { ...header, revision: 1 }, firmwareCtrl, dsdt, reserved0, preferredPmProfile, sciInt, smiCmd, acpiEnable, acpiDisable, s4biosReq, pstateCnt,
    pm1aEvtBlk, pm1bEvtBlk, pm1aCntBlk, pm1bCntBlk, pm2CntBlk, pmTmrBlk, gpe0Blk, gpe1Blk, pm1EvtLen, pm1CntLen, pm2CntLen, pmTmrLen,
    gpe0BlkLen, gpe1BlkLen, gpe1Base, cstCnt, pLvl2Lat, pLvl3Lat, flushSize, flushStride, dutyOffset, dutyWidth, dayAlrm, monAlrm,
    century, iapcBootArch, reserved1, flags,
  };
}

export function xenHvmloaderProfile(o: XenOptions = {}): MachineProfile {
  const s3 = o.acpi_s3 ?? true;
  const s4 = o.acpi_s4 ?? true;
  const pm = xenPmLayout();
  const sleep: Partial<Record<SleepStateKey, number[]>> = { ...(s3 ? { S3: [1, 1, 0, 0] } : {}), ...(s4 ? { S4: [0, 0, 0, 0] } : {}), S5: [0, 0, 0, 0] };
  const dsdt = buildDefinitionBlock({ signature: 'DSDT', revision: 2, ...XEN_AML }, cat(pciRootAndPic(), sleepPackage('S5', sleep.S5!)));
  const ssdt = (st: SleepStateKey): Uint8Array => buildDefinitionBlock({ signature: 'SSDT', revision: 2, ...XEN_AML }, sleepPackage(st, sleep[st]!));
  const fadt = xenFadt(pm);
  return {
    id: 'xen',
    description: `Xen HVM (hvmloader tables, V1 ports at 0xB000)${s3 ? '' : ', no S3'}${s4 ? '' : ', no S4'}`,
    pm,
    // \_S4 = 0 shares S5's value: a guest's S4 request is a poweroff (decoded S5 first).
    sleepPolicy: sleepPolicy({ name: 'xen-hvmloader', s3: 1, s4: 0, s5: 0, disableS3: !s3, disableS4: !s4 }),
    sleepPackages: sleep,
    tables: {
      rsdp: { oemId: XEN.oemId, revision: 2 },
      rootHeader: { revision: 1, ...XEN },
      fadt,
      fadtForRsdt: fadtRevision1Copy(fadt),
      facs: { hardwareSignature: 0, firmwareWakingVector: 0, globalLock: 0, flags: 0, xFirmwareWakingVector: 0n, version: 1, ospmFlags: 0 },
      dsdt,
      ssdts: [...(s3 ? [ssdt('S3')] : []), ...(s4 ? [ssdt('S4')] : [])],
    },
  };
}
