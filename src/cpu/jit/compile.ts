/**
 * Block compiler: turns a straight-line run of common instructions (ALU,
 * MOV, LEA, INC/DEC, PUSH/POP, TEST, shifts) ending in a branch into one
 * JavaScript function (new Function), which V8 then optimises. Decoding
 * happens once per block instead of once per execution; the semantics come
 * from the same helpers the interpreter uses (alu, inc, dec, shiftOp), so
 * flags and faults match it exactly.
 *
 * A block never crosses a 4 KiB page and has no prefixed instructions; the
 * first instruction it cannot compile ends it, and the interpreter runs
 * that one. Before any instruction that can fault the code stores
 * c.insnStart, so the run loop can restart it precisely.
 */
import { FEAT_CMOV, FEAT_TSC } from '../cpu-model.js';
import { R8 } from '../cpu-state.js';
import type { Cpu } from '../cpu.js';
import { alu, dec, inc } from '../ops-alu.js';
import { imulTrunc } from '../ops-muldiv.js';
import { shiftOp } from '../ops-shift.js';
import { busIn, busOut } from '../port-io.js';
import { ioCheck } from '../transfers.js';
import { Block } from './block.js';
import { CodePages } from './code-pages.js';
import { emitPortIo, IDX } from './emit-io.js';
import { emitMoffs } from './emit-moffs.js';
import { emitString, type MemEmit } from './emit-string.js';
import { lowerFlags } from './flags.js';
import { hoistInvariantSites, siteMarker, type MemSite } from './invariant-sites.js';
import { CodeReader, decodeModrm } from './modrm.js';

const MAX_INSNS = 48;
const SEG = ['0', '1', '2', '3', '4', '5'];

/**
 * Inline code for `dst = alu(op, dst, src)` with the lazy-flag stores of
 * CpuState.setLazy/setLogic written out (ADC/SBB still call alu()). `dst`
 * is an assignable register expression, or null for CMP/TEST-like uses.
 */
/**
 * What the block knows at compile time about the lazy flags left by the
 * previous instruction: 'cf' = CF already sits in c.flags (lfMask has no CF),
 * K_ADD/K_SUB/K_LOGIC with the operand size, or unknown (block start, helpers).
 */
let flagKnown: 'unknown' | 'cf' | 'add' | 'sub' | 'logic' = 'unknown';
let flagBits = 32;
/** the CPU model has CMOVcc (set per block) */
let hasCmov = true;
/** the CPU model has RDTSC (set per block) */
let hasTsc = true;

/** Record the flag state an alu() call leaves (ops 0 ADD .. 7 CMP). */
function noteAlu(op: number, bits: number): void {
  flagBits = bits;
  flagKnown = op === 0 || op === 2 ? 'add' : op === 3 || op === 5 || op === 7 ? 'sub' : 'logic';
}

function aluInline(op: number, dst: string | null, d: string, s: string, bits: number): string {
  flagBits = bits;
  flagKnown = op === 0 || op === 2 ? 'add' : op === 3 || op === 5 || op === 7 ? 'sub' : 'logic';
  const store = dst !== null && op !== 7 ? `${dst}=res;` : '';
  if (op === 2 || op === 3) return dst !== null ? `${dst}=alu(c,${op},${d},${s},${bits});` : `alu(c,${op},${d},${s},${bits});`;
  if (op === 1 || op === 4 || op === 6) {
    const x = op === 1 ? '|' : op === 4 ? '&' : '^';
    return `{const res=(${d})${x}(${s});${store}/*LF{*/c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`;
  }
  const kind = op === 0 ? 0 : 1;
  const calc = op === 0 ? '(dd+ss)|0' : '(dd-ss)|0';
  return `{const dd=${d},ss=${s},res=${calc};${store}/*LF{*/c.lfKind=${kind};c.lfDst=dd;c.lfSrc=ss;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`;
}

const reg = (bits: number, i: number): string => (bits === 32 ? `r[${i}]` : bits === 16 ? `w[${i << 1}]` : `b[${R8[i]}]`);

/** EIP of the instruction being emitted (set by compileBlock before each emit). */
let curIp = 0;
/**
 * A call on a slow path that may fault: it stores c.insnStart first, so the run loop restarts this instruction
 * precisely. The fast paths next to it cannot fault and store nothing, so an instruction whose only faulting
 * code is on slow paths costs no store (compileBlock adds `c.insnStart=` at the start of the others).
 */
const guard = (call: string): string => `(/*MAT*/c.insnStart=${curIp},${call})`;
/**
 * The same for a memory or stack helper (the TLB's slow path): it may also write a code page or fill the TLB, so it
 * sets SL, which makes the loop's back edge check Tlb.epoch (a block that never left its fast paths skips that).
 */
