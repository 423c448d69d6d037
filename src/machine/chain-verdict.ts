/**
 * The verdict where there is no QMP event log, only a cause chain: Xen mode,
 * where the host (hypervisor, qemu-dm, libxl) holds one chain per domain.
 * Same phrases as verdict.ts, so `acpidm run --xen` and `xl` say it the way
 * the QEMU-mode clients do.
 *
 * Which link decides: the last one that is not the toolstack's clean-up of a
 * shutdown already decided (a `domctl-destroy` that answers another link:
 * xl's on_poweroff/on_reboot action); that clean-up is kept as `followUp`.
 */
import type { CauseLink } from './cause-chain.js';
import { phrase } from './verdict.js';

export interface ChainVerdict {
  readonly kind: 'verdict';
  /** Domain name or id the chain belongs to. */
  readonly domain?: string;
  /** The caller's classification (Xen mode: the teardown cause, e.g. `guest-acpi-poweroff`). */
  readonly outcome: string;
  /** Root first. */
  readonly chain: readonly CauseLink[];
  readonly followUp: readonly CauseLink[];
  readonly sentence: string;
}

function ancestry(links: readonly CauseLink[], l: CauseLink | undefined): CauseLink[] {
  const byId = new Map(links.map((x) => [x.id, x]));
  const out: CauseLink[] = [];
  const seen = new Set<number>();
  while (l && !seen.has(l.id)) {
    seen.add(l.id);
    out.unshift(l);
    l = l.answers === undefined ? undefined : byId.get(l.answers);
  }
  return out;
}

/**
 * `head`: what happened in words (`rebooted [xl: DOMAIN_SHUTDOWN reason 1 (reboot)]`); `tail`: how the run ended,
 * appended after a `;`.
 */
export function chainVerdict(links: readonly CauseLink[], o: { outcome: string; head: string; domain?: string; tail?: string }): ChainVerdict {
  const cleanUp = (l: CauseLink) => l.mechanism === 'domctl-destroy' && l.answers !== undefined;
  let at = -1;
  for (let i = links.length - 1; i >= 0; i--) if (!cleanUp(links[i]!)) { at = i; break; }
  const decisive = at >= 0 ? links[at] : links.at(-1);
  const chain = ancestry(links, decisive);
  const followUp = links.filter((l, i) => i > at && cleanUp(l));
  let who = '';
  if (chain.length) {
    who = ` by ${[...chain].reverse().map(phrase).join(', answering ')}`;
    if (chain.length === 1) who += ', answering none';
  }
  const then = followUp.map((l) => `; then ${phrase(l)}`).join('');
  const sentence = `${o.domain ? `${o.domain}: ` : ''}${o.head}${who}${then}${o.tail ? `; ${o.tail}` : ''}`;
  return { kind: 'verdict', ...(o.domain ? { domain: o.domain } : {}), outcome: o.outcome, chain, followUp, sentence };
}

/** A chain's shape without its domain ids (`d12`, `(12)`): equal keys fold into one `×N` line. */
export function chainShapeKey(links: readonly CauseLink[]): string {
  return links.map((l) => `${l.requester}|${l.mechanism}|${l.what.replace(/\bd\d+\b/g, 'dN').replace(/\(\d+\)/g, '(N)')}`).join('>');
}
