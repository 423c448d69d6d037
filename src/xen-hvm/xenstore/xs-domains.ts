/**
 * Introduced domains (xenstored_domain.c): XS_INTRODUCE / XS_RELEASE, the guest ring of each
 * domain, and domain_cleanup on VIRQ_DOM_EXC, which fires @releaseDomain.
 */
import type { XsConnection } from './xs-connection.js';
import { XsFail } from './xs-path.js';
import { type XsRingAttach, XsRing } from './xs-ring.js';
import type { Xenstored } from './xenstored.js';
import { defineEvent } from '../../trace/index.js';

export const traceXsIntroduce = defineEvent('xenstore', 'xenstored_domain_introduce',
  (a: { domid: number; mfn: string; port: number; ring: boolean }) => `dom${a.domid} mfn ${a.mfn} port ${a.port}${a.ring ? '' : ' (no ring)'}`);
export const traceXsCleanup = defineEvent('xenstore', 'xenstored_domain_cleanup',
  (a: { domains: number; changed: string }) => `VIRQ_DOM_EXC: rescan ${a.domains} domain(s): ${a.changed || 'nothing changed'}`);
export const traceXsRelease = defineEvent('xenstore', 'xenstored_domain_release',
  (a: { domid: number; why: string }) => `dom${a.domid} ${a.why}`);

/** The two getdomaininfo flags domain_cleanup looks at (XEN_DOMINF_shutdown, XEN_DOMINF_dying). */
export interface XsDomainInfo { readonly shutdown: boolean; readonly dying: boolean }

/** Map the ring page at `mfn` and bind the guest's event channel `port`; undefined = cannot (EINVAL). */
export type XsRingMapper = (domid: number, mfn: bigint, port: number) => XsRingAttach | undefined;

export interface XsDomain {
  readonly domid: number;
  mfn: bigint;
  port: number;
  /** Shutdown already reported through @releaseDomain. */
  shutdown: boolean;
  ring: XsRing | undefined;
  readonly conn: XsConnection | undefined;
}

export class XsDomainTable {
  private readonly table = new Map<number, XsDomain>();

  constructor(
    private readonly xs: Xenstored,
    private readonly info: ((domid: number) => XsDomainInfo | undefined) | undefined,
    private readonly mapRing: XsRingMapper | undefined,
  ) {}

  get(domid: number): XsDomain | undefined {
    return this.table.get(domid);
  }

  list(): XsDomain[] {
    return [...this.table.values()];
  }

  /**
   * do_introduce: the first introduction maps the ring and fires @introduceDomain; a second one only
   * rebinds the event channel. `ring` attaches a page directly (in-process hosts) instead of `mapRing`.
   */
  introduce(domid: number, mfn: bigint, port: number, ring?: XsRingAttach): XsDomain {
    const old = this.table.get(domid);
    if (old) {
      old.port = port;
      return old;
    }
    const attach = ring ?? this.mapRing?.(domid, mfn, port);
    if (!attach && this.mapRing && !ring) throw new XsFail('EINVAL');
    const r = attach ? new XsRing(this.xs, domid, attach) : undefined;
    const d: XsDomain = { domid, mfn, port, shutdown: false, ring: r, conn: r?.conn };
    this.table.set(domid, d);
    if (this.xs.trace?.on(traceXsIntroduce)) {
      this.xs.trace.emit(traceXsIntroduce, { domid, mfn: `0x${mfn.toString(16)}`, port, ring: r !== undefined });
    }
    this.xs.fireSpecial('@introduceDomain', [domid]);
    return d;
  }

  private destroy(d: XsDomain, why: string): void {
    d.ring?.close();
    this.table.delete(d.domid);
    if (this.xs.trace?.on(traceXsRelease)) this.xs.trace.emit(traceXsRelease, { domid: d.domid, why });
  }

  /** do_release: the toolstack is done with the domain; @releaseDomain fires. */
  release(domid: number): boolean {
    const d = this.table.get(domid);
    if (!d) return false;
    this.destroy(d, 'released');
    this.xs.fireSpecial('@releaseDomain', [domid]);
    return true;
  }

  /**
   * domain_cleanup, run on VIRQ_DOM_EXC: a domain newly shut down is reported, a dying or vanished
   * one is dropped. One plain @releaseDomain covers all of them (the watcher rescans).
   */
  cleanup(): void {
    if (!this.info) return;
    const fired: number[] = [];
    const changed: string[] = [];
    const scanned = this.table.size;
    for (const d of [...this.table.values()]) {
      const i = this.info(d.domid);
      if (i && !i.dying) {
        if (i.shutdown && !d.shutdown) {
          d.shutdown = true;
          fired.push(d.domid);
          changed.push(`dom${d.domid} shut down`);
        }
        continue;
      }
      this.destroy(d, i ? 'dying' : 'gone');
      fired.push(d.domid);
      changed.push(`dom${d.domid} ${i ? 'dying' : 'gone'}`);
    }
    if (this.xs.trace?.on(traceXsCleanup)) {
      this.xs.trace.emit(traceXsCleanup, { domains: scanned, changed: changed.length ? `${changed.join(', ')}; fire @releaseDomain` : '' });
    }
    // Xen 4.17's xenstored fires the plain @releaseDomain only (the watcher rescans); the per-domain
    // @releaseDomain/<domid> form needs XENSTORE_SERVER_FEATURE_WATCHDEPTH, a later series (fireSpecial serves both).
    if (fired.length > 0) this.xs.fireSpecial('@releaseDomain', fired);
  }
}
