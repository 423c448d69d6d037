/**
 * Runs SingleStepTests-format vectors (github.com/SingleStepTests/80286,
 * format in ../shared/corpus/singlestep/80286/README.md) on the CPU.
 * Isomorphic: the caller supplies parsed test objects; corpus-node.ts reads
 * the gzip files from disk.
 *
 * Masks, exactly as the corpus README documents them and nothing else:
 *  - the top four flag bits are cleared from the initial flags (real mode);
 *  - undefined flags: metadata.json `flags-mask` of the opcode (or of its
 *    ModRM.reg group entry), also applied to a flags word pushed by an exception;
 *  - 9D (POPF) and CF (IRET): flags bits 12-14 are not compared (a 386 in real
 *    mode loads IOPL/NT, a 286 forces them to 0);
 *  - tests longer than 10 bytes that end in #UD are skipped (the 286 length
 *    limit; a 386 allows 15 bytes).
 */
import type { PortIO } from '../../ioports/port-bus.js';
import { VirtualClock } from '../../clock/virtual-clock.js';
import { PhysMemory } from '../../memory/phys-memory.js';
import { Cpu } from '../cpu.js';

export interface SstRegs { [reg: string]: number }
export interface SstTest {
  idx: number;
  name: string;
  bytes: number[];
  initial: { regs: SstRegs; ram: [number, number][] };
  final: { regs: SstRegs; ram: [number, number][] };
  exception?: { number: number; flag_address: number };
  hash?: string;
}
export interface SstMetadata {
  opcodes: Record<string, { 'flags-mask'?: number; reg?: Record<string, { 'flags-mask'?: number }> }>;
}
export interface SstFailure { stem: string; idx: number; name: string; diffs: string[] }
export interface SstResult { passed: number; failed: number; skipped: number; failures: SstFailure[] }

const REGS16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'] as const;
const SREGS = ['es', 'cs', 'ss', 'ds'] as const;
const ALL_ONES: PortIO = { read: (_p, size) => (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff), write: () => {} };

/** The flags mask for a file stem such as "F6.4" or "9D". */
export function flagsMask(meta: SstMetadata, stem: string): number {
  const [op, reg] = stem.split('.') as [string, string | undefined];
  const entry = meta.opcodes[op];
  let m = 0xffff;
  if (entry) {
    const fm = reg !== undefined ? entry.reg?.[reg]?.['flags-mask'] : entry['flags-mask'];
    if (typeof fm === 'number') m = fm;
  }
  if (op === '9D' || op === 'CF') m &= ~0x7000;
  return m;
}

export class SstRunner {
  readonly mem = new PhysMemory(16 * 1024 * 1024);
  readonly cpu: Cpu;

  /** jit 'eager' compiles every instruction with the block compiler (threshold 0); 'off' interprets only. */
  constructor(readonly meta: SstMetadata, readonly revoked: ReadonlySet<string> = new Set(), jit: 'off' | 'eager' = 'off') {
    this.cpu = new Cpu({ mem: this.mem, io: ALL_ONES, clock: new VirtualClock(), lapic: false, jit: jit === 'eager', jitThreshold: 0 });
    // The vectors come from a real 80286: run the CPU in its 286 compatibility model (see cpu-state.ts model286)
    this.cpu.model286 = true;
    this.cpu.maxInsnLen = 10;
  }

  runFile(stem: string, tests: SstTest[], into: SstResult): void {
    const mask = flagsMask(this.meta, stem);
    for (const t of tests) {
      if ((t.hash !== undefined && this.revoked.has(t.hash)) || (t.bytes.length > 10 && t.exception?.number === 6)) {
        into.skipped++;
        continue;
      }
      const diffs = this.runOne(t, mask);
      if (diffs.length === 0) into.passed++;
      else { into.failed++; into.failures.push({ stem, idx: t.idx, name: t.name, diffs }); }
    }
  }

  /** Run one vector; returns the differences (empty when it passes). */
  runOne(t: SstTest, mask: number): string[] {
    const cpu = this.cpu, ram = this.mem.ram;
    cpu.reset();
    const ini = t.initial.regs;
    for (const r of REGS16) cpu.setReg(r, ini[r]!);
    for (const s of SREGS) cpu.setReg(s, ini[s]!);
    cpu.setReg('ip', ini.ip!);
    cpu.setReg('flags', ini.flags! & 0x0fff);
    for (const [a, v] of t.initial.ram) ram[a] = v;
    let exit: string;
    try {
      exit = cpu.run(64);
    } catch (e) {
      return [`host exception: ${(e as Error).message}`];
    }
    const diffs: string[] = [];
    if (exit !== 'halted' && exit !== 'halted-cli') diffs.push(`did not reach HLT (${exit})`);
    const fin = t.final.regs;
    for (const r of [...REGS16, ...SREGS, 'ip'] as const) {
      const want = fin[r] ?? ini[r]!;
      const got = cpu.getReg(r);
      if (got !== want) diffs.push(`${r}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
    const wantF = (fin.flags ?? ini.flags!) & mask, gotF = cpu.getReg('flags') & mask;
    if (wantF !== gotF) diffs.push(`flags: got 0x${gotF.toString(16)}, want 0x${wantF.toString(16)} (mask 0x${mask.toString(16)})`);
    // The exception frame's FLAGS word sits at SS:SP+4 of the final stack. (The metadata's
    // flag_address is that address rounded down to even, one byte off when SP is odd.)
    let fa = -1;
    if (t.exception) {
      const ss = fin.ss ?? ini.ss!, sp = fin.sp ?? ini.sp!;
      fa = ss * 16 + ((sp + 4) & 0xffff);
    }
    for (const [a, v] of t.final.ram) {
      let m = 0xff;
      if (a === fa) m = mask & 0xff;
      if (a === fa + 1) m = mask >>> 8;
      if ((ram[a]! & m) !== (v & m)) diffs.push(`ram[0x${a.toString(16)}]: got 0x${ram[a]!.toString(16)}, want 0x${v.toString(16)}`);
    }
    return diffs;
  }
}
