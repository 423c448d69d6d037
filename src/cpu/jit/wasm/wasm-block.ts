/**
 * The WebAssembly tier: a block of the instructions decode.ts knows becomes one WebAssembly function (emit.ts)
 * working on the arena (memory/wasm-arena.ts), run as an ordinary compiled block (jit/block.ts), so the run loop and
 * the staleness checks are the ones JavaScript blocks use.
 *
 * Why: a JavaScript block costs V8 ~20 ms of optimising compile before it runs faster than the interpreter, so only
 * code visited 16,384 times is compiled (Cpu.jitThreshold). A WebAssembly function compiles in a fraction of a
 * millisecond and runs fast from its first call (V8's baseline compiler, then its optimising tier in the
 * background), so warm code runs compiled too (Cpu.compileHere: WASM_FIRST, WASM_WORK, WASM_THRESHOLD).
 *
 * Blocks are compiled in batches, one module per batch (a module has a fixed cost: its code space, its instance):
 * a block waits in the table slot with no function, interpreted, until its batch is compiled (BATCH blocks, or
 * FLUSH_AFTER x the warm-up in instructions after the first). Every function goes into one WebAssembly.Table, and
 * every block runs through one dispatcher export, so the engine's JS-to-WebAssembly call is the same at every block
 * entry; the dispatcher chains blocks by the arena's table of valid ones (wasm-writer.ts buildDispatcher).
 *
 * The glue around the call: the CPU's lazy-flag state goes into the arena, and the last block's lazy-flag state
 * and EIP come back. A block has no slow path: an access the arena's TLB arrays do not allow on one page (or an
 * RDTSC that faults) ends it before the instruction (emit.ts leaveBefore), and the interpreter runs that instruction
 * (Cpu.leftBefore), so every fault, MMIO access and write to code is the interpreter's.
 */
import type { Cpu } from '../../cpu.js';
import { FEAT_CMOV } from '../../cpu-model.js';
import { CS, DS, ES, FS, GS, IF, SS } from '../../cpu-state.js';
import { accumulator, busIn, busOut, setAccumulator } from '../../port-io.js';
import type { AccessSize } from '../../../ioports/region.js';
import { LOCK_REGS } from '../../opcode-table.js';
import { rdtscFault } from '../../ops-system.js';
import { Block, JIT_SLOTS, type BlockFn } from '../block.js';
import { A_BITS, A_CHAIN, A_CPL, A_DST, A_EIP, A_FEAT, A_FLAGS, A_FLUSH, A_FSB, A_FSOK, A_GSB, A_GSOK, A_HT, A_IEXIT, A_KIND, A_LOCK, A_MASK, A_RES, A_SRC, A_STOP, A_TSC, A_TSCF, A_TSCN, A_TSCNS, A_WIB, A_WIE, HT_ENTRY, HT_SLOTS } from '../../../memory/wasm-arena.js';
import { decode, isJcc, type Insn } from './decode.js';
import { interpreterModule } from './interpreter.js';
import { BUDGET_STEP, emitBlock, IMPORTS, LOCALS } from './emit.js';
import { keptBlock, moduleFor, moduleForAsync } from './module-cache.js';
import { buildDispatcher, buildModule, type FnType } from './wasm-writer.js';

/**
 * The longest block. A WebAssembly function compiles in time linear in its length (JavaScript blocks stop at 48), and
 * a long one checks the budget every BUDGET_STEP instructions: Linux's blake2s_compress_generic is 1,600
 * straight-line instructions run ~5,800 times in a boot, which as 200-instruction blocks each warming up on its own
 * ran 9.7 M instructions interpreted.
 */
