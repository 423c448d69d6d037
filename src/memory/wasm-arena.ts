/**
 * The arena: one WebAssembly.Memory holding everything a compiled WebAssembly block (src/cpu/jit/wasm/) touches, so the block reads it
 * with plain loads and stores: the CPU's registers and its exit state, the TLB's read and write arrays, and guest
 * RAM followed by the directly readable BIOS image (PhysMemory.store). PhysMemory allocates it; the first CPU built
 * on that memory takes the register and TLB areas (a second CPU on the same memory gets arrays of its own and no
 * WebAssembly tier).
 *
 * Offsets are bytes from the start of the memory. Where WebAssembly is unavailable (or the host refuses another
 * memory) the same layout is an ordinary ArrayBuffer and the tier stays off.
 */

/** EAX..EDI as int32 (CpuState.regs; r16 and r8 are views on the same 32 bytes) */
export const A_REGS = 0;
/**
 * A block's exit state (jit/wasm/wasm-block.ts copies it into the CPU): EFLAGS with the bits of the lazy mask stale,
 * the lazy mask, kind, operands and width (cpu-state.ts setLazy), and EIP where the block left.
 */
export const A_FLAGS = 32, A_MASK = 36, A_KIND = 40, A_DST = 44, A_SRC = 48, A_RES = 52, A_BITS = 56;
export const A_EIP = 64;
/**
 * The dispatcher's words (wasm-writer.ts buildDispatcher): the instructions earlier blocks of its chain retired (for
 * RDTSC), and 1 when the last block left before an instruction for the interpreter to run (emit.ts leaveBefore).
 */
export const A_CHAIN = 76, A_STOP = 80;
/** Why the WebAssembly interpreter returned (jit/wasm/interpreter.ts EXIT_*); the CPL it runs at (for CLI). */
export const A_IEXIT = 84, A_CPL = 88;
/** After a call of the WebAssembly interpreter (interpreter.ts): the instructions it ran in blocks and the blocks it entered. */
export const A_WIB = 96, A_WIE = 100;
/**
 * FS's and GS's base, and 1 where the segment is like the flat ones (4 GiB, no access check that can fail), written at
 * each call of the WebAssembly interpreter: an FS or GS prefix adds the base there (interp-forms.ts segment prefixes).
 */
export const A_FSB = 104, A_FSOK = 108, A_GSB = 112, A_GSOK = 116;
/**
 * The CPU model's CPUID.1 EDX feature bits (cpu-model.ts), written at each call of the WebAssembly interpreter:
 * CMOVcc and CMPXCHG8B are #UD without theirs
 */
export const A_FEAT = 120;
/**
 * RDTSC in WebAssembly (interp-forms.ts, emit.ts): the TSC when the glue's or the interpreter's call began (Cpu.tscNow:
 * low and high dword), the virtual nanoseconds per instruction, and the instructions the interpreter retired before
 * the chain of blocks it entered (0 from the glue); an RDTSC adds the time of the instructions retired since. And the
 * exception RDTSC raises now, or 0 (#UD without a TSC, #GP at CPL > 0 with CR4.TSD).
 */
export const A_TSC = 124, A_TSCNS = 132, A_TSCN = 136, A_TSCF = 140;
/**
 * The instructions the WebAssembly interpreter may retire before the WebAssembly tier's waiting batch is due for its
 * compile (WasmTier.poll; 0x7FFFFFFF when nothing waits): from there a start whose block waits returns to the run loop.
 */
export const A_FLUSH = 144;
/** 32 bytes: the WebAssembly interpreter's copy of a page's last 16 bytes and the next page's first 16 (interpreter.ts) */
export const A_FETCH = 0x100;
/** 512 bytes: the ModRM reg fields a LOCK prefix may precede, by opcode (0F xx at 0x100 + xx; opcode-table.ts LOCK_REGS) */
export const A_LOCK = 0x200;
/**
 * Blocks the dispatcher may chain to without returning to JavaScript: HT_SLOTS entries of HT_ENTRY bytes, indexed
 * by the linear EIP's hash: linear EIP, CS base, table index, instructions, and the TLB epoch the block was last
 * found valid in (wasm-block.ts WasmTier.note).
 */
export const A_HT = 0x1000, HT_SLOTS = 4096, HT_ENTRY = 20;
/** Tlb.r and Tlb.w: one int32 per linear page (tlb.ts) */
export const A_TLB_R = 0x20000;
export const A_TLB_W = A_TLB_R + 0x400000;
/**
 * The run loop's visit counts by block slot (Cpu.hot, u16; Cpu.hotLin, the start counted, i32), an i32 per slot
 * saying what Cpu.blocks holds there (Cpu.blk: see cpu.ts slotCode) and one with that block's linear address
 * (Cpu.blkLin): the WebAssembly interpreter (jit/wasm/interpreter.ts) keeps the same accounts as the JavaScript one,
 * enters the ready WebAssembly blocks itself, and goes on past a start that is no block start or whose block waits
 * for its batch, as the run loop would.
 */
export const A_HOT = A_TLB_W + 0x400000;
export const A_HOTLIN = A_HOT + 0x20000;
export const A_BLK = A_HOTLIN + 0x40000;
export const A_BLKLIN = A_BLK + 0x40000;
/** PhysMemory.store: RAM, then the BIOS image */
export const A_RAM = A_BLKLIN + 0x40000;

const PAGE = 0x10000;

export interface Arena {
  readonly buffer: ArrayBuffer;
  /** null when the arena is a plain ArrayBuffer (no WebAssembly tier) */
  readonly memory: WebAssembly.Memory | null;
  /** the register and TLB areas are taken by a CPU */
  cpuClaimed: boolean;
}

/**
 * An arena with `storeBytes` of RAM and ROM at A_RAM; a plain buffer when `wasm` is false (a machine that will never
 * compile: a WebAssembly.Memory costs more to make, to touch the first time and to collect, ~4 ms a machine in a
 * test that builds thousands).
 */
export function allocArena(storeBytes: number, wasm = true): Arena {
  const bytes = A_RAM + storeBytes;
  const pages = Math.ceil(bytes / PAGE);
  if (wasm && typeof WebAssembly === 'object' && typeof WebAssembly.Memory === 'function') {
    try {
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      return { buffer: memory.buffer, memory, cpuClaimed: false };
    } catch { /* no address space for another memory: a plain buffer, without the tier */ }
  }
  return { buffer: new ArrayBuffer(pages * PAGE), memory: null, cpuClaimed: false };
}
