/** What a machine profile hands to the firmware, the PM model and the decoder: one source of truth. */
import type { Facs } from '../tables/facs.js';
import type { Fadt } from '../tables/fadt.js';
import type { SleepPolicy } from '../sleep-decode.js';
import type { SdtHeader } from '../tables/sdt-header.js';

export type SleepStateKey = 'S3' | 'S4' | 'S5';

/** PM register block layout as the FADT advertises it (I/O ports). */
export interface PmLayout {
  /** PIIX4 PMBA base: PM1a_EVT at +0, PM1a_CNT at +4, PM_TMR at +8. */
  pmBase: number;
  pm1aEvt: number;
  pm1aCnt: number;
  pmTmr: number;
  pm1EvtLen: number;
  pm1CntLen: number;
  pmTmrLen: number;
  gpe0: number;
  gpe0Len: number;
  sciIrq: number;
  /** 0 when there is no SMI command port (the OS must then find SCI_EN already set). */
  smiCmd: number;
  acpiEnable: number;
  acpiDisable: number;
  /** SCI_EN is 1 from reset ("ACPI-only": no SMM, Xen). */
  sciEnAtReset: boolean;
}

/** The tables before they are laid out: the installer fills in every address and checksum. */
export interface ProfileTables {
  rsdp: { oemId: string; revision: 0 | 2 };
  /** Header used for the RSDT, and for the XSDT when the RSDP is revision 2. */
  rootHeader: Omit<SdtHeader, 'signature' | 'length' | 'checksum'>;
  /** The FADT the XSDT (or, without one, the RSDT) points to. Address fields are filled in by the installer. */
  fadt: Fadt;
  /** Xen links a revision-1 copy of the FADT from the RSDT for ACPI 1.0 OSes (tools/libacpi/build.c). */
  fadtForRsdt?: Fadt;
  facs: Facs;
  dsdt: Uint8Array;
  /** Further tables listed in the RSDT/XSDT after the FADT, in order (complete, checksummed). */
  ssdts: Uint8Array[];
}

export interface MachineProfile {
  id: 'pc' | 'xen';
  description: string;
  pm: PmLayout;
  /**
   * SLP_TYP values the PM1_CNT model acts on, in the PM model's own type (../sleep-decode.ts), so the
   * decoder and the tables cannot disagree (QEMU hw/acpi/core.c: acpi_pm1_cnt_write: 0 → S5, 1 → S3,
   * s4_val → S4, whatever the DSDT advertises).
   */
  sleepPolicy: SleepPolicy;
  /** The `\_Sn_` packages the DSDT/SSDTs advertise (absent state = not advertised). */
  sleepPackages: Partial<Record<SleepStateKey, number[]>>;
  tables: ProfileTables;
}
