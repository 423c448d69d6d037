/**
 * `acpidm run` with a serial port on stdio and no monitor: the guest runs in
 * slices and the host's standard input goes into the UART's receive FIFO
 * between them (QEMU's stdio chardev), so a person can type into a shell on
 * COM1. A guest waiting in HLT for input waits for the next line instead of
 * ending the run; end of input leaves it to finish (or halt) on its own.
 */
import type { PcSystem, RunOutcome } from '../../machine/pc-system.js';
import { SerialInput } from '../../machine/serial-input.js';
import type { ByteSource } from '../cli-io.js';

const SLICE = 1_000_000;

export async function runWithSerialInput(sys: PcSystem, maxInsns: number, index: number, src: ByteSource): Promise<RunOutcome> {
  const m = sys.machine;
  const uart = m.chipset.serials[index];
  if (!uart) throw new Error(`serial port ${index} does not exist`);
  const input = new SerialInput(uart);
  let ended = false;
  let wake: (() => void) | null = null;
  const onData = (chunk: Uint8Array | string): void => {
    input.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  src.on('data', onData);
  src.on('end', onEnd);
  src.resume?.();
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
      if (out.kind === 'halted' && !ended) {
        await waitForHost();
        continue;
      }
      return out;
    }
  } finally {
    src.off('data', onData);
    src.off('end', onEnd);
    src.pause?.(); // do not keep the host process alive for a run that is over
  }
}
