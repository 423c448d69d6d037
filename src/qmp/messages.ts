/** QMP wire messages (docs/interop/qmp-spec.rst) and what in-process listeners get besides. */
import type { CauseLink } from '../machine/cause-chain.js';
import type { JsonValue } from './json-stream.js';
import type { QmpErrorClass } from './errors.js';

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}
export interface QmpReturn {
  return: JsonValue;
  id?: JsonValue;
}
export interface QmpErrorReply {
  error: { class: QmpErrorClass; desc: string };
  id?: JsonValue;
}
export interface QmpEventMsg {
  event: string;
  data?: { [k: string]: JsonValue };
  timestamp: { seconds: number; microseconds: number };
}
export type QmpMessage = QmpGreeting | QmpReturn | QmpErrorReply | QmpEventMsg;

/** Not on the wire: the cause link behind an event, and its chain back to the first request (root first). */
export interface EventCause {
  readonly link?: CauseLink;
  readonly chain: readonly CauseLink[];
}

/** One connection's output side. */
export interface SessionIo {
  send(msg: QmpMessage, cause?: EventCause): void;
  close(): void;
}

/** QMP serialisation: one JSON object per line, CRLF (monitor/qmp.c qmp_send_response). */
export function toLine(msg: QmpMessage): string {
  return JSON.stringify(msg) + '\r\n';
}

export const isEvent = (m: QmpMessage): m is QmpEventMsg => 'event' in m;
export const isReply = (m: QmpMessage): m is QmpReturn | QmpErrorReply => 'return' in m || 'error' in m;
