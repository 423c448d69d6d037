// Runs a guest binary from test/guest-asm/bin on the acpidm CPU with the test devices the NASM includes expect:
// 0xE9 debug console (output), 0xF4 exit (the byte written is the exit code, the run stops at once),
// 0x500 a dword latch, 0x510 a counter (each read returns 0, 1, 2...), 0x520 raises INTR with the byte as vector.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PortRegion } from '../../src/ioports/region.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu, type CpuExit, type CpuOptions } from '../../src/cpu/cpu.js';

export interface GuestRun {
  out: string;
  exitCode: number | null;
  exit: CpuExit;
  cpu: Cpu;
  insns: number;
  /** INTR vectors the CPU acknowledged */
  acked: number[];
}

export const guestBin = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`./bin/${name}.bin`, import.meta.url))));
export const guestExpected = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./expected/${name}.txt`, import.meta.url)), 'utf8');

export function runGuest(image: Uint8Array, budget = 50_000_000, cpuOpts: Pick<CpuOptions, 'jit' | 'jitThreshold'> = {}): GuestRun {
  const mem = new PhysMemory(16 << 20);
  mem.load(0x7c00, image);
  const bus = new PortBus();
  const st = { out: '', exitCode: null as number | null, latch: 0, counter: 0, pending: -1 };
  let cpu: Cpu | null = null;
  bus.map(new PortRegion({ name: 'debugcon', size: 1, read: () => 0xe9, write: (s: typeof st, _o, v) => { s.out += String.fromCharCode(v & 0xff); } }, st), 0xe9);
  bus.map(new PortRegion({ name: 'exit', size: 1, read: () => 0, write: (s: typeof st, _o, v) => { s.exitCode = v & 0xff; cpu!.requestStop(); } }, st), 0xf4);
  bus.map(new PortRegion({ name: 'latch', size: 4, valid: { min: 1, max: 4, unaligned: true }, read: (s: typeof st, o, size) => (s.latch >>> (o * 8)) & (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1), write: (s: typeof st, _o, v) => { s.latch = v >>> 0; } }, st), 0x500);
  bus.map(new PortRegion({ name: 'counter', size: 4, impl: { min: 4, max: 4 }, read: (s: typeof st) => s.counter++, write: () => {} }, st), 0x510);
  bus.map(new PortRegion({ name: 'irq', size: 1, read: () => 0, write: (s: typeof st, _o, v) => { s.pending = v & 0xff; } }, st), 0x520);
  const acked: number[] = [];
  cpu = new Cpu({
    mem, io: bus, clock: new VirtualClock(), ...cpuOpts,
    intr: { intr: () => st.pending >= 0, ack: () => { const v = st.pending; st.pending = -1; acked.push(v); return v; } },
  });
  cpu.setReg('cs', 0);
  cpu.setReg('ip', 0x7c00);
  let insns = 0;
  let exit: CpuExit = 'budget';
  while (insns < budget) {
    exit = cpu.run(Math.min(1_000_000, budget - insns));
    insns += cpu.retired;
    if (exit === 'stopped' || exit === 'halted-cli' || exit === 'triple-fault') break;
    if (exit === 'halted' && (st.pending < 0 || cpu.retired === 0)) break; // nothing will wake it
  }
  return { out: st.out, exitCode: st.exitCode, exit, cpu, insns, acked };
}
