/**
 * The seam between the PC machine and a CPU (structurally the `Cpu` of
 * src/cpu/cpu.ts, so `machine.attachCpu(cpu)` needs no adapter). The machine
 * owns the run state and the main loop; the CPU executes.
 *
 * Contract:
 * - Build the CPU with `io: machine.bus`, `clock: machine.clock` and
 *   `intr: machine.pic` (`intr()` = the master 8259's INT output, `ack()` =
 *   the INTA cycle returning the vector). acpidm's pc machine delivers PIC
 *   INTR straight to the CPU unless the CPU's local APIC gates it (qemu-pm.md §13).
 * - `run(n)` executes at most n instructions. It returns early ('stopped')
 *   after `requestStop()`: reset and suspend requests stop the current vCPU
 *   at the next instruction boundary (QEMU `cpu_stop_current`), so the
 *   instruction after the OUT does not run. A shutdown request does NOT stop it.
 * - The CPU advances virtual time itself (`clock.addInstructions`) for every
 *   instruction it retires, at the latest before each port access, as QEMU's
 *   icount makes I/O exact; the machine never adds a slice's count again.
 * - `reset()` is called by the machine reset, after the chipset reset.
 * - A triple fault calls `onTripleFault`, which `attachCpu` turns into a reset
 *   request with cause guest-reset (mechanism triple-fault).
 */
export type CpuExitReason = 'budget' | 'halted' | 'halted-cli' | 'stopped' | 'triple-fault';

export interface CpuPort {
  run(maxInsns: number): CpuExitReason;
  /** Instructions retired by the current (or last) run(). */
  readonly retired: number;
  /** True while halted (HLT) waiting for an interrupt. */
  readonly halted: boolean;
  requestStop(): void;
  reset(): void;
  /**
   * Could a pending interrupt wake the halted CPU now (IF set and the PIC's INTR passing the local APIC's
   * LINT0 gate)? Without it the machine looks at the PIC's INTR line alone.
   */
  canTakeInterrupt?(): boolean;
  /** Whether an interrupt from the 8259s could reach the CPU at all (IF set, local APIC LINT0 open), pending or not. */
  picInterruptsOpen?(): boolean;
  onTripleFault?: ((cpu: never) => void) | null;
  /** EIP where the current instruction started and the segment selectors (CS at index 1): a guest OUT's CS:EIP. */
  readonly insnStart?: number;
  readonly segSel?: Uint16Array;
}
