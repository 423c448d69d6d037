/**
 * The seam between the PC machine and a CPU. The machine owns time and the
 * run state; a CPU only executes. `PcMachine.attachCpu(cpu)` plugs one in.
 *
 * Contract:
 * - `run(n)` executes at most n instructions and returns how many retired.
 *   It returns early after `requestStop()` (reset/suspend requests stop the
 *   current vCPU at the next instruction boundary, QEMU `cpu_stop_current`),
 *   or when the CPU halts. It does not advance the clock: the machine adds
 *   the returned count to the VirtualClock (which fires due timers).
 * - The CPU polls `machine.pic.intr()` at instruction boundaries and calls
 *   `machine.pic.ack()` for the INTA cycle (returns the vector).
 * - `reset()` is called from the machine reset (after the chipset reset).
 */
export interface CpuPort {
  run(maxInsns: number): number;
  requestStop(): void;
  reset(): void;
  /** True while halted (HLT) waiting for an interrupt. */
  readonly halted: boolean;
  /** True while halted with IF=0 (nothing can ever wake it except NMI/reset). */
  readonly haltedForever?: boolean;
}
