/**
 * Specialised interpreter entries for the hottest register forms: the ALU
 * ops (00-3D) and group 1 with an immediate (80/81/83, register forms), MOV (88-8B), INC/DEC r (40-4F) and Jcc
 * rel8 (70-7F). Each is generated per
 * (opcode, operand size) with the lazy-flag stores written out, the same
 * code the block compiler emits; memory operands decode the ModRM byte with
 * CpuState.modrmFrom (the byte already fetched) and access memory like the generic handlers.
 */
import type { Cpu } from './cpu.js';
import { R8 } from './cpu-state.js';

type Handler = (c: Cpu) => void;

const reg = (bits: number, i: string): string =>
  bits === 32 ? `c.regs[${i}]` : bits === 16 ? `c.r16[(${i})<<1]` : `c.r8[R8[${i}]]`;

/** res = d op s with flags, for ADD OR AND SUB XOR CMP; null for ADC/SBB (left to the generic path). */
function aluBody(op: number, bits: number, dst: string | null): string | null {
  if (op === 2 || op === 3) return null;
  const store = dst !== null && op !== 7 ? `${dst}=res;` : '';
  if (op === 1 || op === 4 || op === 6) {
    const x = op === 1 ? '|' : op === 4 ? '&' : '^';
    return `const res=dd${x}ss;${store}c.lfKind=2;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;`;
  }
  return `const res=(dd${op === 0 ? '+' : '-'}ss)|0;${store}c.lfKind=${op === 0 ? 0 : 1};c.lfDst=dd;c.lfSrc=ss;c.lfRes=res;c.lfBits=${bits};c.lfMask=2261;`;
}

function make(src: string, generic: Handler): Handler {
  return new Function('generic', 'R8', `return function fast(c){${src}}`)(generic, R8) as Handler;
}

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
      const generic = handlers[idx]!;
      const d = toE ? reg(bits, 'rm') : reg(bits, 'rg'), s = toE ? reg(bits, 'rg') : reg(bits, 'rm');
      // memory forms: the same steps as aluEG/aluGE (ModRM decode, read, flags, write-back), without the
      // generic dispatch through alu()'s switch
      const g = reg(bits, 'rg');
      const mem = toE
        ? (aop === 7 ? `const ss=${g},dd=c.rE${bits}();${aluBody(aop, bits, null)}`
          : `const ss=${g},dd=c.rE${bits}W();${aluBody(aop, bits, null)}c.wb${bits}(res);`)
        : `const dd=${g},ss=c.rd${bits}(c.mSeg,c.mOff);${aluBody(aop, bits, g)}`;
      handlers[idx] = make(
        `const m=c.fetch8();if(m<0xc0){c.modrmFrom(m);const rg=c.mReg;${mem}return;}const rm=m&7,rg=(m>>3)&7;const dd=${d},ss=${s};${body}`, generic);
    }
    for (const op of [0x88, 0x89, 0x8a, 0x8b]) {
      const bits = op & 1 ? vb : 8;
      const idx = op | os, generic = handlers[idx]!;
      const [d, s] = op < 0x8a ? [reg(bits, 'rm'), reg(bits, 'rg')] : [reg(bits, 'rg'), reg(bits, 'rm')];
      const g = reg(bits, 'rg');
      const mem = op < 0x8a ? `c.wr${bits}(c.mSeg,c.mOff,${g});` : `${g}=c.rd${bits}(c.mSeg,c.mOff);`;
      handlers[idx] = make(`const m=c.fetch8();if(m<0xc0){c.modrmFrom(m);const rg=c.mReg;${mem}return;}const rm=m&7,rg=(m>>3)&7;${d}=${s};`, generic);
    }
    // JZ/JNZ rel8 (the usual loop branch): ZF read as CpuState.getZF does, without cond()'s switch
    for (const op of [0x74, 0x75]) {
      handlers[op | os] = make(`const d=c.fetchS8();const z=(c.lfMask&64)!==0?(c.lfRes<<(32-c.lfBits))===0:(c.flags&64)!==0;` +
        `if(z===${op === 0x74})c.jumpNear(c.eip+d);`, handlers[op | os]!);
    }
    // Jcc rel8 for the other conditions: cond() with a constant, which V8 folds when it inlines it
    for (let op = 0x70; op < 0x80; op++) {
      if (op === 0x74 || op === 0x75) continue;
      handlers[op | os] = make(`const d=c.fetchS8();if(c.cond(${op & 15}))c.jumpNear(c.eip+d);`, handlers[op | os]!);
    }
    // group 1 with an immediate (80, 81, 83), register destination, ADD OR AND SUB XOR CMP: the same order as
    // ops-alu.ts aluGroup1 (ModRM, register read, immediate); ADC/SBB and memory forms go to the generic handler
    for (const op of [0x80, 0x81, 0x83]) {
      const bits = op === 0x80 ? 8 : vb;
      const imm = op === 0x83 ? 'c.fetchS8()' : bits === 8 ? 'c.fetch8()' : bits === 16 ? 'c.fetch16()' : 'c.fetch32()';
      const r = reg(bits, 'rm');
      const cases = [0, 1, 4, 5, 6, 7].map((a) => `case ${a}:{${aluBody(a, bits, r)}return;}`).join('');
      handlers[op | os] = make(`const m=c.fetch8();const g=(m>>3)&7;if(m<0xc0||g===2||g===3){c.eip--;generic(c);return;}` +
        `const rm=m&7;const dd=${r},ss=${imm};switch(g){${cases}}`, handlers[op | os]!);
    }
    for (let op = 0x40; op < 0x50; op++) {
      const r = reg(vb, String(op & 7));
      const kind = op < 0x48 ? 0 : 1;
      handlers[op | os] = make(
        `if(c.lfMask&1)c.flags=(c.flags&~1)|c.getCF();const dd=${r},res=(dd${kind === 0 ? '+' : '-'}1)|0;${r}=res;` +
        `c.lfKind=${kind};c.lfDst=dd;c.lfSrc=1;c.lfRes=res;c.lfBits=${vb};c.lfMask=2260;`, handlers[op | os]!);
    }
  }
}
