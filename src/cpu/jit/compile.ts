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
import { R8 } from '../cpu-state.js';
import type { Cpu } from '../cpu.js';
import { alu, dec, inc } from '../ops-alu.js';
import { imulTrunc } from '../ops-muldiv.js';
import { shiftOp } from '../ops-shift.js';
import { portIn, portOut } from '../port-io.js';
import { CodePages } from './code-pages.js';
import { emitPortIo, IDX } from './emit-io.js';
import { emitMoffs } from './emit-moffs.js';
import { emitString, type MemEmit } from './emit-string.js';

export interface Block {
  /** runs the block (looping while it jumps back to its own start and `max` allows); returns instructions retired */
  readonly fn: ((c: Cpu, max: number) => number) | null;
  /** instructions in the block */
  readonly n: number;
  /** EIP of each instruction (to count retired ones when one faults) */
  readonly starts: readonly number[];
  readonly lin: number;
  readonly csBase: number;
  readonly os: number;
  /**
   * TLB epoch the block was last checked in. After a TLB flush (CR3 load, INVLPG) the block is still good if its
   * linear page translates to the same physical address: the run loop checks that and stamps the new epoch.
   */
  epoch: number;
  /** where the block starts in guest RAM (RAM offset as the TLB caches it) */
  readonly phys: number;
  /** Tlb.codeGen when compiled: a host write to guest RAM (Cpu.invalidateCode) makes every block stale */
  readonly codeGen: number;
  /** Tlb.pageGen of the block's physical page when compiled: a guest write to that page makes the block stale */
  readonly pageGen: number;
  /** the second page a JMP/CALL in the block went to (jit/code-pages.ts): linear page number, or -1 */
  readonly lin2: number;
  /** its RAM offset (page-aligned) and Tlb.pageGen when compiled; -1 and 0 without a second page */
  readonly phys2: number;
  readonly pageGen2: number;
  /** runs, and runs that left through a side exit (Cpu.runChunk: a block that mostly leaves early is re-formed) */
  calls: number;
  sideExits: number;
  /** times this block was re-formed to follow a Jcc's taken path (bounded) */
  readonly rounds: number;
}

const MAX_INSNS = 48;
const SEG = ['0', '1', '2', '3', '4', '5'];

class Reader {
  p: number;
  ok = true;
  constructor(readonly ram: Uint8Array, p: number, public end: number) { this.p = p; }
  u8(): number { if (this.p >= this.end) { this.ok = false; return 0; } return this.ram[this.p++]!; }
  s8(): number { return (this.u8() << 24) >> 24; }
  u16(): number { const lo = this.u8(); return lo | (this.u8() << 8); }
  u32(): number { const lo = this.u16(); return (lo | (this.u16() << 16)) | 0; }
}

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
/** Linear address of seg:ea with the segment check inline (the slow cases call CpuState.segR/segW). */
// Segment state cannot change inside a block (no compiled instruction loads a segment register and no
// helper it calls does), so each (check, segment, size) limit and each base is read once, in the prologue:
// SLW3_4 is the highest offset a 4-byte write through DS may use on the fast path (-1: always the slow path).
const lin = (rw: 'R' | 'W', seg: number, ea: string, size: number): string =>
  `(o=${ea},o<=SL${rw}${seg}_${size}?(SB${seg}+o)|0:c.seg${rw}(${seg},o,${size}))`;
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
/** A read with the TLB fast path inline (CpuState.rd*L when the page is not cached or the access crosses it). */
function rdMem(size: number, seg: number, ea: string): string {
  const look = `((e=tr[(la=${lin('R', seg, ea, size)})>>>12])&acc)!==0`;
  const p = `(e&~0xfff)|(la&0xfff)`;
  if (size === 1) return `(${look}?ram[${p}]:c.rd8L(la))`;
  if (size === 2) return `(${look}&&(la&0xfff)!==0xfff?(p=${p},ram[p]|(ram[p+1]<<8)):c.rd16L(la))`;
  return `(${look}&&(la&0xfff)<0xffd?(p=${p},ram[p]|(ram[p+1]<<8)|(ram[p+2]<<16)|(ram[p+3]<<24)):c.rd32L(la))`;
}
/** A write statement with the TLB fast path inline. */
function wrMem(size: number, seg: number, ea: string, v: string): string {
  const look = `((e=tw[(la=${lin('W', seg, ea, size)})>>>12])&acc)!==0`;
  const p = `p=(e&~0xfff)|(la&0xfff)`;
  if (size === 1) return `{const v=${v};if(${look}){${p};ram[p]=v;}else c.wr8L(la,v);}`;
  if (size === 2) return `{const v=${v};if(${look}&&(la&0xfff)!==0xfff){${p};ram[p]=v;ram[p+1]=v>>8;}else c.wr16L(la,v);}`;
  return `{const v=${v};if(${look}&&(la&0xfff)<0xffd){${p};ram[p]=v;ram[p+1]=v>>8;ram[p+2]=v>>16;ram[p+3]=v>>24;}else c.wr32L(la,v);}`;
}
/** The inline accessors, for the emitters in emit-*.ts. */
const MEM: MemEmit = { rd: rdMem, wr: wrMem };
const RDL = ['', 'c.rd8L', 'c.rd16L', '', 'c.rd32L'];
const WRL = ['', 'c.wr8L', 'c.wr16L', '', 'c.wr32L'];

