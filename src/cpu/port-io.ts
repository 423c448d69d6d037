/**
 * A guest port access, the one implementation the interpreter (IN/OUT in ops-system.ts) and compiled blocks
 * (jit/emit-io.ts) share. In order: the I/O permission check (it faults before anything happens), the clock is
 * given every instruction before this one (so a device reading the virtual clock, such as the PM timer, sees the
 * exact instruction count), then the bus access; after a write the CPU looks at what the device changed
 * (Cpu.portWritten: an interrupt it can take, a memory-map change, an earlier timer).
 *
 * `done` is how many instructions of the current compiled block retired before this one (0 in the interpreter,
 * where Cpu.retired already counts them).
 */
import type { AccessSize } from '../ioports/region.js';
import { ioCheck } from './transfers.js';
import type { Cpu } from './cpu.js';

/** AL, AX or EAX for an OUT of `size` bytes (unsigned) */
export function accumulator(c: Cpu, size: AccessSize): number {
  return size === 1 ? c.r8[0]! : size === 2 ? c.r16[0]! : c.regs[0]! >>> 0;
}

/** What an IN of `size` bytes read, into AL, AX or EAX */
export function setAccumulator(c: Cpu, size: AccessSize, v: number): void {
  if (size === 1) c.r8[0] = v; else if (size === 2) c.r16[0] = v; else c.regs[0] = v;
}

export function portIn(c: Cpu, port: number, size: AccessSize, done: number): number {
  if (c.pe) ioCheck(c, port, size); // returns at once unless CPL > IOPL or V86 (then the TSS bitmap decides)
  return busIn(c, port, size, done);
}

export function portOut(c: Cpu, port: number, value: number, size: AccessSize, done: number): void {
  if (c.pe) ioCheck(c, port, size);
  busOut(c, port, value, size, done);
}

/**
 * The access once the permission check has passed: compiled blocks (jit/emit-io.ts) make the check themselves,
 * only in protected mode, and call these.
 */
export function busIn(c: Cpu, port: number, size: AccessSize, done: number): number {
  c.syncClock(done);
  return c.io.read(port, size);
}

export function busOut(c: Cpu, port: number, value: number, size: AccessSize, done: number): void {
  c.syncClock(done);
  c.io.write(port, value, size);
  c.portWritten();
}
