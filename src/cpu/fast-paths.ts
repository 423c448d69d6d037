/**
 * Specialised interpreter entries for the hottest forms: the ALU ops (00-3D) and group 1 with an immediate
 * (80/81/83, register forms), MOV (88-8B), INC/DEC r (40-4F) and Jcc rel8 (70-7F). Each is generated per (opcode,
 * operand size) with the lazy-flag stores written out, the same code the block compiler emits; memory operands
 * take the operand's address from CpuState.eaFrom (the ModRM byte already fetched; no other decode field written)
 * and access memory like the generic handlers. Also LEA, MOVZX/MOVSX and the register shifts of group 2 (SHL SHR SAR
 * by 1, CL or an immediate), TEST, register NOT/NEG, and PUSH/POP r32, PUSH imm, CALL rel32 and RET on a 32-bit stack,
 * as handler entries only.
 *
 * The same bodies also make the interpreter's inner loop (`makeInterpLoop`): a `switch` with the hottest register
 * forms written inline, so they cost a jump-table jump instead of a call through the handler table (which goes
 * through V8's generic Call builtins, as its target changes every time, and the callee's own entry and exit).
 */
import type { Cpu } from './cpu.js';
import { R8 } from './cpu-state.js';
import { SLOT_EXPR } from './jit/block.js';

type Handler = (c: Cpu) => void;
/** Runs instructions until `c.retired` reaches `end`, an instruction sets `breakLoop`, or (with `c.jit`) a block may run or compile. */
export type InterpLoop = (c: Cpu, end: number, nextStart: boolean) => void;

const reg = (bits: number, i: string): string =>
  bits === 32 ? `c.regs[${i}]` : bits === 16 ? `c.r16[(${i})<<1]` : `c.r8[R8[${i}]]`;

const imm = (bits: number): string => (bits === 8 ? 'c.fetch8()' : bits === 16 ? 'c.fetch16()' : 'c.fetch32()');

/** res = d op s with flags, for ADD OR AND SUB XOR CMP; null for ADC/SBB (left to the generic path). */
function aluBody(op: number, bits: number, dst: string | null): string | null {
  if (op === 2 || op === 3) return null;
  const store = dst !== null && op !== 7 ? `${dst}=res;` : '';
  if (op === 1 || op === 4 || op === 6) {
    const x = op === 1 ? '|' : op === 4 ? '&' : '^';
    return `const res=dd${x}ss;${store}c.lfKind=2;c.lfResI32=res;c.lfBits=${bits};c.lfMask=2261;`;
  }
  return `const res=(dd${op === 0 ? '+' : '-'}ss)|0;${store}c.lfKind=${op === 0 ? 0 : 1};c.lfDstI32=dd;c.lfSrcI32=ss;c.lfResI32=res;c.lfBits=${bits};c.lfMask=2261;`;
}

/**
 * One fast form. `reg` runs with the instruction's first byte after the opcode already fetched into `m` when
 * `modrm` is set (and m >= 0xC0 then: the register form); `mem` is the memory form's body, given `m` < 0xC0.
 * Bodies end with `return` (a handler function) or fall off their end.
 */
interface Form { idx: number; modrm: boolean; reg: string; mem: string | null; generic: Handler }

const FORMS: Form[] = [];
/** the entries the fast forms replaced, by dispatch index (group 1's ADC/SBB and memory forms) */
const GENERIC: Handler[] = [];

function fn<T>(name: string, params: string, src: string, generic: Handler | undefined): T {
  // strict: no receiver conversion on the call; a distinct name per entry for profiles
  return new Function('generic', 'R8', `'use strict';return function ${name}(${params}){${src}}`)(generic, R8) as T;
}

/**
 * Step EIP back over the ModRM byte before handing the instruction to its generic handler. Written on `eipI32` (as
 * `eip--` does through its accessors): `eip`'s getter is `eipI32 >>> 0`, whose inlined copies V8 optimised for small
 * results and threw away ("lost precision") once the kernel ran above 2 GiB.
 */
const BACK = 'c.eipI32=(c.eipI32-1)|0;';