interface ModRM { mod: number; reg: number; rm: number; ea: string; seg: number }

function modrm(rd: Reader, as32: boolean): ModRM {
  const b = rd.u8();
  const mod = b >> 6, regf = (b >> 3) & 7, rm = b & 7;
  if (mod === 3) return { mod, reg: regf, rm, ea: '', seg: 0 };
  let ea: string, seg = 3;
  if (!as32) {
    const bases = ['w[6]+w[12]', 'w[6]+w[14]', 'w[10]+w[12]', 'w[10]+w[14]', 'w[12]', 'w[14]', 'w[10]', 'w[6]'];
    if (rm === 6 && mod === 0) ea = String(rd.u16());
    else { ea = bases[rm]!; if (rm === 2 || rm === 3 || rm === 6) seg = 2; }
    if (mod === 1) ea += `+${rd.s8()}`; else if (mod === 2) ea += `+${rd.u16()}`;
    return { mod, reg: regf, rm, ea: `((${ea})&0xffff)`, seg };
  }
  if (rm === 4) {
    const sib = rd.u8();
    const base = sib & 7, idx = (sib >> 3) & 7, sc = sib >> 6;
    if (base === 5 && mod === 0) ea = String(rd.u32());
    else { ea = `r[${base}]`; if (base === 4 || base === 5) seg = 2; }
    if (idx !== 4) ea += `+(r[${idx}]<<${sc})`;
  } else if (rm === 5 && mod === 0) ea = String(rd.u32());
  else { ea = `r[${rm}]`; if (rm === 5) seg = 2; }
  if (mod === 1) ea += `+${rd.s8()}`; else if (mod === 2) ea += `+${rd.u32()}`;
  return { mod, reg: regf, rm, ea: `((${ea})>>>0)`, seg };
}

