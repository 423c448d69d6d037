/**
 * A VM with the real run state and no devices (for protocol tests that need
 * no guest): runSlice is a main-loop pass. Scenario tests use the PC machine.
 */
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { RunStateMachine } from '../../src/machine/run-state.js';
import { VmDriver } from '../../src/qmp/driver.js';
import type { SessionIo, QmpMessage } from '../../src/qmp/messages.js';
import { QmpMonitor } from '../../src/qmp/monitor.js';
import type { QmpVm } from '../../src/qmp/vm.js';
import { Trace } from '../../src/trace/trace.js';

export function bareVm(name = 'bare'): QmpVm {
  const clock = new VirtualClock();
  const trace = new Trace(() => clock.ns()).recordEverything();
  const runState = new RunStateMachine(
    { stopCpu: () => {}, resetMachine: () => {}, powerdown: () => {}, suspend: () => {}, wakeup: () => {} },
    trace, () => clock.ns());
  return {
    name, runState, trace, clock,
    runSlice: () => (runState.service() ? 'exit' : 'idle'),
  };
}

/** A monitor and one line-level session that records what it is sent. */
export function lineSession(vm: QmpVm = bareVm()) {
  const driver = new VmDriver(vm);
  const monitor = new QmpMonitor(vm, driver, { wallClock: () => 1_700_000_000_123 });
  const out: QmpMessage[] = [];
  const raw: string[] = [];
  let closed = false;
  const io: SessionIo = {
    send: (m) => {
      out.push(m);
      raw.push(JSON.stringify(m) + '\r\n');
    },
    close: () => void (closed = true),
  };
  const session = monitor.connect(io);
  return {
    vm, driver, monitor, session, out, raw,
    get closed() {
      return closed;
    },
    send(text: string) {
      const n = out.length;
      session.receive(text);
      return out.slice(n);
    },
  };
}
