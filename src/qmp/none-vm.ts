/**
 * `-machine none`: QEMU's empty board (hw/core/null-machine.c) — no CPU, no memory, no devices — with only the
 * monitor. libvirt starts its emulator this way to probe capabilities over QMP. Nothing can run, so every slice
 * is idle; `quit` (or a signal) ends it.
 */
import { VirtualClock } from '../clock/virtual-clock.js';
import { RunStateMachine } from '../machine/run-state.js';
import { Trace } from '../trace/trace.js';
import type { QmpVm } from './vm.js';

export function noneMachineVm(name: string): QmpVm {
  const clock = new VirtualClock();
  const trace = new Trace(() => clock.ns());
  // No devices: no reset, powerdown, suspend or wakeup notifiers to run (a powerdown only raises POWERDOWN).
  const runState = new RunStateMachine({ stopCpu() {}, resetMachine() {}, powerdown() {}, suspend() {}, wakeup() {} }, trace, () => clock.ns());
  return {
    name,
    runState,
    trace,
    clock,
    runSlice: () => (runState.service() ? 'exit' : 'idle'),
    inventory: { machine: 'none', cpuModel: null, memoryBytes: 0, uuid: null, chardevs: [], peripherals: [] },
  };
}
