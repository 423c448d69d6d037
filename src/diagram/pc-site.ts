/**
 * The guest instruction behind a port access on a PcSystem: CS:EIP of the instruction being executed (the
 * machine's cause links name the same, src/machine/pc-machine.ts cpuSite) and its bytes, read from guest
 * memory at CS.base + EIP while paging is off (with paging on the linear address is not a physical one, and
 * the bytes are left out rather than guessed).
 */
import type { Cpu } from '../cpu/cpu.js';
import type { PhysMemory } from '../memory/phys-memory.js';
import type { PcSystem } from '../machine/pc-system.js';
import type { GuestSite } from './swimlane.js';

const CR0_PG = 0x8000_0000;

export function pcGuestSite(sys: PcSystem): () => GuestSite | undefined {
  return cpuGuestSite(() => sys.cpu, sys.mem);
}

/** The same for any guest CPU and its memory (a Xen mode CpuGuest: `cpuGuestSite(() => guest.cpu, guest.mem)`). */
export function cpuGuestSite(getCpu: () => Cpu | null, mem: PhysMemory): () => GuestSite | undefined {
  return () => {
    const cpu = getCpu();
    if (!cpu || cpu.insnStart === undefined) return undefined;
    const cs = cpu.segSel[1]!;
    const eip = cpu.insnStart >>> 0;
    if ((cpu.getReg('cr0') & CR0_PG) !== 0) return { cs, eip };
    const lin = (cpu.segment('cs').base + eip) >>> 0;
    const bytes: number[] = [];
    for (let i = 0; i < 15 && lin + i < mem.ramSize; i++) bytes.push(mem.read8(lin + i));
    return { cs, eip, bytes, code32: cpu.defOs !== 0 };
  };
}

/**
 * The port I/O instruction at the start of `bytes`, when it is one (SDM Vol. 2: OUT E6/E7 ib, EE/EF; IN E4/E5 ib,
 * EC/ED; operand size from 66h against the code segment's default): its length and mnemonic. Else null.
 */
export function portIoInstruction(bytes: readonly number[], default32 = true): { length: number; text: string } | null {
  let i = 0;
  let opsize = default32;
  while (i < 4 && [0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65].includes(bytes[i] ?? -1)) {
    if (bytes[i] === 0x66) opsize = !default32;
    i++;
  }
  const op = bytes[i];
  if (op === undefined) return null;
  const acc = (wide: boolean) => (wide ? (opsize ? 'eax' : 'ax') : 'al');
  const hx = (v: number) => `0x${v.toString(16)}`;
  switch (op) {
    case 0xe6: case 0xe7: return bytes[i + 1] === undefined ? null : { length: i + 2, text: `out ${hx(bytes[i + 1]!)}, ${acc(op === 0xe7)}` };
    case 0xee: case 0xef: return { length: i + 1, text: `out dx, ${acc(op === 0xef)}` };
    case 0xe4: case 0xe5: return bytes[i + 1] === undefined ? null : { length: i + 2, text: `in ${acc(op === 0xe5)}, ${hx(bytes[i + 1]!)}` };
    case 0xec: case 0xed: return { length: i + 1, text: `in ${acc(op === 0xed)}, dx` };
    default: return null;
  }
}
