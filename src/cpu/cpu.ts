/**
 * The CPU: the run loop, exception delivery (double and triple fault),
 * external interrupts through the local APIC gate, HLT, and the public API
 * the machine uses (reset, run, requestStop, hooks, register access).
 *
 * The loop fetches the opcode byte and calls HANDLERS[opcode | operand size]
 * (opcode-table.ts). Faults unwind with the FAULT object; the loop restores
 * EIP to the start of the instruction and delivers the exception.
 */
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { PortIO } from '../ioports/port-bus.js';
import { LAPIC_BASE, type PhysMemory } from '../memory/phys-memory.js';
import { defineEvent, hex, Trace } from '../trace/trace.js';
import { CS, CpuState, DFV, ES, FAULT, FS, GS, IF, LDTR, RF, SS, TR, DS, SEG_UNUSABLE, u32 } from './cpu-state.js';
import { LocalApic } from './lapic.js';
import { INTERP_LOOP } from './opcode-table.js';
import type { InterpLoop } from './fast-paths.js';
import { setCache, setCpl } from './segments.js';
import { interrupt } from './transfers.js';
import { canStartBlock, compileBlock } from './jit/compile.js';
import { Block, blockSlot, JIT_SLOTS, SLOT_EPOCH_MASK } from './jit/block.js';
import { flat, WasmTier } from './jit/wasm/wasm-block.js';
import { EXIT_UNSUPPORTED } from './jit/wasm/interpreter.js';
import { A_BLK, A_BLKLIN, A_HOT, A_HOTLIN } from '../memory/wasm-arena.js';
import { DEFAULT_CPU_MODEL, FEAT_APIC, findCpuModel, signature, type CpuModel } from './cpu-model.js';
import { Fpu } from './fpu/fpu-state.js';

/**
 * Visits of a block start before it is compiled. A block costs V8 a parse, bytecode and several tier-ups (1-2 ms
 * of CPU for its few KB of source, measured on the Linux boot's blocks); in a Linux boot
 * (bench/linux-boot.bench.js, CPU s for the whole boot) threshold 16 took ~50 s, 256 37 s, 1024 30 s, 4096 22 s
 * (2,109 blocks compiled), 8192 20 s, 16000 16.6-17.2 s (374 blocks), 32000 17.9 s, 65000 16.5 s, the
 * interpreter alone 24 s: most kernel blocks run too few times to repay their compile. Hot loops run far more.
 */
const JIT_THRESHOLD = 16384;
/**
 * When a block start is compiled for the WebAssembly tier (jit/wasm/): from WASM_FIRST visits on, once the
 * instructions its block would have run interpreted (visits x length) reach WASM_WORK, and at WASM_THRESHOLD
 * visits at the latest. A compile costs about the same per block whatever its length (a module, a table entry, the
 * background tier-up), so short blocks wait longer: Linux's 1,600-instruction blake2s_compress_generic, visited
 * ~1,600 times from a start after a REP MOVS, never reached a visit threshold and ran 9.7 M instructions
 * interpreted. A start the tier cannot compile becomes a JavaScript block after JIT_THRESHOLD visits.
 *
 * The interpreter in WebAssembly (jit/wasm/interpreter.ts) runs warm code several times faster than the JavaScript
 * one did, so a compile now has to save more to pay: 256 / 65,536 / 4,096 before it, 2,048 / 524,288 / 16,384 since
 * (Linux boot: 346 blocks in 211 modules → 101 in 62; 174.4 M instructions in blocks instead of 194.6 M, 45.5 M in
 * the WebAssembly interpreter; first boot -15% CPU in 8 of 8 alternating pairs, second -4%). 1,024 / 262,144 was
 * about as good; 4,096 / 1,048,576 slower on a first boot (+4.5%).
 */
const WASM_FIRST = 2048;
const WASM_WORK = 524_288;
const WASM_THRESHOLD = 16384;
/** The compiler may compile one instruction per this many retired ones on average... */
const COMPILE_EVERY = 16;
/** ...and save up this many (a guest's start-up compiles its working set at once). */
const COMPILE_BURST = 262_144;
/**
 * Side exits of a block before its shape is reconsidered, and how often one block may be re-formed. In the Linux boot
 * (bench/linux-boot's kernel) at most 4 rounds made 114 of its 200 compiled blocks re-forms (the decompressor's
 * blocks leave at data-dependent branches whatever path they follow, most 4 times over); at most 2 the boot compiles
 * 154 blocks and retires exactly the same 163,433,542 instructions in them, with 0.2% more block entries.
 */
const SIDE_EXITS = 1024;
const MAX_ROUNDS = 2;

export type CpuExit = 'budget' | 'halted' | 'halted-cli' | 'stopped' | 'triple-fault';

export interface IntrLine {
  /** Is the INTR line asserted? */
  intr(): boolean;
  /** INTA cycle: the vector to deliver. */
  ack(): number;
  /**
   * Set by the CPU that owns the line: the controller calls it when its INT output changes (DualPic.onIntr), so an
   * interrupt raised in the middle of a slice is looked at after the current instruction (Cpu.intrRaised).
   */
  onIntr?: ((level: boolean) => void) | null;
}

export interface CpuOptions {
  mem: PhysMemory;
  io: PortIO;
  clock: VirtualClock;
  trace?: Trace;
  intr?: IntrLine;
  /** Map the local APIC page at 0xFEE00000 (default true). */
  lapic?: boolean;
  /**
   * Compile hot blocks into JS functions (default true). `jitThreshold` is how
   * many times a block start is seen before it is compiled (default 16384; 0 =
   * compile on first sight, used to test the compiler against the corpus).
   */
  jit?: boolean;
  jitThreshold?: number;
  /**
   * Compile warm blocks to WebAssembly first (jit/wasm/; default true where the host has WebAssembly and the CPU owns
   * its memory's arena), after `wasmThreshold` visits (default 16384, fewer for long blocks: see WASM_WORK; at most
   * `jitThreshold`).
   */
  wasm?: boolean;
  wasmThreshold?: number;
  /**
   * Interpret the commonest 32-bit flat-mode instructions in WebAssembly (jit/wasm/interpreter.ts; default true
   * with the WebAssembly tier); the JavaScript interpreter runs the rest. Off: only the JavaScript interpreter, for
   * tests that compare the two.
   */
  wasmInterp?: boolean;
  /** CPU model name from cpu-model.ts (default 'acpidm'); an unknown name throws */
  model?: string;
}