/**
 * A memory form's start: the reg field and the operand's offset (CpuState.eaFrom sets `c.mSeg`), as the int32 eaFrom
 * returns: segR/segW take it as it is (`>>> 0` here deoptimised every form at the first offset above 2 GiB: u32).
 */
const MEM_OPERAND = 'const rg=(m>>3)&7;const off=c.eaFrom(m);';

/** The handler-table entry of a form. */
function entry(f: Form): Handler {
  const name = `fast${f.idx.toString(16)}`;
  if (!f.modrm) return fn<Handler>(name, 'c', f.reg, f.generic);
  const mem = f.mem === null ? '' : `if(m<0xc0){${f.mem}return;}`;
  return fn<Handler>(name, 'c', `const m=c.fetch8();${mem}${f.reg}`, f.generic);
}

function add(handlers: Handler[], f: Form): void {
  FORMS.push(f);
  GENERIC[f.idx] = f.generic;
  handlers[f.idx] = entry(f);
}

/** The entry a fast form replaced at dispatch index `idx` (for tests that compare the two), or undefined. */
export function genericEntry(idx: number): Handler | undefined { return GENERIC[idx]; }

/** Replace entries of `handlers` (indexed opcode | 0x200 for 32-bit) with fast versions where one exists. */
export function installFastPaths(handlers: Handler[]): void {
  for (const os of [0, 0x200]) {
    const vb = os ? 32 : 16;
    for (let op = 0; op < 0x40; op++) {
      const form = op & 7, aop = op >> 3;
      if (form > 3) continue;
      const bits = form & 1 ? vb : 8;
      const toE = form < 2;
      const body = aluBody(aop, bits, toE ? reg(bits, 'rm') : reg(bits, 'rg'));
      if (body === null) continue;
      const idx = op | os;
      const d = toE ? reg(bits, 'rm') : reg(bits, 'rg'), s = toE ? reg(bits, 'rg') : reg(bits, 'rm');
      // memory forms: the same steps as aluEG/aluGE (operand address, segment check, read, flags, write-back to
      // the same linear address), without the generic dispatch through alu()'s switch or the ModRM fields
      const g = reg(bits, 'rg'), n = bits >> 3;
      const mem = toE
        ? (aop === 7 ? `const ss=${g},dd=c.rd${bits}(c.mSeg,off);${aluBody(aop, bits, null)}`
          : `const ss=${g},lin=c.segW(c.mSeg,off,${n}),dd=c.rdW${bits}L(lin);${aluBody(aop, bits, null)}c.wr${bits}L(lin,res);`)
        : `const dd=${g},ss=c.rd${bits}(c.mSeg,off);${aluBody(aop, bits, g)}`;
      add(handlers, { idx, modrm: true, generic: handlers[idx]!,
        mem: `${MEM_OPERAND}${mem}`, reg: `const rm=m&7,rg=(m>>3)&7;const dd=${d},ss=${s};${body}` });
    }
    for (const op of [0x88, 0x89, 0x8a, 0x8b]) {
      const bits = op & 1 ? vb : 8;
      const idx = op | os;
      const [d, s] = op < 0x8a ? [reg(bits, 'rm'), reg(bits, 'rg')] : [reg(bits, 'rg'), reg(bits, 'rm')];
      const g = reg(bits, 'rg');
      const mem = op < 0x8a ? `c.wr${bits}(c.mSeg,off,${g});` : `${g}=c.rd${bits}(c.mSeg,off);`;
      add(handlers, { idx, modrm: true, generic: handlers[idx]!,
        mem: `${MEM_OPERAND}${mem}`, reg: `const rm=m&7,rg=(m>>3)&7;${d}=${s};` });
    }
    // LEA Gv,M (8D): the offset itself; a register operand is #UD (ops-data.ts lea)
    add(handlers, { idx: 0x8d | os, modrm: true, generic: handlers[0x8d | os]!,
      mem: `const rg=(m>>3)&7;${reg(vb, 'rg')}=c.eaFrom(m);`, reg: 'c.ud();' });
    // MOVZX/MOVSX Gv,Eb/Ew (0F B6 B7 BE BF; the 0F handler fetched the second byte): ops-data.ts movx
    for (const op of [0x1b6, 0x1b7, 0x1be, 0x1bf]) {
      const sb = op & 1 ? 16 : 8;
      const ext = (v: string): string => (op & 8 ? `((${v})<<${32 - sb})>>${32 - sb}` : v);
      add(handlers, { idx: op | os, modrm: true, generic: handlers[op | os]!,
        mem: `${MEM_OPERAND}${reg(vb, 'rg')}=${ext(`c.rd${sb}(c.mSeg,off)`)};`,
        reg: `const rm=m&7,rg=(m>>3)&7;${reg(vb, 'rg')}=${ext(reg(sb, 'rm'))};` });
    }
    // JZ/JNZ rel8 (the usual loop branch): ZF read as CpuState.getZF does, without cond()'s switch
    for (const op of [0x74, 0x75]) {
      add(handlers, { idx: op | os, modrm: false, mem: null, generic: handlers[op | os]!,
        reg: `const d=c.fetchS8();const z=(c.lfMask&64)!==0?(c.lfResI32<<(32-c.lfBits))===0:(c.flags&64)!==0;` +
          `if(z===${op === 0x74})c.jumpNear(c.eipI32+d);` });
    }
    // Jcc rel8 for the other conditions: cond() with a constant, which V8 folds when it inlines it
    for (let op = 0x70; op < 0x80; op++) {
      if (op === 0x74 || op === 0x75) continue;
      add(handlers, { idx: op | os, modrm: false, mem: null, generic: handlers[op | os]!,
        reg: `const d=c.fetchS8();if(c.cond(${op & 15}))c.jumpNear(c.eipI32+d);` });
    }
    // group 1 with an immediate (80, 81, 83), register destination, ADD OR AND SUB XOR CMP: the same order as
    // ops-alu.ts aluGroup1 (ModRM, register read, immediate); ADC/SBB and memory forms go to the generic handler
    for (const op of [0x80, 0x81, 0x83]) {
      const bits = op === 0x80 ? 8 : vb;
      const imm = op === 0x83 ? 'c.fetchS8()' : bits === 8 ? 'c.fetch8()' : bits === 16 ? 'c.fetch16()' : 'c.fetch32()';
      const r = reg(bits, 'rm');
      const cases = [0, 1, 4, 5, 6, 7].map((a) => `case ${a}:{${aluBody(a, bits, r)}break;}`).join('');
      add(handlers, { idx: op | os, modrm: true, generic: handlers[op | os]!, mem: `${BACK}generic(c);`,
        reg: `const g=(m>>3)&7;if(g===2||g===3){${BACK}generic(c);}else{const rm=m&7;const dd=${r},ss=${imm};switch(g){${cases}}}` });
    }
    // group 2 (C0 C1 D0-D3), register destination, SHL/SAL SHR SAR: ops-shift.ts shiftOp's expressions and
    // setShift's flag stores written out; ROL/ROR/RCL/RCR and memory forms go to the generic handler
    for (const op of [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]) {
      const bits = op & 1 ? vb : 8, top = bits - 1, mask = bits === 32 ? '-1' : bits === 16 ? '0xffff' : '0xff';
      const cnt = op < 0xd0 ? 'c.fetch8()&31' : op < 0xd2 ? '1' : 'c.r8[4]&31';
      const r = reg(bits, 'rm');
      const sext = bits === 32 ? 'd' : `(d<<${32 - bits})>>${32 - bits}`;
      const shl = `r=(d<<n)&${mask};cf=n<=${bits}?(d>>>(${bits}-n))&1:0;of=((r>>>${top})&1)^cf;`;
      const shr = `r=(d>>>n)&${mask};cf=n<=${bits}?(d>>>(n-1))&1:0;of=n===1?(d>>>${top})&1:0;`;
      const sar = `const s=${sext};r=(s>>Math.min(n,31))&${mask};cf=(s>>Math.min(n-1,31))&1;of=0;`;
      add(handlers, { idx: op | os, modrm: true, generic: handlers[op | os]!, mem: `${BACK}generic(c);`,
        reg: `const g=(m>>3)&7;if(g<4){${BACK}generic(c);}else{const rm=m&7;const d=${r};const n=${cnt};` +
          `if(n!==0){let r,cf,of;if(g===5){${shr}}else if(g===7){${sar}}else{${shl}}` +
          `${r}=r;c.flags=(c.flags&~2065)|cf|(of!==0?2048:0);c.lfResI32=r;c.lfBits=${bits};c.lfMask=196;}}` });
    }
    // TEST Eb,Gb / Ev,Gv (84/85): ops-alu.ts testEG (E operand read first, then the register; setLogic's stores)
    const logic = (bits: number): string => `c.lfKind=2;c.lfResI32=res;c.lfBits=${bits};c.lfMask=2261;`;
    for (const op of [0x84, 0x85]) {
      const bits = op & 1 ? vb : 8;
      add(handlers, { idx: op | os, modrm: true, generic: handlers[op | os]!,
        mem: `${MEM_OPERAND}const res=c.rd${bits}(c.mSeg,off)&${reg(bits, 'rg')};${logic(bits)}`,
        reg: `const rm=m&7,rg=(m>>3)&7;const res=${reg(bits, 'rm')}&${reg(bits, 'rg')};${logic(bits)}` });
    }
    // TEST AL,Ib / eAX,Iv (A8/A9): ops-alu.ts testAI
    for (const op of [0xa8, 0xa9]) {
      const bits = op & 1 ? vb : 8;
      add(handlers, { idx: op | os, modrm: false, mem: null, generic: handlers[op | os]!,
        reg: `const res=${reg(bits, '0')}&${imm(bits)};${logic(bits)}` });
    }
    // group 3 (F6/F7) TEST imm (/0 and its alias /1) on a register or memory, NOT and NEG (/2 /3) on a register:
    // ops-muldiv.ts group3 (NEG is SUB from 0: alu's lazy stores); MUL/IMUL/DIV/IDIV and memory NOT/NEG stay generic
    for (const op of [0xf6, 0xf7]) {
      const bits = op & 1 ? vb : 8, r = reg(bits, 'rm');
      add(handlers, { idx: op | os, modrm: true, generic: handlers[op | os]!,
        mem: `if(((m>>3)&7)>1){${BACK}generic(c);return;}${MEM_OPERAND}const v=c.rd${bits}(c.mSeg,off);` +
          `const res=v&${imm(bits)};${logic(bits)}`,
        reg: `const g=(m>>3)&7,rm=m&7;if(g<2){const res=${r}&${imm(bits)};${logic(bits)}}` +
          `else if(g===2){${r}=~${r};}else if(g===3){const dd=0,ss=${r};${aluBody(5, bits, r)}}` +
          `else{${BACK}generic(c);}` });
    }
    if (os) {
      // 32-bit PUSH/POP/CALL/RET on a 32-bit stack (SS.B = 1): CpuState.push32/peek32/addSP's ssBig branch written
      // out (the store first, so a faulting push leaves ESP as it was; #SS from segW/segR, #PF from the TLB as
      // there); a 16-bit stack goes to the generic handler, before any byte of the instruction is fetched
      const push = (v: string): string => `const sp=(c.regs[4]-4)|0;c.wr32L(c.segW(2,sp,4),${v});c.regs[4]=sp;`;
      for (let r = 0; r < 8; r++) {
        // PUSH ESP pushes the value before the push (ops-data.ts pushReg); POP ESP loads the popped value last
        add(handlers, { idx: 0x250 + r, modrm: false, mem: null, generic: handlers[0x250 + r]!,
          reg: `if(c.ssBig===true){${push(`c.regs[${r}]`)}}else generic(c);` });
        add(handlers, { idx: 0x258 + r, modrm: false, mem: null, generic: handlers[0x258 + r]!,
          reg: `if(c.ssBig===true){const sp=c.regs[4];const v=c.rd32L(c.segR(2,sp,4));c.regs[4]=(sp+4)|0;` +
            `c.regs[${r}]=v;}else generic(c);` });
      }
      for (const op of [0x68, 0x6a]) {
        add(handlers, { idx: op | os, modrm: false, mem: null, generic: handlers[op | os]!,
          reg: `if(c.ssBig===true){const v=${op === 0x68 ? 'c.fetch32()' : 'c.fetchS8()'};${push('v')}}else generic(c);` });
      }
      // CALL rel32 (E8): ops-flow.ts callNear/callTo (the CS limit check before the push)
      add(handlers, { idx: 0x2e8, modrm: false, mem: null, generic: handlers[0x2e8]!,
        reg: 'if(c.ssBig===true){const d=c.fetch32();const ret=c.eipI32;const t=(ret+d)|0;' +
          `if((t^0x80000000)>(c.segLimit[1]^0x80000000))c.gp(0);${push('ret')}c.eipI32=t;}else generic(c);` });
      // RET / RET imm16 (C3 / C2): ops-flow.ts retNear (the CS limit check before ESP moves)
      for (const op of [0xc2, 0xc3]) {
        add(handlers, { idx: op | os, modrm: false, mem: null, generic: handlers[op | os]!,
          reg: `if(c.ssBig===true){const n=${op === 0xc2 ? '4+c.fetch16()' : '4'};const sp=c.regs[4];` +
            'const t=c.rd32L(c.segR(2,sp,4))|0;if((t^0x80000000)>(c.segLimit[1]^0x80000000))c.gp(0);c.regs[4]=(sp+n)|0;c.eipI32=t;' +
            '}else generic(c);' });
      }
    }
    for (let op = 0x40; op < 0x50; op++) {
      const r = reg(vb, String(op & 7));
      const kind = op < 0x48 ? 0 : 1;
      add(handlers, { idx: op | os, modrm: false, mem: null, generic: handlers[op | os]!,
        reg: `if(c.lfMask&1)c.flags=(c.flags&~1)|c.getCF();const dd=${r},res=(dd${kind === 0 ? '+' : '-'}1)|0;${r}=res;` +
          `c.lfKind=${kind};c.lfDstI32=dd;c.lfSrcI32=1;c.lfResI32=res;c.lfBits=${vb};c.lfMask=2260;` });
    }
  }
}

