/**
 * The xenstore interface the toolstack, the device model and scripted guests
 * use, and `MiniXenstore`, a small in-process implementation of it.
 * src/xen-hvm/xenstore/ is the full xenstored (wire protocol, socket, rings);
 * xs-adapter.ts plugs it in behind the same interface when present.
 *
 * Watch events are queued and delivered by `pump()`, never from inside the
 * write that caused them, as xenstored sends them as separate messages.
 * @releaseDomain follows cxenstored `domain_cleanup`: on VIRQ_DOM_EXC every
 * introduced domain is looked up; the first time one is seen shut down (or
 * dying) the watch fires once, and a domain that is dying or gone is released,
 * which fires it again.
 */
export type WatchCallback = (path: string, token: string) => void;

export interface XsClient {
  readonly domid: number;
  read(path: string): string | null;
  write(path: string, value: string): void;
  rm(path: string): void;
  directory(path: string): string[];
  watch(path: string, token: string, cb: WatchCallback): () => void;
  /** Run `fn` inside a transaction, retrying on EAGAIN; returns its result. */
  transaction<T>(fn: (tx: XsClient) => T): T;
}

/** A guest's xenstore ring: the page in its RAM, and how to notify its event channel. */
export interface XsGuestRing {
  mfn: number;
  port: number;
  page: Uint8Array;
  notify: () => void;
}

export interface XsDomainState {
  /** XEN_DOMINF_shutdown or XEN_DOMINF_dying set. */
  shutdownOrDying: boolean;
  dying: boolean;
}

export interface XsServer {
  client(domid: number): XsClient;
  /** XS_INTRODUCE: fires @introduceDomain. With `ring`, the guest talks to xenstored through that page. */
  introduceDomain(domid: number, ring?: XsGuestRing): void;
  /** The guest kicked its xenstore event channel (optional: only servers with rings). */
  guestKick?(domid: number): void;
  /** VIRQ_DOM_EXC arrived. */
  domExc(): void;
  /** libxl's directory layout and permissions for a new domain (optional: MiniXenstore has no permissions). */
  prepareDomain?(domid: number, name: string, hvm: boolean): void;
  /** libxl's xenstore cleanup on destroy (/local/domain/N, /vm/UUID, /libxl/N). */
  removeDomain?(domid: number): void;
  /** Deliver queued watch events. Returns how many were delivered. */
  pump(): number;
  readonly idle: boolean;
}

interface Watch { domid: number; path: string; token: string; cb: WatchCallback }

export class MiniXenstore implements XsServer {
  private readonly nodes = new Map<string, string>([['/', ''], ['/local', ''], ['/local/domain', '']]);
  private readonly watches: Watch[] = [];
  private readonly queue: { w: Watch; path: string }[] = [];
  private readonly introduced = new Map<number, { shutdown: boolean }>();
  /** Paths of every watch event fired, in order (for timelines). */
  readonly fired: { path: string; token: string; domid: number }[] = [];

  constructor(private readonly domainState: (domid: number) => XsDomainState | undefined) {}

  get idle(): boolean {
    return this.queue.length === 0;
  }

  client(domid: number): XsClient {
    const self = this;
    const abs = (p: string): string => (p.startsWith('/') || p.startsWith('@') ? p : `/local/domain/${domid}/${p}`);
    const c: XsClient = {
      domid,
      read: (p) => self.nodes.get(abs(p)) ?? null,
      write: (p, v) => self.write(abs(p), v),
      rm: (p) => self.rm(abs(p)),
      directory: (p) => {
        const base = abs(p).replace(/\/$/, '');
        const out = new Set<string>();
        for (const k of self.nodes.keys()) if (k.startsWith(base + '/')) out.add(k.slice(base.length + 1).split('/')[0]!);
        return [...out];
      },
      watch: (p, token, cb) => {
        const w: Watch = { domid, path: abs(p), token, cb };
        self.watches.push(w);
        self.queue.push({ w, path: w.path }); // registering a watch fires it once
        return () => {
          const i = self.watches.indexOf(w);
          if (i >= 0) self.watches.splice(i, 1);
        };
      },
      // Single-threaded store: a transaction cannot conflict, so it never sees EAGAIN.
      transaction: (fn) => fn(c),
    };
    return c;
  }

  private write(path: string, value: string): void {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const p = '/' + parts.slice(0, i).join('/');
      if (!this.nodes.has(p)) this.nodes.set(p, '');
    }
    this.nodes.set(path, value);
    this.fire(path);
  }

  private rm(path: string): void {
    let hit = false;
    for (const k of [...this.nodes.keys()]) {
      if (k === path || k.startsWith(path + '/')) {
        this.nodes.delete(k);
        hit = true;
      }
    }
    if (hit) this.fire(path);
  }

  private fire(path: string): void {
    for (const w of this.watches) {
      const special = path.startsWith('@');
      if (special ? w.path === path : path === w.path || path.startsWith(w.path + '/') || w.path.startsWith(path + '/')) {
        this.queue.push({ w, path: path.startsWith(w.path) ? path : w.path });
      }
    }
  }

  introduceDomain(domid: number): void {
    this.introduced.set(domid, { shutdown: false });
    this.fire('@introduceDomain');
  }

  domExc(): void {
    let notify = false;
    for (const [domid, dom] of [...this.introduced]) {
      const st = this.domainState(domid);
      if (st) {
        if (st.shutdownOrDying && !dom.shutdown) {
          dom.shutdown = true;
          notify = true;
        }
        if (!st.dying) continue;
      }
      // Released: destroy_domain fires @releaseDomain itself.
      this.introduced.delete(domid);
      this.fire('@releaseDomain');
      notify = false;
    }
    if (notify) this.fire('@releaseDomain');
  }

  pump(): number {
    let n = 0;
    while (this.queue.length > 0 && n < 10_000) {
      const { w, path } = this.queue.shift()!;
      if (!this.watches.includes(w)) continue;
      this.fired.push({ path, token: w.token, domid: w.domid });
      n++;
      w.cb(path, w.token);
    }
    return n;
  }
}