/** Compile the block at linear `lin` (EIP `eip`), whose code is at RAM offset `phys`. */
export function compileBlock(c: Cpu, lin: number, eip: number, phys: number, taken?: ReadonlySet<number>, rounds = 0): Block {
  const os = c.defOs, as32 = c.defAs;
  const vb = os ? 32 : 16;
  const rd = new Reader(c.ram, phys, (phys | 0xfff) + 1);
  const pages = new CodePages(c, lin, phys);
  const lines: string[] = [];
  const starts: number[] = [];
  let ip = eip, ended = false;
  flagKnown = 'unknown';
  hasCmov = (c.features & 0x8000) !== 0; // CPUID.1:EDX.CMOV: without it CMOVcc is #UD (the interpreter raises it)
  const ipMask = os ? 0xffffffff : 0xffff;
  const csBase = c.segBase[1]!;
  const visited = new Set<number>([eip]);
  let lastKind: BranchKind = 'none';
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
    const out: string[] = [];
    branchKind = 'none';
    const code = emit(rd, out, ip, os, as32, vb, ipMask);
    if (!rd.ok || code === 'stop') { rd.p = save; break; }
    const len = rd.p - save;
    starts.push(ip);
    // only an instruction that can fault needs its EIP recorded for a precise restart
    const text = out.join('');
    lines.push((/c\.(rd|wr|seg|push|pop|peek|gp|addSP)/.test(text) ? `c.insnStart=${ip};` : '') + text);
    ip = ip + len;
    const kind = branchKind as BranchKind;
    lastKind = kind;
    if (code !== 'end') continue;
    const t = branchTarget;
    // a Jcc continues on its fall-through path (the taken path leaves through a side exit), unless it
    // jumps back to the block start: then it is the loop's back edge and ends the block
    if (kind === 'jcc' && t !== eip) {
      // a Jcc seen to leave the block most of the time (`taken`, from Cpu.runChunk): go on along the taken path
      // and leave through a side exit on the fall-through one instead
      if (taken !== undefined && taken.has((csBase + ip - len) | 0) && !visited.has(t) && !starts.includes(t) && pages.seek(rd, (csBase + t) | 0)) {
        visited.add(t);
        const i = lines.length - 1;
        lines[i] = lines[i]!.replace(/\/\*EXIT\*\/\}else c\.eip=(\d+);$/, '}else{c.eip=$1;/*EXIT*/}');
        ip = t;
      }
      continue;
    }
    if (kind === 'ret') {
      // a RET that returns to a CALL in this block goes on there; any other return address leaves
      // through a side exit (the RET has set c.eip)
      const r = rets.pop();
      const i = lines.length - 1;
      if (r !== undefined && !starts.includes(r) && !visited.has(r) && pages.seek(rd, (csBase + r) | 0)) {
        visited.add(r);
        lines[i] = lines[i]!.replace('/*RET*/', `if(c.eip!==${r}){/*EXIT*/}`);
        ip = r;
        continue;
      }
      lines[i] = lines[i]!.replace('/*RET*/', '');
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
  const second = { lin2: pages.lin2, phys2: pages.phys2, pageGen2: pages.phys2 < 0 ? 0 : c.tlb.pageGen[pages.phys2 >>> 12]!, calls: 0, sideExits: 0, rounds };
  if (n === 0) return { fn: null, n: 0, starts, lin, csBase: c.segBase[1]!, os, epoch: c.tlb.epoch, phys, codeGen: c.tlb.codeGen, pageGen: c.tlb.pageGen[phys >>> 12]!, ...second };
  // the last instruction decides where execution goes when it is a branch (even one we meant to follow)
  if (lastKind !== 'none') ended = true;
  for (let i = 0; i < lines.length; i++) {
    lines[i] = lines[i]!.replace('/*EXIT*/', i === lines.length - 1 ? '' : `return n+${i + 1};`).replaceAll(IDX, String(i));
  }
  dropDeadFlagStores(lines);
  if (!ended) lines.push(`c.eip=${ip};`);
  // A block that branches back to its own start (a hot loop) iterates inside the function.
  let code = lines.join('\n');
  // blkDone (instructions of completed iterations) only matters when a fault unwinds: set it in finally
  let pre = 'try{', post = '}finally{c.blkDone=n;}';
  // Registers in JS locals when the block only uses whole 32-bit registers (no 16/8-bit views) and not
  // ESP (PUSH/POP go through the CPU). `finally` writes them back on every exit, a fault included: a
  // faulting instruction has not written its destination yet, so the guest sees a precise state.
  if (!/\bw\[|\bb\[/.test(code)) {
    const used = [...new Set([...code.matchAll(/\br\[([0-35-7])\]/g)].map((m) => m[1]!))];
    if (used.length > 0) {
      code = code.replace(/\br\[([0-35-7])\]/g, 'R$1');
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
  // The lazy-flag state in JS locals too, when no helper that reads or writes it is called (alu() for
  // ADC/SBB and memory forms, shiftOp, c.cond): `finally` stores it back on every exit, a fault included.
  // Only for blocks with a static back edge to their start (loops): elsewhere the prologue loads and
  // epilogue stores cost more than the per-instruction stores they save.
  if (code.includes(`c.eip=${eip};`) && !/\b(alu|shiftOp|inc|dec|imulTrunc)\(|c\.(cond|getCF|setLogic|setLazy|setShift|getFlags|setFlag|getZF|getSF|getOF|getPF)/.test(code)) {
    const usedF = [...new Set([...code.matchAll(/\bc\.lf(Kind|Dst|Src|Res|Bits|Mask)\b/g)].map((m) => m[1]!))];
    if (usedF.length > 0) {
      code = code.replace(/\bc\.lf(Kind|Dst|Src|Res|Bits|Mask)\b/g, 'LF$1');
      pre = `let ${usedF.map((f) => `LF${f}=c.lf${f}`).join(',')};${pre}`;
      post = post.replace('}finally{', `}finally{${usedF.map((f) => `c.lf${f}=LF${f};`).join('')}`);
    }
  }
  const body = `return function block(c,max){const r=c.regs,w=c.r16,b=c.r8,ep=c.tlb.epoch,tr=c.tlb.r,tw=c.tlb.w,ram=c.ram,acc=c.tlb.acc,csl=c.segLimit[1];let n=0,o=0,la=0,e=0,p=0;
${segLocals(code)}${pre}for(;;){
${code}
n+=${n};if(c.eip!==${eip}||n+${n}>max||c.tlb.epoch!==ep)return n;}${post}}`;
  const fn = blockFunction(body);
  return { fn, n, starts, lin, csBase: c.segBase[1]!, os, epoch: c.tlb.epoch, phys, codeGen: c.tlb.codeGen, pageGen: c.tlb.pageGen[phys >>> 12]!, ...second };
}

/**
 * Compiled functions by source text. A block's source depends only on its code bytes, addresses and decode mode,
 * so after a code-page write drops every block (Tlb.clearCode) or a slot collision evicts one, the same block
 * compiles to the same text: reusing the function skips V8's parse and tier-up, which cost ~0.3 ms a block in a
 * Linux boot (more than most blocks ever save). Bounded: cleared when it reaches SOURCE_CACHE_MAX entries.
 */
const sourceCache = new Map<string, (c: Cpu, max: number) => number>();
const SOURCE_CACHE_MAX = 16384;
function blockFunction(body: string): (c: Cpu, max: number) => number {
  let fn = sourceCache.get(body);
  if (fn === undefined) {
    if (sourceCache.size >= SOURCE_CACHE_MAX) sourceCache.clear();
    fn = new Function('alu', 'inc', 'dec', 'shiftOp', 'imulTrunc', 'portIn', 'portOut', body)(alu, inc, dec, shiftOp, imulTrunc, portIn, portOut) as (c: Cpu, max: number) => number;
    sourceCache.set(body, fn);
  }
  return fn;
}

/** Emit one instruction. Returns 'ok', 'end' (a branch that set c.eip) or 'stop' (not compiled). */
function emit(rd: Reader, out: string[], ip: number, os: number, as32: boolean, vb0: number, ipMask: number): 'ok' | 'end' | 'stop' {
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
      const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.u32();
      out.push(aluInline(aop, reg(bits, 0), reg(bits, 0), String(imm), bits));
      return 'ok';
    }
    const m = modrm(rd, as32);
    const g = reg(bits, m.reg);
    if (form < 2) { // E, G
      if (m.mod === 3) {
        const e = reg(bits, m.rm);
        out.push(aluInline(aop, e, e, g, bits));
      } else if (aop === 7) out.push(`alu(c,7,${rdMem(size, m.seg, m.ea)},${g},${bits});`);
      else out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,alu(c,${aop},${RDL[size]}(a),${g},${bits}));}`);
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
  if (op >= 0x50 && op < 0x58) { out.push(`c.push${vb}(${reg(vb, op & 7)});`); return 'ok'; }
  if (op >= 0x58 && op < 0x60) { out.push(`{const v=c.pop${vb}();${reg(vb, op & 7)}=v;}`); return 'ok'; }
  if (op >= 0x70 && op < 0x80) {
    const rel = rd.s8();
    return jcc(out, op & 15, ip, rd, rel, ipMask);
  }
  if (op >= 0xa0 && op < 0xa4) { // MOV AL/eAX <-> moffs: jit/emit-moffs.ts
    const off = as32 ? rd.u32() >>> 0 : rd.u16();
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
      const imm = op === 0x6b ? rd.s8() : vb === 32 ? rd.u32() : (rd.u16() << 16) >> 16;
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
        const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.u32();
        out.push(`{const res=(${v})&${imm};/*LF{*/c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`);
        flagKnown = 'logic';
        flagBits = bits;
      } else if (m.reg === 2) { // NOT: no flags
        out.push(e !== null ? `${e}=~${e};` : `{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,~${RDL[size]}(a));}`);
      } else { // NEG = 0 - v
        if (e !== null) out.push(aluInline(5, e, '0', e, bits));
        else {
          out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,alu(c,5,0,${RDL[size]}(a),${bits}));}`);
          noteAlu(5, bits);
        }
      }
      return 'ok';
    }
    case 0xfe: case 0xff: { // INC/DEC E (the other forms of group 4/5 stay interpreted)
      const bits = op === 0xfe ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      if (m.reg > 1) return 'stop';
      const f = m.reg === 0 ? 'inc' : 'dec';
      out.push(m.mod === 3 ? `${reg(bits, m.rm)}=${f}(c,${reg(bits, m.rm)},${bits});`
        : `{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,${f}(c,${RDL[size]}(a),${bits}));}`);
      flagKnown = 'unknown';
      return 'ok';
    }
    case 0x80: case 0x81: case 0x83: {
      const bits = op === 0x80 ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      const imm = op === 0x80 ? rd.u8() : op === 0x83 ? rd.s8() : bits === 16 ? rd.u16() : rd.u32();
      if (m.mod === 3) {
        const e = reg(bits, m.rm);
        out.push(aluInline(m.reg, e, e, String(imm), bits));
      } else if (m.reg === 7) out.push(`alu(c,7,${rdMem(size, m.seg, m.ea)},${imm},${bits});`);
      else out.push(`{const a=${lin('W', m.seg, m.ea, size)};${WRL[size]}(a,alu(c,${m.reg},${RDL[size]}(a),${imm},${bits}));}`);
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
      const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.u32();
      out.push(`{const res=${reg(bits, 0)}&${imm};/*LF{*/c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;/*}LF*/}`);
      flagKnown = 'logic';
      flagBits = bits;
      return 'ok';
    }
    case 0xc6: case 0xc7: { // MOV E, imm (/0)
      const bits = op === 0xc6 ? 8 : vb, size = bits >> 3;
      const m = modrm(rd, as32);
      if (m.reg !== 0) return 'stop';
      const imm = bits === 8 ? rd.u8() : bits === 16 ? rd.u16() : rd.u32();
      out.push(m.mod === 3 ? `${reg(bits, m.rm)}=${imm};` : wrMem(size, m.seg, m.ea, String(imm)));
      return 'ok';
    }
    case 0x68: case 0x6a: { // PUSH imm
      const imm = op === 0x6a ? rd.s8() : vb === 32 ? rd.u32() : rd.u16();
      out.push(`c.push${vb}(${imm});`);
      return 'ok';
    }
    case 0xc1: case 0xd1: case 0xd3: {
      const m = modrm(rd, as32);
      if (m.mod !== 3) return 'stop';
      const cnt = op === 0xc1 ? String(rd.u8() & 31) : op === 0xd1 ? '1' : 'b[4]&31';
      const e = reg(vb, m.rm);
      out.push(`${e}=shiftOp(c,${m.reg},${e}${vb === 16 ? '&0xffff' : ''},${cnt},${vb});`);
      flagKnown = 'unknown';
      return 'ok';
    }
    case 0xc3: {
      out.push(`{const t=${vb === 32 ? 'c.peek32(0)>>>0' : 'c.peek16(0)'};if(t>csl)c.gp(0);c.addSP(${vb >> 3});c.eip=t;/*RET*/}`);
      branchKind = 'ret';
      return 'end';
    }
    case 0xe8: case 0xe9: case 0xeb: {
      const rel = op === 0xeb ? rd.s8() : vb === 32 ? rd.u32() : (rd.u16() << 16) >> 16;
      const nip = ip + (rd.p - start(rd, ip));
      const t = (nip + rel) & ipMask;
      if (op === 0xe8) out.push(`if(${t >>> 0}>csl)c.gp(0);c.push${vb}(${nip});c.eip=${t >>> 0};`);
      else out.push(`if(${t >>> 0}>csl)c.gp(0);c.eip=${t >>> 0};`);
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
      out.push(`${cx}=${cx}-1;if(${cx}!==0){if(${t >>> 0}>csl)c.gp(0);c.eip=${t >>> 0};}else c.eip=${nip};`);
      branchKind = 'other';
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
      if (op2 >= 0x80 && op2 < 0x90) {
        const rel = vb === 32 ? rd.u32() : (rd.u16() << 16) >> 16;
        return jcc(out, op2 & 15, ip, rd, rel, ipMask);
      }
      return 'stop';
    }
    default:
      if (op >= 0xb0 && op < 0xb8) { out.push(`b[${R8[op & 7]}]=${rd.u8()};`); return 'ok'; }
      if (op >= 0xb8 && op < 0xc0) { out.push(`${reg(vb, op & 7)}=${vb === 32 ? rd.u32() : rd.u16()};`); return 'ok'; }
      return 'stop';
  }
}