const slowCall = (call: string): string => `(SL=1,/*MAT*/c.insnStart=${curIp},${call})`;
/** Text with the guarded calls taken out (what compileBlock checks for unguarded faulting calls). */
const unguarded = (t: string): string => t.replace(/c\.insnStart=\d+,[cC]\.\w+/g, '');
/** CPU methods and helpers a block may call without flushing the TLB or writing a code page */
const C_SAFE = new Set(['segR', 'segW', 'gp', 'cond', 'setFlagBits']);
const F_SAFE = new Set(['alu', 'inc', 'dec', 'shiftOp', 'imulTrunc']);
/** Helpers (called as `f(c, …)`) that never move ESP */
const F_ESP_SAFE = new Set([...F_SAFE, 'ioCheck']);
/** Does `code` call anything outside its guarded slow paths that may flush the TLB or write a code page? */
function callsOut(code: string): boolean {
  const u = unguarded(code);
  for (const m of u.matchAll(/\bc\.(\w+)\(/g)) if (!C_SAFE.has(m[1]!)) return true;
  for (const m of u.matchAll(/(\w+)\(c[,)]/g)) if (!F_SAFE.has(m[1]!)) return true;
  return false;
}
/**
 * May ESP live in a local? Not when a CPU stack helper is called other than in the synced fallbacks (which call
 * it as `C.push32`…, C being the same CPU, with c.regs[4] written before and read after), nor any helper that is
 * not known to leave ESP alone.
 */
function espLocal(code: string): boolean {
  if (/\bc\.(push|pop|peek|addSP)/.test(code)) return false;
  for (const m of code.matchAll(/(\w+)\(c[,)]/g)) if (!F_ESP_SAFE.has(m[1]!)) return false;
  return true;
}

/** Linear address of seg:ea with the segment check inline (the slow cases call CpuState.segR/segW). */
// Segment state cannot change inside a block (no compiled instruction loads a segment register and no
// helper it calls does), so each (check, segment, size) limit and each base is read once, in the prologue:
// SLW3_4 is the highest offset a 4-byte write through DS may use on the fast path (-1: always the slow path).
const segCheck = (rw: 'R' | 'W', seg: number, o: string, size: number): string =>
  `(${o}<=SL${rw}${seg}_${size}?(SB${seg}+${o})|0:${guard(`c.seg${rw}(${seg},${o},${size})`)})`;
const lin = (rw: 'R' | 'W', seg: number, ea: string, size: number): string => `(o=${ea},${segCheck(rw, seg, 'o', size)})`;
/** Prologue declarations for the SL/SB names `lin` used in `code`. */
function segLocals(code: string): string {
  const decl: string[] = [];
  for (const k of new Set(code.match(/\bSL[RW][0-5]_[124]\b/g) ?? [])) {
    const rw = k[2]!, seg = k[3]!, size = Number(k[5]!);
    decl.push(`${k}=c.seg${rw}chk[${seg}]===0?c.segLimit[${seg}]-${size - 1}:-1`);
  }
  for (const k of new Set(code.match(/\bSB[0-5]\b/g) ?? [])) decl.push(`${k}=c.segBase[${k[2]!}]`);
  return decl.length > 0 ? `const ${decl.join(',')};` : '';
}

/** The host is little-endian (every browser and Node platform in use): aligned words go through Int32Array/Uint16Array views of RAM. */
const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Memory access sites in the block being compiled: each has a one-entry translation cache (MOk / MPk). */
let memoSites = 0;
/**
 * A memory access with a per-site cache of its last translation, for the life of one call of the block
 * function: MOk is the segment offset the site used last and MPk the index of its (aligned) host word in RAM.
 * The same offset means the same segment check (segment state is fixed inside a block) and the same page, whose
 * TLB entry cannot change while the block runs (entries are only dropped by flushes, which no compiled instruction
 * causes, and filled on misses; a code page is never cached for writes): a loop that uses the same address every
 * iteration skips the segment check and the TLB lookup after the first. Only aligned accesses through a cached TLB
 * entry fill the cache; anything else goes to CpuState.rd*L/wr*L (their own fast path, then the page walk).
 */
function memSite(): number { return memoSites++; }
/** the sites of the block being compiled, for jit/invariant-sites.ts */
let memSites: MemSite[] = [];
const VIEW = ['', 'ram', 'ram16', '', 'ram32'];
const SHIFT = [0, 0, 1, 0, 2];
/**
 * A read with the translation cache and the TLB fast path inline; anything else (segment check failed or not
 * plain, TLB miss, unaligned) goes to CpuState.rd8/16/32, which checks the segment again and walks the pages.
 * The cache compares offsets as int32 (`|0`): V8 keeps them in a register with no unsigned-to-double conversion;
 * the segment check and the slow path take the unsigned value.
 */
function rdMem(size: number, seg: number, ea: string): string {
  const k = memSite(), view = VIEW[size]!, sh = SHIFT[size]!;
  if (!LE && size > 1) return slowCall(`${RD[size]}(${seg},${ea})`);
  memSites.push({ k, size, seg, write: false, ea });
  const aligned = size === 1 ? '' : `&&(la&${size - 1})===0`;
  return `(${siteMarker(k)}(o=(${ea})|0)===MO${k}?${view}[MP${k}]:(o>>>0)<=SLR${seg}_${size}&&((e=tr[(la=(SB${seg}+o)|0)>>>12])&acc)!==0${aligned}` +
    `?(MO${k}=o,${view}[MP${k}=((e&~0xfff)|(la&0xfff))>>${sh}]):${slowCall(`${RD[size]}(${seg},o>>>0)`)})`;
}
/** A write statement with the translation cache and the TLB fast path inline (else CpuState.wr8/16/32). */
function wrMem(size: number, seg: number, ea: string, v: string): string {
  const k = memSite(), view = VIEW[size]!, sh = SHIFT[size]!;
  if (!LE && size > 1) return `{const v=${v};${slowCall(`${WR[size]}(${seg},${ea},v)`)};}`;
  memSites.push({ k, size, seg, write: true, ea });
  const aligned = size === 1 ? '' : `&&(la&${size - 1})===0`;
  return `{const v=${v};${siteMarker(k)}if((o=(${ea})|0)===MO${k})${view}[MP${k}]=v;else if((o>>>0)<=SLW${seg}_${size}&&((e=tw[(la=(SB${seg}+o)|0)>>>12])&acc)!==0${aligned})` +
    `{MO${k}=o;${view}[MP${k}=((e&~0xfff)|(la&0xfff))>>${sh}]=v;}else ${slowCall(`${WR[size]}(${seg},o>>>0,v)`)};}`;
}
const RD = ['', 'c.rd8', 'c.rd16', '', 'c.rd32'];
const WR = ['', 'c.wr8', 'c.wr16', '', 'c.wr32'];
/** The inline accessors, for the emitters in emit-*.ts. */
const MEM: MemEmit = { rd: rdMem, wr: wrMem };
const RDL = ['', 'c.rd8L', 'c.rd16L', '', 'c.rd32L'];
const WRL = ['', 'c.wr8L', 'c.wr16L', '', 'c.wr32L'];
/** the read of a read-modify-write: through the write translation (CpuState.rdW32L) */
const RWL = ['', 'c.rdW8L', 'c.rdW16L', '', 'c.rdW32L'];

/**
 * Stack operations inline on a 32-bit stack (SS.B = 1, `SSB` read in the prologue: a segment load between two
 * runs of the block can change it), through the CPU's push/pop otherwise. ESP is written only after the access,
 * so a fault leaves it unchanged. The fallback syncs c.regs[4] around the call (ESP may live in a local).
 */
function pushOp(vb: number, v: string, old: string): string {
  if (vb !== 32) return old;
  return `{const pv=${v};if(SSB){const sp=(r[4]-4)|0;${wrMem(4, 2, '(sp>>>0)', 'pv')}r[4]=sp;}` +
    `else{c.regs[4]=r[4];${slowCall('C.push32(pv)')};r[4]=c.regs[4];}}`;
}
/** `t` = the dword at the stack top, popped. */
function popOp(vb: number, t: string): string {
  if (vb !== 32) return '';
  return `if(SSB){${t}=${rdMem(4, 2, '(r[4]>>>0)')};r[4]=(r[4]+4)|0;}` +
    `else{c.regs[4]=r[4];${t}=${slowCall('C.pop32()')};r[4]=c.regs[4];}`;
}

/** A ModRM operand as the emitters use it: `ea`, the memory operand's offset as source text ('' for a register). */
interface ModRM { mod: number; reg: number; rm: number; ea: string; seg: number }

function modrm(rd: CodeReader, as32: boolean): ModRM {
  const d = decodeModrm(rd, as32), e = d.ea;
  if (e === null) return { mod: d.mod, reg: d.reg, rm: d.rm, ea: '', seg: 0 };
  // registers: r[] (int32) with 32-bit addressing, the 16-bit view w[] (two entries per register) with 16-bit
  const r = (n: number): string => (as32 ? `r[${n}]` : `w[${n * 2}]`);
  let ea = e.base < 0 ? String(e.disp) : r(e.base);
  if (e.index >= 0) ea += as32 ? `+(r[${e.index}]<<${e.scale})` : `+${r(e.index)}`;
  if (d.mod === 1 || d.mod === 2) ea += `+${e.disp}`;
  return { mod: d.mod, reg: d.reg, rm: d.rm, ea: as32 ? `((${ea})>>>0)` : `((${ea})&0xffff)`, seg: e.seg };
}

/**
 * Blocks by where and how they were compiled, with the code bytes they were compiled from. A block goes stale when
 * anything writes to its page (Tlb.pageGen), but often the write did not touch its code (data next to code, a
 * guest rewriting its page with the same bytes): compiling it again would give the same function, so when the
 * bytes it decoded are unchanged the block is taken from here. Per CPU (the functions close over the CPU);
 * bounded: cleared when it reaches BLOCK_CACHE_MAX entries.
 */
interface Compiled { readonly block: Block; readonly ranges: readonly number[]; readonly bytes: Uint8Array }
const blockCaches = new WeakMap<Cpu, Map<string, Compiled>>();
const BLOCK_CACHE_MAX = 8192;
/** RAM ranges (offset, length pairs) the block being compiled read its code from */
let readRanges: number[] = [];

/** Compile the block at linear `lin` (EIP `eip`), whose code is at RAM offset `phys`. */
export function compileBlock(c: Cpu, lin: number, eip: number, phys: number, taken?: ReadonlySet<number>, rounds = 0): Block {
  let cache = blockCaches.get(c);
  if (cache === undefined) { cache = new Map(); blockCaches.set(c, cache); }
  // everything the emitted code depends on besides the bytes (segment limits and bases are read when it runs)
  const key = `${phys}:${lin}:${eip}:${c.segBase[1]!}:${c.defOs}:${c.defAs ? 1 : 0}:${c.features & 0x8010}`;
  // (a block formed again along a Jcc's taken path, Cpu.followSideExit, is compiled afresh and not kept)
  const hit = taken === undefined ? cache.get(key) : undefined;
  const t = c.tlb;
  if (hit !== undefined && sameBytes(c.ram, hit) && secondPageSame(c, hit.block)) {
    const b = hit.block;
    return b.renewed(t.epoch, t.codeGen, t.pageGen[phys >>> 12]!, b.phys2 < 0 ? 0 : t.pageGen[b.phys2 >>> 12]!);
  }
  readRanges = [];
  const block = compileFresh(c, lin, eip, phys, taken, rounds);
  if (taken !== undefined) return block;
  let total = 0;
  for (let i = 1; i < readRanges.length; i += 2) total += readRanges[i]!;
  const bytes = new Uint8Array(total);
  for (let i = 0, at = 0; i < readRanges.length; i += 2) {
    bytes.set(c.ram.subarray(readRanges[i]!, readRanges[i]! + readRanges[i + 1]!), at);
    at += readRanges[i + 1]!;
  }
  if (cache.size >= BLOCK_CACHE_MAX) cache.clear();
  cache.set(key, { block, ranges: readRanges, bytes });
  return block;
}

function sameBytes(ram: Uint8Array, e: Compiled): boolean {
  const r = e.ranges, b = e.bytes;
  for (let i = 0, at = 0; i < r.length; i += 2) {
    const start = r[i]!, len = r[i + 1]!;
    for (let k = 0; k < len; k++) if (ram[start + k] !== b[at + k]) return false;
    at += len;
  }
  return true;
}

/** The block's second page (jit/code-pages.ts) still translates to the page it was compiled from, and is code. */
function secondPageSame(c: Cpu, b: Block): boolean {
  if (b.lin2 < 0) return true;
  const t = c.tlb, e = t.r[b.lin2]!;
  return (e & t.acc) !== 0 && (e & ~0xfff) === b.phys2 && t.codePage[b.phys2 >>> 12] !== 0;
}

/**
 * Can a block start with the instruction at EIP `eip` (RAM offset `phys`)? The first instruction's emit alone: the
 * WebAssembly tier asks before it marks an instruction it lacks as no block start (Cpu.markNoStart), without the
 * cost of a whole block and its function.
 */
export function canStartBlock(c: Cpu, eip: number, phys: number): boolean {
  const os = c.defOs;
  const rd = new CodeReader(c.ram, phys, (phys | 0xfff) + 1);
  beginBlock(c);
  insnStartP = phys;
  curIp = eip;
  branchKind = 'none';
  const code = emit(rd, [], eip, os, c.defAs, os ? 32 : 16, os ? 0xffffffff : 0xffff);
  return rd.ok && code !== 'stop';
}

/** The emitter's per-block state, reset before a block's first instruction. */
function beginBlock(c: Cpu): void {
  flagKnown = 'unknown';
  memoSites = 0;
  memSites = [];
  hasCmov = (c.features & FEAT_CMOV) !== 0; // without it CMOVcc is #UD (the interpreter raises it)
  hasTsc = (c.features & FEAT_TSC) !== 0; // without it RDTSC is #UD
}

function compileFresh(c: Cpu, lin: number, eip: number, phys: number, taken: ReadonlySet<number> | undefined, rounds: number): Block {
  const os = c.defOs, as32 = c.defAs;
  const vb = os ? 32 : 16;
  const rd = new CodeReader(c.ram, phys, (phys | 0xfff) + 1);
  const pages = new CodePages(c, lin, phys);
  const lines: string[] = [];
  const starts: number[] = [];
  /** per instruction: its branch kind, taken target and the address after it */
  const kinds: BranchKind[] = [], targets: number[] = [], nexts: number[] = [];
  /** 1 for a Jcc the block follows along its taken path (`taken`): its fall-through path is the side exit */
  const followed: number[] = [];
  let ip = eip, ended = false, stopped = false;
  beginBlock(c);
  const ipMask = os ? 0xffffffff : 0xffff;
  const csBase = c.segBase[1]!;
  const visited = new Set<number>([eip]);
  // return addresses of the CALLs followed so far: a RET is predicted to go back to the innermost one
  const rets: number[] = [];
  // Superblock: a direct JMP/CALL within the page is followed, and a Jcc continues on its fall-through
  // path with a side exit for the taken path, so a block runs up to the next indirect branch.
  while (!ended && starts.length < MAX_INSNS) {
    // back at an instruction already in the block (the start: the block loops, see below); each
    // instruction appears once, so a fault maps to one position in `starts`
    if (starts.includes(ip)) break;
    const save = rd.p;
    insnStartP = save;
    curIp = ip;
    const out: string[] = [];
    branchKind = 'none';
    const code = emit(rd, out, ip, os, as32, vb, ipMask);
    readRanges.push(save, rd.p - save); // what decided this instruction (the one that stops the block too)
    if (!rd.ok || code === 'stop') { stopped = rd.ok; rd.p = save; break; }
    const len = rd.p - save;
    starts.push(ip);
    // only an instruction with a faulting call outside the guarded slow paths needs its EIP stored up front
    const text = out.join('');
    lines.push((/c\.(rd|wr|seg|push|pop|peek|gp|addSP)/.test(unguarded(text)) ? `c.insnStart=${ip};` : '') + text);
    ip = ip + len;
    const kind = branchKind as BranchKind;
    kinds.push(kind); targets.push(branchTarget); nexts.push(ip);
    if (code !== 'end') continue;
    const t = branchTarget;
    // a Jcc continues on its fall-through path (the taken path leaves through a side exit), unless it
    // jumps back to the block start: then it is the loop's back edge and ends the block
    if (kind === 'jcc' && t !== eip) {
      // a Jcc seen to leave the block most of the time (`taken`, from Cpu.runChunk): go on along the taken path
      // and leave through a side exit on the fall-through one instead
      if (taken !== undefined && taken.has((csBase + ip - len) | 0) && !visited.has(t) && !starts.includes(t) && pages.seek(rd, (csBase + t) | 0)) {
        visited.add(t);
        followed[lines.length - 1] = 1;
        ip = t;
      }
      continue;
    }
    if (kind === 'ret') {
      // a RET that returns to a CALL in this block goes on there; any other return address leaves
      // through a side exit
      const r = rets.pop();
      if (r !== undefined && !starts.includes(r) && !visited.has(r) && pages.seek(rd, (csBase + r) | 0)) {
        visited.add(r);
        targets[targets.length - 1] = r;
        ip = r;
        continue;
      }
      ended = true;
      continue;
    }
    if ((kind === 'jmp' || kind === 'call') && !visited.has(t) && pages.seek(rd, (csBase + t) | 0)) {
      visited.add(t);
      if (kind === 'call') rets.push(branchNext);
      ip = t;
      continue;
    }
    ended = true;
  }
  const n = starts.length;
  const made = (fn: ((c: Cpu, max: number) => number) | null): Block => new Block(fn, n, starts, lin, c.segBase[1]!, os, c.tlb.epoch, phys,
    c.tlb.codeGen, c.tlb.pageGen[phys >>> 12]!, pages.lin2, pages.phys2, pages.phys2 < 0 ? 0 : c.tlb.pageGen[pages.phys2 >>> 12]!, rounds);
  if (n === 0) return made(null);
  const madeStop = (fn: ((c: Cpu, max: number) => number) | null): Block => {
    const b = made(fn);
    if (stopped) b.stopAt = ip | 0; // the block leaves there on some path (a Jcc's fall-through, a JMP's target...)
    return b;
  };
  // Where each branch goes. c.eip is stored only when the block returns (a fault restarts at c.insnStart):
  // a side exit stores its target, the last instruction its successor, and a jump back to the block start
  // is the loop's back edge, which goes round again while the budget allows and no TLB flush or code write
  // (Tlb.epoch) happened.
  // (MATS: the lazy flags are stored there, BACK: they go round the loop; see jit/flags.ts)
  // `lim` (prologue) folds the budget and the back edge's CS-limit check into one compare: a Jcc/LOOP back edge
  // runs its limit check (`chk`, which raises #GP) only on the way out, and lim is -1 when it would fail.
  const back = (chk = ''): string =>
    `if(n>lim||SL!==0&&tlb.epoch!==ep){${chk}n+=${n};/*MATS*/c.eip=${eip};return n;}n=(n+${n})|0;/*BACK*/continue;`;
  const goTo = (t: number, count: number): string => (t === eip ? back() : `/*MATS*/c.eip=${t};return n+${count};`);
  for (let i = 0; i < n; i++) {
    const last = i === n - 1, k = kinds[i]!, t = targets[i]!;
    let l = lines[i]!.replaceAll(IDX, String(i));
    let chk = '';
    l = l.replace(/\/\*CSL\{\*\/(.*?)\/\*\}CSL\*\//, (_, x: string) => { chk = x; return ''; });
    if ((k === 'jcc' || k === 'loop') && last && t === eip) {
      l = l.replace('/*TAKEN*/', back(chk)).replace('/*FALL*/', goTo(nexts[i]!, n));
    } else if ((k === 'jcc' || k === 'loop') && followed[i] === 1 && !last) {
      l = l.replace('/*TAKEN*/', chk);
      // the block went on along the taken path: the fall-through one leaves
      l = l.replace('/*FALL*/', `/*MATS*/c.eip=${nexts[i]!};return n+${i + 1};`);
    } else if (k === 'jcc' || k === 'loop') {
      l = l.replace('/*TAKEN*/', chk + (last ? goTo(t, n) : `/*MATS*/c.eip=${t};return n+${i + 1};`)).replace('/*FALL*/', last ? goTo(nexts[i]!, n) : '');
    } else if (k === 'ret') {
      // t: the return address predicted (the block goes on there), or 0 at the end of the block
      l = l.replace('/*RET*/', last ? `/*MATS*/c.eip=t;if(t===${eip}){${back()}}return n+${n};` : `if(t!==${t}){/*MATS*/c.eip=t;return n+${i + 1};}`);
    } else if (last) {
      l += goTo(k === 'jmp' || k === 'call' ? t : nexts[i]!, n);
    }
    lines[i] = l;
  }
  dropDeadFlagStores(lines);
  const loops = lines.some((l) => l.includes('/*BACK*/'));
  const flags = lowerFlags(lines, loops);
  const hoisted = hoistInvariantSites(flags.lines.join('\n'), memSites, loops);
  let code = hoisted.code;
  // blkDone (instructions of completed iterations) only matters when a fault unwinds: set it in finally
  let pre = 'try{', post = '}finally{c.blkDone=n;}';
  // Registers in JS locals when the block only uses whole 32-bit registers (no 16/8-bit views). ESP too
  // when every stack access is inline (no CPU helper that moves ESP is called outside the synced fallbacks
  // of pushOp/popOp/RET). `finally` writes them back on every exit, a fault included: a faulting
  // instruction has not written its destination yet, so the guest sees a precise state.
  if (!/\bw\[|\bb\[/.test(code)) {
    const regRe = espLocal(code) ? /\br\[([0-7])\]/g : /\br\[([0-35-7])\]/g;
    const used = [...new Set([...code.matchAll(regRe)].map((m) => m[1]!))];
    if (used.length > 0) {
      code = code.replace(regRe, 'R$1');
      pre = `let ${used.map((i) => `R${i}=r[${i}]`).join(',')};try{`;
      post = `}finally{c.blkDone=n;${used.map((i) => `r[${i}]=R${i};`).join('')}}`;
    }
  } else if (!/\br\[|\bb\[/.test(code)) {
    // the same for blocks that only use 16-bit registers (w[] index = register * 2; SP is w[8])
    const used = [...new Set([...code.matchAll(/\bw\[(0|2|4|6|10|12|14)\]/g)].map((m) => m[1]!))];
    if (used.length > 0) {
      // a Uint16Array store truncates; a local does not, so every assignment masks explicitly
      code = code.replace(/\bw\[(0|2|4|6|10|12|14)\]/g, 'W$1').replace(/\bW(\d+)=(?!=)([^;]*);/g, 'W$1=($2)&0xffff;');
      pre = `let ${used.map((i) => `W${i}=w[${i}]`).join(',')};try{`;
      post = `}finally{c.blkDone=n;${used.map((i) => `w[${i}]=W${i};`).join('')}}`;
    }
  }
  // A site's one-entry cache starts empty: 0.5 is no offset (offsets are int32s). -1 was, and an access at offset
  // 0xFFFFFFFF (a byte at the top of a flat segment) matched the empty cache and read RAM byte 0 (MP = 0): found by
  // test/cpu/wasm-tier.test.ts's random-bytes comparison with the interpreter.
  const memo = Array.from({ length: memoSites }, (_, k) => `MO${k}=0.5,MP${k}=0`).join(',');
  // The CPU and its arrays are constants of the closure (one closure per CPU and source text, see blockFunction), so
  // V8 can embed them: a RAM or TLB access needs no map check or reload of the array's length and data pointer.
  // `max` (at most the slice, CHUNK in cpu.ts) as an int32, so the budget check needs no tag check.
  const body = `return function block(_c,max){const ep=tlb.epoch,acc=tlb.acc,csl=c.segLimit[1],SSB=c.ssBig,mx=max<0x7fffffff?max|0:0x7fffffff,lim=${eip >>> 0}>csl?-1:(mx-${2 * n})|0;` +
    `let n=0,o=0,la=0,e=0,p=0,SL=${callsOut(code) ? 1 : 0}${memo ? ',' + memo : ''};
${segLocals(code)}${hoisted.decl}${flags.decl}${pre}for(;;){
${code}
}${post}}`;
  const fn = blockFunction(c, body);
  return madeStop(fn);
}

/**
 * Compiled functions by CPU and source text. A block's source depends only on its code bytes, addresses and decode
 * mode, so after a code-page write drops every block (Tlb.clearCode) or a slot collision evicts one, the same block
 * compiles to the same text: reusing the function skips V8's parse and tier-up, which cost ~0.3 ms a block in a
 * Linux boot (more than most blocks ever save). Per CPU because the function closes over the CPU's arrays. Bounded:
 * cleared when it reaches SOURCE_CACHE_MAX entries.
 */
const sourceCaches = new WeakMap<Cpu, Map<string, (c: Cpu, max: number) => number>>();
const SOURCE_CACHE_MAX = 16384;
function blockFunction(c: Cpu, body: string): (c: Cpu, max: number) => number {
  let cache = sourceCaches.get(c);
  if (cache === undefined) { cache = new Map(); sourceCaches.set(c, cache); }
  let fn = cache.get(body);
  if (fn === undefined) {
    if (cache.size >= SOURCE_CACHE_MAX) cache.clear();
    const make = new Function('c', 'alu', 'inc', 'dec', 'shiftOp', 'imulTrunc', 'ioCheck', 'busIn', 'busOut',
      'const C=c,r=c.regs,w=c.r16,b=c.r8,tlb=c.tlb,tr=tlb.r,tw=tlb.w,ram=c.ram,ram16=c.ram16,ram32=c.ram32;' + body);
    fn = make(c, alu, inc, dec, shiftOp, imulTrunc, ioCheck, busIn, busOut) as (c: Cpu, max: number) => number;
    cache.set(body, fn);
  }
  return fn;
}

/** Emit one instruction. Returns 'ok', 'end' (a branch that set c.eip) or 'stop' (not compiled). */
function emit(rd: CodeReader, out: string[], ip: number, os: number, as32: boolean, vb0: number, ipMask: number): 'ok' | 'end' | 'stop' {
  let op = rd.u8();
  let vb = vb0;
  if (op === 0x66) {
    // operand-size prefix: only for forms whose meaning is just "the other operand size"
    op = rd.u8();
    vb = vb0 === 32 ? 16 : 32;
    const okForm = (op < 0x40 && (op & 7) < 6) || (op >= 0x40 && op < 0x60) || (op >= 0xb8 && op < 0xc0)
      || [0x81, 0x83, 0x85, 0x89, 0x8b, 0x8d, 0xc1, 0xc7, 0xd1, 0xd3, 0xa9, 0xe5, 0xe7, 0xed, 0xef, 0xa1, 0xa3, 0xa5, 0xab, 0xad].includes(op);
    if (!okForm) return 'stop';
  } else if (op === 0xf3) {
    // F3 90 is PAUSE, a NOP here; any other REP form stays interpreted
    return rd.u8() === 0x90 ? 'ok' : 'stop';
  }
  if (op < 0x40 && (op & 7) < 6) {
    const aop = op >> 3, form = op & 7;
    const bits = form & 1 ? vb : 8, size = bits >> 3;
    if (form === 4 || form === 5) {
      const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.s32();
      out.push(aluInline(aop, reg(bits, 0), reg(bits, 0), String(imm), bits));
      return 'ok';
    }
    const m = modrm(rd, as32);
    const g = reg(bits, m.reg);
    if (form < 2) { // E, G
      if (m.mod === 3) {
        const e = reg(bits, m.rm);
        out.push(aluInline(aop, e, e, g, bits));
      } else if (aop === 7) out.push(aluInline(7, null, rdMem(size, m.seg, m.ea), g, bits)); // CMP m, r: the read first
      else out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,alu(c,${aop},${RWL[size]}(a),${g},${bits}));}`);
      noteAlu(aop, bits);
    } else { // G, E
      const e = m.mod === 3 ? reg(bits, m.rm) : rdMem(size, m.seg, m.ea);
      out.push(aluInline(aop, g, g, e, bits));
    }
    return 'ok';
  }
  if (op >= 0x40 && op < 0x50) {
    const r = reg(vb, op & 7);
    // INC/DEC keep CF: materialise it from the previous lazy state first (CpuState.setLazyKeepCF),
    // with the formula of the previous operation when the block knows it
    const top = flagBits - 1;
    const cf = flagKnown === 'cf' ? '' : flagKnown === 'logic' ? 'c.flags&=~1;'
      : flagKnown === 'add' ? `c.flags=(c.flags&~1)|((((c.lfDst&c.lfSrc)|((c.lfDst|c.lfSrc)&~c.lfRes))>>>${top})&1);`
      : flagKnown === 'sub' ? `c.flags=(c.flags&~1)|((((~c.lfDst&c.lfSrc)|((~c.lfDst|c.lfSrc)&c.lfRes))>>>${top})&1);`
      : 'if(c.lfMask&1)c.flags=(c.flags&~1)|(c.lfKind===2?0:((c.lfKind===0?(c.lfDst&c.lfSrc)|((c.lfDst|c.lfSrc)&~c.lfRes)'
        + ':(~c.lfDst&c.lfSrc)|((~c.lfDst|c.lfSrc)&c.lfRes))>>>(c.lfBits-1))&1);'; // CpuState.getCF
    flagKnown = 'cf';
    flagBits = vb;
    out.push(`{${cf}const dd=${r},res=(dd${op < 0x48 ? '+' : '-'}1)|0;${r}=res;` +
      `/*LF{*/c.lfKind=${op < 0x48 ? 0 : 1};c.lfDst=dd;c.lfSrc=1;c.lfRes=res;c.lfBits=${vb};c.lfMask=2260;/*}LF*/}`);
    return 'ok';
  }
  if (op >= 0x50 && op < 0x58) { out.push(pushOp(vb, reg(vb, op & 7), `c.push${vb}(${reg(vb, op & 7)});`)); return 'ok'; }
  if (op >= 0x58 && op < 0x60) {
    out.push(vb === 32 ? `{let v=0;${popOp(vb, 'v')}${reg(vb, op & 7)}=v;}` : `{const v=c.pop${vb}();${reg(vb, op & 7)}=v;}`);
    return 'ok';
  }
  if (op >= 0x70 && op < 0x80) {
    const rel = rd.s8();
    return jcc(out, op & 15, ip, rd, rel, ipMask);
  }
  if (op >= 0xa0 && op < 0xa4) { // MOV AL/eAX <-> moffs: jit/emit-moffs.ts
    const off = as32 ? rd.s32() >>> 0 : rd.u16();
    out.push(emitMoffs(op, vb, off, MEM));
    return 'ok';
  }
  if (op === 0xa4 || op === 0xa5 || (op >= 0xaa && op < 0xae)) { // MOVS/STOS/LODS without REP: jit/emit-string.ts
    out.push(emitString(op, vb, as32, MEM)!);
    return 'ok';
  }
  if ((op & 0xf4) === 0xe4) { // IN/OUT (E4-E7 imm8, EC-EF DX): jit/emit-io.ts
    const port = op < 0xe8 ? rd.u8() : 0;
    out.push(emitPortIo(op, vb, port, ip, ip + (rd.p - insnStartP)));
    return 'ok';
  }
  switch (op) {
    case 0x69: case 0x6b: { // IMUL Gv, Ev, imm
      const m = modrm(rd, as32);
      const e = m.mod === 3 ? reg(vb, m.rm) : rdMem(vb >> 3, m.seg, m.ea);
      const imm = op === 0x6b ? rd.s8() : vb === 32 ? rd.s32() : (rd.u16() << 16) >> 16;
      out.push(`${reg(vb, m.reg)}=imulTrunc(c,${vb === 32 ? `(${e})|0` : `(${e})<<16>>16`},${imm},${vb});`);
      flagKnown = 'unknown';
      return 'ok';
    }
    case 0xf6: case 0xf7: { // group 3: TEST E, imm / NOT / NEG (MUL, IMUL, DIV, IDIV stay interpreted)
      const bits = op === 0xf6 ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      if (m.reg === 1 || m.reg > 3) return 'stop';
      const e = m.mod === 3 ? reg(bits, m.rm) : null;
      if (m.reg === 0) {
        const v = e ?? rdMem(size, m.seg, m.ea);
        const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.s32();
        out.push(`{const res=(${v})&${imm};/*LF{*/c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`);
        flagKnown = 'logic';
        flagBits = bits;
      } else if (m.reg === 2) { // NOT: no flags
        out.push(e !== null ? `${e}=~${e};` : `{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,~${RWL[size]}(a));}`);
      } else { // NEG = 0 - v
        if (e !== null) out.push(aluInline(5, e, '0', e, bits));
        else {
          out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,alu(c,5,0,${RWL[size]}(a),${bits}));}`);
          noteAlu(5, bits);
        }
      }
      return 'ok';
    }
    case 0xfe: case 0xff: { // INC/DEC E, PUSH Ev (the other forms of group 4/5 stay interpreted)
      const bits = op === 0xfe ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      if (op === 0xff && m.reg === 6) { // PUSH Ev: the operand is read (and its address taken) before ESP moves
        const e = m.mod === 3 ? reg(vb, m.rm) : rdMem(vb >> 3, m.seg, m.ea);
        out.push(pushOp(vb, e, `c.push${vb}(${e});`));
        return 'ok';
      }
      if (m.reg > 1) return 'stop';
      const f = m.reg === 0 ? 'inc' : 'dec';
      out.push(m.mod === 3 ? `${reg(bits, m.rm)}=${f}(c,${reg(bits, m.rm)},${bits});`
        : `{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,${f}(c,${RWL[size]}(a),${bits}));}`);
      flagKnown = 'unknown';
      return 'ok';
    }
    case 0x80: case 0x81: case 0x83: {
      const bits = op === 0x80 ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      const imm = op === 0x80 ? rd.u8() : op === 0x83 ? rd.s8() : bits === 16 ? rd.u16() : rd.s32();
      if (m.mod === 3) {
        const e = reg(bits, m.rm);
        out.push(aluInline(m.reg, e, e, String(imm), bits));
      } else if (m.reg === 7) out.push(aluInline(7, null, rdMem(size, m.seg, m.ea), String(imm), bits));
      else out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,alu(c,${m.reg},${RWL[size]}(a),${imm},${bits}));}`);
      noteAlu(m.reg, bits);
      return 'ok';
    }
    case 0x84: case 0x85: {
      const bits = op === 0x84 ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      const e = m.mod === 3 ? reg(bits, m.rm) : rdMem(size, m.seg, m.ea);
      out.push(`{const res=${e}&${reg(bits, m.reg)};/*LF{*/c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`);
      flagKnown = 'logic';
      flagBits = bits;
      return 'ok';
    }
    case 0x88: case 0x89: case 0x8a: case 0x8b: {
      const bits = op & 1 ? vb : 8, size = bits >> 3;
      const m = modrm(rd, as32);
      const g = reg(bits, m.reg);
      if (op < 0x8a) out.push(m.mod === 3 ? `${reg(bits, m.rm)}=${g};` : wrMem(size, m.seg, m.ea, g));
      else out.push(`${g}=${m.mod === 3 ? reg(bits, m.rm) : rdMem(size, m.seg, m.ea)};`);
      return 'ok';
    }
    case 0x8d: {
      const m = modrm(rd, as32);
      if (m.mod === 3) return 'stop';
      out.push(`${reg(vb, m.reg)}=${m.ea};`);
      return 'ok';
    }
    case 0x90: return 'ok';
    case 0xa8: case 0xa9: { // TEST AL/eAX, imm
      const bits = op === 0xa8 ? 8 : vb;
      const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.s32();
      out.push(`{const res=${reg(bits, 0)}&${imm};/*LF{*/c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`);
      flagKnown = 'logic';
      flagBits = bits;
      return 'ok';
    }
    case 0xc6: case 0xc7: { // MOV E, imm (/0)
      const bits = op === 0xc6 ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      if (m.reg !== 0) return 'stop';
      const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.s32();
      out.push(m.mod === 3 ? `${reg(bits, m.rm)}=${imm};` : wrMem(size, m.seg, m.ea, String(imm)));
      return 'ok';
    }
    case 0x68: case 0x6a: { // PUSH imm
      const imm = op === 0x6a ? rd.s8() : vb === 32 ? rd.s32() : rd.u16();
      out.push(pushOp(vb, String(imm), `c.push${vb}(${imm});`));
      return 'ok';
    }
    case 0xc1: case 0xd1: case 0xd3: {
      const m = modrm(rd, as32);
      // CL through the dword/word view, so a block of 32-bit (16-bit) registers keeps them in locals
      const cnt = op === 0xc1 ? String(rd.u8() & 31) : op === 0xd1 ? '1' : vb === 32 ? '(r[1]&31)' : '(w[2]&31)';
      if (m.mod !== 3) { // read-modify-write as group2: segment checked for writing, read, shift, write (count 0 too)
        const size = vb >> 3;
        out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,shiftOp(c,${m.reg},${RWL[size]}(a),${cnt},${vb}));}`);
      } else {
        const e = reg(vb, m.rm);
        const inline = m.reg < 4 ? null : op === 0xd3 ? shiftClInline(m.reg, e, cnt, vb) : shiftInline(m.reg, e, Number(cnt), vb);
        out.push(inline ?? `${e}=shiftOp(c,${m.reg},${e}${vb === 16 ? '&0xffff' : ''},${cnt},${vb});`);
      }
      flagKnown = 'unknown';
      return 'ok';
    }
    case 0xc3: {
      // the target is checked against the CS limit before ESP moves (a #GP leaves ESP as it was)
      out.push(vb === 32
        ? `{let t=0;if(SSB)t=${rdMem(4, 2, '(r[4]>>>0)')}>>>0;else{c.regs[4]=r[4];t=${slowCall('C.peek32(0)')}>>>0;}` +
          `if(t>csl)${guard('c.gp(0)')};if(SSB)r[4]=(r[4]+4)|0;else{C.addSP(4);r[4]=c.regs[4];}/*RET*/}`
        : `{const t=c.peek16(0);if(t>csl)c.gp(0);c.addSP(2);/*RET*/}`);
      branchKind = 'ret';
      return 'end';
    }
    case 0xe8: case 0xe9: case 0xeb: {
      const rel = op === 0xeb ? rd.s8() : vb === 32 ? rd.s32() : (rd.u16() << 16) >> 16;
      const nip = ip + (rd.p - start(rd, ip));
      const t = (nip + rel) & ipMask;
      const check = `if(${t >>> 0}>csl)${guard('c.gp(0)')};`;
      out.push(op === 0xe8 ? check + pushOp(vb, String(nip), `c.push${vb}(${nip});`) : check);
      branchKind = op === 0xe8 ? 'call' : 'jmp';
      branchTarget = t >>> 0;
      branchNext = nip;
      return 'end';
    }
    case 0xe2: { // LOOP (count register by address size)
      const rel = rd.s8();
      const nip = ip + (rd.p - start(rd, ip));
      const t = (nip + rel) & ipMask;
      const cx = as32 ? 'r[1]' : 'w[2]';
      out.push(`${cx}=${as32 ? `(${cx}-1)|0` : `(${cx}-1)&0xffff`};if(${cx}!==0){/*CSL{*/if(${t >>> 0}>csl)${guard('c.gp(0)')};/*}CSL*//*TAKEN*/}else{/*FALL*/}`);
      branchKind = 'loop';
      branchTarget = t >>> 0;
      branchNext = nip;
      return 'end';
    }
    case 0x0f: {
      const op2 = rd.u8();
      if (op2 === 0xb6 || op2 === 0xb7 || op2 === 0xbe || op2 === 0xbf) { // MOVZX / MOVSX Gv, Eb/Ew
        const src = op2 & 1 ? 16 : 8, size = src >> 3;
        const m = modrm(rd, as32);
        let e = m.mod === 3 ? reg(src, m.rm) : rdMem(size, m.seg, m.ea);
        if (op2 >= 0xbe) e = src === 8 ? `((${e})<<24>>24)` : `((${e})<<16>>16)`;
        out.push(`${reg(vb, m.reg)}=${e};`);
        return 'ok';
      }
      if (op2 >= 0x90 && op2 < 0xa0) { // SETcc Eb
        const m = modrm(rd, as32);
        const v = `(c.cond(${op2 & 15})?1:0)`;
        out.push(m.mod === 3 ? `${reg(8, m.rm)}=${v};` : wrMem(1, m.seg, m.ea, v));
        return 'ok';
      }
      if (op2 === 0xaf) { // IMUL Gv, Ev
        const m = modrm(rd, as32);
        const e = m.mod === 3 ? reg(vb, m.rm) : rdMem(vb >> 3, m.seg, m.ea);
        const g = reg(vb, m.reg);
        const sx = (v: string): string => (vb === 32 ? `(${v})|0` : `(${v})<<16>>16`);
        out.push(`${g}=imulTrunc(c,${sx(e)},${sx(g)},${vb});`);
        flagKnown = 'unknown';
        return 'ok';
      }
      if (op2 >= 0x40 && op2 < 0x50 && hasCmov) { // CMOVcc Gv, Ev: the source is read (and may fault) either way
        const m = modrm(rd, as32);
        const e = m.mod === 3 ? reg(vb, m.rm) : rdMem(vb >> 3, m.seg, m.ea);
        out.push(`{const v=${e};if(${condInline(op2 & 15)})${reg(vb, m.reg)}=v;}`);
        return 'ok';
      }
      if (op2 === 0x31 && hasTsc) { // RDTSC, as ops-system.ts rdtsc: Linux's delay_tsc polls it in a loop
        // #GP(0) at CPL > 0 with CR4.TSD (a guarded slow path); the clock gets the block's instructions before this
        // one (as an IN/OUT does, jit/emit-io.ts), so the TSC reads the exact virtual time
        out.push(`if(C.pe&&C.cpl>0&&(C.cr4&4)!==0)${guard('c.gp(0)')};C.syncClock(n+${IDX});` +
          '{const t=C.tsc;r[0]=(t%4294967296)|0;r[2]=Math.floor(t/4294967296)|0;}');
        return 'ok';
      }
      if (op2 === 0xba || op2 === 0xa3 || op2 === 0xab || op2 === 0xb3 || op2 === 0xbb) { // BT/BTS/BTR/BTC
        const m = modrm(rd, as32);
        const kind = op2 === 0xba ? m.reg - 4 : (op2 >> 3) & 3; // 0 BT, 1 BTS, 2 BTR, 3 BTC
        if (kind < 0) return 'stop'; // 0F BA /0-/3: #UD (interpreted)
        out.push(emitBitTest(kind, vb, m, op2 === 0xba ? rd.u8() : null, as32));
        flagKnown = 'unknown';
        return 'ok';
      }
      if (op2 >= 0x80 && op2 < 0x90) {
        const rel = vb === 32 ? rd.s32() : (rd.u16() << 16) >> 16;
        return jcc(out, op2 & 15, ip, rd, rel, ipMask);
      }
      return 'stop';
    }
    default:
      if (op >= 0xb0 && op < 0xb8) { out.push(`b[${R8[op & 7]}]=${rd.u8()};`); return 'ok'; }
      if (op >= 0xb8 && op < 0xc0) { out.push(`${reg(vb, op & 7)}=${vb === 32 ? rd.s32() : rd.u16()};`); return 'ok'; }
      return 'stop';
  }
}

