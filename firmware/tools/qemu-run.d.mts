// Types for qemu-run.mjs (plain Node so that the recorder runs without a build step).
export interface QmpEvent { event: string; data?: Record<string, unknown> }
export type ScenarioStep =
  | { waitOutput: string }
  | { waitEvent: string }
  | { execute: string; arguments?: Record<string, unknown> }
  | { waitExit: true };
export interface QemuRunResult {
  debugcon: string;
  events: QmpEvent[];
  replies: { command: string; reply: unknown }[];
  exitCode: number | string | null;
  timedOut: boolean;
  stderr: string;
}
export const QEMU_BIN: string;
export function qemuAvailable(): boolean;
export function qemuVersion(): string | null;
export function qemuArgs(kernel: string, debugcon: string, qmpSock: string, opts?: { machine?: string; args?: readonly string[]; reboot?: boolean }): string[];
export function formatEvents(events: QmpEvent[]): string;
export function runOnQemu(kernel: string, steps: readonly ScenarioStep[], opts?: { timeoutMs?: number; machine?: string; args?: readonly string[]; reboot?: boolean }): Promise<QemuRunResult>;
/** A run of two or more identical RESET events counts as two (QEMU's race after SeaBIOS's hard reboot). */
export function comparableEvents<E extends { event: string }>(events: readonly E[]): E[];
