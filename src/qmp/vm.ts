/**
 * What the monitor needs from a running VM, and nothing more.
 *
 * The PC machine (src/machine/pc-machine.ts), a qtest-style machine with no
 * CPU, or a machine running a real guest kernel all fit: the monitor turns
 * QMP commands into `runState` requests and main-loop passes, and reads the
 * results back from `runState`, `trace` and `clock`.
 */
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { RunStateMachine } from '../machine/run-state.js';
import type { Trace } from '../trace/trace.js';
import type { JsonValue } from './json-stream.js';

/**
 * `exit`: the machine left its main loop (runState.exitStatus is set).
 * `idle`: nothing could run (paused, suspended, shut down, all vCPUs halted, or no CPU at all).
 * `budget`: the instruction budget ran out and the guest wants to keep running.
 */
export type SliceResult = 'exit' | 'idle' | 'budget';

/** PM1 register readback with no side effects (no TMR_STS latch, no W1C). */
export interface Pm1Snapshot {
  readonly sts: number;
  readonly en: number;
  readonly cnt: number;
}

/**
 * The modelled qemu-guest-agent inside the guest. libvirt reaches the real one over a
 * virtio-serial channel; acpidm reaches it through the QMP extension `x-acpidm-guest-agent`.
 * Commands: `guest-ping`, `guest-shutdown {mode: powerdown|reboot|halt}`, `guest-suspend-ram`,
 * `guest-suspend-disk`. Throws QmpError when the guest cannot do it.
 */
export interface GuestAgent {
  /**
   * `request`: the cause-link id of the host's agent command. A modelled agent (host code) marks the port writes it
   * makes with it, so what they cause is recorded as the agent's answer to that request, never as guest code's.
   */
  execute(command: string, args: { readonly [k: string]: JsonValue }, request?: number): JsonValue | undefined;
}

/**
 * What the VM is made of, for the introspection commands a management stack sends (libvirt's probe and start:
 * query-chardev, qom-list /machine/peripheral, query-cpus-fast...). Absent: a bare VM (tests), answered as `pc`.
 */
export interface VmInventory {
  /** `none`: QEMU's empty board, no CPU (libvirt's capability probe); `pc`: the i440FX/PIIX4 machine. */
  readonly machine: 'none' | 'pc';
  /** The CPU model (src/cpu/cpu-model.ts); null without a CPU. */
  readonly cpuModel: string | null;
  readonly memoryBytes: number;
  readonly uuid: string | null;
  /** query-chardev: label and QEMU's `filename`; `open` says whether the front end (device or monitor) uses it. */
  readonly chardevs: readonly { readonly label: string; readonly filename: string; readonly open: boolean }[];
  /** Devices given an id on the command line (/machine/peripheral). */
  readonly peripherals: readonly { readonly id: string; readonly driver: string }[];
}

export interface QmpVm {
  /** Domain name (libvirt `virsh` prints it in lifecycle events). */
  readonly name: string;
  readonly runState: RunStateMachine;
  readonly trace: Trace;
  readonly clock: VirtualClock;
  /**
   * Run at most `maxInsns` guest instructions (0: none), then one main-loop pass
   * (`runState.service()`), so that every pending request is serviced before this returns.
   */
  runSlice(maxInsns: number): SliceResult;
  /** PM1 readback after a pass: tells whether a power-button press was latched (PWRBTN_EN set). */
  readPm1?(): Pm1Snapshot;
  /** The guest agent, if the guest runs one. */
  readonly agent?: GuestAgent;
  readonly inventory?: VmInventory;
  /** The host thread that runs the vCPU (query-cpus-fast `thread-id`); absent: 0. */
  readonly hostThreadId?: number;
}

/** PM1_STS.PWRBTN_STS / PM1_EN.PWRBTN_EN (include/hw/acpi/acpi.h ACPI_BITMASK_POWER_BUTTON_*). */
export const PWRBTN = 0x0100;
