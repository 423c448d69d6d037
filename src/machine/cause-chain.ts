/**
 * "Who shut this VM down?" Every request that changes the run state carries
 * a link: who asked, by what mechanism, with what evidence. Links are recorded
 * when the thing happens, never reconstructed later from timestamps
 * (kubevirt/kubevirt#18948 is what inference gets wrong).
 */
export type Requester = 'guest' | 'host' | 'hypervisor';

export type Mechanism =
  | 'pm1a-cnt'           // guest wrote SLP_TYP|SLP_EN
  | 'acpi-power-button'  // host pressed the power button
  | 'reset-cf9' | 'reset-kbc' | 'reset-port92' | 'triple-fault'
  | 'qmp' | 'signal' | 'lifecycle' | 'agent'
  | 'xenstore-control' | 'schedop-shutdown' | 'dmop-remote-shutdown' | 'hlt-all-cpus'
  | 'domctl-destroy' | 'timeout' | 'wakeup' | 'other';

export interface CauseLink {
  /** Monotonic id inside one machine, so later links can name the request they answered. */
  readonly id: number;
  readonly requester: Requester;
  readonly mechanism: Mechanism;
  /** What happened, in a few words: `outw 0x604 <== 0x2001 (S5)`, `system_powerdown`. */
  readonly what: string;
  /** Port, value, decoded sleep type, instruction count, ioreq slot, hypercall ... */
  readonly evidence?: Readonly<Record<string, string | number | boolean>>;
  /** Id of the link this one answered (the guest's S5 answers the host's power-button press). */
  readonly answers?: number;
  /** Virtual time in ns. */
  readonly t: number;
}

export class CauseChain {
  private nextId = 1;
  readonly links: CauseLink[] = [];

  add(link: Omit<CauseLink, 'id'>): CauseLink {
    const l: CauseLink = { id: this.nextId++, ...link };
    this.links.push(l);
    return l;
  }

  last(pred: (l: CauseLink) => boolean = () => true): CauseLink | undefined {
    for (let i = this.links.length - 1; i >= 0; i--) if (pred(this.links[i]!)) return this.links[i];
    return undefined;
  }

  /** Human-readable chain, oldest first. */
  describe(): string[] {
    return this.links.map((l) =>
      `#${l.id} ${l.requester} via ${l.mechanism}: ${l.what}${l.answers ? ` (answers #${l.answers})` : ''}`);
  }
}