/**
 * The loop returns to `Cpu.runChunk` at a block start once it has run this many instructions in one call. V8 swaps
 * in a function's new optimised code at its next call; a call still running in the unoptimised code when that code
 * is ready gets an on-stack-replacement compile of the whole loop as well (25-100 ms of TurboFan each). A Linux boot
 * deoptimises the loop about 13 times: with no bound on a call (0.81 M calls) `--trace-opt` counted 18-22 TurboFan
 * compiles of the loop, 10-11 of them OSR; with 64 (1.27 M calls) 17-20, 7-9 OSR; with 16 (2.43 M calls) 14-16,
 * 3-6 OSR, as many as before the loop counted visits (5.75 M calls: 13-16, 2-5 OSR).
 */
const CALL_SPAN = 16;

/**
 * The interpreter's loop keeps EIP in a local (`ip`, with the instruction's start in `st`) instead of reading and
 * writing `c.eipI32` for every byte: the next fetch depends on EIP, and through the object that was a store and a
 * load more on each instruction's critical path. Anything that can see or move EIP gets it first (SYNC: a call into a
 * handler or a memory form, a fault) and the loop reads it back after (RELOAD: a handler may have jumped or loaded
 * CS). Measured on the 16-bit ALU ROM of bench/interp-bochs, CPU time, steady state: 133 -> 151 MIPS in a fresh
 * process, 127 -> 143 on a second machine in the same process (V8 re-optimises the loop with its slow paths then);
 * a Linux boot within noise (-3%, 5 alternating boots). The code-fetch window (fwLo, fwLen, fwOff) stays in the
 * object: it changes only on a slow fetch, so its loads are off that path, and kept in locals as well it made the
 * re-optimised loop slower (131 on the second machine).
 */