const MAX_INSNS = 2000;
/**
 * Instructions a block may have past its main path, on the other paths of its branches (see formBlock). Longer
 * blocks run faster and compile slower: a Linux boot's first and second run (CPU medians of 10 alternating
 * processes) took 1,785 / 1,354 ms without labels, 1,704 / 1,221 with labels on the main path only, 1,677 / 1,180
 * with 32 more instructions, 1,724 / 1,144 with 64 (modules 327, 292, 344, 370 KB); 256: 435 KB. With the labels'
 * later form (forward ones as plain blocks, CF settled at labels), 16 and 64 were within noise of 32 (8 rounds).
 */
const EXTRA_INSNS = 32;
/**
 * Blocks per module, and how long a block may wait for its batch: FLUSH_AFTER times the visits a short block takes
 * to become warm (Cpu.wasmThreshold), in instructions (0 when every block compiles at its first visit: no waiting).
 */
const BATCH = 32;
const FLUSH_AFTER = 16;
/** table entries before everything compiled is dropped and the table refilled */
const TABLE_MAX = 1 << 16;
const BLOCK_TYPE: FnType = { params: 3, results: 1 };

interface Pending { readonly block: Block; readonly body: Uint8Array; readonly key: string }

/** Per CPU: the table, the dispatcher, the slow paths, compiled code by its bytes, the batch being formed. */
export class WasmTier {
  private readonly st: Int32Array;
  private readonly env: WebAssembly.ModuleImports;
  private readonly table: WebAssembly.Table;
  /** the block behind each table index (a fault in a chained block restarts from its `starts`) */
  private readonly byIndex: Block[] = [];
  /** table index by code key (the same bytes at the same place compile to the same function) */
  private readonly cache = new Map<string, number>();
  private used = 0;
  /** bumped when the table is refilled from 0: a module arriving later for the old entries is dropped */
  private tableGen = 0;
  private pending: Pending[] = [];
  /** the guest instruction count when the oldest pending block was queued */
  private since = 0;
  /** the function every WebAssembly block runs as (Block.fn) */
  readonly glue: BlockFn;
  /**
   * The WebAssembly interpreter (interpreter.ts) from the CPU's EIP in flat 32-bit code: at most `max` instructions, `ns`
   * as the JavaScript interpreter's loop takes it; returns the instructions retired, and the reason in Cpu.interpExit.
   */
  readonly interpret: (cpu: Cpu, max: number, ns: boolean) => number;
  /** the interpreter's `run`, once its module is there (interpreterReady) */
  private step: ((max: number, acc: number, thr: number, ns: number, epoch: number) => number) | null = null;
  private readonly interpEnv: WebAssembly.Imports;
  /** Is the WebAssembly interpreter there to call `interpret`? (Not yet while a browser compiles its module.) */
  interpreterReady(): boolean {
    if (this.step !== null) return true;
    const m = interpreterModule();
    if (m === null) return false;
    this.step = new WebAssembly.Instance(m, this.interpEnv).exports['run'] as (max: number, acc: number, thr: number, ns: number, epoch: number) => number;
    return true;
  }
  /**
   * Per block slot of the run loop (Cpu.compileHere): times its start reached Cpu.hotThreshold since its last
   * compile, the start (linear EIP) that was, and 1 + the length of the WebAssembly block there (0: not formed yet).
   */
  readonly rounds = new Uint8Array(JIT_SLOTS);
  readonly lins = new Int32Array(JIT_SLOTS);
  readonly lens = new Uint16Array(JIT_SLOTS);
  /** modules compiled so far (for benchmarks) */
  modules = 0;
  /** modules another machine of the process compiled, instantiated here for a block of theirs (module-cache.ts) */
  adopted = 0;
  /** why the tier stopped (a module failed to compile: a bug of the emitter), or null */
  error: string | null = null;
  /** compile in the background (WebAssembly.instantiate): the host refused a synchronous compile */
  private async = false;

