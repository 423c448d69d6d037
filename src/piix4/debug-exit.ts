/**
 * isa-debug-exit (QEMU hw/misc/debugexit.c): a write of V ends QEMU with exit status (V << 1) | 1, so a test
 * guest can report pass/fail through the process status. Default iobase 0x501, iosize 2; any access size.
 * Reads return 0 (the region has no read handler in QEMU). Here the write asks the machine to exit with that
 * status through `exit`, which the machine services at the end of the instruction.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const DEBUG_EXIT_DEFAULT_IOBASE = 0x501;
export const DEBUG_EXIT_DEFAULT_IOSIZE = 2;

export const tr = {
  write: defineEvent('firmware', 'debug_exit_write', (a: { port: number; value: number; status: number }) =>
    `0x${hex(a.port, 4)} <== 0x${hex(a.value)}: exit status ${a.status}`),
};

export interface DebugExitState {
  readonly iobase: number;
  readonly trace: Trace;
  exit(status: number): void;
}

export const debugExitOps = (iosize: number): RegionOps<DebugExitState> => ({
  name: 'isa-debug-exit',
  size: iosize,
  valid: { min: 1, max: 4, unaligned: true },
  read: () => 0,
  write: (s, off, val) => {
    const status = ((val << 1) | 1) >>> 0 & 0xff; // the process status keeps the low 8 bits, as exit(3) does
    if (s.trace.on(tr.write)) s.trace.emit(tr.write, { port: s.iobase + off, value: val, status });
    s.exit(status);
  },
});
