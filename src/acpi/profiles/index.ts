export type { MachineProfile, PmLayout, ProfileTables, SleepStateKey } from './types.js';
export {
  qemuPcProfile, pcPmLayout, pcFadt, pcSleepPackages, pcOptionsFromGlobals, PC_PM_BASE, PIIX4_GPE0, APM_CNT,
  PIIX4_ACPI_ENABLE, PIIX4_ACPI_DISABLE, type PcOptions,
} from './qemu-pc.js';
export {
  xenHvmloaderProfile, xenPmLayout, xenFadt, fadtRevision1Copy, XEN_PM1A_EVT_V1, XEN_PM1A_CNT_V1, XEN_PM_TMR_V1, XEN_GPE0_V1,
  type XenOptions,
} from './xen-hvmloader.js';
export { sleepPackage, sleepPackages, pciRootAndPic } from './dsdt-common.js';
export { machineProfile, xenOptionsFromGlobals, type ProfileId } from './select.js';