  constructor(private readonly c: Cpu, memory: WebAssembly.Memory) {
    const st = this.st = new Int32Array(memory.buffer, 0, (A_HT + HT_SLOTS * HT_ENTRY) >> 2);
    new Uint8Array(memory.buffer, A_LOCK, LOCK_REGS.length).set(LOCK_REGS); // for the interpreter's LOCK prefix
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial: 256 });
    const disp = new WebAssembly.Instance(dispatcherModule(), { env: { mem: memory, t: this.table } });
    const run = disp.exports['run'] as (idx: number, max: number, acc: number, flags: number, epoch: number, csBase: number) => number;
    this.env = { mem: memory, mat: disp.exports['mat']! };
    // the lazy flags as they are go into the arena (a block computes what it reads: the dispatcher's `mat`), and the
    // lazy flags and EIP the block or the interpreter left come back
    const toArena = (cpu: Cpu): void => {
      st[A_FLAGS >> 2] = cpu.flags; st[A_MASK >> 2] = cpu.lfMask; st[A_KIND >> 2] = cpu.lfKind; st[A_BITS >> 2] = cpu.lfBits;
      st[A_DST >> 2] = cpu.lfDstI32; st[A_SRC >> 2] = cpu.lfSrcI32; st[A_RES >> 2] = cpu.lfResI32;
    };
    const fromArena = (cpu: Cpu): void => {
      cpu.flags = st[A_FLAGS >> 2]!; cpu.lfMask = st[A_MASK >> 2]!; cpu.lfKind = st[A_KIND >> 2]!; cpu.lfBits = st[A_BITS >> 2]!;
      cpu.lfDstI32 = st[A_DST >> 2]!; cpu.lfSrcI32 = st[A_SRC >> 2]!; cpu.lfResI32 = st[A_RES >> 2]!;
      cpu.eipI32 = st[A_EIP >> 2]!;
    };
    // FS and GS for a segment prefix (interp-forms.ts, emit.ts): their base, and whether they are flat but for it
    const segWords = (cpu: Cpu): void => {
      st[A_FSB >> 2] = cpu.segBase[FS]!; st[A_FSOK >> 2] = flatButBase(cpu, FS) ? 1 : 0;
      st[A_GSB >> 2] = cpu.segBase[GS]!; st[A_GSOK >> 2] = flatButBase(cpu, GS) ? 1 : 0;
    };
    // what RDTSC in the interpreter or a block reads (interp-forms.ts, emit.ts rdtsc): the TSC now, the clock given
    // every instruction retired so far, and the exception it would raise
    const tscWords = (cpu: Cpu): void => {
      const tsc = cpu.tscNow();
      st[A_TSC >> 2] = tsc % 4294967296; st[(A_TSC >> 2) + 1] = Math.floor(tsc / 4294967296);
      st[A_TSCNS >> 2] = cpu.clock.nsPerInstruction; st[A_TSCN >> 2] = 0;
      st[A_TSCF >> 2] = rdtscFault(cpu);
    };
    this.glue = (cpu: Cpu, max: number): number => {
      const b = cpu.curBlock!;
      if (!flat(cpu)) { cpu.dropBlock(b.slot); return 0; } // segments changed: the run loop interprets from here
      const ep = cpu.tlb.epoch;
      this.note(b, ep); // the run loop found it valid in this epoch: other blocks may chain to it
      toArena(cpu);
      segWords(cpu);
      tscWords(cpu);
      const done = run(b.wasmIndex, max, cpu.tlb.acc, 0, ep, cpu.segBase[CS]!);
      fromArena(cpu);
      // the last block of the chain left before an instruction it leaves to the interpreter (emit.ts leaveBefore)
      cpu.leftBefore = st[A_STOP >> 2] !== 0;
      return done;
    };
    this.interpret = (cpu: Cpu, max: number, ns: boolean): number => {
      toArena(cpu);
      // (and for the interpreter's CLI, CMOVcc and CMPXCHG8B: the privilege and the CPUID bits)
      st[A_EIP >> 2] = cpu.eipI32; st[A_CPL >> 2] = cpu.cpl; st[A_FEAT >> 2] = cpu.features;
      st[A_FLUSH >> 2] = this.flushIn();
      tscWords(cpu);
      segWords(cpu);
      const done = this.step!(max, cpu.tlb.acc, cpu.hotThreshold, ns ? 1 : 0, cpu.tlb.epoch);
      fromArena(cpu);
      cpu.interpExit = st[A_IEXIT >> 2]!;
      cpu.interpInBlocks = st[A_WIB >> 2]!; cpu.interpEntries = st[A_WIE >> 2]!;
      st[A_WIB >> 2] = 0;
      return done;
    };
    // IN and OUT in the interpreter (interp-forms.ts portIo): the access as the JavaScript interpreter makes it once
    // the permission check has passed (port-io.ts), named by the instruction's EIP, with the clock given the `n`
    // instructions the call retired before it; 1 when it left the run loop something to do (Cpu.breakLoop)
    const pin = (port: number, size: number, n: number, eip: number): number => {
      c.insnStartI32 = eip;
      setAccumulator(c, size as AccessSize, busIn(c, port, size as AccessSize, n));
      return c.breakLoop ? 1 : 0;
    };
    const pout = (port: number, size: number, n: number, eip: number): number => {
      c.insnStartI32 = eip;
      // IF as the interpreter has it (its CLI; never a lazy flag), for the check after the write (Cpu.portWritten)
      c.flags = (c.flags & ~IF) | (st[A_FLAGS >> 2]! & IF);
      busOut(c, port, accumulator(c, size as AccessSize), size as AccessSize, n);
      return c.breakLoop ? 1 : 0;
    };
    // the interpreter enters ready blocks through the dispatcher, as a chain from the run loop does
    this.interpEnv = { env: { mem: memory, mat: disp.exports['mat']!, run, pin, pout } };
  }

  /**
   * The block at linear `lin` (EIP `eip`, code at RAM offset `phys`, table slot `slot`): ready to run when the same
   * code was compiled before, else queued for the next batch (its `fn` is null until then). null when the segments
   * are not flat or the first instruction is not one the tier compiles.
   */
  compile(lin: number, eip: number, phys: number, slot: number): Block | null {
    const c = this.c;
    if (this.error !== null || !flat(c)) return null;
    const { insns, stopAt, key } = this.formKeyed(eip, phys);
    if (insns.length === 0) return null;
    const idx = this.cache.get(key) ?? this.adopt(key);
    if (idx !== undefined) { const b = this.block(insns, stopAt, lin, phys, slot); this.ready(b, idx); return b; }
    const body = emitBlock(insns);
    if (body === null) return null;
    const b = this.block(insns, stopAt, lin, phys, slot);
    if (this.pending.length === 0) this.since = c.instructionsNow();
    this.pending.push({ block: b, body, key });
    if (this.pending.length >= BATCH) this.flush(); else this.poll();
    return b;
  }

  /**
   * The block at EIP `eip` (code at RAM offset `phys`) if compiled now: its length (0 if it cannot be) and the EIP
   * of the instruction it would stop at for lack of a form (as an int32, or -1 if none: see Block.stopAt). `block`:
   * the block itself, ready to run, when its code was compiled before, by this CPU or by another machine of the
   * process (module-cache.ts keptBlock): Cpu.compileHere installs it at once instead of waiting for the start to
   * warm up; else null.
   */
  form(lin: number, eip: number, phys: number, slot: number): { n: number; stopAt: number; block: Block | null } {
    if (this.error !== null || !flat(this.c)) return { n: 0, stopAt: -1, block: null };
    const { insns, stopAt, key, main } = this.formKeyed(eip, phys);
    if (insns.length === 0) return { n: 0, stopAt, block: null };
    const idx = this.cache.get(key) ?? this.adopt(key);
    if (idx === undefined) return { n: main, stopAt, block: null };
    const b = this.block(insns, stopAt, lin, phys, slot);
    this.ready(b, idx);
    return { n: main, stopAt, block: b };
  }

  /** formBlock, and the key of what the code depends on: its bytes, where they are, and the CPU model's CMOV */
  private formKeyed(eip: number, phys: number): { insns: Insn[]; stopAt: number; key: string; main: number } {
    const c = this.c;
    const { insns, stopAt, main } = formBlock(c.ram, phys, eip >>> 0, hasCmov(c));
    const key = `${phys}:${eip >>> 0}:${c.features & FEAT_CMOV}:${insns.map((i) => codeBytes(c.ram, phys, eip >>> 0, i)).join(';')}`;
    return { insns, stopAt, key, main };
  }

  private block(insns: readonly Insn[], stopAt: number, lin: number, phys: number, slot: number): Block {
    const c = this.c, tl = c.tlb;
    const b = new Block(null, insns.length, insns.map((i) => i.eip), lin, c.segBase[CS]!, c.defOs, tl.epoch, phys, tl.codeGen,
      tl.pageGen[phys >>> 12]!, -1, -1, 0, 0);
    b.slot = slot;
    b.minBudget = Math.min(b.n, BUDGET_STEP);
    // the instruction the block falls out at when it stops at one it cannot compile: Cpu.compileHere marks it as no
    // block start, so the run loop interprets it and looks for a block right after it
    b.stopAt = stopAt;
    return b;
  }

  /**
   * The table index of the block with code key `key` from a module another machine of the process compiled
   * (module-cache.ts): its module instantiated on this CPU, every block of it entered in the table and the cache.
   * undefined when no module holds it, the table is full, or modules arrive in the background here.
   */
  private adopt(key: string): number | undefined {
    if (this.async) return undefined;
    const kept = keptBlock(key);
    if (kept === null) return undefined;
    const count = kept.blocks.reduce((n, [, i]) => Math.max(n, i + 1), 0);
    if (this.used + count > TABLE_MAX) return undefined;
    let inst: WebAssembly.Instance;
    try { inst = new WebAssembly.Instance(kept.module, { env: this.env }); } catch { return undefined; }
    const base = this.used;
    this.used += count;
    this.adopted++;
    if (this.table.length < base + count) this.table.grow(Math.max(base + count - this.table.length, this.table.length));
    for (let i = 0; i < count; i++) this.table.set(base + i, inst.exports[`f${i}`] as (...a: unknown[]) => unknown);
    for (const [k, i] of kept.blocks) this.cache.set(k, base + i);
    return this.cache.get(key);
  }

  /** Compile the pending blocks when the batch has waited long enough (the run loop asks between slices and compiles). */
  poll(): void {
    if (this.pending.length !== 0 && this.flushIn() <= 0) this.flush();
  }

  /** Instructions until the waiting batch is due for its compile (see poll), or 0x7FFFFFFF when none waits. */
  private flushIn(): number {
    if (this.pending.length === 0) return 0x7fffffff;
    const c = this.c;
    return Math.min(0x7fffffff, this.since + FLUSH_AFTER * Math.min(c.wasmThreshold, c.jitThreshold) - c.instructionsNow());
  }

  private ready(b: Block, idx: number): void {
    b.wasmIndex = idx;
    b.fn = this.glue;
    this.byIndex[idx] = b;
    this.note(b, b.epoch);
    this.c.blockReady(b);
  }

  /** Enter `b` in the chaining table (memory/wasm-arena.ts A_HT) as valid in TLB epoch `epoch`. */
  private note(b: Block, epoch: number): void {
    const lin = b.lin, e = (A_HT + ((lin ^ (lin >>> 12)) & (HT_SLOTS - 1)) * HT_ENTRY) >> 2, st = this.st;
    st[e] = lin; st[e + 1] = b.csBase; st[e + 2] = b.wasmIndex; st[e + 3] = b.minBudget; st[e + 4] = epoch;
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (this.used + batch.length > TABLE_MAX) {
      // the table is full: every block goes stale (the run loop compiles again what is still hot)
      this.c.tlb.clearCode();
      this.cache.clear();
      this.used = 0;
      this.tableGen++;
      return;
    }
    const bytes = buildModule(IMPORTS, BLOCK_TYPE, LOCALS, batch.map((p) => p.body));
    const keys = batch.map((p) => p.key);
    const base = this.used, gen = this.tableGen;
    this.used += batch.length; // the batch's table entries, whenever its module arrives
    this.modules++;
    if (!this.async) {
      try {
        this.install(batch, base, new WebAssembly.Instance(moduleFor(bytes, keys), { env: this.env }));
        return;
      } catch (e) {
        // a browser's main thread compiles only small modules synchronously (Chrome: 4 KB): from now on in the
        // background, the blocks interpreted until their module arrives. Anything else is a bug of the emitter:
        // the tier stops (the JavaScript blocks and the interpreter go on) and says why.
        if (!(e instanceof RangeError)) { this.fail(e, batch); return; }
        this.async = true;
      }
    }
    moduleForAsync(bytes, keys).then((m) => WebAssembly.instantiate(m, { env: this.env })).then(
      (inst) => { if (gen === this.tableGen) this.install(batch, base, inst); }, (e) => this.fail(e, batch));
  }

  private install(batch: readonly Pending[], base: number, inst: WebAssembly.Instance): void {
    if (this.error !== null) return;
    if (this.table.length < base + batch.length) this.table.grow(Math.max(base + batch.length - this.table.length, this.table.length));
    batch.forEach((p, i) => {
      this.table.set(base + i, inst.exports[`f${i}`] as (...a: unknown[]) => unknown);
      this.cache.set(p.key, base + i);
      this.ready(p.block, base + i);
    });
  }

  /** The tier stops: no more compiles; blocks of the failed batch or waiting for one leave their slots. */
  private fail(e: unknown, batch: readonly Pending[]): void {
    this.error = e instanceof Error ? e.message : String(e);
    for (const p of [...batch, ...this.pending]) if (this.c.blocks[p.block.slot] === p.block) this.c.dropBlock(p.block.slot);
    this.pending = [];
  }
}