export const tr = {
  exception: defineEvent('cpu', 'cpu_exception', (a: { vec: number; err: number; cs: number; eip: number }) =>
    `#${a.vec} err 0x${hex(a.err)} at ${hex(a.cs, 4)}:${hex(a.eip)}`),
  tripleFault: defineEvent('cpu', 'cpu_triple_fault', (a: { cs: number; eip: number }) =>
    `triple fault at ${hex(a.cs, 4)}:${hex(a.eip)}: reset requested`),
  interrupt: defineEvent('cpu', 'cpu_interrupt', (a: { vec: number }) => `INTR vector 0x${hex(a.vec, 2)}`),
  halt: defineEvent('cpu', 'cpu_halt', (a: { ifFlag: boolean; cs: number; eip: number }) =>
    `HLT at ${hex(a.cs, 4)}:${hex(a.eip)} ${a.ifFlag ? '(waiting for an interrupt)' : 'with interrupts disabled'}`),
};

const CONTRIBUTORY = (v: number): boolean => v === 0 || (v >= 10 && v <= 13);
/** Fault-class exceptions other than #DB (SDM Vol. 3A Table 6-1): #DE #BR #UD #NM #TS #NP #SS #GP #PF #MF #AC #XM. */
const FAULT_CLASS = (v: number): boolean => v === 0 || (v >= 5 && v <= 7) || (v >= 10 && v <= 14) || v === 16 || v === 17 || v === 19;
const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
/**
 * The most instructions in one slice of `run` (between its looks at INTR, the tier's pending batch and the memory
 * map). Nothing waits for a slice's end: STI/POPF/IRET, an OUT that makes an interrupt deliverable, INTR going up
 * (intrRaised) and a local APIC write end the slice at once, and timers bound it. A compiled block does not start
 * when it may not fit in the rest of the slice, so a short slice interprets its tail: at 4,096 a Linux boot ran
 * 308,000 block starts interpreted for that (22,000 at 65,536, the same instructions retired).
 */
const CHUNK = 65536;

/** Cpu.interpretFlat's answers: runChunk looks for a block at EIP, or may not start one there, or returns. */
const FLAT_START = 0, FLAT_NO_START = 1, FLAT_RETURN = 2;

/**
 * Cpu.blk's code for a block, as the WebAssembly interpreter reads it (jit/wasm/interpreter.ts): 2 + its table index
 * when it may enter the block itself; for a block in flat 32-bit code at CS base 0 with no function, which the run
 * loop passes by (runChunk), -1 - (epoch << 1 | kind), kind 0 for no block start (an empty block, Cpu.markNoStart) and
 * 1 for a WebAssembly block waiting for its batch, valid while the TLB's epoch is the one the run loop last found it
 * valid in (SLOT_EPOCH_MASK of it); else 1 (the run loop decides).
 */
const slotCode = (b: Block): number => {
  if (b.csBase !== 0) return 1;
  if (b.fn !== null) return b.wasmIndex >= 0 ? b.wasmIndex + 2 : 1;
  return b.os !== 0 ? -1 - (((b.epoch & SLOT_EPOCH_MASK) << 1) | (b.n > 0 ? 1 : 0)) : 1;
};

export class Cpu extends CpuState {
  readonly io: PortIO;
  readonly clock: VirtualClock;
  readonly trace: Trace;
  readonly intrLine: IntrLine | null;
  readonly lapic: LocalApic;
  /** Called on a triple fault; the machine turns it into a reset request (cause guest-reset). */
  onTripleFault: ((cpu: Cpu) => void) | null = null;
  /** VMCALL (0F 01 C1) → hypercall; without a hook VMCALL is #UD. */
  onVmcall: ((cpu: Cpu) => void) | null = null;
  /** CPUID leaves 0x40000000 and up. */
  cpuidHook: ((leaf: number, subleaf: number) => [number, number, number, number] | null) | null = null;
  /** RDMSR/WRMSR of MSRs the CPU does not know: return null / false for #GP. */
  msrHook: { read(msr: number): number | null; write(msr: number, value: number): boolean } | null = null;

  /** false with `lapic: false`: a PIC-only machine, INTR goes straight to the CPU and CPUID shows no APIC */
  readonly apicPresent: boolean;
  /** what CPUID reports and which optional instructions exist */
  readonly model: CpuModel;
  /** the x87 (fpu/) */
  readonly fpu = new Fpu();
  halted = false;
  stopRequested = false;
  private shadow = false;
  /** instructions retired in the current run(), and how many of them the clock has seen */
  retired = 0;
  private given = 0;
  private exitReason: CpuExit | null = null;
  private memGen = -1;
  /** The next timer deadline (ns) when the current slice was sized (see portWritten). */
  private sliceDeadline = Infinity;
  /** TSC minus virtual nanoseconds (WRMSR 0x10 and reset move it) */
  private tscOffset = 0;
  /**
   * Time-stamp counter at 1 GHz of virtual time, so it keeps pace with the PIT and the PM timer when a halted CPU
   * warps the clock (QEMU -icount: the TSC follows the virtual clock). Counting retired instructions instead made
   * Linux's clocksource watchdog mark the TSC unstable after an idle stretch.
   */
  get tsc(): number { return this.clock.ns() + this.tscOffset; }
  set tsc(v: number) { this.tscOffset = v - this.clock.ns(); }
  /** Instructions retired so far, this run's too: the clock's count plus what it has not been given yet. */
  instructionsNow(): number { return this.clock.instructions + this.retired - this.given; }
  /** The TSC as RDTSC reads it now: the clock given every instruction retired so far (ops-system.ts rdtsc), without giving it */
  tscNow(): number { return this.tsc + (this.retired - this.given) * this.clock.nsPerInstruction; }
  // ---- block cache (jit/compile.ts): a direct-mapped table keyed by linear EIP ----
  jit: boolean;
  /** visits of a block start before a JavaScript block is compiled there */
  get jitThreshold(): number { return this.jsThreshold; }
  set jitThreshold(v: number) { this.jsThreshold = v; this.hotThreshold = this.firstTry(v); }
  private jsThreshold: number;
  /** the WebAssembly tier is on */
  readonly wasm: boolean;
  /** visits of a block start before it is compiled for the WebAssembly tier at the latest */
  readonly wasmThreshold: number;
  /**
   * Visits of a block start before a compile is tried there (the smaller threshold): the run loop and the
   * interpreter's loop (fast-paths.ts) count up to it.
   */
  hotThreshold: number;

