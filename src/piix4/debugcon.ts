/**
 * isa-debugcon (QEMU hw/char/debugcon.c): a 1-port byte sink. QEMU's default
 * iobase is 0xE9 (the Bochs "port E9" hack); SeaBIOS logs to 0x402
 * (`-device isa-debugcon,iobase=0x402`). valid 1..1: a wider access is
 * invalid and dropped. Reads return `readback` (default 0xE9), which is how
 * guests detect the port.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const DEBUGCON_DEFAULT_IOBASE = 0xe9;
export const SEABIOS_DEBUG_PORT = 0x402;

export const tr = {
  write: defineEvent('firmware', 'debugcon_write', (a: { port: number; byte: number }) => `0x${hex(a.port, 4)} <== 0x${hex(a.byte, 2)}`),
};

export interface DebugconConfig {
  iobase?: number;
  readback?: number;
  /** Called for every byte written; default: appended to the machine's debugcon output. */
  sink?: (byte: number) => void;
}

export interface DebugconState {
  readonly iobase: number;
  readonly readback: number;
  sink: (byte: number) => void;
  readonly trace: Trace;
}

export const debugconOps: RegionOps<DebugconState> = {
  name: 'isa-debugcon',
  size: 1,
  valid: { min: 1, max: 1 },
  read: (s) => s.readback,
  write: (s, _off, val) => {
    if (s.trace.on(tr.write)) s.trace.emit(tr.write, { port: s.iobase, byte: val });
    s.sink(val & 0xff);
  },
};