/**
 * The instructions of the block at EIP `eip` (RAM offset `phys`), in the order it runs them: a Jcc goes on along its
 * fall-through path, a JMP or CALL to the same page goes on at its target, a RET after a CALL of the block at the
 * CALL's successor; a branch to the block's start ends it (the loop's back edge), and so does an instruction already
 * in the block (each appears once: a fault maps to one position). That is the main path, `main` instructions long.
 *
 * After it come the other paths (at most EXTRA_INSNS instructions in all): from each branch target on the page that
 * no instruction of the block starts at (a Jcc's taken path, a JMP's target), formed by the same rules, each ending
 * where it reaches an instruction the block has, or leaves. emit.ts branches inside the function to an instruction
 * the block has, so code whose branches follow the data (Linux's inflate_fast, 50 M instructions of a boot) stays
 * in one function instead of leaving for the dispatcher every few instructions.
 */
function formBlock(ram: Uint8Array, phys: number, eip: number, cmov: boolean): { insns: Insn[]; stopAt: number; main: number } {
  const insns: Insn[] = [];
  let stopAt = -1;
  const page = phys & ~0xfff, at0 = phys & 0xfff;
  const seen = new Set<number>();
  /** RAM offset of EIP `t` when it is on the block's page, else -1 */
  const where = (t: number): number => { const o = at0 + (t - eip); return o >= 0 && o < 0x1000 ? page + o : -1; };
  const targets: number[] = [];
  /** one path from `ip`; the EIP of an instruction the tier cannot compile that ended it, or -1 */
  const path = (ip: number, max: number, isMain: boolean): number => {
    const rets: number[] = [];
    let p = where(ip);
    while (insns.length < max && !seen.has(ip)) {
      const ins = decode(ram, p, page + 0x1000, ip);
      // an instruction the tier lacks, one that runs into the next page, or CMOVcc on a model without it (#UD: the
      // interpreter raises it)
      if (ins === null || (!cmov && ins.op >= 0x140 && ins.op < 0x150)) return ip | 0; // an int32, as Block.stopAt keeps it
      insns.push(ins);
      seen.add(ip);
      const op = ins.op;
      let to = ins.next;
      if (op === 0xe9 || op === 0xeb || op === 0xe8) {
        if (ins.imm === eip || seen.has(ins.imm) || where(ins.imm) < 0) break; // the back edge, a label, or leaving
        if (op === 0xe8) rets.push(ins.next);
        ins.follow = to = ins.imm;
      } else if (op === 0xc3) {
        // a RET predicted to return after a CALL of the path: it goes on there, and when the block has that
        // instruction already, the path ends and emit.ts branches to its label
        const r = rets.pop();
        if (r === undefined || where(r) < 0) break;
        ins.follow = to = r;
      } else if (isJcc(op)) {
        targets.push(ins.imm);
        if (ins.imm === eip && isMain) break; // the main path's loop back edge
      }
      const q = where(to);
      if (q < 0) break;
      ip = to >>> 0; p = q;
    }
    return -1;
  };
  stopAt = path(eip, MAX_INSNS, true);
  const main = insns.length;
  const cap = Math.min(MAX_INSNS, main + EXTRA_INSNS);
  for (let k = 0; k < targets.length && insns.length < cap; k++) {
    const t = targets[k]!;
    if (!seen.has(t) && where(t) >= 0) path(t, cap, false);
  }
  return { insns, stopAt, main };
}