  /** blocks, visit counts and the addresses counted: also read by the interpreter's loop at block starts (fast-paths.ts) */
  readonly blocks: (Block | undefined)[] = new Array(JIT_SLOTS).fill(undefined);
  readonly hot: Uint16Array;
  /** The address `hot[h]` counts visits of: code that never repeats (random bytes, fault storms) never compiles. */
  readonly hotLin: Int32Array;
  /**
   * What `blocks` holds, per slot (setBlock, dropBlock, blockReady): 0 nothing, 1 a block, 2 + its table index for a
   * WebAssembly block ready to run at CS base 0. The WebAssembly interpreter's view of the table (memory/wasm-arena.ts
   * A_BLK).
   */
  readonly blk: Int32Array;
  /** the linear address of the block in each slot (the WebAssembly interpreter's view, with blk) */
  readonly blkLin: Int32Array;
  /** the WebAssembly interpreter is on (CpuOptions.wasmInterp) */
  wasmInterp: boolean;
  /** why the WebAssembly interpreter last returned (jit/wasm/interpreter.ts EXIT_*) */
  interpExit = 0;
  /** of the instructions its last call ran, those in the blocks it entered itself; and how many blocks it entered */
  interpInBlocks = 0;
  interpEntries = 0;
  private compileCredit = COMPILE_BURST;
  private creditAt = 0;
  /** the compiled block running (the WebAssembly tier's glue reads its index here) */
  curBlock: Block | null = null;
  /**
   * The WebAssembly tier (jit/wasm/), null when it is off; made at the first compile, so a CPU that never compiles
   * (jit off, short runs) costs no module or table.
   */
  private tier: WasmTier | null = null;
  get wasmTier(): WasmTier | null {
    if (this.tier === null && this.wasm) this.tier = new WasmTier(this, this.mem.arena.memory!);
    return this.tier;
  }
  /** linear addresses of Jcc instructions seen to leave their block most of the time (see followSideExit) */
  private readonly takenJcc = new Set<number>();
  /** blocks compiled so far (for tests and benchmarks), and how many of them for the WebAssembly tier */
  blocksCompiled = 0;
  wasmBlocks = 0;
  /** Instructions compiled so far (bounded by the compile budget: see compileHere). */
  insnsCompiled = 0;
  /**
   * [0]: instructions retired inside compiled blocks, [1]: blocks entered from the run loop, [2]: instructions the
   * WebAssembly interpreter ran (floats, so the counts never change a field's representation)
   */
  private readonly blockStats = new Float64Array(3);
  /** Instructions retired inside compiled blocks so far (the rest ran in the interpreter; for benchmarks) */
  get insnsInBlocks(): number { return this.blockStats[0]!; }
  /** Times the run loop entered a compiled block (each entry costs a lookup and a call; for benchmarks) */
  get blockEntries(): number { return this.blockStats[1]!; }
  /** Instructions the WebAssembly interpreter ran (jit/wasm/interpreter.ts; of those outside compiled blocks) */
  get insnsInWasmInterp(): number { return this.blockStats[2]!; }
  /** instructions a looping JavaScript block retired before its current iteration (for a fault in it) */
  blkDone = 0;
  /**
   * The WebAssembly block the run loop entered last left before an instruction for the interpreter to run (a memory
   * operand not in the TLB arrays, an RDTSC that faults: jit/wasm/emit.ts leaveBefore; set by the glue on each call).
   * runChunk runs it before looking for a block, which may be the one that just left.
   */
  leftBefore = false;

  constructor(o: CpuOptions) {
    super(o.mem);
    this.io = o.io;
    this.clock = o.clock;
    this.trace = o.trace ?? new Trace();
    this.intrLine = o.intr ?? null;
    // the visit counts and the table's byte per slot in the arena, where the WebAssembly interpreter keeps them too
    const arena = this.inArena ? this.mem.arena.buffer : null;
    this.hot = arena === null ? new Uint16Array(JIT_SLOTS) : new Uint16Array(arena, A_HOT, JIT_SLOTS);
    this.hotLin = arena === null ? new Int32Array(JIT_SLOTS) : new Int32Array(arena, A_HOTLIN, JIT_SLOTS);
    this.blk = arena === null ? new Int32Array(JIT_SLOTS) : new Int32Array(arena, A_BLK, JIT_SLOTS);
    this.blkLin = arena === null ? new Int32Array(JIT_SLOTS) : new Int32Array(arena, A_BLKLIN, JIT_SLOTS);
    if (this.intrLine !== null) this.intrLine.onIntr = (level) => { if (level) this.intrRaised(); };
    this.lapic = new LocalApic();
    this.lapic.onWrite = () => { this.breakLoop = true; }; // LINT0 or SVR may let a pending INTR through
    this.jit = o.jit ?? true;
    this.jsThreshold = o.jitThreshold ?? JIT_THRESHOLD;
    this.wasm = (o.wasm ?? true) && this.inArena; // inArena: the CPU owns a WebAssembly memory's register and TLB areas
    this.wasmThreshold = o.wasmThreshold ?? WASM_THRESHOLD;
    this.wasmInterp = (o.wasmInterp ?? true) && this.wasm;
    this.hotThreshold = this.firstTry(this.jsThreshold);
    this.apicPresent = o.lapic !== false;
    this.model = findCpuModel(o.model ?? DEFAULT_CPU_MODEL);
    this.features = this.model.edx | (this.apicPresent ? FEAT_APIC : 0);
    this.cr4Mask = this.model.cr4;
    if (this.apicPresent) o.mem.mapMmio(LAPIC_BASE, 0x1000, this.lapic);
    this.widenAddressFields();
    this.reset();
  }

