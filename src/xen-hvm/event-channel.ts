/**
 * Event channels, the part acpidm needs (Xen xen/common/event_channel.c):
 * per-domain port tables, unbound ports a peer binds interdomain, global
 * VIRQs bound by dom0, and `send` setting the remote port pending.
 *
 * Delivery is not a direct call: a send sets the remote port's pending bit
 * and queues the port once. Several sends before the consumer runs coalesce
 * into one upcall, as they do in Xen (VIRQ_DOM_EXC fired three times may be
 * seen once by xenstored, which then rescans every domain anyway).
 * `xenConsumer` ports (the ioreq ports Xen itself waits on) are handled at
 * once, because that is Xen code, not a domain that has to be scheduled.
 */
import { EINVAL } from './xen-abi.js';

export type PortHandler = (port: number) => void;

export interface EvtchnPort {
  state: 'free' | 'unbound' | 'interdomain' | 'virq';
  remoteDom: number;
  remotePort: number;
  virq: number;
  pending: boolean;
  masked: boolean;
  /** A dom0 process (xenstored, qemu-dm) listening on this port; runs from the host's event pump. */
  handler: PortHandler | null;
  /** Xen itself consumes this port (ioreq completion wakes the vCPU). Runs synchronously. */
  xenConsumer: PortHandler | null;
}

export class EventChannelTable {
  readonly ports: EvtchnPort[] = [freePort()]; // port 0 is never valid

  alloc(): number {
    for (let p = 1; p < this.ports.length; p++) if (this.ports[p]!.state === 'free') return p;
    this.ports.push(freePort());
    return this.ports.length - 1;
  }

  get(port: number): EvtchnPort | null {
    if (!Number.isInteger(port) || port <= 0 || port >= this.ports.length) return null;
    const p = this.ports[port]!;
    return p.state === 'free' ? null : p;
  }

  closeAll(): void {
    for (let i = 1; i < this.ports.length; i++) this.ports[i] = freePort();
  }
}

function freePort(): EvtchnPort {
  return { state: 'free', remoteDom: -1, remotePort: 0, virq: -1, pending: false, masked: false, handler: null, xenConsumer: null };
}

/** The event delivery queue of the whole host (dom0's upcalls). */
export class EventPump {
  private readonly queue: { table: EventChannelTable; port: number }[] = [];

  raise(table: EventChannelTable, port: number): void {
    const p = table.ports[port]!;
    if (p.xenConsumer) {
      p.xenConsumer(port);
      return;
    }
    if (p.pending) return; // coalesces with the upcall already queued
    p.pending = true;
    if (!p.masked && p.handler) this.queue.push({ table, port });
  }

  /** Unmask a port; a pending event is delivered now (Xen evtchn_unmask). */
  unmask(table: EventChannelTable, port: number): void {
    const p = table.ports[port];
    if (!p) return;
    p.masked = false;
    if (p.pending && p.handler) this.queue.push({ table, port });
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /**
   * Run queued upcalls until none are left (bounded). With `only`, deliver just
   * the upcalls for that table (an in-thread device model draining its own
   * ports); the others stay queued in order. Returns how many ran.
   */
  drain(limit = 10_000, only?: (table: EventChannelTable) => boolean): number {
    let n = 0;
    for (let i = 0; i < this.queue.length && n < limit;) {
      const { table, port } = this.queue[i]!;
      if (only && !only(table)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      const p = table.ports[port];
      if (!p || !p.pending || !p.handler) continue;
      p.pending = false; // the consumer clears pending, then handles
      n++;
      p.handler(port);
    }
    return n;
  }
}

export const EVTCHN_EINVAL = -EINVAL;
