/**
 * Lazy flags of a compiled block kept at compile time: the emitters write the lazy-flag state as stores to the
 * CPU (`c.lfKind=…;c.lfDst=…` between the LF markers, `c.flags=…` for INC/DEC's CF, reads in conditions); this
 * pass turns them into JS locals and stores the state to the CPU only where something can see it.
 *
 * The state is tracked per field (Kind, Dst, Src, Res, Bits, Mask, flags) as the JS expression that holds it: the
 * CPU's own field (`c.lfRes`: nothing to store), a constant, or a local of the instruction that produced it
 * (`f3_Res`). A reader of the flags (a condition, INC's carry) reads the expression; V8 then sees the value itself
 * and drops every local nothing reads. The state is stored to the CPU (materialised) where it can be seen:
 *  - before a guarded slow path (`MAT` in compile.ts's guard): a fault there pushes EFLAGS;
 *  - on every exit (`MATS`: side exits, the end of the block, the back edge when the budget runs out);
 *  - before an instruction that uses the CPU outside those (a helper such as alu() or c.cond(), an IN/OUT, a
 *    faulting call with c.insnStart stored up front): it reads or writes the flags itself, so afterwards the
 *    state is the CPU's again.
 * In a loop the state at the back edge goes round in loop locals (`F_lfKind`…, read from the CPU in the
 * prologue); a loop whose first flag event overwrites them leaves those locals unread, and V8 removes them.
 *
 * Don't-care fields: after a logical result (Kind 2) Dst and Src are never read (CpuState.getCF/getOF/getFlags
 * test the kind first), and once Mask covers all six arithmetic flags (2261) the arithmetic bits of EFLAGS are
 * never read; such fields fall back to the CPU's own (stale) value instead of keeping an old local alive.
 */

/** The state's fields, by index: the lazy-flag fields of CpuState, then EFLAGS. */
const FIELDS = ['Kind', 'Dst', 'Src', 'Res', 'Bits', 'Mask', 'flags'] as const;
const KIND = 0, DST = 1, SRC = 2, FLAGS = 6;
/** the expression of each field: the CPU's own field, a constant or a local */
type State = string[];

const MEM: readonly string[] = FIELDS.map((f) => (f === 'flags' ? 'c.flags' : `c.lf${f}`));
const FIELD_OF: Record<string, number> = Object.fromEntries(MEM.map((m, i) => [m.slice(2), i]));
/**
 * A don't-care field: nothing stores it or carries it round the loop. Reads see the CPU's value, except for EFLAGS,
 * whose non-arithmetic bits (IF, DF, IOPL...) still count: those are read once, in the prologue (`FL0`), as no
 * compiled instruction or helper changes them; a load from the CPU object on every iteration cost more.
 */
const dc = (i: number): string => `/*dc*/${i === FLAGS ? 'FL0' : MEM[i]!}`;
const isDc = (e: string): boolean => e.startsWith('/*dc*/');
/** all six arithmetic flags (CF PF AF ZF SF OF): a Mask that overwrites every one of them */
const ARITH = '2261';

/** Stores that put state `s` into the CPU, as statements (`;`) or as a comma-expression prefix (`,`). */
function materialise(s: State, sep: ';' | ','): string {
  let out = '';
  for (let i = 0; i < MEM.length; i++) if (s[i] !== MEM[i] && !isDc(s[i]!)) out += `${MEM[i]!}=${s[i]!}${sep}`;
  return out;
}

const FLAG_REF = /\bc\.(lfKind|lfDst|lfSrc|lfRes|lfBits|lfMask|flags)\b/g;
/** Replace reads of the CPU's flag fields in `t` with the state's expressions. */
function readState(t: string, s: State): string {
  let out = '', at = 0;
  FLAG_REF.lastIndex = 0;
  for (let m = FLAG_REF.exec(t); m !== null; m = FLAG_REF.exec(t)) {
    out += t.slice(at, m.index) + s[FIELD_OF[m[1]!]!]!;
    at = FLAG_REF.lastIndex;
  }
  return at === 0 ? t : out + t.slice(at);
}