/**
 * SHL/SAL/SHR/SAR of register `e` by a constant count, as ops-shift.ts shiftOp with CpuState.setShift written out:
 * CF, OF and AF=0 into EFLAGS, SF/ZF/PF lazy from the result (lfMask SF|ZF|PF). A count of 0 changes nothing.
 */
function shiftInline(op: number, e: string, cnt: number, bits: number): string {
  if (cnt === 0) return '';
  const top = bits - 1, mask = bits === 32 ? '' : '&0xffff';
  const d = bits === 32 ? e : `(${e}&0xffff)`;
  let res: string, cf: string, of: string;
  if (op === 5) { // SHR
    res = `(dd>>>${cnt})${mask}`;
    cf = cnt <= bits ? `((dd>>>${cnt - 1})&1)` : '0';
    of = cnt === 1 ? `((dd>>>${top})&1)` : '0';
  } else if (op === 7) { // SAR
    const sx = bits === 32 ? 'dd' : '(dd<<16>>16)';
    res = `(${sx}>>${Math.min(cnt, 31)})${mask}`;
    cf = `((${sx}>>${Math.min(cnt - 1, 31)})&1)`;
    of = '0';
  } else { // SHL/SAL (4, 6)
    res = `(dd<<${cnt})${mask}`;
    cf = cnt <= bits ? `((dd>>>${bits - cnt})&1)` : '0';
    of = `(((res>>>${top})&1)^${cf})`;
  }
  return `{const dd=${d},res=${res};c.flags=(c.flags&~2065)|${cf}|(${of}<<11);${e}=res;` +
    `/*LF{*/c.lfRes=res;c.lfBits=${bits};c.lfMask=196;/*}LF*/}`;
}

