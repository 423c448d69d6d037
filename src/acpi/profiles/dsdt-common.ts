/** AML shared by the profiles' DSDTs: sleep packages and a minimal PCI root that iasl accepts. */
import { cat, device, eisaId, integer, method, name, pkg, type Aml, scope } from '../aml/encode.js';
import type { SleepStateKey } from './types.js';

/** Name (_Sn_, Package (0x04) { a, b, 0, 0 }) as QEMU's build_dsdt emits them (aml_int → Zero/One/Byte). */
export function sleepPackage(state: SleepStateKey, values: readonly number[]): Aml {
  return name(`_${state}_`, pkg(values.map((v) => integer(v))));
}

export function sleepPackages(pkgs: Partial<Record<SleepStateKey, number[]>>): Aml[] {
  return (['S3', 'S4', 'S5'] as const).filter((s) => pkgs[s]).map((s) => sleepPackage(s, pkgs[s]!));
}

/** \_SB.PCI0 (PNP0A03) with _ADR/_UID, and a \_PIC method (the OS reports PIC/APIC mode; nothing to do here). */
export function pciRootAndPic(): Aml {
  return cat(
    scope('\\_SB', device('PCI0', name('_HID', eisaId('PNP0A03')), name('_ADR', integer(0)), name('_UID', integer(0)))),
    method('\\_PIC', 1),
  );
}