const CPU_REF = /\bc\b(?:\.(\w+))?/g;
const GUARDED = /=\d+,(?:[cC]\.\w+|ioCheck\(c\b)/y;
/**
 * Does the instruction use the CPU other than through its flag fields, c.eip and c.regs[4] (stores), and guarded
 * calls (`c.insnStart=N,c.method` or `C.method` or `ioCheck(c,…)`, whose MAT marker stores the flags first)?
 */
function isBarrier(t: string): boolean {
  CPU_REF.lastIndex = 0;
  for (let m = CPU_REF.exec(t); m !== null; m = CPU_REF.exec(t)) {
    const f = m[1];
    if (f === undefined) return true;
    if (f === 'eip' || f === 'regs' || f === 'flags' || f.startsWith('lf')) continue;
    if (f !== 'insnStart') return true;
    GUARDED.lastIndex = CPU_REF.lastIndex;
    if (!GUARDED.test(t)) return true; // c.insnStart stored up front: an unguarded call follows
    CPU_REF.lastIndex = GUARDED.lastIndex;
  }
  return false;
}

export interface LoweredFlags {
  /** the instructions, flag stores replaced */
  readonly lines: string[];
  /** declarations for the prologue (before the loop) */
  readonly decl: string;
}

const LF_STORE = /\bc\.lf(Kind|Dst|Src|Res|Bits|Mask)=([^;]+);/g;
const NUMBER = /^-?\d+$/;

/**
 * Lower the lazy-flag stores and reads of a block's instructions (see the file comment). `loop`: the block has a
 * back edge (`BACK` markers), where the state goes round in loop locals.
 */
export function lowerFlags(lines: readonly string[], loop: boolean): LoweredFlags {
  const vars: string[] = [];
  const head: State = loop ? FIELDS.map((f) => `F_${f}`) : [...MEM];
  let s: State = [...head];
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!;
    const a = t.indexOf('/*LF{*/'), z = t.indexOf('/*}LF*/');
    const twoLf = a >= 0 && t.indexOf('/*LF{*/', a + 1) >= 0;
    const pre = a >= 0 ? t.slice(0, a) : t, lf = a >= 0 ? t.slice(a + 7, z) : '', post = a >= 0 ? t.slice(z + 7) : '';
    const preFlags = pre.includes('c.flags');
    // a flag store outside the LF section, or a flags write and a slow path in one instruction: not tracked
    const untracked = twoLf || /\bc\.lf\w+\s*=(?!=)/.test(pre) || /\bc\.(lf\w+\s*=(?!=)|flags\b)/.test(post)
      || (preFlags && pre.includes('/*MAT*/'));
    if (untracked || isBarrier(t)) {
      // the instruction sees the CPU: the state goes there first, and afterwards it is the CPU's
      out.push(materialise(s, ';') + t.replaceAll('/*MATS*/', '').replaceAll('/*MAT*/', ''));
      s = [...MEM];
      continue;
    }
    const before = s;
    const next: State = [...s];
    let code = '';
    let body = pre;
    const mat = body.includes('/*MAT*/') ? materialise(before, ',') : '';
    if (preFlags) {
      // INC/DEC materialise CF into EFLAGS: into this instruction's own copy of it
      const v = `f${i}_flags`;
      vars.push(v);
      code += `${v}=${before[FLAGS]!};`;
      body = body.replaceAll('c.flags', v);
      next[FLAGS] = v;
    }
    // the stores go in after the reads are replaced (their left-hand sides are the CPU's fields)
    code += mat !== '' ? readState(body, before).replaceAll('/*MAT*/', mat) : readState(body, before);
    LF_STORE.lastIndex = 0;
    for (let m = LF_STORE.exec(lf); m !== null; m = LF_STORE.exec(lf)) {
      const f = FIELD_OF[`lf${m[1]!}`]!, e = readState(m[2]!, before);
      if (NUMBER.test(e)) next[f] = e;
      else { const v = `f${i}_${FIELDS[f]!}`; vars.push(v); code += `${v}=${e};`; next[f] = v; }
      // what this result makes don't-care
      if (f === KIND && e === '2') { next[DST] = dc(DST); next[SRC] = dc(SRC); }
      if (FIELDS[f] === 'Mask' && e === ARITH) next[FLAGS] = dc(FLAGS);
    }
    code += readState(post, next);
    if (code.includes('/*MATS*/')) code = code.replaceAll('/*MATS*/', materialise(next, ';'));
    if (loop && code.includes('/*BACK*/')) {
      let back = '';
      for (let f = 0; f < MEM.length; f++) if (next[f] !== head[f] && !isDc(next[f]!)) back += `${head[f]!}=${next[f]!};`;
      code = code.replaceAll('/*BACK*/', back);
    }
    out.push(code);
    s = next;
  }
  if (loop) {
    // a barrier's back edge (the state is the CPU's there): the loop locals take it from the CPU
    const fromCpu = MEM.map((m, f) => `${head[f]!}=${m};`).join('');
    for (let i = 0; i < out.length; i++) if (out[i]!.includes('/*BACK*/')) out[i] = out[i]!.replaceAll('/*BACK*/', fromCpu);
  }
  const decl = [...(loop ? MEM.map((m, f) => `${head[f]!}=${m}`) : []), ...vars.map((v) => `${v}=0`)];
  if (out.some((l) => l.includes('/*dc*/FL0'))) decl.push('FL0=c.flags');
  return { lines: out, decl: decl.length > 0 ? `let ${decl.join(',')};` : '' };
}
