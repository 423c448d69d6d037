/** Picks a profile by name from command-line style settings (`-global PIIX4_PM.s4_val=3`, `-global xen.acpi_s3=0`). */
import { pcOptionsFromGlobals, qemuPcProfile } from './qemu-pc.js';
import type { MachineProfile } from './types.js';
import { xenHvmloaderProfile, type XenOptions } from './xen-hvmloader.js';

export type ProfileId = 'pc' | 'xen';

/** Reads `xen.acpi_s3=0|1` / `xen.acpi_s4=0|1` (xl.cfg acpi_s3 / acpi_s4). Throws RangeError on anything else. */
export function xenOptionsFromGlobals(globals: readonly string[]): XenOptions {
  const o: XenOptions = {};
  for (const g of globals) {
    const m = /^xen\.(acpi_s3|acpi_s4)=(0|1|on|off|true|false)$/.exec(g);
    if (!m) throw new RangeError(`unsupported -global '${g}' for the xen profile (expected xen.acpi_s3=0|1 or xen.acpi_s4=0|1)`);
    o[m[1] as 'acpi_s3' | 'acpi_s4'] = /^(1|on|true)$/.test(m[2]!);
  }
  return o;
}

/** `machineProfile('pc', ['PIIX4_PM.disable_s3=1'])`; RangeError for an unknown id or setting. */
export function machineProfile(id: string, globals: readonly string[] = []): MachineProfile {
  if (id === 'pc') return qemuPcProfile(pcOptionsFromGlobals(globals));
  if (id === 'xen') return xenHvmloaderProfile(xenOptionsFromGlobals(globals));
  throw new RangeError(`unknown profile '${id}' (pc or xen)`);
}
