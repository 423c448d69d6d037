/**
 * What acpidm says about itself in the QMP greeting, `query-version`, the HMP banner and `-version`: one QEMU
 * release everywhere. acpidm presents itself as QEMU 7.2.0, the release whose `pc` machine (pc-i440fx-7.2),
 * command line and observed behaviour (qemu-pm.md, the peer recordings) it follows; where it follows later
 * upstream behaviour instead (the 8.1 PM1_CNT access fix, `query-status` without `singlestep`) qemu-pm.md §4.3
 * says so. Clients such as libvirt gate on major/minor (libvirt 9.0 needs >= 4.2), so this must be a real QEMU
 * version. `package` says honestly that this is acpidm, not QEMU.
 */
export const ACPIDM_VERSION = '0.1.0'; // keep in step with package.json
export const QEMU_COMPAT = { major: 7, minor: 2, micro: 0 } as const;
export const QMP_PACKAGE = `acpidm ${ACPIDM_VERSION}`;

export function versionInfo(): { qemu: { major: number; minor: number; micro: number }; package: string } {
  return { qemu: { ...QEMU_COMPAT }, package: QMP_PACKAGE };
}
