/**
 * "Who shut this VM down?" Every request that changes the run state carries
 * a link: who acted, by what mechanism, with what evidence. Links are recorded
 * when the thing happens, never reconstructed later from timestamps
 * (kubevirt/kubevirt#18948 is what inference gets wrong).
 *
 * A link is recorded only for something that acted. A request that changed
 * nothing (`cont` while running, an agent command the agent refused) goes to
 * the separate request log (`requests`), so the chain never lists it.
 */

/**
 * Who acted. `guest`: guest instructions executed the access (the evidence has the instruction count and the
 * CS:EIP of the OUT), or a qtest player standing in for the guest (evidence `origin: 'qtest'`, as in QEMU's
 * qtest). `agent`: host code writing the guest's ports on the guest's behalf (acpidm's modelled guest agent);
 * the guest kernel never ran. `host`: a management request (QMP, signal, toolstack). `hypervisor`: the machine
 * or hypervisor itself (PIIX4 latching a press, Xen's "All CPUs offline").
 */
export type Requester = 'guest' | 'agent' | 'host' | 'hypervisor';

export type Mechanism =
  | 'pm1a-cnt'           // SLP_TYP|SLP_EN written to PM1a_CNT
  | 'acpi-power-button'  // host pressed the power button
  | 'reset-cf9' | 'reset-kbc' | 'reset-port92' | 'triple-fault'
  | 'qmp' | 'signal' | 'lifecycle' | 'agent'
  | 'xenstore-control' | 'schedop-shutdown' | 'dmop-remote-shutdown' | 'schedop-remote-shutdown' | 'hlt-all-cpus'
  | 'domctl-destroy' | 'timeout' | 'wakeup' | 'other';

export type Evidence = Readonly<Record<string, string | number | boolean>>;

export interface CauseLink {
  /** Monotonic id inside one machine, so later links can name the request they answered. */
  readonly id: number;
  readonly requester: Requester;
  readonly mechanism: Mechanism;
  /** What happened, in a few words: `outw 0x604 <== 0x2001 (S5)`, `system_powerdown`. */
  readonly what: string;
  /** Port, value, decoded sleep type, instruction count, CS:EIP, ioreq slot, hypercall ... */
  readonly evidence?: Evidence;
  /** Id of the link this one answered (the guest's S5 answers the host's power-button press); absent = answers none. */
  readonly answers?: number;
  /** Virtual time in ns. */
  readonly t: number;
}

/** A host request that changed nothing (kept apart from the chain). */
export interface RequestRecord {
  readonly id: number;
  readonly requester: Requester;
  readonly mechanism: Mechanism;
  readonly what: string;
  /** Why it is not a link: `already running`, `CommandNotFound: ...`. */
  readonly outcome: string;
  readonly evidence?: Evidence;
  readonly t: number;
}

export class CauseChain {
  private nextId = 1;
  readonly links: CauseLink[] = [];
  /** Requests that changed nothing, oldest first (bounded: the oldest half goes when full). */
  readonly requests: RequestRecord[] = [];
  private static readonly MAX_REQUESTS = 4096;

  add(link: Omit<CauseLink, 'id'>): CauseLink {
    const l: CauseLink = { id: this.nextId++, ...link };
    this.links.push(l);
    return l;
  }

  /** Log a request that changed nothing (it gets an id from the same counter, but is not a link). */
  request(r: Omit<RequestRecord, 'id'>): RequestRecord {
    const rec: RequestRecord = { id: this.nextId++, ...r };
    if (this.requests.length >= CauseChain.MAX_REQUESTS) this.requests.splice(0, CauseChain.MAX_REQUESTS >> 1);
    this.requests.push(rec);
    return rec;
  }

  /**
   * Move a link that turned out to change nothing (no later link answers it) to the request log.
   * Returns false (and keeps it) when something already answers it.
   */
  retract(link: CauseLink, outcome: string): boolean {
    const i = this.links.lastIndexOf(link);
    if (i < 0 || this.links.some((l) => l.answers === link.id)) return false;
    this.links.splice(i, 1);
    if (this.requests.length >= CauseChain.MAX_REQUESTS) this.requests.splice(0, CauseChain.MAX_REQUESTS >> 1);
    this.requests.push({
      id: link.id, requester: link.requester, mechanism: link.mechanism, what: link.what, outcome, t: link.t,
      ...(link.evidence ? { evidence: link.evidence } : {}),
    });
    return true;
  }

  byId(id: number | undefined): CauseLink | undefined {
    if (id === undefined) return undefined;
    // Ids grow with the index: search from the end, where look-ups usually land.
    for (let i = this.links.length - 1; i >= 0; i--) {
      const l = this.links[i]!;
      if (l.id === id) return l;
      if (l.id < id) break;
    }
    return undefined;
  }

  last(pred: (l: CauseLink) => boolean = () => true): CauseLink | undefined {
    for (let i = this.links.length - 1; i >= 0; i--) if (pred(this.links[i]!)) return this.links[i];
    return undefined;
  }

  /** The links behind `link`, root first (follows `answers`). */
  ancestry(link: CauseLink | undefined): CauseLink[] {
    const out: CauseLink[] = [];
    const seen = new Set<number>();
    let l = link;
    while (l && !seen.has(l.id)) {
      seen.add(l.id);
      out.unshift(l);
      l = this.byId(l.answers);
    }
    return out;
  }

  /** Human-readable chain, oldest first (compact: a root says nothing; `linkText` says `answers none`). */
  describe(): string[] {
    return this.links.map((l) => `#${l.id} ${l.requester} via ${l.mechanism}: ${l.what}${l.answers !== undefined ? ` (answers #${l.answers})` : ''}`);
  }
}

/** One link in words: `#3 guest via pm1a-cnt: outw 0x0604 <== 0x2001 (S5) (answers #1)`; `(answers none)` for a root. */
export function linkText(l: CauseLink): string {
  return `#${l.id} ${l.requester} via ${l.mechanism}: ${l.what} (answers ${l.answers !== undefined ? `#${l.answers}` : 'none'})`;
}
