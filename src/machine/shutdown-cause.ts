/**
 * QEMU's ShutdownCause (qapi/run-state.json). The declaration order is the C
 * value and must not change: `guest` in SHUTDOWN/RESET events is cause >= 6.
 */
export const SHUTDOWN_CAUSES = [
  'none', 'host-error', 'host-qmp-quit', 'host-qmp-system-reset', 'host-signal', 'host-ui',
  'guest-shutdown', 'guest-reset', 'guest-panic', 'subsystem-reset', 'snapshot-load',
] as const;
export type ShutdownCause = (typeof SHUTDOWN_CAUSES)[number];

/** QEMU runstate.c `shutdown_caused_by_guest`: cause >= guest-shutdown, except subsystem-reset. */
export function causedByGuest(cause: ShutdownCause): boolean {
  const i = SHUTDOWN_CAUSES.indexOf(cause);
  return i >= SHUTDOWN_CAUSES.indexOf('guest-shutdown') && cause !== 'subsystem-reset';
}

/** QEMU RunState strings (qapi/run-state.json). */
export const RUN_STATES = [
  'debug', 'inmigrate', 'internal-error', 'io-error', 'paused', 'postmigrate', 'prelaunch',
  'finish-migrate', 'restore-vm', 'running', 'save-vm', 'shutdown', 'suspended', 'watchdog',
  'guest-panicked', 'colo',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** QEMU WakeupReason (include/sysemu/runstate.h): masked reasons are ignored. */
export type WakeupReason = 'none' | 'rtc' | 'pmtimer' | 'other';
