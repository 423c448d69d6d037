/**
 * libvirt's public ABI for domain states, reasons and lifecycle events
 * (include/libvirt/libvirt-domain.h) and the words `virsh` prints for them
 * (tools/virsh-domain-monitor.c, tools/virsh-domain-event.c). Array index = C value.
 */

export const DOMAIN_STATES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

/** virsh domstate wording per state. */
export const STATE_WORDS: Record<DomainState, string> = {
  nostate: 'no state', running: 'running', blocked: 'idle', paused: 'paused', shutdown: 'in shutdown',
  shutoff: 'shut off', crashed: 'crashed', pmsuspended: 'pmsuspended',
};

/** Reasons per state: [name, virsh wording], index = C value. */
export const STATE_REASONS: Record<DomainState, readonly (readonly [string, string])[]> = {
  nostate: [['unknown', 'unknown']],
  running: [['unknown', 'unknown'], ['booted', 'booted'], ['migrated', 'migrated'], ['restored', 'restored'],
    ['from-snapshot', 'from snapshot'], ['unpaused', 'unpaused'], ['migration-canceled', 'migration canceled'],
    ['save-canceled', 'save canceled'], ['wakeup', 'event wakeup'], ['crashed', 'crashed'], ['postcopy', 'post-copy'],
    ['postcopy-failed', 'post-copy failed']],
  blocked: [['unknown', 'unknown']],
  paused: [['unknown', 'unknown'], ['user', 'user'], ['migration', 'migrating'], ['save', 'saving'], ['dump', 'dumping'],
    ['ioerror', 'I/O error'], ['watchdog', 'watchdog'], ['from-snapshot', 'from snapshot'], ['shutting-down', 'shutting down'],
    ['snapshot', 'creating snapshot'], ['crashed', 'crashed'], ['starting-up', 'starting up'], ['postcopy', 'post-copy'],
    ['postcopy-failed', 'post-copy failed'], ['api-error', 'api error']],
  shutdown: [['unknown', 'unknown'], ['user', 'user']],
  shutoff: [['unknown', 'unknown'], ['shutdown', 'shutdown'], ['destroyed', 'destroyed'], ['crashed', 'crashed'],
    ['migrated', 'migrated'], ['saved', 'saved'], ['failed', 'failed'], ['from-snapshot', 'from snapshot'], ['daemon', 'daemon']],
  crashed: [['unknown', 'unknown'], ['panicked', 'panicked']],
  pmsuspended: [['unknown', 'unknown']],
};

export interface DomainStatus {
  readonly state: DomainState;
  readonly reason: string;
}

export function stateNumber(s: DomainState): number {
  return DOMAIN_STATES.indexOf(s);
}

export function reasonNumber(s: DomainStatus): number {
  const i = STATE_REASONS[s.state].findIndex(([n]) => n === s.reason);
  if (i < 0) throw new Error(`libvirt has no reason '${s.reason}' for state ${s.state}`);
  return i;
}

/** `virsh domstate --reason`: `shut off (destroyed)`. */
export function domstateText(s: DomainStatus): string {
  return `${STATE_WORDS[s.state]} (${STATE_REASONS[s.state][reasonNumber(s)]![1]})`;
}

/** VIR_DOMAIN_EVENT_* with their details (virsh words), index = C value. */
export const LIFECYCLE_EVENTS = [
  ['Defined', ['Added', 'Updated', 'Renamed', 'Snapshot']],
  ['Undefined', ['Removed', 'Renamed']],
  ['Started', ['Booted', 'Migrated', 'Restored', 'Snapshot', 'Event wakeup']],
  ['Suspended', ['Paused', 'Migrated', 'I/O Error', 'Watchdog', 'Restored', 'Snapshot', 'API error', 'Post-copy', 'Post-copy Error']],
  ['Resumed', ['Unpaused', 'Migrated', 'Snapshot', 'Post-copy', 'Post-copy Error']],
  ['Stopped', ['Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'Snapshot']],
  ['Shutdown', ['Finished', 'Finished after guest request', 'Finished after host request']],
  ['PMSuspended', ['Memory', 'Disk']],
  ['Crashed', ['Panicked', 'Crashloaded']],
] as const;

export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number][0];

export interface LifecycleEvent {
  readonly kind: 'lifecycle';
  readonly event: LifecycleEventName;
  readonly detail: string;
  /** VIR_DOMAIN_EVENT_* value. */
  readonly eventNum: number;
  /** The detail's C value within its event. */
  readonly detailNum: number;
}

export interface RebootEvent {
  readonly kind: 'reboot';
}

export type DomainEvent = LifecycleEvent | RebootEvent;

export function lifecycleEvent(event: LifecycleEventName, detail: string): LifecycleEvent {
  const eventNum = LIFECYCLE_EVENTS.findIndex(([n]) => n === event);
  const detailNum = (LIFECYCLE_EVENTS[eventNum]![1] as readonly string[]).indexOf(detail);
  if (detailNum < 0) throw new Error(`libvirt has no detail '${detail}' for event ${event}`);
  return { kind: 'lifecycle', event, detail, eventNum, detailNum };
}

/** `virsh event --loop` line: `event 'lifecycle' for domain 'vm': Stopped Shutdown`. */
export function eventLine(domain: string, e: DomainEvent): string {
  return e.kind === 'reboot' ? `event 'reboot' for domain '${domain}'` : `event 'lifecycle' for domain '${domain}': ${e.event} ${e.detail}`;
}

/** libvirt virDomainShutdownFlagValues / virDomainRebootFlagValues. */
export const SHUTDOWN_MODES = { default: 0, acpi: 1, agent: 2, initctl: 4, signal: 8, paravirt: 16 } as const;
export type ShutdownMode = 'acpi' | 'agent';