// RAM offset where the instruction being emitted begins (set by compileBlock before each emit)
let insnStartP = 0;
type BranchKind = 'none' | 'jmp' | 'call' | 'jcc' | 'ret' | 'other';
/** set by emit for branches: what kind, and the taken target of a direct one */
let branchKind: BranchKind = 'none';
let branchTarget = 0;
/** the return address a CALL pushes */
let branchNext = 0;
function start(_rd: Reader, _ip: number): number { return insnStartP; }

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

/** The condition as inline code when the block knows which operation produced the flags. */
function condInline(cc: number): string {
  const sh = 32 - flagBits, top = flagBits - 1;
  const neg = (cc & 1) !== 0;
  if (flagKnown !== 'unknown' && (cc === 4 || cc === 5)) return `((c.lfRes<<${sh})${neg ? '!==' : '==='}0)`;
  if (flagKnown !== 'unknown' && (cc === 8 || cc === 9)) return `(((c.lfRes>>>${top})&1)${neg ? '===' : '!=='}0)`;
  if (flagKnown === 'logic' && (cc === 2 || cc === 3)) return neg ? 'true' : 'false';
  if (flagKnown === 'sub' && (cc === 2 || cc === 3)) {
    return `((((~c.lfDst&c.lfSrc)|((~c.lfDst|c.lfSrc)&c.lfRes))>>>${top})&1)${neg ? '===' : '!=='}0`;
  }
  return `c.cond(${cc})`;
}

function jcc(out: string[], cc: number, ip: number, rd: Reader, rel: number, ipMask: number): 'end' {
  const nip = ip + (rd.p - insnStartP);
  const t = (nip + rel) & ipMask;
  out.push(`if(${condInline(cc)}){if(${t >>> 0}>csl)c.gp(0);c.eip=${t >>> 0};/*EXIT*/}else c.eip=${nip};`);
  branchKind = 'jcc';
  branchTarget = t >>> 0;
  return 'end';
}
