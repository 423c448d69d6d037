/**
 * A compiled block as the run loop sees it: the function, where it came from and what makes it stale.
 * One class, so every block has one shape wherever it was made (a fresh compile, an empty block, a block taken
 * again from compileBlock's cache): they used to be object literals and spreads of differing layouts, read by the
 * run loop on every block entry.
 */
import type { Cpu } from '../cpu.js';

export type BlockFn = (c: Cpu, max: number) => number;

/** Slots of the run loop's direct-mapped block table (Cpu.blocks, with the visit counts Cpu.hot / Cpu.hotLin). */
export const JIT_SLOTS = 1 << 16;
/**
 * The table slot of linear EIP `lin`. The one definition: Cpu.runChunk and Cpu.markNoStart call it, and the
 * interpreter's generated loop writes out SLOT_EXPR (fast-paths.ts makeInterpLoop), which must stay the same hash.
 */
/** the shift of blockSlot's hash (the WebAssembly interpreter writes it out too: jit/wasm/interpreter.ts) */
export const SLOT_SHIFT = 14;
export const blockSlot = (lin: number): number => (lin ^ (lin >>> SLOT_SHIFT)) & (JIT_SLOTS - 1);
/**
 * The bits of the TLB epoch a slot's code keeps for a block with no function (cpu.ts slotCode; the WebAssembly
 * interpreter compares them: jit/wasm/interpreter.ts passBy)
 */
export const SLOT_EPOCH_MASK = 0x3fffffff;
/** blockSlot as source text over a local `lin`, for generated code */
export const SLOT_EXPR = `(lin^(lin>>>${SLOT_SHIFT}))&${JIT_SLOTS - 1}`;

export class Block {
  /**
   * TLB epoch the block was last checked in. After a TLB flush (CR3 load, INVLPG) the block is still good if its
   * linear page translates to the same physical address: the run loop checks that and stamps the new epoch.
   */
  epoch: number;
  /** runs, and runs that left through a side exit (Cpu.runChunk: a block that mostly leaves early is re-formed) */
  calls = 0;
  sideExits = 0;
  /**
   * EIP of the instruction that stopped the block, one it cannot compile (jit/compile.ts), when the block ends by
   * falling through to it; else -1. Cpu.compileHere marks that address as no block start at once. EIP's 32 bits as an
   * int32, like CpuState.eipI32: stored unsigned, a kernel's EIPs above 2^31 made this field a double, and V8 gave
   * every block a new shape (the run loop deoptimised on it, "wrong map"). EIP 0xFFFFFFFF reads as -1, none: all that
   * costs is the no-start mark.
   */
  stopAt = -1;
  /**
   * A WebAssembly block's function-table index (jit/wasm/wasm-block.ts; its `fn` is the tier's glue, null while
   * its batch waits to be compiled), and its slot in the run loop's table; -1 for JavaScript blocks.
   */
  wasmIndex = -1;
  slot = -1;
  /** the budget the run loop must have left to enter the block: all of it, or a long WebAssembly block's first stretch */
  minBudget: number;
  /**
   * The run loop's second page check, made on every entry (Cpu.runChunk): the second page's number and its Tlb.pageGen
   * when compiled, or the first page's again for a block on one page. A branch around the check left it without type
   * feedback until the first two-page block ran, and V8 recompiled the run loop then.
   */
  readonly genPage2: number;
  readonly gen2: number;

  constructor(
    /** runs the block (looping while it jumps back to its own start and `max` allows); returns instructions retired */
    public fn: BlockFn | null,
    /** instructions in the block */
    readonly n: number,
    /** EIP of each instruction (to count retired ones when one faults) */
    readonly starts: readonly number[],
    readonly lin: number,
    readonly csBase: number,
    readonly os: number,
    epoch: number,
    /** where the block starts in guest RAM (RAM offset as the TLB caches it) */
    readonly phys: number,
    /** Tlb.codeGen when compiled: a host write to guest RAM (Cpu.invalidateCode) makes every block stale */
    readonly codeGen: number,
    /** Tlb.pageGen of the block's physical page when compiled: a guest write to that page makes the block stale */
    readonly pageGen: number,
    /** the second page a JMP/CALL in the block went to (jit/code-pages.ts): linear page number, or -1 */
    readonly lin2: number,
    /** its RAM offset (page-aligned), -1 without a second page, and its Tlb.pageGen when compiled (see gen2) */
    readonly phys2: number,
    pageGen2: number,
    /** times this block was re-formed to follow a Jcc's taken path (bounded) */
    readonly rounds: number,
  ) {
    this.epoch = epoch;
    this.minBudget = n;
    this.genPage2 = (phys2 < 0 ? phys : phys2) >>> 12;
    this.gen2 = phys2 < 0 ? pageGen : pageGen2;
  }

  /** The same compiled code, valid again from now (compileBlock's cache of unchanged code bytes). */
  renewed(epoch: number, codeGen: number, pageGen: number, pageGen2: number): Block {
    const b = new Block(this.fn, this.n, this.starts, this.lin, this.csBase, this.os, epoch, this.phys, codeGen, pageGen,
      this.lin2, this.phys2, pageGen2, this.rounds);
    b.stopAt = this.stopAt;
    return b;
  }
}
