// Random byte streams run as guest code never throw on the host: the only outcomes are guest exceptions (delivered
// to the guest's own handlers), triple faults (reset requests), HLT states, or budget stops. Fixed seeds.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu, type CpuExit } from '../../src/cpu/cpu.js';
import { enterRandomFlat, fillRandom } from './random-flat-machine.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

function fuzz(seed: number, mode: 'real' | 'protected'): Record<CpuExit, number> {
  const next = rng(seed);
  const mem = new PhysMemory(4 << 20);
  const cpu = new Cpu({ mem, io: new PortBus(), clock: new VirtualClock() });
  let resets = 0;
  cpu.onTripleFault = () => { resets++; };
  const tally: Record<CpuExit, number> = { budget: 0, halted: 0, 'halted-cli': 0, stopped: 0, 'triple-fault': 0 };
  for (let round = 0; round < 200; round++) {
    // random code and data everywhere below 1 MiB, including the IVT / IDT and descriptor tables
    fillRandom(mem.ram, next);
    cpu.reset();
    if (mode === 'protected') enterRandomFlat(cpu, mem.ram, next, { esp: 0x80000 });
    else { cpu.setReg('cs', next() & 0xffff); cpu.setReg('ip', next() & 0xffff); }
    let exit: CpuExit;
    try {
      exit = cpu.run(2000);
    } catch (e) {
      throw new Error(`seed ${seed} round ${round} (${mode}): host exception ${(e as Error).stack}`);
    }
    tally[exit]++;
  }
  expect(resets).toBe(tally["triple-fault"]);
  if (process.env.FUZZ_VERBOSE) console.log(mode, seed, tally);
  return tally;
}

describe('fuzz: random guest code never throws on the host', () => {
  it.each([1, 2, 3])('real mode, seed %i', (seed) => {
    const t = fuzz(seed, 'real');
    expect(t.budget + t.halted + t['halted-cli'] + t['triple-fault']).toBe(200);
  });
  it.each([4, 5, 6])('protected mode, seed %i', (seed) => {
    const t = fuzz(seed, 'protected');
    expect(t.budget + t.halted + t['halted-cli'] + t['triple-fault']).toBe(200);
  });
});
