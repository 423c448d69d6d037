/**
 * The full xenstored behind the small `XsServer` / `XsClient` shape the Xen host model uses
 * (src/xen-hvm/xs-port.ts, where MiniXenstore is the default). Declared structurally here so this
 * folder does not depend on the host model: `new XenstoredXsServer(domainState)` can be passed
 * wherever an `XsServer` is expected.
 *
 * Delivery is deferred: watch callbacks run only from `pump()`, as the host's event loop expects.
 */
import { XsClient, XsError } from './xs-client.js';
import { Xenstored, type XenstoredOptions } from './xenstored.js';

export type PortWatchCallback = (path: string, token: string) => void;

/** The client shape of xs-port.ts: null for unreadable nodes, errors only where libxl reports them. */
export interface PortClient {
  readonly domid: number;
  read(path: string): string | null;
  write(path: string, value: string): void;
  rm(path: string): void;
  directory(path: string): string[];
  watch(path: string, token: string, cb: PortWatchCallback): () => void;
  transaction<T>(fn: (tx: PortClient) => T): T;
}

/** What the host reports for a domain (xs-port.ts XsDomainState). */
export interface PortDomainState { shutdownOrDying: boolean; dying: boolean }

function portClient(c: XsClient, fired: { path: string; token: string; domid: number }[], tx = 0): PortClient {
  const self: PortClient = {
    domid: c.conn.domid,
    // libxl__xs_read: NULL for any failure (ENOENT, EACCES...).
    read: (p) => {
      try {
        return c.read(p, tx);
      } catch (e) {
        if (e instanceof XsError) return null;
        throw e;
      }
    },
    write: (p, v) => c.write(p, v, tx),
    rm: (p) => {
      try {
        c.rm(p, tx);
      } catch (e) {
        if (!(e instanceof XsError) || e.errno !== 'ENOENT') throw e;
      }
    },
    directory: (p) => {
      try {
        return c.directory(p, tx);
      } catch (e) {
        if (e instanceof XsError) return [];
        throw e;
      }
    },
    watch: (p, token, cb) => {
      c.watch(p, token, (path, tok) => {
        fired.push({ path, token: tok, domid: c.conn.domid });
        cb(path, tok);
      });
      return () => {
        try {
          c.unwatch(p, token);
        } catch (e) {
          if (!(e instanceof XsError)) throw e;
        }
      };
    },
    transaction: (fn) => (tx !== 0 ? fn(self) : c.transaction((t) => fn(portClient(c, fired, t)))),
  };
  return self;
}

export class XenstoredXsServer {
  readonly xs: Xenstored;
  /** Every watch event delivered to a port client, in order (for timelines). */
  readonly fired: { path: string; token: string; domid: number }[] = [];
  private readonly clients = new Map<number, PortClient>();

  constructor(domainState: (domid: number) => PortDomainState | undefined, opts: Omit<XenstoredOptions, 'domainInfo' | 'deferDelivery'> = {}) {
    this.xs = new Xenstored({
      ...opts,
      deferDelivery: true,
      domainInfo: (domid) => {
        const s = domainState(domid);
        return s && { shutdown: s.shutdownOrDying, dying: s.dying };
      },
    });
  }

  /** One connection per domid: dom0 privileged, guests with their own permissions. */
  client(domid: number): PortClient {
    let c = this.clients.get(domid);
    if (!c) {
      c = portClient(new XsClient(this.xs, domid), this.fired);
      this.clients.set(domid, c);
    }
    return c;
  }

  /** XS_INTRODUCE (no ring attached; use `xs.introduceDomain(domid, { ring })` for a guest ring). */
  introduceDomain(domid: number): void {
    this.xs.introduceDomain(domid);
  }

  /** VIRQ_DOM_EXC arrived. */
  domExc(): void {
    this.xs.virqDomExc();
  }

  pump(): number {
    return this.xs.pump();
  }

  get idle(): boolean {
    return this.xs.idle;
  }
}
