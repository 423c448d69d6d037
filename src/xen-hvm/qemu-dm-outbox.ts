/**
 * What a qemu-dm in a worker tells the host: log lines, cause records and the
 * trace events the host asked for, as records in a single-producer /
 * single-consumer byte ring on a SharedArrayBuffer (the DM writes, dom0
 * reads). The host drains it before it services each DM hypercall and before
 * it completes each ioreq, so DM records land in the host's log, cause chain
 * and trace in the same order as with the in-thread DM.
 *
 *   Int32 [0] write position, [1] read position, [2] records dropped (ring full)
 *   bytes [16, 16 + OUTBOX_BYTES): records = u32 length + UTF-8 JSON, wrapping
 */
import { eventCatalogue, type EventDef, type Trace, type TraceRecord } from '../trace/trace.js';
import type { DestroyWhy, QemuDmSink } from './qemu-dm-model.js';

export const OUTBOX_BYTES = 1 << 16;
const HDR = 16;
const W = 0;
const R = 1;
const DROPPED = 2;
const MASK = OUTBOX_BYTES - 1;

export function createOutboxBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HDR + OUTBOX_BYTES);
}

/** One record: a sink call, or a trace event. */
type OutboxRecord =
  | ['log', string]
  | ['sleep', 'S3' | 'S4' | 'S5', number, number, number, number]
  | ['reset', 'reset-cf9' | 'reset-kbc', number, number]
  | ['issued', boolean, string, number, DestroyWhy]
  | ['fatal', string, string]
  | ['serial', string]
  | ['trace', string, Record<string, unknown>];

export class OutboxWriter implements QemuDmSink {
  private readonly h: Int32Array;
  private readonly u8: Uint8Array;
  private readonly enc = new TextEncoder();

  constructor(buf: SharedArrayBuffer) {
    this.h = new Int32Array(buf, 0, 4);
    this.u8 = new Uint8Array(buf, HDR, OUTBOX_BYTES);
  }

  private put(rec: OutboxRecord): void {
    const bytes = this.enc.encode(JSON.stringify(rec));
    const n = 4 + bytes.length;
    const w = Atomics.load(this.h, W);
    const r = Atomics.load(this.h, R);
    if (OUTBOX_BYTES - ((w - r) | 0) < n) {
      Atomics.add(this.h, DROPPED, 1);
      return;
    }
    const len = bytes.length;
    for (let i = 0; i < 4; i++) this.u8[(w + i) & MASK] = (len >>> (8 * i)) & 0xff;
    for (let i = 0; i < len; i++) this.u8[(w + 4 + i) & MASK] = bytes[i]!;
    Atomics.store(this.h, W, (w + n) | 0); // contents first, then the position (seq-cst store)
  }

  log(line: string): void { this.put(['log', line]); }
  sleep(kind: 'S3' | 'S4' | 'S5', typ: number, value: number, port: number, vcpu: number): void { this.put(['sleep', kind, typ, value, port, vcpu]); }
  reset(mechanism: 'reset-cf9' | 'reset-kbc', port: number, value: number): void { this.put(['reset', mechanism, port, value]); }
  issued(reboot: boolean, via: string, reason: number, why: DestroyWhy): void { this.put(['issued', reboot, via, reason, why]); }
  fatal(code: string, message: string): void { this.put(['fatal', code, message]); }
  serial(text: string): void { this.put(['serial', text]); }
  trace(rec: TraceRecord): void { this.put(['trace', rec.name, rec.args as Record<string, unknown>]); }
}

export class OutboxReader {
  private readonly h: Int32Array;
  private readonly u8: Uint8Array;
  private readonly dec = new TextDecoder();
  private readonly defs = new Map<string, EventDef<never>>();

  constructor(buf: SharedArrayBuffer) {
    this.h = new Int32Array(buf, 0, 4);
    this.u8 = new Uint8Array(buf, HDR, OUTBOX_BYTES);
  }

  /** Records lost because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.h, DROPPED);
  }

  /** Replay every record written so far into `sink` and `trace`. Returns how many. */
  drain(sink: QemuDmSink, trace: Trace): number {
    let r = Atomics.load(this.h, R);
    const w = Atomics.load(this.h, W); // seq-cst load, then the contents
    let n = 0;
    while (r !== w) {
      let len = 0;
      for (let i = 0; i < 4; i++) len |= this.u8[(r + i) & MASK]! << (8 * i);
      const bytes = new Uint8Array(len); // TextDecoder refuses shared memory: copy out
      for (let i = 0; i < len; i++) bytes[i] = this.u8[(r + 4 + i) & MASK]!;
      r = (r + 4 + len) | 0;
      this.apply(JSON.parse(this.dec.decode(bytes)) as OutboxRecord, sink, trace);
      n++;
    }
    Atomics.store(this.h, R, r);
    return n;
  }

  private apply(rec: OutboxRecord, sink: QemuDmSink, trace: Trace): void {
    switch (rec[0]) {
      case 'log': return sink.log(rec[1]);
      case 'sleep': return sink.sleep(rec[1], rec[2], rec[3], rec[4], rec[5]);
      case 'reset': return sink.reset(rec[1], rec[2], rec[3]);
      case 'issued': return sink.issued(rec[1], rec[2], rec[3], rec[4]);
      case 'fatal': return sink.fatal(rec[1], rec[2]);
      case 'serial': return sink.serial(rec[1]);
      case 'trace': {
        let def = this.defs.get(rec[1]);
        if (!def) {
          def = eventCatalogue().find((d) => d.name === rec[1]);
          if (!def) return; // an event this side never declared
          this.defs.set(rec[1], def);
        }
        trace.emit(def as EventDef<object>, rec[2]); // stamped with the host's (virtual) time
        return;
      }
    }
  }
}
