/**
 * Runs SingleStepTests-format vectors (github.com/SingleStepTests/80286,
 * format in ../shared/corpus/singlestep/80286/README.md) on the CPU.
 * Isomorphic: the caller supplies parsed test objects; corpus-node.ts reads
 * the gzip files from disk.
 *
 * Masks, exactly as the corpus README documents them and nothing else:
 *  - the top four flag bits are cleared from the initial flags (real mode);
 *  - undefined flags: metadata.json `flags-mask` of the opcode (or of its
 *    ModRM.reg group entry), also applied to a flags word pushed by an exception.
 * The CPU is a 386: where the 80286 that recorded the vectors behaves
 * differently, the table in diff-286.ts says which vectors are skipped or
 * compared differently, and the result counts what each entry hid.
 */
import type { PortIO } from '../../ioports/port-bus.js';
import { VirtualClock } from '../../clock/virtual-clock.js';
import { PhysMemory } from '../../memory/phys-memory.js';
import { Cpu, tr as cpuTr } from '../cpu.js';
import { Trace } from '../../trace/trace.js';
import { DIFF_286, type Diff286 } from './diff-286.js';

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
export interface SstResult {
  passed: number; failed: number; skipped: number; failures: SstFailure[];
  /** per diff-286.ts entry id: vectors it skipped, or that pass only because of its adjustment */
  hidden?: Record<string, number>;
}

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
  return m;
}

export class SstRunner {
  readonly mem = new PhysMemory(16 * 1024 * 1024);
  readonly cpu: Cpu;

  /** jit 'eager' compiles every instruction with the block compiler (threshold 0); 'off' interprets only. */
  constructor(readonly meta: SstMetadata, readonly revoked: ReadonlySet<string> = new Set(), jit: 'off' | 'eager' = 'off') {
    // exceptions the CPU delivers are recorded, for the remap-exception entries of diff-286.ts
    this.trace.enable(cpuTr.exception.name);
    this.cpu = new Cpu({ mem: this.mem, io: ALL_ONES, clock: new VirtualClock(), trace: this.trace, lapic: false, jit: jit === 'eager', jitThreshold: 0 });
  }
  private readonly trace = new Trace();

  runFile(stem: string, tests: SstTest[], into: SstResult): void {
    const mask = flagsMask(this.meta, stem);
    const hidden = (into.hidden ??= {});
    const entries = DIFF_286.filter((d) => d.forms === '*' || d.forms.includes(stem));
    for (const t of tests) {
      if (t.hash !== undefined && this.revoked.has(t.hash)) { into.skipped++; continue; }
      const apply = entries.filter((d) => d.applies(t, stem));
      const skip = apply.find((d) => d.action.kind === 'skip');
      if (skip) { into.skipped++; hidden[skip.id] = (hidden[skip.id] ?? 0) + 1; continue; }
      let diffs = this.runOne(t, mask, apply);
      const firstExc = this.trace.history.length ? (this.trace.history[0]!.args.vec as number) : -1;
      let by: Diff286 | undefined;
      const skipBy = diffs.length === 0 ? undefined : apply.find((d) => d.action.kind === 'skip-if-raised' && d.action.vec === firstExc);
      if (skipBy) { into.skipped++; hidden[skipBy.id] = (hidden[skipBy.id] ?? 0) + 1; continue; }
      for (const d of apply) {
        if (diffs.length === 0 || d.action.kind !== 'remap-exception') continue;
        if (t.exception?.number !== d.action.want || firstExc !== d.action.got) continue;
        diffs = this.runOne(t, mask, apply, d.action);
        by = d;
      }
      if (diffs.length === 0) {
        into.passed++;
        if (by) hidden[by.id] = (hidden[by.id] ?? 0) + 1;
        for (const id of this.suppressedBy) hidden[id] = (hidden[id] ?? 0) + 1;
      } else { into.failed++; into.failures.push({ stem, idx: t.idx, name: t.name, diffs }); }
    }
  }

  /** ids of the adjustments that hid a difference in the last runOne */
  private readonly suppressedBy = new Set<string>();

  /** Run one vector; returns the differences (empty when it passes), after the adjustments of `adj`. */
  runOne(t: SstTest, mask: number, adj: readonly Diff286[] = [], remap?: { want: number; got: number }): string[] {
    const cpu = this.cpu, ram = this.mem.ram;
    this.suppressedBy.clear();
    this.trace.history.length = 0;
    cpu.reset();
    const ini = t.initial.regs;
    for (const r of REGS16) cpu.setReg(r, ini[r]!);
    for (const s of SREGS) cpu.setReg(s, ini[s]!);
    cpu.setReg('ip', ini.ip!);
    cpu.setReg('flags', ini.flags! & 0x0fff);
    for (const [a, v] of t.initial.ram) ram[a] = v;
    // IVT entry `got` := IVT entry `want` (real mode: the vectors differ, the frame does not)
    if (remap) for (let i = 0; i < 4; i++) ram[remap.got * 4 + i] = ram[remap.want * 4 + i]!;
    // adjustments: registers not compared, extra flag bits masked, and which entry each belongs to
    const ignored = new Map<string, string>();
    let adjMask = mask, flagsBy = '';
    for (const d of adj) {
      if (d.action.kind === 'ignore-regs') for (const r of d.action.regs) ignored.set(r, d.id);
      if (d.action.kind === 'mask-flags') { adjMask &= ~d.action.bits; flagsBy = d.id; }
    }
    const baseMask = mask;
    mask = adjMask;
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
      if (got === want) continue;
      const by = ignored.get(r);
      if (by !== undefined) this.suppressedBy.add(by);
      else diffs.push(`${r}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
    const wantF = (fin.flags ?? ini.flags!) & mask, gotF = cpu.getReg('flags') & mask;
    if (wantF !== gotF) diffs.push(`flags: got 0x${gotF.toString(16)}, want 0x${wantF.toString(16)} (mask 0x${mask.toString(16)})`);
    if (flagsBy && wantF === gotF && ((fin.flags ?? ini.flags!) & baseMask) !== (cpu.getReg('flags') & baseMask)) this.suppressedBy.add(flagsBy);
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