const SYNC = 'c.insnStartI32=st;c.eipI32=ip;';
const RELOAD = 'ip=c.eipI32;';
/**
 * EIP in the code-fetch window: `(ip - fwLo) >>> 0 < fwLen` as an unsigned compare of int32s (bit 31 flipped on both
 * sides): `>>> 0` here, compiled for small results, deoptimised the loop the first time EIP lay below the window.
 */
const IN_WINDOW = '(((ip-c.fwLo)|0)^0x80000000)<(c.fwLen^0x80000000)';
/**
 * The dispatch index of an opcode outside the code-fetch window: the instruction goes to the shared call site (after
 * the switch), whose handler fetches the opcode itself. A fetch call of its own in the loop lacked type feedback in
 * the loop's first optimised code when the machine's first instructions had run before the loop, and on the next
 * machine in the same process its first window miss deoptimised the loop, which V8 then optimised with fetch8
 * inlined: 87 instead of 96 MIPS on bench/interp-bochs's ROM, on every machine after a process's first.
 */
const FETCH_MISS = 0x400;
/**
 * `v = ` a later byte of an inline form (ModRM, displacement, immediate) from the window; outside it the form gives up
 * before it has changed anything and the whole instruction goes to its handler at the loop's one shared call site
 * (`slow`, after the switch): a fetch call of its own per form had no type feedback until a form's byte first lay
 * past the window, and then deoptimised the loop (1-3 times a Linux boot).
 */
