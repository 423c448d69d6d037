/**
 * Runs a difftest ROM on acpidm's CPU in-process: RAM, the ROM at the top of 4 GiB, and a port bus whose only
 * device is the 0xE9 debug console. Returns the bytes the guest wrote there (see rom.ts for the stream).
 */
import { VirtualClock } from '../../clock/virtual-clock.js';
import { PortBus } from '../../ioports/port-bus.js';
import { PortRegion } from '../../ioports/region.js';
import { PhysMemory } from '../../memory/phys-memory.js';
import { Cpu, type CpuExit } from '../cpu.js';

export interface AcpidmRun {
  out: Uint8Array;
  exit: CpuExit;
  instructions: number;
}

/**
 * Default: the CPU as the machine builds it (blocks compiled once hot, so the sequence itself, run once, is
 * interpreted and the dump routine compiled). `jitThreshold: 0` compiles every block the first time it runs.
 */
export function runOnAcpidm(rom: Uint8Array, opts: { jit?: boolean; jitThreshold?: number; maxInsns?: number } = {}): AcpidmRun {
  const mem = new PhysMemory(16 << 20);
  mem.mapBios(rom);
  const bus = new PortBus();
  let buf = new Uint8Array(1 << 20), len = 0;
  bus.map(new PortRegion({
    name: 'debugcon', size: 1, valid: { min: 1, max: 1 },
    read: () => 0xe9,
    write: (_s: null, _off: number, v: number) => {
      if (len === buf.length) { const b = new Uint8Array(buf.length * 2); b.set(buf); buf = b; }
      buf[len++] = v;
    },
  }, null), 0xe9);
  const cpu = new Cpu({ mem, io: bus, clock: new VirtualClock(), lapic: false, jit: opts.jit ?? true, jitThreshold: opts.jitThreshold ?? 16 });
  cpu.reset();
  const max = opts.maxInsns ?? 2_000_000_000;
  let exit: CpuExit = 'budget', n = 0;
  while (n < max) {
    exit = cpu.run(Math.min(1 << 24, max - n));
    n += cpu.retired;
    if (exit !== 'budget') break;
  }
  return { out: buf.slice(0, len), exit, instructions: n };
}
