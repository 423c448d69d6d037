/**
 * "Who took this domain down?" from the cause chain recorded as things
 * happened (never from timestamps). Xen's shutdown code alone cannot tell
 * these apart: DM S5, PV poweroff, hlt-all-CPUs and `xl shutdown` are all 0.
 */
import type { CauseChain, CauseLink } from '../machine/cause-chain.js';

export type TeardownCause =
  | 'guest-acpi-poweroff'     // the guest wrote S5 on its own
  | 'toolstack-acpi-button'   // xl trigger power / shutdown -F, the guest answered with S5
  | 'toolstack-pv-shutdown'   // xl shutdown through control/shutdown, the guest answered with SCHEDOP_shutdown
  | 'guest-pv-shutdown'       // SCHEDOP_shutdown nobody asked for
  | 'guest-reboot'            // 0xCF9 / kbc reset / triple fault → SHUTDOWN_reboot
  | 'hlt-all-cpus'            // every vCPU halted with IF=0 (Xen "All CPUs offline")
  | 'crash'
  | 'watchdog'                // the guest stopped petting its SCHEDOP_watchdog timer
  | 'destroy'                 // xl destroy of a running domain
  | 'timeout'                 // a requested shutdown never happened
  | 'suspended'               // the guest entered S3 and nobody has resumed it (HVM_PARAM_ACPI_S_STATE = 3)
  | 'running';                // nothing has taken it down

function find(links: readonly CauseLink[], id: number | undefined): CauseLink | undefined {
  return id === undefined ? undefined : links.find((l) => l.id === id);
}

export function classifyTeardown(chain: CauseChain): TeardownCause {
  const L = chain.links;
  // The first link that is not a host request is what actually shut the domain down.
  // An S3 write suspends the domain; it does not take it down (the guest runs again on `xl trigger s3resume`).
  const isS3 = (l: CauseLink): boolean => l.mechanism === 'pm1a-cnt' && l.what.endsWith('(S3)');
  const first = L.find((l) => l.requester !== 'host' && l.mechanism !== 'dmop-remote-shutdown' && l.mechanism !== 'schedop-remote-shutdown' && l.mechanism !== 'xenstore-control' && !isS3(l));
  if (first) {
    const asked = find(L, first.answers);
    switch (first.mechanism) {
      case 'pm1a-cnt':
        if (asked?.mechanism === 'xenstore-control') return 'toolstack-pv-shutdown'; // PV drivers acked, then ACPI S5
        return asked?.mechanism === 'acpi-power-button' ? 'toolstack-acpi-button' : 'guest-acpi-poweroff';
      case 'schedop-shutdown':
        if (first.evidence?.reason === 3) return 'crash';
        return asked?.mechanism === 'xenstore-control' || L.some((l) => l.mechanism === 'xenstore-control' && l.id < first.id)
          ? 'toolstack-pv-shutdown' : 'guest-pv-shutdown';
      case 'hlt-all-cpus': return 'hlt-all-cpus';
      case 'reset-cf9': case 'reset-kbc': case 'triple-fault': return 'guest-reboot';
      case 'other': return first.evidence?.crash ? 'crash' : first.evidence?.watchdog ? 'watchdog' : 'guest-pv-shutdown';
      default: break;
    }
  }
  if (L.some((l) => l.mechanism === 'timeout')) return 'timeout';
  if (L.some((l) => l.mechanism === 'domctl-destroy')) return 'destroy';
  return 'running';
}