const fetchOrBail = (v: string): string => `if(${IN_WINDOW}){${v}=ram[(c.fwOff+ip)|0];ip=(ip+1)|0;}else{slow=true;break sw;}`;

/**
 * A form's register body as the interpreter's loop runs it inline. V8 optimises the loop with the type feedback its
 * code has gathered so far, and an operation, property access or call site that has not run yet is a deoptimisation
 * point: the first time it runs, the whole loop goes back to the bytecode and is optimised again (a Linux boot: INC
 * ECX, DEC EDI, 83 /6, JNZ after POPF, ... each once, 15-40 ms of optimising compile every time). So these bodies keep
 * one straight path that every variant of the form runs: INC/DEC r (one case for the 16 indexes of an operand size,
 * the register and the direction taken from the opcode byte), JZ/JNZ (both ZF sources read, one chosen), group 1 by
 * imm8 (every result computed, one chosen: a few integer operations). ADC/SBB by imm8 go to the form's memory-form
 * call site (makeInterpLoop). `key`: indexes with the same key share one case.
 */
function loopBody(f: Form): { key?: string; body: string } {
  const op = f.idx & 0x1ff, bits = f.idx & 0x200 ? 32 : 16;
  if (op >= 0x40 && op < 0x50) {
    // delta +1 for 40-47, -1 for 48-4F (bit 3); lfKind 0 (add) / 1 (sub); CF kept (INC/DEC leave it: lfMask 2260)
    // (CF stored as getCF reads it: unchanged when it is not lazy)
    const r = reg(bits, 'r');
    return { key: `incdec${bits}`, body: `const r=op&7;c.flags=(c.flags&~1)|c.getCF();const dd=${r},res=(dd+1-((op>>2)&2))|0;` +
      `${r}=res;c.lfKind=(op>>3)&1;c.lfDstI32=dd;c.lfSrcI32=1;c.lfResI32=res;c.lfBits=${bits};c.lfMask=2260;` };
  }
  if (op === 0x74 || op === 0x75) {
    // ZF as CpuState.getZF reads it (lazy or stored), both read; JZ jumps when ZF is 1, JNZ (bit 0) when it is 0
    // (the jump through CpuState.jumpNear, which checks the CS limit: EIP synced first, as it may fault)
    return { key: `jz${bits}`, body: `let d;${fetchOrBail('d')}d=(d<<24)>>24;const lz=(c.lfResI32<<(32-c.lfBits))===0,fz=(c.flags&64)!==0;` +
      `if(((c.lfMask&64)!==0?lz:fz)!==((op&1)===1)){${SYNC}c.jumpNear(ip+d);ip=c.eipI32;}` };
  }
  if (op === 0x83) {
    // ADD OR AND SUB XOR CMP by a sign-extended imm8 (aluBody's stores; the logic ops leave lfDst/lfSrc as they were)
    // (ADC/SBB go to the memory form's function, which hands them to the generic handler: see makeInterpLoop)
    const r = reg(bits, 'rm');
    return { body: `const g=(m>>3)&7,rm=m&7;let ss;${fetchOrBail('ss')}ss=(ss<<24)>>24;const dd=${r};` +
      'const a=(dd+ss)|0,s=(dd-ss)|0,o=dd|ss,n=dd&ss,x=dd^ss,od=c.lfDstI32,os2=c.lfSrcI32;' +
      'const res=g===0?a:g===1?o:g===4?n:g===6?x:s,kd=g===0?0:g===5||g===7?1:2;' +
      `${r}=g===7?dd:res;c.lfKind=kd;c.lfDstI32=kd===2?od:dd;c.lfSrcI32=kd===2?os2:ss;c.lfResI32=res;c.lfBits=${bits};c.lfMask=2261;` };
  }
  // the other inline forms (ALU, MOV: register to register) neither fetch nor see EIP
  if (/eipI32|fetch|jumpNear|generic/.test(f.reg)) throw new Error(`interpreter loop: form ${f.idx.toString(16)} needs EIP (see SYNC)`);
  return { body: f.reg };
}