/**
 * The same by CL (D3 /4-/7): the count is known only at run time and a count of 0 leaves the flags alone, so the
 * stores go straight to the CPU (flags.ts treats the instruction as a barrier: the lazy state is stored before it).
 */
function shiftClInline(op: number, e: string, cnt: string, bits: number): string {
  const top = bits - 1, mask = bits === 32 ? '' : '&0xffff';
  const d = bits === 32 ? e : `(${e}&0xffff)`;
  let res: string, cf: string, of: string;
  if (op === 5) { // SHR
    res = `(dd>>>k)${mask}`;
    cf = `(k<=${bits}?(dd>>>(k-1))&1:0)`;
    of = `(k===1?(dd>>>${top})&1:0)`;
  } else if (op === 7) { // SAR (k <= 31)
    const sx = bits === 32 ? 'dd' : '(dd<<16>>16)';
    res = `(${sx}>>k)${mask}`;
    cf = `((${sx}>>(k-1))&1)`;
    of = '0';
  } else { // SHL/SAL
    res = `(dd<<k)${mask}`;
    cf = `(k<=${bits}?(dd>>>(${bits}-k))&1:0)`;
    of = `(((res>>>${top})&1)^cf)`;
  }
  return `{const k=${cnt};if(k!==0){const dd=${d},res=${res},cf=${cf};c.flags=(c.flags&~2065)|cf|(${of}<<11);${e}=res;` +
    `c.lfRes=res;c.lfBits=${bits};c.lfMask=196;}}`;
}