/** CPUID.1:EDX.CMOV of the CPU's model */
const hasCmov = (c: Cpu): boolean => (c.features & FEAT_CMOV) !== 0;

/** An instruction's bytes as text (the compiled-code cache's key) */
function codeBytes(ram: Uint8Array, phys: number, eip: number, ins: Insn): string {
  const o = phys + (ins.eip - eip);
  return ram.subarray(o, o + ((ins.next - ins.eip) >>> 0)).join(',');
}

/** The dispatcher's module: the same for every CPU (compiled once per process, instantiated per CPU). */
let dispatcher: WebAssembly.Module | null = null;
function dispatcherModule(): WebAssembly.Module {
  dispatcher ??= new WebAssembly.Module(buildDispatcher({
    flags: A_FLAGS, mask: A_MASK, kind: A_KIND, dst: A_DST, src: A_SRC, res: A_RES, bits: A_BITS, eip: A_EIP,
    chain: A_CHAIN, stop: A_STOP, ht: A_HT, htSlots: HT_SLOTS, htEntry: HT_ENTRY,
  }));
  return dispatcher;
}

/** Segment `s` has a 4 GiB limit and no access check that can fail (segLimit holds it unsigned: 0xFFFFFFFF). */
const flatButBase = (c: Cpu, s: number): boolean => (c.segLimit[s]! | 0) === -1 && (c.segRchk[s]! | c.segWchk[s]!) === 0;

/**
 * Segments a WebAssembly block assumes: CS with a 4 GiB limit (no jump can leave it), DS, ES and SS with base 0, a
 * 4 GiB limit and no access check that fails on the fast path, 32-bit code and stack (every Linux mode is like that).
 */
export function flat(c: Cpu): boolean {
  const b = c.segBase, l = c.segLimit;
  const r = c.segRchk, w = c.segWchk;
  return (b[DS]! | b[SS]! | b[ES]!) === 0 && (l[CS]! & l[DS]! & l[SS]! & l[ES]!) === -1 && (r[DS]! | w[DS]! | r[SS]! | w[SS]! | r[ES]! | w[ES]!) === 0 &&
    c.ssBig && c.defOs !== 0 && c.defAs;
}