/**
 * The interpreter's inner loop, generated: per instruction what `Cpu.runChunk` did (insnStart, the prefix state
 * reset, the opcode through the code-fetch window, `retired`, where a block may start), with the register forms of
 * the `hot` fast forms written inline as the cases of one small dense `switch` (a jump table), their memory forms
 * called from the case (a direct call); every other instruction calls through the handler table at one shared
 * call site. Returns after the
 * instruction that reaches `end` or sets `breakLoop`, and, when `c.jit` is set, before an instruction where a block
 * may start (EIP moved other than forward by at most 15 bytes, or `nextStart` for the first one) and runChunk has
 * something to do there (a block in the address's slot, a compile due) or the call has run CALL_SPAN instructions.
 * It counts the other visits itself.
 *
 * Each inline case is code V8 optimises only after seeing it run: one that first runs after the loop was optimised
 * deoptimises it (a Linux boot: about a dozen times), so the set is kept to the forms most code uses early.
 */
export function makeInterpLoop(handlers: Handler[], hot: readonly number[]): InterpLoop {
  // case k of the switch runs the form SLOT maps its index to (0: the handler table); a small dense switch is a jump
  // table with few targets (a case label per index made V8's optimising compile of the loop take 200 ms and more)
  // (one index more: FETCH_MISS, an opcode outside the code-fetch window)
  if (handlers.length !== FETCH_MISS) throw new Error(`interpreter loop: ${handlers.length} dispatch entries, not ${FETCH_MISS}`);
  const slot = new Uint8Array(FETCH_MISS + 1);
  const cases: string[] = [];
  // by case: the memory form (MEM)
  const MEM: ((c: Cpu, m: number) => void)[] = [];
  const shared = new Map<string, number>(); // cases several indexes share (see loopBody)
  let k = 0;
  for (const f of FORMS) {
    if (!hot.includes(f.idx)) continue;
    const { key, body } = loopBody(f);
    const k0 = key === undefined ? undefined : shared.get(key);
    if (k0 !== undefined) { slot[f.idx] = k0; continue; }
    slot[f.idx] = ++k;
    if (key !== undefined) shared.set(key, k);
    if (!f.modrm) { cases.push(`case ${k}:{${body}break;}`); continue; }
    // A form with a ModRM byte: its memory form (and 83 /2 /3, ADC/SBB by imm8: (m & 0x30) === 0x10) through a call
    // site of its own, a direct call V8 knows the target of. One call site shared by every memory form was slower
    // (bench/interp-bochs's ROM, machines after a process's first: 85 MIPS shared, 89 with the register forms in
    // the outer switch and the call shared, 94 with a site per form); a site per form deoptimises the loop when its
    // memory operand first comes after the loop was optimised, which costs a Linux boot little now that flat
    // 32-bit code runs in the WebAssembly interpreter (its JavaScript loop is optimised twice a boot either way).
    MEM[k] = fn(`mem${f.idx.toString(16)}`, 'c,m', f.mem!, f.generic);
    const out = (f.idx & 0x1ff) === 0x83 ? '||(m&0x30)===0x10' : '';
    cases.push(`case ${k}:{let m;${fetchOrBail('m')}if(m<0xc0${out}){${SYNC}MEM[${k}](c,m);${RELOAD}}else{${body}}break;}`);
  }
  const src = `'use strict';return function interpLoop(c,end,ns){const ram=c.ram,cap=c.retired+${CALL_SPAN};` +
    'let ip=c.eipI32;for(;;){' +
    // decode state changes only through prefixes (and CS loads, see setCache): reset it after them
    'const st=ip;if(c.prefixes!==0){c.prefixes=0;c.fetchMax=c.segLimit[1];c.segOvr=-1;c.os=c.defOs;c.as32=c.defAs;c.rep=0;}' +
    // the opcode byte (see SYNC: EIP is the loop's local), or FETCH_MISS
    `let op=0,i=${FETCH_MISS};if(${IN_WINDOW}){op=ram[(c.fwOff+ip)|0];ip=(ip+1)|0;i=op|c.os;}` +
    // the other indexes share one call site (its feedback is megamorphic at once: a case per index, each with its
    // own feedback, deoptimised the whole loop the first time each opcode ran)
    // (and an inline form whose next byte lies outside the window: see fetchOrBail; the opcode is its one byte at st)
    `let slow=false;sw:switch(S[i]){${cases.join('')}default:slow=true;}` +
    `if(slow){ip=(st+1)|0;${SYNC}(i===${FETCH_MISS}?MISS:H[i])(c);${RELOAD}}` +
    'c.retired++;' +
    // A block may start after a branch: EIP moved other than forward by at most one instruction's length
    // (15 bytes). A short forward Jcc is missed; the side exits of the block around it find its target.
    // (only with compiled blocks on; after a return at the slice's end or a breakLoop, runChunk starts its next
    // slice at a block start anyway)
    `if(c.breakLoop===true||c.retired>=end){${SYNC}return;}` +
    // ...and after a REP string instruction (c.rep stays set until the next instruction's prefixes are reset): no
    // block covers it, and the straight-line code after it (Linux's blake2s_compress_generic: 1,600 instructions
    // after two REP MOVS) would otherwise run interpreted to its end every time; and where the code ran on into
    // the next page: a block ends at its page's end, so one can start only there (blake2s again: the second half
    // of its 1,600 instructions, after one that straddles the page, was no start and ran interpreted 4,000 times)
    'if(c.jit===true&&(ns||c.rep!==0||((ip-st-1)>>>0)>=15||((ip^st)>>>12)!==0)){' +
    // A block may start here: Cpu.runChunk's lookup and visit count, done here so that a start with no block to run
    // (a Linux boot: 5.7 M of its 10 M) goes on interpreting instead of returning to runChunk to be called again.
    // The visit is counted here as runChunk counts it (the same slot, jit/block.ts blockSlot) unless
    // runChunk has more to do: a block in the slot (it checks the block and runs it, or counts the visit itself)
    // or a compile due on this visit. Every operation here runs on every start (the exits are bare returns), so
    // none lacks type feedback when V8 optimises the loop early in a boot: each that did cost a deoptimisation.
    // After CALL_SPAN instructions in this call, it returns at the next block start anyway (see CALL_SPAN).
    `const lin=(c.segBase[1]+ip)|0,h=${SLOT_EXPR};` +
    'const n=c.hotLin[h]===lin?c.hot[h]+1:1;' + // another address in this slot: counted afresh
    `if(c.blocks[h]!==undefined||n>c.hotThreshold||c.retired>=cap){${SYNC}return;}` +
    'c.hotLin[h]=lin;c.hot[h]=n;}' +
    'ns=false;}}';
  // FETCH_MISS: EIP back on the opcode (the slow path stepped over it), its fetch (a new window, or the fault), the handler
  const MISS = (c: Cpu): void => { c.eipI32 = (c.eipI32 - 1) | 0; handlers[c.fetch8() | c.os]!(c); };
  return new Function('H', 'S', 'R8', 'MEM', 'MISS', src)(handlers, slot, R8, MEM, MISS) as InterpLoop;
}
