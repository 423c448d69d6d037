/**
 * One xenstored connection: who it is (domid, privilege), its watches and open transactions,
 * its queue of outgoing messages, and the byte-stream framer that turns socket or ring bytes
 * into messages (xenstored_core.c handle_input).
 */
import type { XsTransaction } from './xs-store.js';
import { XENSTORE_PAYLOAD_MAX, XSD_SOCKMSG_SIZE, type XsHeader, readHeader } from './xs-wire.js';

/** Where a connection's outgoing messages go. */
export interface XsTransport {
  /**
   * Take one encoded message (header + payload). Return false if it cannot be accepted now
   * (a full ring): the message stays queued and is offered again on the next pump.
   */
  deliver(msg: Uint8Array): boolean;
  /** xenstored gave up on this connection (XENSTORE_ERROR_* code). Sockets close; rings set `error`. */
  abandon?(err: number): void;
}

export interface XsWatch {
  /** Absolute path or special name ("@releaseDomain", "@releaseDomain/5"). */
  readonly node: string;
  readonly token: string;
  /** Implicit path the client used ("/local/domain/N") when it registered a relative path. */
  readonly relative: string | undefined;
  /** Optional depth (XS_WATCH third argument): levels below `node` that still match. */
  readonly depth: number | undefined;
}

export type MessageSink = (conn: XsConnection, hdr: XsHeader, payload: Uint8Array) => void;

let nextConnId = 1;

export class XsConnection {
  readonly connId = nextConnId++;
  readonly watches: XsWatch[] = [];
  readonly transactions = new Map<number, XsTransaction>();
  nextTransactionId = 1;
  /** Encoded messages waiting for the transport (replies in order, watch events interleaved). */
  readonly out: Uint8Array[] = [];
  /** Set once xenstored stops talking to this connection (bad framing, bad ring indexes). */
  ignored = false;
  closed = false;
  /** XS_SET_TARGET: this domain may act for `target` (a stub device model for its guest). */
  target: number | undefined;

  private readonly hdrBuf = new Uint8Array(XSD_SOCKMSG_SIZE);
  private hdrUsed = 0;
  private hdr: XsHeader | undefined;
  private body: Uint8Array = new Uint8Array(0);
  private bodyUsed = 0;

  constructor(
    readonly domid: number,
    readonly privileged: boolean,
    readonly transport: XsTransport,
    /** The implicit path relative names resolve against. */
    readonly home = `/local/domain/${domid}`,
  ) {}

  /**
   * Feed raw bytes; complete messages go to `sink`. Returns false on a protocol violation
   * (len > XENSTORE_PAYLOAD_MAX: xenstored logs "Client tried to feed us %i" and drops the client).
   */
  feed(bytes: Uint8Array, sink: MessageSink): boolean {
    let i = 0;
    while (i < bytes.length && !this.ignored && !this.closed) {
      if (!this.hdr) {
        const n = Math.min(XSD_SOCKMSG_SIZE - this.hdrUsed, bytes.length - i);
        this.hdrBuf.set(bytes.subarray(i, i + n), this.hdrUsed);
        this.hdrUsed += n;
        i += n;
        if (this.hdrUsed < XSD_SOCKMSG_SIZE) break;
        const h = readHeader(this.hdrBuf);
        if (h.len > XENSTORE_PAYLOAD_MAX) return false;
        this.hdr = h;
        this.body = new Uint8Array(h.len);
        this.bodyUsed = 0;
      }
      const need = this.hdr.len - this.bodyUsed;
      const n = Math.min(need, bytes.length - i);
      this.body.set(bytes.subarray(i, i + n), this.bodyUsed);
      this.bodyUsed += n;
      i += n;
      if (this.bodyUsed === this.hdr.len) {
        const h = this.hdr;
        const body = this.body;
        this.hdr = undefined;
        this.hdrUsed = 0;
        sink(this, h, body);
      }
    }
    return true;
  }

  /** Drop any half-received message (ring reconnect). */
  resetInput(): void {
    this.hdr = undefined;
    this.hdrUsed = 0;
    this.bodyUsed = 0;
  }
}
