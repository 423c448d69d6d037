/**
 * One domain's answer to "who took it down", from the chain the host holds for it (src/machine/chain-verdict.ts
 * renders it in the words QEMU mode uses): `acpidm run --xen`'s summary and `acpidm xl cause DOM` print this.
 */
import { chainVerdict, type ChainVerdict } from '../machine/chain-verdict.js';
import type { DomRecord, LibxlEvent } from './libxl.js';
import { classifyTeardown } from './teardown-cause.js';

/** Xen public/sched.h SHUTDOWN_* codes. */
const XEN_REASONS = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'];

/** What xl/libxl reported for one domain: `DOMAIN_SHUTDOWN reason 0 (poweroff), DOMAIN_DEATH`, `DOMAIN_DEATH only`. */
export function xlAnswer(events: readonly LibxlEvent[]): string {
  if (!events.length) return 'no libxl event';
  const sd = events.find((e) => e.type === 'DOMAIN_SHUTDOWN');
  if (!sd || sd.type !== 'DOMAIN_SHUTDOWN') return 'DOMAIN_DEATH only';
  return `DOMAIN_SHUTDOWN reason ${sd.reason} (${XEN_REASONS[sd.reason] ?? 'unknown'})${events.some((e) => e.type === 'DOMAIN_DEATH') ? ', DOMAIN_DEATH' : ''}`;
}

export function domainVerdict(rec: DomRecord, tail?: string): ChainVerdict {
  const outcome = classifyTeardown(rec.hd.chain);
  return chainVerdict(rec.hd.chain.links, {
    outcome, head: `${outcome} [xl: ${xlAnswer(rec.events)}]`, domain: `d${rec.domid} "${rec.name}"`, ...(tail ? { tail } : {}),
  });
}