/**
 * BT/BTS/BTR/BTC Ev, Gv / Ib as ops-shift.ts bitTest: CF = the bit, the other flags kept (setFlagBits); a register
 * bit offset with a memory operand addresses beyond it (floor(offset / bits) operands, signed; SDM Vol. 2A BT).
 * The read-modify-write forms check the segment for writing first, then read, set CF and write, as the interpreter's
 * rEW/wb do.
 */
function emitBitTest(kind: number, vb: number, m: ModRM, imm: number | null, as32: boolean): string {
  const size = vb >> 3;
  const off = imm !== null ? String(imm) : reg(vb, m.reg);
  const bit = `((${off})&${vb - 1})`;
  const setCf = (v: string): string => `c.setFlagBits(1,(${v}>>>${bit})&1);`;
  const op = kind === 1 ? `v|(1<<${bit})` : kind === 2 ? `v&~(1<<${bit})` : `v^(1<<${bit})`;
  if (m.mod === 3) {
    const e = reg(vb, m.rm);
    return `{const v=${e};${setCf('v')}${kind === 0 ? '' : `${e}=${op};`}}`;
  }
  let ea = m.ea;
  if (imm === null) {
    const sOff = vb === 16 ? `((${off})<<16>>16)` : `((${off})|0)`;
    const delta = `((${sOff}>>${vb === 16 ? 4 : 5})*${size})`;
    ea = as32 ? `((${ea}+${delta})>>>0)` : `((${ea}+${delta})&0xffff)`;
  }
  if (kind === 0) return `{const v=${rdMem(size, m.seg, ea)};${setCf('v')}}`;
  return `{const a=${lin('W', m.seg, ea, size)};const v=${RWL[size]}(a);${setCf('v')}${WRL[size]}(a,${op});}`;
}

