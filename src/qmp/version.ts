/**
 * What acpidm says about itself in the QMP greeting and `query-version`.
 *
 * `qemu` is the QEMU release whose QMP run-state semantics acpidm mirrors: upstream
 * (qemu-pm.md: the 8.1 PM1_CNT access fix, `set-action`, `query-status` without
 * `singlestep`). Clients such as libvirt gate features on major/minor, so this must be a
 * real QEMU version. `package` says honestly that this is acpidm, not QEMU.
 */
export const ACPIDM_VERSION = '0.1.0'; // keep in step with package.json
export const QEMU_COMPAT = { major: 10, minor: 0, micro: 0 } as const;
export const QMP_PACKAGE = `acpidm ${ACPIDM_VERSION}`;

export function versionInfo(): { qemu: { major: number; minor: number; micro: number }; package: string } {
  return { qemu: { ...QEMU_COMPAT }, package: QMP_PACKAGE };
}
