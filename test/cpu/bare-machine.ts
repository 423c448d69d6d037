// A bare CPU for the compiled-blocks-against-the-interpreter tests: 4 MiB of RAM and no devices, the code at 0x1000
// in real mode (CS = DS = ES = SS = 0, SP 0x8000) or at 0x100000 in flat protected mode (ESP 0x80000), `dataBytes`
// of patterned data at 0x4000 (real) or 0x200000 (protected), blocks compiled after `jitThreshold` visits (JavaScript
// blocks unless `wasm`: jit/wasm/ compiles first where it can). `setup`
// runs last, before up to a million instructions.
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { PortBus } from '../../src/ioports/port-bus.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';
import { Cpu, type CpuExit } from '../../src/cpu/cpu.js';

export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
export const le16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];

export interface BareRun { exit: CpuExit; insns: number; inBlocks: number; cpu: Cpu; mem: PhysMemory }

export function runBare(code: number[], o: {
  jit: boolean; real: boolean; dataBytes: number; jitThreshold?: number; setup?: (m: PhysMemory, c: Cpu) => void;
  /** compile for the WebAssembly tier where it can (default false: these tests are about the JavaScript blocks) */
  wasm?: boolean;
  /** guest RAM (default 4 MiB) */
  memBytes?: number;
  /** instructions to run at most (default 1,000,000) */
  budget?: number;
}): BareRun {
  const mem = new PhysMemory(o.memBytes ?? 4 << 20);
  const clock = new VirtualClock();
  const cpu = new Cpu({ mem, io: new PortBus(), clock, jit: o.jit, jitThreshold: o.jitThreshold ?? 4, wasm: o.wasm ?? false });
  for (let i = 0; i < o.dataBytes; i++) mem.ram[(o.real ? 0x4000 : 0x200000) + i] = (i * 37 + 11) & 0xff;
  if (o.real) {
    mem.load(0x1000, new Uint8Array(code));
    for (const r of ['cs', 'ds', 'es', 'ss']) cpu.setReg(r, 0);
    cpu.setReg('ip', 0x1000); cpu.setReg('sp', 0x8000);
  } else {
    mem.load(0x100000, new Uint8Array(code));
    cpu.setFlatProtectedMode(0x100000, { esp: 0x80000 });
  }
  o.setup?.(mem, cpu);
  const exit = cpu.run(o.budget ?? 1_000_000);
  return { exit, insns: clock.instructions, inBlocks: cpu.insnsInBlocks, cpu, mem };
}