// RAM offset where the instruction being emitted begins (set by compileBlock before each emit)
let insnStartP = 0;
type BranchKind = 'none' | 'jmp' | 'call' | 'jcc' | 'loop' | 'ret';
/** set by emit for branches: what kind, and the taken target of a direct one */
let branchKind: BranchKind = 'none';
let branchTarget = 0;
/** the return address a CALL pushes */
let branchNext = 0;
function start(_rd: CodeReader, _ip: number): number { return insnStartP; }

/**
 * Dead lazy-flag stores: an inline producer's stores (marked LF{...}LF) are dropped when the next
 * instruction that touches anything beyond registers is another producer that overwrites the lazy
 * state without reading it. Anything else (a helper call, a memory access that may fault and push
 * EFLAGS, a condition, the end of the block) keeps them.
 */
function dropDeadFlagStores(insns: string[]): void {
  let overwritten = false;
  for (let i = insns.length - 1; i >= 0; i--) {
    const t = insns[i]!;
    const lf = t.indexOf('/*LF{*/');
    if (lf >= 0) {
      const rest = t.slice(0, lf) + t.slice(t.indexOf('/*}LF*/') + 7);
      if (overwritten) insns[i] = rest;
      overwritten = !/\bc\b/.test(rest); // INC/DEC read the previous state to keep CF
    } else if (/\bc\b/.test(t)) overwritten = false; // any use of the CPU object (helpers too) is a barrier
  }
}

