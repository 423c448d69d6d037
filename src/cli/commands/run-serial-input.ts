/**
 * `acpidm run` with serial ports that take host input and no monitor: the guest runs in slices and each port's
 * input (stdin for `-serial stdio`, the connected client for a socket chardev) goes into its UART's receive
 * FIFO between them (QEMU's chardev front end), so a person can type into a shell on COM1. A guest waiting in
 * HLT for input waits for more instead of ending the run; once every source that can end has ended (stdin at
 * EOF; a listening socket never ends) it is left to finish (or halt) on its own.
 */
import type { PcSystem, RunOutcome } from '../../machine/pc-system.js';
import { SerialInput } from '../../machine/serial-input.js';
import type { ByteSource } from '../cli-io.js';

const SLICE = 1_000_000;

/** One serial port's host input; `endless` for a listening socket (clients come and go, input never ends). */
export interface SerialInputSource {
  index: number;
  src: ByteSource;
  endless?: boolean;
}

export async function runWithSerialInput(sys: PcSystem, maxInsns: number, sources: readonly SerialInputSource[]): Promise<RunOutcome> {
  const m = sys.machine;
  let open = sources.length;
  let wake: (() => void) | null = null;
  const detach: (() => void)[] = [];
  for (const s of sources) {
    const uart = m.chipset.serials[s.index];
    if (!uart) throw new Error(`serial port ${s.index} does not exist`);
    const input = new SerialInput(uart);
    let ended = false;
    const onData = (chunk: Uint8Array | string): void => {
      input.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
      wake?.();
    };
    const onEnd = (): void => {
      if (!ended && !s.endless) {
        ended = true;
        open--;
      }
      wake?.();
    };
    s.src.on('data', onData);
    s.src.on('end', onEnd);
    s.src.resume?.();
    detach.push(() => {
      s.src.off('data', onData);
      s.src.off('end', onEnd);
      s.src.pause?.(); // do not keep the host process alive for a run that is over
    });
  }
  const waitForHost = (): Promise<void> => new Promise((resolve) => {
    wake = () => { wake = null; resolve(); };
  });
  try {
    const start = m.clock.instructions;
    for (;;) {
      const left = maxInsns - (m.clock.instructions - start);
      const out = sys.run(Math.min(left, SLICE));
      if (out.kind === 'budget' && left > SLICE) {
        await new Promise((r) => setImmediate(r)); // let input arrive between slices
        continue;
      }
      if (out.kind === 'stopped' && out.state === 'suspended' && m.clock.nextWakeDeadline() !== Infinity) {
        m.clock.advance(Math.max(0, m.clock.nextWakeDeadline() - m.clock.ns()));
        continue;
      }
      // Waiting in HLT for an interrupt: input may still come (unless it already ended).
      if (out.kind === 'halted' && open > 0) {
        await waitForHost();
        continue;
      }
      return out;
    }
  } finally {
    for (const d of detach) d();
  }
}