  /**
   * The fields that may hold unsigned 32-bit values and are not kept as int32 (the fetch limit, CR2/CR3, the slice's
   * deadline, the compile credit) start as doubles. A JS engine keeps a field that only ever held small integers in
   * the integer representation, and the first value of 2^31 or more changes the object's shape: every optimised
   * function that touched the CPU is thrown away and optimised again, once for each such field (a Linux boot: ~480
   * deoptimisations in waves when EIP, the fetch window, the ModRM offset and the lazy-flag operands were among
   * them). Storing a non-integer once, before any code runs, fixes the representation. The hot ones (EIP, the
   * instruction start, the fetch window, the ModRM offset, the lazy-flag operands) are int32 fields instead
   * (`eipI32` and its kin in cpu-state.ts), read unsigned through accessors: small integers, no box to load.
   */
  private widenAddressFields(): void {
    const f = this as unknown as Record<string, number>;
    const fields = ['fetchMax', 'cr2', 'cr3', 'sliceDeadline', 'compileCredit', 'creditAt', 'tscOffset'];
    for (const k of fields) {
      const v = f[k]!;
      f[k] = 0.5; // the field is a double from now on, holding its value as before
      f[k] = v;
    }
    // A field written only once so far is a constant to V8's optimising compiler, and its first change (the first
    // exception's vector, the first descriptor read) deoptimises every function that folded it: change each
    // number and boolean field once now, before any code runs (the block compiler's switch `jit` stays foldable).
    const g = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(this)) {
      const v = g[k];
      if (k === 'jit' || k === 'jsThreshold' || k === 'hotThreshold' || k === 'wasm' || k === 'wasmThreshold') continue;
      if (typeof v === 'boolean') { g[k] = !v; g[k] = v; } else if (typeof v === 'number' && (v | 0) === v) { g[k] = v ^ 1; g[k] = v; }
    }
  }

  /** Power-on/reset state: real mode, CS=F000 base FFFF0000, IP=FFF0 (Intel SDM 9.1.4). */
  reset(): void {
    this.regs.fill(0);
    this.regs[2] = signature(this.model); // EDX at reset: family/model/stepping (Intel SDM Vol. 3A §9.1.4)
    this.eip = 0xfff0;
    this.setFlagsRaw(2);
    this.cr0 = 0x60000010; this.cr2 = 0; this.cr3 = 0; this.cr4 = 0;
    this.pe = false; this.pg = false;
    for (let s = 0; s < 8; s++) {
      this.segSel[s] = 0; this.segBase[s] = 0; this.segLimit[s] = 0xffff;
      this.segAr[s] = s === CS ? 0x9b : 0x93; this.segRchk[s] = 0; this.segWchk[s] = 0;
    }
    this.segSel[CS] = 0xf000; this.segBase[CS] = 0xffff0000 | 0;
    this.segAr[LDTR] = 0x82; this.segAr[TR] = 0x8b;
    this.defOs = 0; this.defAs = false; this.ssBig = false;
    this.gdtBase = 0; this.gdtLimit = 0xffff; this.idtBase = 0; this.idtLimit = 0x3ff;
    setCpl(this, 0);
    this.fetchLimit = 0xffff; this.prefixes = 0;
    this.os = 0; this.as32 = false; this.segOvr = -1; this.rep = 0;
    this.tlb.flush();
    this.lapic.reset();
    if (!this.apicPresent) this.lapic.baseMsr &= ~0x800; // no APIC: as if globally disabled
    this.halted = false; this.shadow = false; this.stopRequested = false; this.exitReason = null;
    this.tsc = 0;
    this.fpu.init();
  }

  /**
   * Forget every compiled block. Guest writes to code pages do this by
   * themselves; call it after changing guest RAM from the host (loaders).
   */
  invalidateCode(): void {
    this.tlb.clearCode();
  }

  /**
   * A block from an older TLB epoch (the guest reloaded CR3 or ran INVLPG) is still good when its linear page is
   * cached again and translates to the physical page it was compiled from: Linux switches CR3 on every context
   * switch, and recompiling everything after each one cost more than interpreting.
   */
  private revalidate(b: Block, lin: number): boolean {
    const e = this.tlb.r[lin >>> 12]!;
    if ((e & this.tlb.acc) === 0 || ((e & ~0xfff) | (lin & 0xfff)) !== b.phys) return false;
    if (b.lin2 >= 0) { // and the second page a JMP/CALL in the block went to (jit/code-pages.ts)
      const e2 = this.tlb.r[b.lin2]!;
      if ((e2 & this.tlb.acc) === 0 || (e2 & ~0xfff) !== b.phys2) return false;
    }
    b.epoch = this.tlb.epoch;
    if (b.fn === null) { const h = blockSlot(lin); if (this.blocks[h] === b) this.blk[h] = slotCode(b); } // (see slotCode)
    return true;
  }

  /**
   * A block left early (a side exit after instruction `done`) SIDE_EXITS times. When that is at least a quarter of
   * its runs, the instruction it just left at is taken as a Jcc that mostly jumps, and the block is formed again to
   * go on along that Jcc's taken path (compileBlock's `taken`): the SLOB allocator's free-list walk in a Linux boot
   * otherwise runs as four blocks per iteration, each entered from the run loop. At most MAX_ROUNDS times a block.
   */
  private followSideExit(b: Block, done: number, h: number): void {
    if (b.wasmIndex >= 0 || b.sideExits * 4 < b.calls || b.rounds >= MAX_ROUNDS || this.compileCredit <= 0) { b.sideExits = 0; b.calls = 0; return; }
    const at = b.starts[done - 1];
    if (at === undefined) return;
    if (this.takenJcc.size >= JIT_SLOTS) this.takenJcc.clear();
    this.takenJcc.add((b.csBase + at) | 0);
    const nb = compileBlock(this, b.lin, b.starts[0]!, b.phys, this.takenJcc, b.rounds + 1);
    this.setBlock(h, nb);
    this.compileCredit -= nb.n; // the budget of compileHere
    this.insnsCompiled += nb.n;
    if (nb.n > 0) this.blocksCompiled++;
  }

  /**
   * A start in slot `h` reached its visit threshold: compile its block if its page is cached as RAM (the WebAssembly
   * tier's, once warm enough for its length; a JavaScript block where that tier cannot start one), or note the visit.
   *
   * One method, not one per tier, on purpose: V8 inlines a callee of under 460 bytes of bytecode into its caller, and
   * this cold path inlined into runChunk doubled the hot loop's optimised code, so each of runChunk's ~12 compiles a
   * Linux boot took several times as long (background compile time in the boot: ~340 against ~80 ms as
   * `--trace-opt` measures it).
   */
  private compileHere(lin: number, h: number): void {
    const e = this.tlb.r[lin >>> 12]!;
    if ((e & this.tlb.acc) === 0) return; // not (yet) a RAM page in the TLB: the interpreter fills it
    const phys = (e & ~0xfff) | (lin & 0xfff);
    if (this.tlb.codePage[phys >>> 12] === 0) {
      this.tlb.markCode(phys >>> 12);
      this.tlb.protectCode(phys >>> 12); // drop write entries for the page, so writes to it reach writeSlow
      const e2 = this.tlb.r[lin >>> 12]!;
      if (e2 === 0) return; // refilled on the next fetch
    }
    // Compile budget, counted in compiled instructions: one per COMPILE_EVERY instructions retired, saved up to
    // COMPILE_BURST. Code that invalidates itself all the time (random bytes writing over their own pages)
    // otherwise recompiles whole pages every few instructions, and time and memory go to the compiler.
    const now = this.clock.instructions;
    this.compileCredit = Math.min(COMPILE_BURST, this.compileCredit + (now - this.creditAt) / COMPILE_EVERY);
    this.creditAt = now;
    if (this.compileCredit <= 0) return;
    if (this.wasm) {
      // the WebAssembly tier: its block compiled or queued, not warm enough yet, or no block start; on to a
      // JavaScript block only where this tier cannot start one
      const tier = this.wasmTier!;
      tier.poll();
      const { rounds: wasmRounds, lens: wasmLen, lins: wasmLin } = tier;
      let rounds = Math.min(255, wasmRounds[h]! + 1);
      if (wasmLin[h] !== lin || wasmLen[h] === 0) { // another start in this slot: form its block once
        const f = tier.form(lin, this.eip, phys, h);
        // compiled before (by this CPU, or by another machine of the process: jit/wasm/module-cache.ts): it runs from
        // the next visit, without waiting to warm up as a compile would
        if (f.block !== null) { this.installWasm(h, f.block); return; }
        wasmLin[h] = lin;
        wasmLen[h] = 1 + f.n;
        rounds = 1;
        // the instruction it would stop at, if no block can start there either, is no block start: the run loop
        // looks for one right after it, which may be warm long before this block is (Linux's blake2s: a
        // 3-instruction block, a REP MOVS, then 1,600 straight-line instructions)
        if (f.stopAt !== -1) this.markNoStart(f.stopAt);
        // nothing to compile here (the first instruction, or one running into the next page: blake2s again) and no
        // JavaScript block could start here either: no block start, so the interpreter looks right after it
        if (f.n === 0 && f.stopAt === this.eipI32) { this.markNoStart(this.eipI32); return; }
      }
      wasmRounds[h] = rounds;
      const visits = rounds * this.hotThreshold, n = wasmLen[h]! - 1;
      if (n > 0) {
        // warm enough for its length yet? (see WASM_WORK)
        if (visits * n < WASM_WORK && visits < Math.min(this.wasmThreshold, this.jsThreshold) && rounds < 255) return;
        const wb = tier.compile(lin, this.eip, phys, h);
        if (wb !== null) { this.installWasm(h, wb); return; }
      }
      // not for the WebAssembly tier: a JavaScript block once the start has had jitThreshold visits
      if (visits < this.jsThreshold && rounds < 255) return;
      wasmRounds[h] = 0; wasmLen[h] = 0;
    }
    const b = compileBlock(this, lin, this.eip, phys);
    this.install(h, b);
    if (b.n > 0) this.blocksCompiled++;
  }

  /** A WebAssembly block for slot `h` (compiled, queued, or from a kept module): installed, and the slot's warm-up reset. */
  private installWasm(h: number, b: Block): void {
    this.install(h, b);
    this.blocksCompiled++;
    this.wasmBlocks++;
    const tier = this.wasmTier!;
    tier.rounds[h] = 0; tier.lens[h] = 0;
  }

  /** A block compiled for slot `h`: in the table, paid from the compile budget, and the instruction it stops at marked. */
  private install(h: number, b: Block): void {
    this.setBlock(h, b);
    this.compileCredit -= b.n;
    this.insnsCompiled += b.n;
    if (b.stopAt !== -1) this.markNoStart(b.stopAt);
  }

  /**
   * The instruction at `eip` stopped a block just compiled: the block falls out there as often as it runs, and the
   * run loop would count JIT_THRESHOLD visits before finding that no block starts there, interpreting from it to
   * the next branch each time (in a Linux boot SLOB's PUSHF / POP m32 / CLI, BT and REP STOS in hot loops). When no
   * JavaScript block can start there either (the compiler asked about that one instruction: a WebAssembly block may
   * stop at one the JavaScript compiler has), store the empty block (no function, so no compile cost) now, in a slot
   * that holds no block. `eip`: its 32 bits, as an int32 or unsigned.
   */
  private markNoStart(eip: number): void {
    const lin = (this.segBase[CS]! + eip) | 0;
    const h = blockSlot(lin);
    if (this.blocks[h] !== undefined && this.blocks[h]!.n > 0) return;
    const e = this.tlb.r[lin >>> 12]!;
    if ((e & this.tlb.acc) === 0) return;
    const phys = (e & ~0xfff) | (lin & 0xfff);
    if (canStartBlock(this, u32(eip), phys)) return;
    const t = this.tlb;
    this.setBlock(h, new Block(null, 0, [], lin, this.segBase[CS]!, this.defOs, t.epoch, phys, t.codeGen, t.pageGen[phys >>> 12]!, -1, -1, 0, 0));
  }

  /** Slot `h` of the block table holds `b` now. */
  private setBlock(h: number, b: Block): void {
    this.blocks[h] = b;
    this.blk[h] = slotCode(b);
    this.blkLin[h] = b.lin;
  }
  /** `b`, queued for a batch, got its function (jit/wasm/wasm-block.ts install): the interpreter's view of its slot. */
  blockReady(b: Block): void {
    if (this.blocks[b.slot] === b) this.blk[b.slot] = slotCode(b);
  }
  /** Slot `h` of the block table is empty now (the WebAssembly tier drops a block it cannot run). */
  dropBlock(h: number): void {
    this.blocks[h] = undefined;
    this.blk[h] = 0;
  }

  /**
   * Would the CPU take an external interrupt now? (IF=1, INTR asserted, and the local APIC lets the
   * 8259 through.) A machine loop that sees 'halted' should warp the clock only when this is false:
   * the PIC may assert INTR while LINT0 is still masked, and then only time can change anything.
   */
  picInterruptsOpen(): boolean {
    return (this.flags & IF) !== 0 && this.lapic.acceptsPicIntr();
  }

  canTakeInterrupt(): boolean {
    return (this.flags & IF) !== 0 && this.intrLine !== null && this.lapic.acceptsPicIntr() && this.intrLine.intr();
  }

  /**
   * The interrupt controller's INTR output went up (IntrLine.onIntr, which the constructor sets). The hot loop leaves after
   * the current instruction so the run loop looks at INTR, as QEMU's cpu_interrupt makes TCG leave its translation
   * block: an interrupt a device raises during an IN or an MMIO access is taken at the next instruction boundary,
   * not at the end of the slice.
   */
  intrRaised(): void {
    this.breakLoop = true;
  }

  /** hotThreshold for a JavaScript-block threshold `js`: the first visit count at which either tier may compile */
  private firstTry(js: number): number {
    return this.wasm ? Math.min(WASM_FIRST, this.wasmThreshold, js) : js;
  }

  /** Ask run() to return 'stopped' after the current instruction (safe from inside an I/O handler). */
  requestStop(): void {
    this.stopRequested = true;
    this.breakLoop = true;
  }

  /**
   * Give the executed instructions to the virtual clock (before I/O, RDTSC and at slice end). `inBlock`: the
   * instructions a compiled block retired before the current one, which `retired` counts only when it returns.
   */
  syncClock(inBlock = 0): void {
    const n = this.retired + inBlock - this.given;
    if (n > 0) { this.given += n; this.clock.addInstructions(n); }
  }

  /**
   * After an OUT: leave the hot loop only when the write changed something the run loop acts on: an interrupt
   * the CPU can take now, a memory map (PAM, MMIO), or a timer armed before the slice's end. Otherwise the
   * loop's checks would find nothing new, so a guest polling a device stays in the hot loop.
   */
  portWritten(): void {
    if (this.mem.generation !== this.memGen || this.clock.nextDeadline() < this.sliceDeadline || this.canTakeInterrupt()) {
      this.breakLoop = true;
    }
  }

  /** Execute up to `maxInsns` instructions. */
  run(maxInsns: number): CpuExit {
    if (this.mem.generation !== this.memGen) { this.memGen = this.mem.generation; this.tlb.flush(); }
    this.stopRequested = false;
    this.exitReason = null;
    this.retired = 0;
    this.given = 0;
    let exit: CpuExit = 'budget';
    while (this.retired < maxInsns) {
      if (!this.shadow && (this.flags & IF) && this.intrLine !== null && this.lapic.acceptsPicIntr() && this.intrLine.intr()) {
        this.halted = false;
        this.deliverExternal(this.intrLine.ack() & 0xff);
        if (this.exitReason !== null) { exit = this.exitReason; break; }
      }
      if (this.halted) { exit = (this.flags & IF) ? 'halted' : 'halted-cli'; break; }
      // a slice ends at the budget, after CHUNK instructions, or when the next virtual timer is due
      // (the shadow's one instruction as a constant: a branch of its own ran only after the first STI, with no type
      // feedback, and V8 recompiled this loop then)
      const end = Math.min(maxInsns, this.retired + (this.shadow ? 1 : CHUNK), this.retired + this.clock.insnsUntilNextDeadline());
      this.shadow = false;
      this.breakLoop = false;
      this.sliceDeadline = this.clock.nextDeadline();
      this.runChunk(end);
      this.syncClock();
      if (this.tier !== null) this.tier.poll();
      if (this.mem.generation !== this.memGen) { this.memGen = this.mem.generation; this.tlb.flush(); } // PAM, MMIO maps
      if (this.breakLoop) {
        if (this.exitReason !== null) { exit = this.exitReason; break; }
        if (this.stopRequested) { exit = 'stopped'; break; }
        // (IF read whether halted or not: read only after the first HLT it had no type feedback, and V8 recompiled this)
        const cli = (this.flags & IF) === 0;
        if (this.halted && cli) { exit = 'halted-cli'; break; }
        // HLT with IF=1: the top of the loop takes a pending interrupt, or returns 'halted'
      }
    }
    this.syncClock();
    return exit;
  }

  /** The hot loop: runs until `this.retired` reaches `end` or an instruction breaks the loop. */
  private runChunk(end: number): void {
    const interp = INTERP_LOOP; // an import binding is a cell load with a hole check: read it once
    // EIP may start a block: false only after the JavaScript interpreter ran one instruction for the WebAssembly
    // interpreter and went straight on (see below)
    let atStart = true;
    while (this.retired < end) {
      try {
        while (this.retired < end) {
          this.insnStartI32 = this.eipI32;
          // decode state changes only through prefixes (and CS loads, see setCache): reset it after them
          if (this.prefixes !== 0) {
            this.prefixes = 0; this.fetchMax = this.segLimit[CS]!; // the window stays: it lies below either limit
            this.segOvr = -1; this.os = this.defOs; this.as32 = this.defAs; this.rep = 0;
          }
          // Blocks are looked up, and visits counted, only where a block can start: at a slice's start (after an
          // interrupt, or wherever the last slice stopped), after an exception, where a block left, and where the
          // interpreter's loop returns for a block start (after a branch, or after an instruction no block can
          // start with) with a block in the slot or a compile due; it counts the other visits itself
          // (fast-paths.ts makeInterpLoop). Counting every interpreted instruction made hot addresses that share
          // a slot reset each other's count, and cost three table reads per instruction.
          let nextStart = false;
          if (this.jit && atStart) {
            // the signed EIP: the same address modulo 2^32, and never a double (a kernel EIP past 2^31 read unsigned
            // deoptimised this loop once a boot)
            const lin = (this.segBase[CS]! + this.eipI32) | 0;
            const h = blockSlot(lin);
            const b = this.blocks[h];
            const tlb = this.tlb;
            if (b !== undefined && b.lin === lin && b.codeGen === tlb.codeGen && b.pageGen === tlb.pageGen[b.phys >>> 12] && b.gen2 === tlb.pageGen[b.genPage2] && b.csBase === this.segBase[CS] && b.os === this.defOs
              && (b.epoch === tlb.epoch || this.revalidate(b, lin))) {
              if (b.fn !== null && b.minBudget <= end - this.retired) {
                this.curBlock = b;
                const done = b.fn(this, end - this.retired);
                this.retired += done;
                this.blockStats[0]! += done;
                this.blockStats[1]!++;
                this.curBlock = null;
                if (this.breakLoop) return; // an IN/OUT (or MMIO) in the block stopped it: see jit/emit-io.ts
                // a WebAssembly block left before an instruction for the interpreter (its glue sets leftBefore on
                // every call; nothing in this branch needs type feedback, so its first use deoptimises nothing)
                if (b.wasmIndex >= 0 && this.leftBefore) { atStart = false; continue; }
                b.calls++;
                if (done < b.n && ++b.sideExits >= SIDE_EXITS && b.epoch === tlb.epoch) this.followSideExit(b, done, h);
                continue; // where a block leaves, another may start
              }
              if (b.fn === null && b.n > 0 && this.tier !== null) {
                // a WebAssembly block waiting for its batch: the batch is compiled now if it has waited long enough
                // (and the block runs), else the block's code is interpreted. What follows is not a block start:
                // counting it as one compiled a loop again from each of its instructions while the batch waited.
                this.tier.poll();
                if (b.fn !== null) continue;
              } else {
                // no compilable instruction here (or the block is longer than the slice's rest): a block may
                // start right after it
                nextStart = true;
              }
            } else if (this.hotLin[h] !== lin) {
              this.hotLin[h] = lin; // another address in this slot: start counting it afresh
              this.hot[h] = 1;
            } else if (++this.hot[h]! > this.hotThreshold) {
              this.hot[h] = 0;
              this.compileHere(lin, h); // used from the next visit; this one is interpreted
              nextStart = true;
            }
          }
          atStart = true;
          // The WebAssembly interpreter, in flat 32-bit code (jit/wasm/interpreter.ts): see interpretFlat
          if (this.wasmInterp && this.jit && this.segBase[CS] === 0 && flat(this) && this.wasmTier!.interpreterReady()) {
            const r = this.interpretFlat(end, nextStart, interp);
            if (r === FLAT_RETURN) return;
            atStart = r === FLAT_START;
            continue;
          }
          // interpreted instructions (fast-paths.ts makeInterpLoop), up to `end`, a breakLoop or (jit on) a block
          // start where there is a block to check or a compile due
          interp(this, end, nextStart);
          if (this.breakLoop) { this.takeShadow(); return; }
        }
      } catch (e) {
        if (e !== FAULT) throw e;
        if (this.curBlock !== null) {
          // instructions of the (JavaScript) block before the faulting one have retired
          const done = this.blkDone + Math.max(0, this.curBlock.starts.indexOf(this.insnStart));
          this.retired += done;
          this.blockStats[0]! += done;
          this.curBlock = null;
        }
        this.retired++;
        this.eip = this.insnStart;
        this.deliverException(this.excVec, this.excHasErr, this.excErr);
        if (this.breakLoop) return;
      }
    }
  }

  /**
   * Flat 32-bit code in the WebAssembly interpreter (jit/wasm/interpreter.ts), up to `end`, a block start with
   * something to do there, or a breakLoop. An instruction it leaves to the JavaScript interpreter runs there alone,
   * and the WebAssembly interpreter goes on after it unless a block may start there: whether one may is decided as
   * the JavaScript interpreter's loop decides it (fast-paths.ts), so both keep the same visit counts. Returns
   * FLAT_START (runChunk looks for a block at EIP), FLAT_NO_START (it may not start one there) or FLAT_RETURN.
   * After a hand-back that changed the mode (a segment load, a far jump) it returns too, and runChunk decides again.
   */
  private interpretFlat(end: number, nextStart: boolean, interp: InterpLoop): number {
    const tier = this.wasmTier!;
    for (;;) {
      const done = tier.interpret(this, end - this.retired, nextStart);
      this.retired += done;
      this.blockStats[0]! += this.interpInBlocks;
      this.blockStats[1]! += this.interpEntries;
      this.blockStats[2]! += done - this.interpInBlocks;
      // (a block it entered may have stopped the loop, as one the run loop enters does)
      if (this.interpExit !== EXIT_UNSUPPORTED) return this.breakLoop ? FLAT_RETURN : FLAT_START;
      const at = this.eipI32;
      this.insnStartI32 = at;
      interp(this, this.retired + 1, false);
      if (this.breakLoop) { this.takeShadow(); return FLAT_RETURN; }
      if ((done === 0 && nextStart) || this.rep !== 0 || ((this.eipI32 - at - 1) >>> 0) >= 15 || ((this.eipI32 ^ at) >>> 12) !== 0) return FLAT_START;
      // the instruction may have loaded a segment (a null DS, another CS) or left 32-bit code: runChunk decides again
      if (this.retired >= end || this.segBase[CS] !== 0 || !flat(this)) return FLAT_NO_START;
      nextStart = false;
    }
  }

  /**
   * Where the hot loop stops: STI / MOV SS / POP SS leave a one-instruction interrupt shadow (run() clears it before
   * the next slice). Stored whether set or not: a store made only after the first STI had no type feedback, and V8
   * recompiled the loops that inline this when a guest first ran one.
   */
  private takeShadow(): void {
    this.shadow = this.shadowNext;
    this.shadowNext = false;
  }

  /** Deliver a fault, turning nested faults into #DF and a fault during #DF into a triple fault. */
  deliverException(vec: number, hasErr: boolean, err: number): void {
    let first = -1;
    for (;;) {
      if (this.trace.on(tr.exception)) this.trace.emit(tr.exception, { vec, err: hasErr ? err : 0, cs: this.segSel[CS]!, eip: this.eip });
      try {
        // a fault-class exception pushes EFLAGS with RF set (SDM Vol. 3B 17.3.1.1; Bochs exception.cc assert_RF)
        if (this.pe && FAULT_CLASS(vec)) this.flags |= RF;
        interrupt(this, vec, false, 1, hasErr, err, this.eip);
        this.halted = false;
        return;
      } catch (e) {
        if (e !== FAULT) throw e;
        const second = this.excVec;
        if (vec === DFV) { this.tripleFault(); return; }
        first = vec;
        // Intel SDM Table 6-5: contributory+contributory or #PF+(#PF|contributory) -> #DF
        if ((CONTRIBUTORY(first) && CONTRIBUTORY(second)) || (first === 14 && (second === 14 || CONTRIBUTORY(second)))) {
          vec = DFV; hasErr = true; err = 0;
        } else {
          vec = second; hasErr = this.excHasErr; err = this.excErr;
        }
      }
    }
  }

  private deliverExternal(vec: number): void {
    if (this.trace.on(tr.interrupt)) this.trace.emit(tr.interrupt, { vec });
    try {
      interrupt(this, vec, false, 1, false, 0, this.eip);
    } catch (e) {
      if (e !== FAULT) throw e;
      this.deliverException(this.excVec, this.excHasErr, this.excErr);
    }
  }

  private tripleFault(): void {
    if (this.trace.on(tr.tripleFault)) this.trace.emit(tr.tripleFault, { cs: this.segSel[CS]!, eip: this.eip });
    this.exitReason = 'triple-fault';
    this.breakLoop = true;
    this.halted = true;
    this.onTripleFault?.(this);
  }

  /** HLT: stop until an interrupt (run() returns 'halted' or 'halted-cli'). */
  hlt(): void {
    this.halted = true;
    this.breakLoop = true;
    if (this.trace.on(tr.halt)) this.trace.emit(tr.halt, { ifFlag: (this.flags & IF) !== 0, cs: this.segSel[CS]!, eip: this.eip });
  }

  // ======================= state access for loaders and tests =======================

  /**
   * 32-bit flat protected mode as a Multiboot loader leaves it (Multiboot
   * spec 3.2): CS/DS/ES/FS/GS/SS flat 4 GiB, CR0.PE=1, PG=0, IF=0.
   * `sel` picks the selectors and GDTR (Linux's 32-bit boot protocol wants 0x10/0x18 and a real GDT).
   */
  setFlatProtectedMode(
    eip: number, regs: Partial<Record<(typeof REG_NAMES)[number], number>> = {},
    sel: { cs: number; ds: number; gdtBase: number; gdtLimit: number } = { cs: 0x08, ds: 0x10, gdtBase: this.gdtBase, gdtLimit: this.gdtLimit },
  ): void {
    this.cr0 = (this.cr0 | 1) & ~0x80000000;
    this.pe = true; this.pg = false;
    this.gdtBase = sel.gdtBase >>> 0; this.gdtLimit = sel.gdtLimit;
    const code = 0x00cf9b00, data = 0x00cf9300, lo = 0x0000ffff;
    setCache(this, CS, sel.cs, lo, code);
    for (const s of [ES, SS, DS, FS, GS]) setCache(this, s, sel.ds, lo, data);
    setCpl(this, 0);
    this.setFlagsRaw(2);
    this.eip = eip >>> 0;
    for (const [k, v] of Object.entries(regs)) this.setReg(k, v!);
    this.tlb.flush();
    this.halted = false;
  }

  getReg(name: string): number {
    const n = name.toLowerCase();
    const i = REG_NAMES.indexOf(n as never);
    if (i >= 0) return this.regs[i]! >>> 0;
    const i16 = REG_NAMES.findIndex((r) => r.slice(1) === n);
    if (i16 >= 0) return this.r16[i16 << 1]!;
    const s = SEG_NAMES.indexOf(n as never);
    if (s >= 0) return this.segSel[s]!;
    switch (n) {
      case 'eip': return this.eip >>> 0;
      case 'ip': return this.eip & 0xffff;
      case 'eflags': return this.getFlags() >>> 0;
      case 'flags': return this.getFlags() & 0xffff;
      case 'cr0': return this.cr0 >>> 0;
      case 'cr2': return this.cr2 >>> 0;
      case 'cr3': return this.cr3 >>> 0;
      case 'cr4': return this.cr4 >>> 0;
      case 'cpl': return this.cpl;
      case 'al': return this.r8[0]!; case 'ah': return this.r8[1]!;
      case 'bl': return this.r8[12]!; case 'cl': return this.r8[4]!; case 'dl': return this.r8[8]!;
      default: throw new RangeError(`unknown register ${name}`);
    }
  }

  setReg(name: string, v: number): void {
    const n = name.toLowerCase();
    const i = REG_NAMES.indexOf(n as never);
    if (i >= 0) { this.regs[i] = v; return; }
    const i16 = REG_NAMES.findIndex((r) => r.slice(1) === n);
    if (i16 >= 0) { this.r16[i16 << 1] = v; return; }
    const s = SEG_NAMES.indexOf(n as never);
    if (s >= 0) {
      // real-mode style load (tests, loaders): base = sel << 4
      this.segSel[s] = v; this.segBase[s] = (v & 0xffff) << 4; this.segRchk[s] = 0; this.segWchk[s] = 0;
      if (s === CS) this.dropFetchWindow();
      return;
    }
    switch (n) {
      case 'eip': case 'ip': this.eip = v >>> 0; return;
      case 'eflags': case 'flags': this.setFlagsRaw(v); return;
      default: throw new RangeError(`cannot set register ${name}`);
    }
  }

  /** Segment cache of a segment register, for tests and debuggers. */
  segment(name: (typeof SEG_NAMES)[number]): { sel: number; base: number; limit: number; usable: boolean } {
    const s = SEG_NAMES.indexOf(name);
    return { sel: this.segSel[s]!, base: this.segBase[s]! >>> 0, limit: this.segLimit[s]!, usable: (this.segRchk[s]! & SEG_UNUSABLE) === 0 };
  }
}
