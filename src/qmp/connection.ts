/**
 * A QMP client connection, the same shape in-process and over a socket, so the
 * lifecycle manager (libvirt's part) drives a VM the way libvirt drives QEMU.
 */
import { QmpError, type QmpErrorClass } from './errors.js';
import type { JsonValue } from './json-stream.js';
import type { EventCause, QmpEventMsg, QmpMessage } from './messages.js';
import type { QmpMonitor, QmpSession } from './monitor.js';

export type EventListener = (ev: QmpEventMsg, cause?: EventCause) => void;

export interface QmpConnection {
  /** Send one command; resolves with `return`, rejects with QmpError. */
  execute<T = JsonValue>(command: string, args?: { [k: string]: JsonValue }): Promise<T>;
  onEvent(fn: EventListener): () => void;
  /** The other side hung up (the VM exited or was destroyed). */
  onClose(fn: () => void): void;
  readonly closed: boolean;
  close(): void;
}

/** Shared reply matching by `id` and event fan-out. */
export class ConnectionCore {
  private nextId = 1;
  private readonly pending = new Map<string, { resolve(v: JsonValue): void; reject(e: Error): void }>();
  private readonly listeners: EventListener[] = [];
  private readonly closeListeners: (() => void)[] = [];
  closed = false;

  newRequest(): { id: string; done: Promise<JsonValue> } {
    const id = `acpidm-${this.nextId++}`;
    const done = new Promise<JsonValue>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    return { id, done };
  }

  deliver(msg: QmpMessage, cause?: EventCause): void {
    if ('event' in msg) {
      for (const fn of this.listeners.slice()) fn(msg, cause);
      return;
    }
    if (!('return' in msg) && !('error' in msg)) return;
    const key = typeof msg.id === 'string' ? msg.id : '';
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    if ('error' in msg) p.reject(new QmpError(msg.error.class as QmpErrorClass, msg.error.desc));
    else p.resolve(msg.return);
  }

  onEvent(fn: EventListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  hangup(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new QmpError('GenericError', 'QMP connection closed'));
    this.pending.clear();
    for (const fn of this.closeListeners) fn();
  }

  /** The client-facing connection over a transport: `send` carries one command, `close` ends the transport. */
  connection(send: (cmd: { execute: string; arguments?: { [k: string]: JsonValue }; id: string }) => void, close: () => void): QmpConnection {
    const core = this;
    return {
      execute<T>(command: string, args?: { [k: string]: JsonValue }): Promise<T> {
        if (core.closed) return Promise.reject(new QmpError('GenericError', 'QMP connection closed'));
        const { id, done } = core.newRequest();
        send({ execute: command, ...(args ? { arguments: args } : {}), id });
        return done as Promise<T>;
      },
      onEvent: (fn) => core.onEvent(fn),
      onClose: (fn) => core.onClose(fn),
      get closed() {
        return core.closed;
      },
      close: () => {
        close();
        core.hangup();
      },
    };
  }
}

/** An in-process client: negotiated at once; events carry their cause chain. */
export function connectInProcess(monitor: QmpMonitor): QmpConnection {
  const core = new ConnectionCore();
  const session: QmpSession = monitor.connect({ send: (m, c) => core.deliver(m, c), close: () => core.hangup() });
  session.request({ execute: 'qmp_capabilities' });
  return core.connection((cmd) => session.request(cmd), () => session.disconnect());
}