/**
 * The condition as inline code when the block knows which operation produced the flags (all six arithmetic flags
 * lazy, lfMask 2261): CpuState.cond with getCF/getZF/getSF/getOF written out for that kind. PF stays c.cond.
 */
function condInline(cc: number): string {
  if (flagKnown === 'unknown' && (cc >> 1 === 2 || cc >> 1 === 4)) { // ZF or SF from whatever state: getZF, getSF
    const f = cc >> 1 === 2 ? 64 : 128;
    const lazy = f === 64 ? '(c.lfRes<<(32-c.lfBits))===0' : '((c.lfRes>>>(c.lfBits-1))&1)!==0';
    const c1 = `((c.lfMask&${f})!==0?${lazy}:(c.flags&${f})!==0)`;
    return (cc & 1) !== 0 ? `(!${c1})` : c1;
  }
  if (flagKnown === 'unknown' || cc === 10 || cc === 11) return `c.cond(${cc})`;
  const sh = 32 - flagBits, top = flagBits - 1;
  const D = 'c.lfDst', S = 'c.lfSrc', R = 'c.lfRes';
  const bit = (x: string): string => `(((${x})>>>${top})&1)`;
  const zf = `((${R}<<${sh})===0)`, sf = `(${bit(R)}!==0)`;
  if (flagKnown === 'cf') { // after INC/DEC: CF in EFLAGS, the rest lazy (the kind is not tracked: OF via c.cond)
    const c1 = cc >> 1 === 1 ? '((c.flags&1)!==0)' : cc >> 1 === 2 ? zf : cc >> 1 === 4 ? sf : '';
    return c1 === '' ? `c.cond(${cc})` : (cc & 1) !== 0 ? `(!${c1})` : c1;
  }
  const logic = flagKnown === 'logic', add = flagKnown === 'add';
  const cf = logic ? 'false' : `(${bit(add ? `(${D}&${S})|((${D}|${S})&~${R})` : `(~${D}&${S})|((~${D}|${S})&${R})`)}!==0)`;
  const of = logic ? 'false' : `(${bit(add ? `(${D}^${R})&(${S}^${R})` : `(${D}^${S})&(${D}^${R})`)}!==0)`;
  const lt = logic ? sf : `(${sf}!==${of})`;
  const c0 = [of, cf, zf, logic ? zf : `(${cf}||${zf})`, sf, '', lt, `(${zf}||${lt})`][cc >> 1]!;
  if (c0 === 'false') return (cc & 1) !== 0 ? 'true' : 'false';
  return (cc & 1) !== 0 ? `(!${c0})` : c0;
}

function jcc(out: string[], cc: number, ip: number, rd: CodeReader, rel: number, ipMask: number): 'end' {
  const nip = ip + (rd.p - insnStartP);
  const t = (nip + rel) & ipMask;
  out.push(`if(${condInline(cc)}){/*CSL{*/if(${t >>> 0}>csl)${guard('c.gp(0)')};/*}CSL*//*TAKEN*/}else{/*FALL*/}`);
  branchKind = 'jcc';
  branchTarget = t >>> 0;
  branchNext = nip;
  return 'end';
}
