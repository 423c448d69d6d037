/**
 * Seeded generator of random instruction sequences for the differential test (NASM syntax, 32-bit code).
 *
 * The sequence is cut into blocks. A block reloads the memory windows from the ROM, resets ESP, loads random
 * registers and flags, then runs tested instructions, each followed by `call dump` (one R record). Setup
 * instructions (addresses of memory operands, shift counts, divisor-friendly dividends) are not recorded. Every
 * memory operand lands in the data window; the generator tracks ESP exactly so stack forms stay in the stack
 * window. After a form that leaves flags undefined the generator reloads known flags, so an undefined flag never
 * leaks into the next record. Forms that can fault store their resume address first (rom.ts).
 */
import { type Rng, rng } from './rng.js';
import { DUMP_FSW_NMASK, DUMP_NMASK, FENV, GDT_BYTES, RESUME, SEL, STK_LO, STK_TOP, WIN, WIN_SIZE, REINIT_ESP, type RomParts } from './rom.js';
import { GateGen } from './gen-gates.js';
import { TaskGen } from './gen-tasks.js';
import { InnerStackGen } from './gen-inner-stack.js';

// Arithmetic flags (SDM Vol. 1 3.4.3)
export const CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;

export interface Item {
  /** Instruction form, the key of the per-form summary (e.g. `shl r/m32, cl`). */
  form: string;
  /** The setup and tested lines, for the reproducer. */
  asm: string;
  /** Flags the SDM leaves undefined for this instance (masked in the comparison). */
  undef: number;
  block: number;
  ring: 0 | 3;
  /** x87 forms: the FSW condition codes the SDM leaves undefined (masked in the record's fpu field). */
  fswUndef?: number;
}

/** Classes that can be turned off (all are on by default; src/cpu/README.md "Differences with QEMU and Bochs"). */
export interface GenOptions {
  /** x87 forms. */
  x87?: boolean;
  /** LOCK on non-lockable instructions (#UD). */
  lockUd?: boolean;
  /** Segment loads (MOV/POP Sreg, LDS/LES/LFS/LGS/LSS), far JMP/CALL/RET, IN/OUT to port 0xED. */
  system?: boolean;
  /** Call gates (JMP/CALL, RETF to an outer ring), INT n/INT3 through interrupt and trap gates, IRET (gen-gates.ts). */
  gates?: boolean;
  /** Task switches: JMP/CALL to a TSS and through task gates, INT n through an IDT task gate, IRETD with NT (gen-tasks.ts). */
  tasks?: boolean;
  /**
   * On by default (`false`: the sequence of the classes before them, as the CI run generated it until 2026-12-04):
   * the inner-stack class (gates from ring 3 to ring 1 whose SS1:ESP1 is good or faults, gen-inner-stack.ts), the
   * task-switch variants (task B at CPL 3, a 16-bit TSS, a short TSS limit, bad selectors in the new TSS, the T bit:
   * gen-tasks.ts) and IF = 1 before INT n (gen-gates.ts).
   */
  extended?: boolean;
  /** With `extended`: the inner-stack class off. */
  innerStack?: boolean;
  /** Only these of the optional classes, none of the others (for a quick run of one class: `--only tasks`). */
  only?: readonly ('x87' | 'lockUd' | 'system' | 'gates' | 'tasks' | 'innerStack')[];
}

export interface Generated extends RomParts {
  items: Item[];
}

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SIZE_KW: Record<number, string> = { 8: 'byte', 16: 'word', 32: 'dword', 64: 'qword', 80: 'tword' };
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const hex = (v: number): string => '0x' + (v >>> 0).toString(16);
/** A displacement as NASM should see it: signed, so disp8 forms get no range warning. */
const sdisp = (v: number): string => ((v | 0) < 0 ? '-0x' + (-(v | 0)).toString(16) : '+0x' + (v >>> 0).toString(16));

/** The block size and the classes' weights. */
const BLOCK = 12;

interface Mem { text: string; /** the same location with an explicit size and a byte offset */ at(bits: number, plus: number): string; setup: string[]; addr: number; regs: number[] }

export class SeqGen {
  readonly r: Rng;
  /** @internal (gen-gates.ts) */ lines: string[] = [];
  readonly items: Item[] = [];
  private labelNo = 0;
  /** @internal (gen-gates.ts) */ esp = STK_TOP;
  private block = 0;
  /** @internal (gen-gates.ts) */ ring: 0 | 3 = 0;
  /** @internal (gen-gates.ts) */ pending: string[] = [];
  /** @internal (gen-gates.ts, gen-tasks.ts) */ get extended(): boolean { return this.opts.extended !== false; }
  /** x87 register-stack depth (FNINIT at every block start empties it). */
  private fdepth = 0;

  constructor(seed: number, readonly opts: GenOptions = {}) { this.r = rng(seed); }

  // ---- random helpers ----
  int(n: number): number { return this.r.int(n); }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  chance(p: number): boolean { return this.r.next() < p; }
  /** A value with the edge cases over-represented. */
  val(bits: number): number {
    const m = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    switch (this.int(8)) {
      case 0: return this.pick([0, 1, 2, m, m - 1, (m >>> 1), (m >>> 1) + 1, 0x80, 0x7f, 0xff, 0x100]) & m;
      case 1: return (1 << this.int(bits)) & m;
      case 2: return this.int(16);
      default: return this.r.u32() & m;
    }
  }
  private reg(bits: number, opts: { noSp?: boolean } = {}): number {
    for (;;) {
      const i = this.int(8);
      if (bits !== 8 && i === 4 && opts.noSp !== false) continue; // never write ESP/SP except through stack forms
      return i;
    }
  }
  private rname(bits: number, i: number): string { return bits === 8 ? R8[i]! : bits === 16 ? R16[i]! : R32[i]!; }
  private rnd(bits: number): string { return this.rname(bits, this.reg(bits)); }
  private size(): number { return this.pick([8, 16, 32, 32]); }
  private size1632(): number { return this.pick([16, 32, 32]); }

  /** A memory operand of `bytes` bytes somewhere in the data window, `margin` bytes clear of both edges. */
  mem(bits: number, margin = 0, avoid: number[] = []): Mem {
    const bytes = bits / 8;
    const lo = WIN + margin, hi = WIN + WIN_SIZE - bytes - margin;
    const addr = lo + this.int(hi - lo + 1);
    const seg = this.chance(0.1) ? this.pick(['fs:', 'gs:', 'es:', 'ss:', 'ds:']) : '';
    const setup: string[] = [];
    const regs: number[] = [];
    const free = [0, 1, 2, 3, 5, 6, 7].filter((r) => !avoid.includes(r));
    const make = (inner: string): Mem => ({
      text: `${SIZE_KW[bits]} [${seg}${inner}]`, at: (b, plus) => `${SIZE_KW[b]} [${seg}${inner}${plus ? '+' + plus : ''}]`,
      setup, addr, regs,
    });
    if (this.chance(0.2)) {
      // 16-bit addressing: [bx|bp + si|di + disp], wraps at 64 KiB
      const bases = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [3], [5]].filter((c) => c.every((r) => !avoid.includes(r)));
      const c = this.pick(bases);
      const disp = c.length === 1 && c[0] === 5 && this.chance(0.3) ? 0 : this.pick([0, (this.int(256) - 128), this.int(0x10000)]);
      let rest = (addr - disp) & 0xffff;
      const parts: string[] = [];
      c.forEach((r, k) => {
        const v = k === c.length - 1 ? rest : this.int(0x10000);
        rest = (rest - v) & 0xffff;
        setup.push(`mov ${R16[r]}, ${hex(v)}`);
        parts.push(R16[r]!);
        regs.push(r);
      });
      if (c.length === 1 && c[0] === 5 && disp === 0) parts.push('0'); // [bp] needs a displacement byte
      else if (disp) { const v = disp & 0xffff; return make(parts.join('+') + sdisp(v >= 0x8000 ? v - 0x10000 : v)); }
      return make(parts.join('+'));
    }
    const form = this.int(6);
    if (form === 0 || free.length < 2) return make(hex(addr));
    const base = this.pick(free);
    const index = this.pick(free.filter((r) => r !== base));
    const scale = this.pick([1, 2, 4, 8]);
    const disp = this.pick([0, this.int(256) - 128, this.r.u32() | 0]);
    const useIndex = form >= 3;
    const useBase = form !== 5;
    const iv = useIndex ? this.r.u32() : 0;
    const bv = (addr - disp - (useIndex ? iv * scale : 0)) >>> 0;
    const parts: string[] = [];
    if (useBase) { setup.push(`mov ${R32[base]}, ${hex(bv)}`); parts.push(R32[base]!); regs.push(base); }
    if (useIndex) { setup.push(`mov ${R32[index]}, ${hex(iv)}`); parts.push(`${R32[index]}*${scale}`); regs.push(index); }
    let d = disp;
    if (!useBase) d = (addr - iv * scale) >>> 0;
    return make(parts.join('+') + (d || !useBase ? sdisp(d) : ''));
  }

  // ---- emission ----
  emit(...l: string[]): void { for (const s of l) this.lines.push('  ' + s); }
  setup(...l: string[]): void { this.pending.push(...l); this.emit(...l); }
  newLabel(): string { return `.l${this.labelNo++}`; }

  /** One tested instruction followed by its dump. */
  test(form: string, insn: string, undef = 0, opts: { faults?: boolean } = {}): void {
    const after = this.newLabel();
    if (opts.faults) this.emit(`mov dword [${hex(RESUME)}], ${after}`);
    this.emit(insn);
    this.lines.push(`${after}:`);
    if (undef) this.emit(`mov dword [${hex(DUMP_NMASK)}], ${hex(~undef)}`);
    this.emit('call dump');
    this.record(form, insn, undef);
    if (undef) this.emit(`push dword ${hex(this.flags())}`, 'popfd');
  }
  record(form: string, insn: string, undef: number): void {
    this.items.push({ form, asm: [...this.pending, insn].join('; '), undef, block: this.block, ring: this.ring });
    this.pending = [];
  }
  flags(): number {
    return (this.r.u32() & ARITH) | 0x3002 | (this.chance(0.15) ? 0x400 : 0);
  }

  /** Start a block: windows back to their initial bytes, ESP at the top, random registers and flags. */
  private startBlock(): void {
    this.block++;
    this.lines.push(`; block ${this.block}`);
    // the call's return address goes above the stack window, which reinit clears
    this.emit(`mov esp, ${hex(REINIT_ESP)}`, 'call reinit', `mov esp, ${hex(STK_TOP)}`);
    this.esp = STK_TOP;
    for (const r of [0, 1, 2, 3, 5, 6, 7]) this.emit(`mov ${R32[r]}, ${hex(this.val(32))}`);
    this.emit(`push dword ${hex(this.flags())}`, 'popfd');
    this.fdepth = 0;
  }

  /** Make room on the stack for `down` bytes pushed and `up` bytes popped. */
  stackRoom(down: number, up: number): void {
    if (this.esp - down < STK_LO + 0x10 || this.esp + up > STK_TOP) {
      const to = up > 0 && this.esp + up > STK_TOP ? STK_TOP - 0x40 : STK_TOP;
      this.setup(`mov esp, ${hex(to)}`);
      this.esp = to;
    }
  }

  // ---- the classes ----
  private alu(): void {
    const op = this.pick(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'test']);
    const und = op === 'and' || op === 'or' || op === 'xor' || op === 'test' ? AF : 0;
    const b = this.size();
    const kind = this.int(5);
    if (kind === 0) this.test(`${op} r${b}, r${b}`, `${op} ${this.rnd(b)}, ${this.rnd(b)}`, und);
    else if (kind === 1) {
      const imm = this.chance(0.4) && b !== 8 ? (this.int(256) - 128) : this.val(b);
      this.test(`${op} r${b}, imm`, `${op} ${this.rnd(b)}, ${imm < 0 ? imm : hex(imm)}`, und);
    } else {
      const m = this.mem(b);
      this.pending.push(...m.setup); this.emit(...m.setup);
      const r = this.rname(b, this.reg(b));
      if (kind === 2 && op !== 'test') this.test(`${op} r${b}, m${b}`, `${op} ${r}, ${m.text}`, und);
      else if (kind === 3) this.test(`${op} m${b}, r${b}`, `${op} ${m.text}, ${r}`, und);
      else this.test(`${op} m${b}, imm`, `${op} ${m.text}, ${hex(this.val(b))}`, und);
    }
  }

  private unary(): void {
    const op = this.pick(['inc', 'dec', 'neg', 'not']);
    const b = this.size();
    if (this.chance(0.5)) this.test(`${op} r${b}`, `${op} ${this.rnd(b)}`);
    else { const m = this.mem(b); this.setup(...m.setup); this.test(`${op} m${b}`, `${op} ${m.text}`); }
  }

  private operandRM(b: number, avoid: number[] = []): { text: string; kind: string } {
    if (this.chance(0.6)) return { text: this.rnd(b), kind: `r${b}` };
    const m = this.mem(b, 0, avoid); this.setup(...m.setup); return { text: m.text, kind: `m${b}` };
  }

  private shift(): void {
    const op = this.pick(['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sar']);
    const b = this.size();
    const ck = this.int(3);
    const n = ck === 0 ? 1 : this.chance(0.8) ? this.int(b + 2) : this.int(256);
    const dst = this.operandRM(b, [1]);
    let src: string, form: string;
    if (ck === 0) { src = '1'; form = '1'; }
    else if (ck === 1) { src = hex(n); form = 'imm8'; }
    else {
      this.setup(`mov cl, ${hex(n)}`);
      src = 'cl'; form = 'cl';
      if (dst.text === 'cl' || dst.text === 'ch' || dst.text === 'cx' || dst.text === 'ecx') { dst.text = b === 8 ? 'dl' : b === 16 ? 'dx' : 'edx'; dst.kind = `r${b}`; }
    }
    const c = n & 31;
    let und = 0;
    if (c !== 0) {
      if (c !== 1) und |= OF;
      if (op === 'shl' || op === 'shr' || op === 'sar') {
        und |= AF;
        if (c >= b && op !== 'sar') und |= CF;
      }
    }
    this.test(`${op} ${dst.kind}, ${form}`, `${op} ${dst.text}, ${src}`, und);
  }

  private shiftDouble(): void {
    const op = this.pick(['shld', 'shrd']);
    const b = this.pick([16, 32]);
    const c = b === 16 ? this.int(17) : this.int(32);
    const n = c | (this.chance(0.2) ? 32 * this.int(8) : 0);
    const byCl = this.chance(0.5);
    const dst = this.operandRM(b, [1]);
    let srcReg = this.rnd(b);
    if (byCl) {
      this.setup(`mov cl, ${hex(n)}`);
      if (/^e?cx$/.test(dst.text)) dst.text = b === 16 ? 'dx' : 'edx';
    }
    if (byCl && /^e?cx$/.test(srcReg)) srcReg = b === 16 ? 'bx' : 'ebx';
    const und = c === 0 ? 0 : AF | (c !== 1 ? OF : 0);
    this.test(`${op} ${dst.kind}, r${b}, ${byCl ? 'cl' : 'imm8'}`, `${op} ${dst.text}, ${srcReg}, ${byCl ? 'cl' : hex(n)}`, und);
  }

  private muldiv(): void {
    const op = this.pick(['mul', 'imul', 'div', 'idiv']);
    const b = this.size();
    if (op === 'div' || op === 'idiv') {
      const hiReg = b === 8 ? 'ah' : b === 16 ? 'dx' : 'edx';
      if (this.chance(0.6)) {
        if (op === 'idiv') this.setup(b === 8 ? 'cbw' : b === 16 ? 'cwd' : 'cdq');
        else this.setup(`mov ${hiReg}, ${hex(this.int(b === 8 ? 4 : 16))}`);
      }
    }
    const src = this.operandRM(b, [0, 2]);
    const und = op === 'div' || op === 'idiv' ? ARITH : SF | ZF | AF | PF;
    this.test(`${op} ${src.kind}`, `${op} ${src.text}`, und, { faults: op === 'div' || op === 'idiv' });
  }

  private imulForms(): void {
    const b = this.pick([16, 32]);
    const dst = this.rnd(b);
    const src = this.operandRM(b);
    const und = SF | ZF | AF | PF;
    const k = this.int(3);
    if (k === 0) this.test(`imul r${b}, ${src.kind}`, `imul ${dst}, ${src.text}`, und);
    else if (k === 1) this.test(`imul r${b}, ${src.kind}, imm8`, `imul ${dst}, ${src.text}, byte ${this.int(256) - 128}`, und);
    else this.test(`imul r${b}, ${src.kind}, imm`, `imul ${dst}, ${src.text}, ${hex(this.val(b))}`, und);
  }

  private bits(): void {
    const k = this.int(6);
    const b = this.pick([16, 32]);
    if (k <= 3) {
      const op = this.pick(['bt', 'bts', 'btr', 'btc']);
      const und = OF | SF | AF | PF;
      if (k === 0) this.test(`${op} r${b}, r${b}`, `${op} ${this.rnd(b)}, ${this.rnd(b)}`, und);
      else if (k === 1) {
        const dst = this.operandRM(b);
        this.test(`${op} ${dst.kind}, imm8`, `${op} ${dst.text}, ${hex(this.int(256))}`, und);
      } else {
        // m, r: the bit offset reaches outside the operand (SDM "bit base"), kept within the window
        const off = this.int(512) - 256;
        const ri = this.reg(b);
        const m = this.mem(b, 40, [ri]);
        this.setup(...m.setup, `mov ${this.rname(b, ri)}, ${off}`);
        this.test(`${op} m${b}, r${b}`, `${op} ${m.text}, ${this.rname(b, ri)}`, und);
      }
    } else {
      const op = this.pick(['bsf', 'bsr']);
      const src = this.operandRM(b);
      if (this.chance(0.1) && src.kind.startsWith('r')) this.setup(`mov ${src.text}, 0`);
      this.test(`${op} r${b}, ${src.kind}`, `${op} ${this.rnd(b)}, ${src.text}`, CF | OF | SF | AF | PF);
    }
  }

  private string(): void {
    const op = this.pick(['movs', 'cmps', 'stos', 'lods', 'scas']);
    const sz = this.pick(['b', 'w', 'd']);
    const a16 = this.chance(0.3);
    const reps = op === 'cmps' || op === 'scas' ? ['', 'repe', 'repne'] : ['', 'rep'];
    const rep = this.pick(reps);
    const hi = () => (a16 ? (this.r.u32() & 0xffff0000) : 0);
    const ptr = () => WIN + 32 + this.int(WIN_SIZE - 68);
    if (this.chance(0.5)) this.setup(this.chance(0.3) ? 'std' : 'cld');
    if (op === 'movs' || op === 'cmps' || op === 'lods') this.setup(`mov esi, ${hex(hi() | ptr())}`);
    if (op !== 'lods') this.setup(`mov edi, ${hex(hi() | ptr())}`);
    if (rep) this.setup(`mov ecx, ${hex((a16 ? this.r.u32() & 0xffff0000 : 0) | this.int(8))}`);
    if (op === 'cmps' || op === 'scas') {
      // make early matches likely: the accumulator from the window
      if (op === 'scas' && this.chance(0.5)) this.setup(`mov eax, [${hex(WIN + 32 + this.int(WIN_SIZE - 68))}]`);
    }
    const insn = `${a16 ? 'a16 ' : ''}${rep ? rep + ' ' : ''}${op}${sz}`;
    this.test(`${rep ? rep + ' ' : ''}${op}${sz}${a16 ? ' a16' : ''}`, insn);
  }

  private moves(): void {
    const k = this.int(6);
    if (k === 0) {
      const op = this.pick(['movzx', 'movsx']);
      const from = this.pick([8, 16]);
      const to = from === 16 ? 32 : this.pick([16, 32]);
      const src = this.operandRM(from);
      this.test(`${op} r${to}, ${src.kind}`, `${op} ${this.rnd(to)}, ${src.text}`);
    } else if (k === 1) {
      const cc = this.pick(CC);
      const dst = this.operandRM(8);
      this.test(`set${cc} ${dst.kind}`, `set${cc} ${dst.text}`);
    } else if (k === 2) {
      const cc = this.pick(CC);
      const b = this.pick([16, 32]);
      const src = this.operandRM(b);
      this.test(`cmov${cc} r${b}, ${src.kind}`, `cmov${cc} ${this.rnd(b)}, ${src.text}`);
    } else if (k === 3) {
      this.test('bswap r32', `bswap ${this.rnd(32)}`);
    } else if (k === 4) {
      const b = this.size();
      const dst = this.operandRM(b);
      this.test(`xchg ${dst.kind}, r${b}`, `xchg ${dst.text}, ${this.rnd(b)}`);
    } else {
      const b = this.size();
      const dst = this.operandRM(b);
      if (this.chance(0.5)) this.test(`mov ${dst.kind}, imm`, `mov ${dst.text}, ${hex(this.val(b))}`);
      else this.test(`mov ${dst.kind}, r${b}`, `mov ${dst.text}, ${this.rnd(b)}`);
    }
  }

  private atomics(): void {
    const k = this.int(3);
    const lock = this.chance(0.3);
    if (k === 0) {
      const b = this.size();
      const dst = this.operandRM(b);
      this.test(`xadd ${dst.kind}, r${b}`, `${lock && dst.kind[0] === 'm' ? 'lock ' : ''}xadd ${dst.text}, ${this.rnd(b)}`);
    } else if (k === 1) {
      const b = this.size();
      const acc = b === 8 ? 'al' : b === 16 ? 'ax' : 'eax';
      const dst = this.operandRM(b, [0]);
      if (this.chance(0.4)) this.setup(`mov ${acc}, ${dst.text}`);
      let src = this.rnd(b);
      if (this.chance(0.2)) src = acc;
      this.test(`cmpxchg ${dst.kind}, r${b}`, `${lock && dst.kind[0] === 'm' ? 'lock ' : ''}cmpxchg ${dst.text}, ${src}`);
    } else {
      const m = this.mem(64, 0, [0, 1, 2, 3]);
      this.setup(...m.setup);
      if (this.chance(0.5)) this.setup(`mov eax, ${m.at(32, 0)}`, `mov edx, ${m.at(32, 4)}`);
      this.test('cmpxchg8b m64', `${lock ? 'lock ' : ''}cmpxchg8b ${m.text}`);
    }
  }

  private stack(): void {
    const k = this.int(10);
    const o = this.pick([16, 32, 32]);
    const os = o / 8;
    if (k === 0) { this.stackRoom(os, 0); this.test(`push r${o}`, `push ${this.rname(o, this.int(8))}`); this.esp -= os; }
    else if (k === 1) {
      this.stackRoom(os, 0);
      const imm8 = this.chance(0.5);
      this.test(`push imm${imm8 ? 8 : o}${o === 16 ? ' o16' : ''}`, `push ${o === 16 ? 'word' : 'dword'} ${imm8 ? this.int(256) - 128 : hex(this.val(o))}`);
      this.esp -= os;
    } else if (k === 2) {
      this.stackRoom(os, 0);
      const m = this.mem(o); this.setup(...m.setup);
      this.test(`push m${o}`, `push ${m.text}`); this.esp -= os;
    } else if (k === 3) {
      this.stackRoom(0, os);
      this.test(`pop r${o}`, `pop ${this.rnd(o)}`); this.esp += os;
    } else if (k === 4) {
      this.stackRoom(0, os);
      const m = this.mem(o); this.setup(...m.setup);
      this.test(`pop m${o}`, `pop ${m.text}`); this.esp += os;
    } else if (k === 5) {
      this.stackRoom(8 * os, 0);
      this.test(o === 16 ? 'pushaw' : 'pushad', o === 16 ? 'pushaw' : 'pushad'); this.esp -= 8 * os;
    } else if (k === 6) {
      this.stackRoom(0, 8 * os);
      this.test(o === 16 ? 'popaw' : 'popad', o === 16 ? 'popaw' : 'popad'); this.esp += 8 * os;
    } else if (k === 7) {
      this.stackRoom(os, 0);
      this.test(o === 16 ? 'pushfw' : 'pushfd', o === 16 ? 'pushfw' : 'pushfd'); this.esp -= os;
    } else if (k === 8) {
      const level = this.chance(0.5) ? 0 : this.int(4);
      const size = this.pick([0, 2, 4, 8, 16, 24]);
      const down = os * (1 + level) + size;
      this.stackRoom(down, 0);
      if (this.esp - down < STK_LO + 0x10) { this.setup(`mov esp, ${hex(STK_TOP)}`); this.esp = STK_TOP; }
      const ebp = STK_LO + 0x20 + 4 * this.int((STK_TOP - STK_LO - 0x28) / 4);
      this.setup(`mov ebp, ${hex(ebp)}`);
      this.test(`enter imm16, ${level}${o === 16 ? ' o16' : ''}`, `${o === 16 ? 'o16 ' : ''}enter ${size}, ${level}`);
      this.esp -= down;
    } else {
      const ebp = STK_LO + 0x20 + 4 * this.int((STK_TOP - STK_LO - 0x28) / 4);
      this.setup(`mov ebp, ${hex(ebp)}`);
      this.test(`leave${o === 16 ? ' o16' : ''}`, `${o === 16 ? 'o16 ' : ''}leave`);
      this.esp = ebp + os;
    }
  }

  private lea(): void {
    const o = this.pick([16, 32, 32]);
    const dst = this.rnd(o);
    if (this.chance(0.3)) {
      const c = this.pick(['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bx', 'bp']);
      const d = this.pick(['', `+${this.int(256) - 128}`, `+${hex(this.int(0x10000))}`]);
      this.test(`lea r${o}, m a16`, `lea ${dst}, [${c}${c === 'bp' && d === '' ? '+0' : d}]`);
    } else {
      const base = this.chance(0.85) ? this.pick(R32) : '';
      const index = this.chance(0.6) ? this.pick(R32.filter((r) => r !== 'esp')) : '';
      const scale = this.pick([1, 2, 4, 8]);
      const d = this.pick([0, this.int(256) - 128, this.r.u32() | 0]);
      const parts = [base, index ? `${index}*${scale}` : ''].filter(Boolean);
      if (d || !parts.length || base === 'ebp') parts.push(String(d));
      this.test(`lea r${o}, m a32`, `lea ${dst}, [${parts.join('+').replace('+-', '-')}]`);
    }
  }

  private branch(): void {
    const k = this.int(4);
    let insn: string, form: string;
    if (k <= 1) {
      const cc = this.pick(CC);
      const near = k === 1;
      insn = `j${cc} ${near ? 'near' : 'short'}`; form = `j${cc} rel${near ? 32 : 8}`;
    } else if (k === 2) {
      const op = this.pick(['loop', 'loope', 'loopne']);
      const a16 = this.chance(0.3);
      this.setup(`mov ecx, ${hex((this.r.u32() & 0xffff0000) | this.pick([0, 1, 2, 3, this.int(0x10000)]))}`);
      insn = `${a16 ? 'a16 ' : ''}${op}`; form = `${op}${a16 ? ' cx' : ' ecx'}`;
    } else {
      const a16 = this.chance(0.5);
      this.setup(`mov ecx, ${hex(this.pick([0, 1, 0x10000, this.r.u32()]))}`);
      insn = a16 ? 'jcxz' : 'jecxz'; form = insn;
    }
    const t = this.newLabel(), e = this.newLabel();
    this.emit(`${insn} ${t}`, 'call dump', `jmp ${e}`);
    this.lines.push(`${t}:`);
    this.emit('call dump');
    this.lines.push(`${e}:`);
    this.record(form, `${insn} .taken`, 0);
  }

  /**
   * x87 (387 set, no transcendentals: the SDM allows them an ulp of freedom). The FSAVE image (control, status with
   * the SDM-undefined condition codes masked, tag word, registers) goes into the record's fpu checksum. After a form
   * that leaves C0-C3 undefined, clearCc (not recorded) gives them defined values again.
   */
  private x87(): void {
    // The generator tracks the register-stack depth and keeps every form inside it: QEMU TCG does not model stack
    // faults (src/cpu/README.md), and real programs do not rely on them.
    const d = this.fdepth;
    const st = (): string => `st${this.int(Math.max(d, 1))}`;
    const C023 = 0x4500;
    const m = (bits: number): string => { const x = this.mem(bits); this.setup(...x.setup); return x.text; };
    const t = (form: string, insn: string, fsw: number, delta: number): void => { this.fdepth += delta; this.testFpu(form, insn, fsw); };
    if (d === 0 || (d < 8 && this.chance(0.25))) {
      const k = this.int(4);
      if (k === 0) { const c = this.pick(['fld1', 'fldz', 'fldpi', 'fldl2e', 'fldln2', 'fldl2t', 'fldlg2']); t(c, c, C023, 1); }
      else if (k === 1) { const b = this.pick([32, 64, 80]); const x = m(b); t(`fld m${b}fp`, `fld ${x}`, C023, 1); }
      else if (k === 2 && d > 0) t('fld st(i)', `fld ${st()}`, C023, 1);
      else { const b = this.pick([16, 32, 64]); const x = m(b); t(`fild m${b}int`, `fild ${x}`, C023, 1); }
      return;
    }
    if (d === 8 && this.chance(0.5)) { const x = m(64); t('fstp m64fp', `fstp ${x}`, C023, -1); return; }
    switch (this.int(9)) {
      case 0: case 1: {
        const op = this.pick(['fadd', 'fsub', 'fsubr', 'fmul', 'fdiv', 'fdivr']);
        const f = this.int(5);
        if (f === 0) t(`${op} st0, st(i)`, `${op} st0, ${st()}`, C023, 0);
        else if (f === 1) t(`${op} st(i), st0`, `${op} ${st()}, st0`, C023, 0);
        else if (f === 2 && d >= 2) t(`${op}p st(i), st0`, `${op}p st${1 + this.int(d - 1)}, st0`, C023, -1);
        else if (f === 3) { const b = this.pick([32, 64]); const x = m(b); t(`${op} m${b}fp`, `${op} ${x}`, C023, 0); }
        else { const b = this.pick([16, 32]); const x = m(b); t(`fi${op.slice(1)} m${b}int`, `fi${op.slice(1)} ${x}`, C023, 0); }
        return;
      }
      case 2: {
        const two = d >= 2;
        const op = this.pick(two ? ['fchs', 'fabs', 'fsqrt', 'frndint', 'fscale', 'fprem', 'fprem1', 'fxtract'] : ['fchs', 'fabs', 'fsqrt', 'frndint', 'fxtract']);
        if (op === 'fxtract' && d === 8) { t('fabs', 'fabs', C023, 0); return; }
        t(op, op, op === 'fprem' || op === 'fprem1' ? 0 : C023, op === 'fxtract' ? 1 : 0); return;
      }
      case 3: {
        if (this.chance(0.5)) t('fxch st(i)', `fxch ${st()}`, C023, 0);
        else { const cc = this.pick(['b', 'e', 'be', 'u', 'nb', 'ne', 'nbe', 'nu']); t(`fcmov${cc} st0, st(i)`, `fcmov${cc} st0, ${st()}`, C023, 0); }
        return;
      }
      case 4: {
        const f = this.int(4);
        if (f === 0) { const op = this.pick(['fcom', 'fucom']); t(`${op} st(i)`, `${op} ${st()}`, 0, 0); }
        else if (f === 1) { const op = this.pick(['fcom', 'fcomp']); const b = this.pick([32, 64]); const x = m(b); t(`${op} m${b}fp`, `${op} ${x}`, 0, op === 'fcomp' ? -1 : 0); }
        else if (f === 2) { const op = this.pick(d >= 2 ? ['ftst', 'fxam', 'fcompp', 'fucompp'] : ['ftst', 'fxam']); t(op, op, 0, op.endsWith('pp') ? -2 : 0); }
        else { const op = this.pick(['fcomi', 'fucomi', 'fcomip', 'fucomip']); t(`${op} st0, st(i)`, `${op} st0, ${st()}`, C023, op.endsWith('p') ? -1 : 0); }
        return;
      }
      case 5: case 6: {
        const f = this.int(4);
        if (f === 0) { const b = this.pick([32, 64]); const x = m(b); const op = this.pick(['fst', 'fstp']); t(`${op} m${b}fp`, `${op} ${x}`, C023, op === 'fstp' ? -1 : 0); }
        else if (f === 1) { const x = m(80); t('fstp m80fp', `fstp ${x}`, C023, -1); }
        else if (f === 2) { const b = this.pick([16, 32]); const x = m(b); const op = this.pick(['fist', 'fistp']); t(`${op} m${b}int`, `${op} ${x}`, C023, op === 'fistp' ? -1 : 0); }
        else { const x = m(64); t('fistp m64int', `fistp ${x}`, C023, -1); }
        return;
      }
      case 7: {
        // rounding and precision control; exceptions stay masked (no #MF in the sequence)
        const cw = 0x1040 | 0x3f | (this.int(4) << 10) | (this.pick([0, 2, 3]) << 8);
        const x = this.mem(16); this.setup(...x.setup, `mov ${x.text}, ${hex(cw)}`);
        t('fldcw m16', `fldcw ${x.text}`, 0, 0); return;
      }
      default: {
        const f = this.int(3);
        if (f === 0) { this.setup(...this.clearCc(), 'ftst'); t('fnstsw ax', 'fnstsw ax', 0, 0); }
        else if (f === 1) { const x = m(16); t('fnstcw m16', `fnstcw ${x}`, 0, 0); }
        else t('fnclex', 'fnclex', 0, 0);
      }
    }
  }

  /** A tested x87 instruction: `fsw` is the status-word condition codes the SDM leaves undefined. */
  private testFpu(form: string, insn: string, fsw: number): void {
    const after = this.newLabel();
    this.emit(insn);
    this.lines.push(`${after}:`);
    if (fsw) this.emit(`mov dword [${hex(DUMP_FSW_NMASK)}], ${hex(~fsw)}`);
    this.emit('call dump');
    this.record(form, insn, 0);
    if (fsw) { this.items[this.items.length - 1]!.fswUndef = fsw; this.emit(...this.clearCc()); }
  }

  /**
   * C0-C3 := 0 (not recorded), the same on every emulator: FNSTENV, the status word's high byte rewritten with
   * only TOP (known from the tracked depth; B is 0 as no exception is unmasked) — a MOV, so EFLAGS stay as they
   * are —, FLDENV. Not FTST: it clears C1 on Bochs and acpidm (SDM FTST) but QEMU 7.2 leaves it, so a C1 set by
   * an earlier FXAM or FPREM would reach the next record, of any form (known-differences.ts, the x87 row).
   */
  private clearCc(): string[] {
    const top = (8 - this.fdepth) & 7;
    return [`fnstenv [${hex(FENV)}]`, `mov byte [${hex(FENV + 5)}], ${hex(top << 3)}`, `fldenv [${hex(FENV)}]`];
  }

  /** CALL/RET/JMP, direct and indirect: the target is the next line, so the sequence goes on there. */
  private calls(): void {
    const t = this.newLabel();
    const k = this.int(6);
    let insn: string, form: string;
    if (k === 0) { this.stackRoom(4, 0); insn = `call ${t}`; form = 'call rel32'; this.esp -= 4; }
    else if (k === 1) {
      const n = this.pick([0, 0, 2, 4, 8, 12]);
      this.stackRoom(4, 4 + n);
      this.setup(`push dword ${t}`);
      insn = n ? `ret ${n}` : 'ret'; form = n ? 'ret imm16' : 'ret'; this.esp += n;
    } else if (k === 2 || k === 3) {
      const r = this.rnd(32);
      this.setup(`mov ${r}, ${t}`);
      if (k === 3) { this.stackRoom(4, 0); this.esp -= 4; }
      insn = `${k === 2 ? 'jmp' : 'call'} ${r}`; form = `${k === 2 ? 'jmp' : 'call'} r32`;
    } else {
      const m = this.mem(32); this.setup(...m.setup, `mov ${m.text}, ${t}`);
      if (k === 5) { this.stackRoom(4, 0); this.esp -= 4; }
      insn = `${k === 4 ? 'jmp' : 'call'} ${m.text}`; form = `${k === 4 ? 'jmp' : 'call'} m32`;
    }
    this.emit(insn);
    this.lines.push(`${t}:`);
    this.emit('call dump');
    this.record(form, insn, 0);
  }

  /** POPF with random arithmetic flags, DF, AC and ID (never NT, TF, IF: the ROM relies on them being clear). */
  private popf(): void {
    const o = this.pick([16, 32]);
    const v = (this.r.u32() & (ARITH | 0x400 | 0x40000 | 0x200000)) | 0x3002;
    this.stackRoom(0, o / 8);
    this.setup(`push dword ${hex(v)}`);
    if (o === 16) this.setup('add esp, 2');
    this.test(o === 16 ? 'popfw' : 'popfd', o === 16 ? 'popfw' : 'popfd');
    this.esp += o === 16 ? 2 : 4;
  }

  /**
   * Segment loads, far transfers and port I/O (protected mode, both rings). A segment test is one group: the load
   * (which may fault: #GP/#SS/#NP with the selector as error code), `mov r16, sreg` so the selector shows in the
   * record, an access through the segment (its base and limit show: the window segments have base WIN, limit 0xFF),
   * then the flat selector back (read through CS) before the dump. Far transfers go to the next line through the
   * ring's own code selector, or fault on a data, execute-only, not-present, null or out-of-GDT selector.
   */
  private system(): void {
    const ring = this.ring;
    const code = ring === 0 ? SEL.code0 : SEL.code3 | 3;
    const flat = ring === 0 ? SEL.data0 : SEL.data3 | 3;
    const k = this.int(10);
    if (k <= 5) {
      const sreg = this.pick(['ds', 'es', 'fs', 'gs', 'ss']);
      // selectors worth loading at this ring: valid ones and each kind of fault
      const good = ring === 0 ? [SEL.data0, SEL.win0, SEL.data3 | 3, SEL.win3 | 3, SEL.ro3, SEL.code3] : [SEL.data3 | 3, SEL.win3, SEL.win3 | 3, SEL.ro3 | 3, SEL.code3 | 3];
      const bad = [0, SEL.np3 | 3, SEL.xo3 | 3, SEL.code0, GDT_BYTES + 8 * this.int(4), 0x0c, ...(ring === 3 ? [SEL.data0, SEL.win0] : [SEL.data3])];
      let sel: number = this.chance(0.6) ? this.pick<number>(good) : this.pick<number>(bad);
      // SS at ring 0 only ever gets a flat stack: a fault pushes its frame on SS:ESP
      if (sreg === 'ss' && ring === 0 && (sel === SEL.win0 || sel === (SEL.win3 | 3))) sel = SEL.data0;
      const obs = this.rname(16, this.reg(16));
      const how = sreg === 'ss' ? this.int(3) : this.int(4);
      let load: string, form: string;
      if (how === 0) {
        const r = this.reg(16);
        this.setup(`mov ${R16[r]}, ${hex(sel)}`);
        load = `mov ${sreg}, ${R16[r]}`; form = `mov ${sreg}, r16`;
      } else if (how === 1) {
        const m = this.mem(16); this.setup(...m.setup, `mov ${m.text}, ${hex(sel)}`);
        load = `mov ${sreg}, ${m.text}`; form = `mov ${sreg}, m16`;
      } else if (how === 2) {
        const o = this.pick([16, 32]);
        this.stackRoom(0, o / 8);
        this.setup(`push ${o === 16 ? 'word' : 'dword'} ${hex(sel)}`);
        load = `${o === 16 ? 'o16 ' : ''}pop ${sreg}`; form = `pop ${sreg}${o === 16 ? ' o16' : ''}`;
      } else {
        // LDS/LES/LFS/LGS r32, m16:32 (the offset goes into the register)
        const r = this.reg(32);
        const m = this.mem(48);
        this.setup(...m.setup, `mov ${m.at(32, 0)}, ${hex(this.val(32))}`, `mov ${m.at(16, 4)}, ${hex(sel)}`);
        load = `l${sreg} ${R32[r]}, ${m.text.replace(/^\w+ /, '')}`; form = `l${sreg} r32, m16:32`;
      }
      if (sreg === 'ss' && this.chance(0.3)) {
        // LSS with the current ESP as the offset: the stack pointer stays where the generator knows it
        const m = this.mem(48, 0, [4]);
        this.setup(...m.setup, `mov ${m.at(32, 0)}, ${hex(this.esp)}`, `mov ${m.at(16, 4)}, ${hex(sel)}`);
        load = `lss esp, ${m.text.replace(/^\w+ /, '')}`; form = 'lss esp, m16:32';
      }
      const off = this.int(0x110);
      const acc = this.chance(0.5) ? `mov ${this.rnd(8)}, [${sreg}:${hex(off)}]` : `mov [${sreg}:${hex(off)}], ${this.rnd(8)}`;
      const after = this.newLabel();
      this.emit(`mov dword [${hex(RESUME)}], ${after}`, load, `mov ${obs}, ${sreg}`, acc);
      this.lines.push(`${after}:`);
      this.emit(`mov ${sreg}, [cs:flat_sel${ring}]`, 'call dump');
      this.record(form, `${load}; mov ${obs}, ${sreg}; ${acc}`, 0);
      if (how === 2) this.esp += form.endsWith('o16') ? 2 : 4;
      return;
    }
    if (k <= 8) {
      // far JMP/CALL/RET: to the next line through this ring's code selector, or a selector that faults
      // (never the execute-only segment at ring 3: the sequence would go on there, and reads through CS would fault)
      const bad = ring === 0 ? [0, flat, SEL.xo3 | 3, SEL.npCode3 | 3, GDT_BYTES + 8 * this.int(4), SEL.code0 | 3]
        : [0, flat, SEL.npCode3 | 3, GDT_BYTES + 8 * this.int(4), SEL.code0];
      const sel: number = this.chance(0.7) ? code : this.pick<number>(bad);
      const ok = sel === code;
      const t = this.newLabel();
      const f = this.int(5);
      let insn: string, form: string;
      if (f === 0) { insn = `jmp ${hex(sel)}:${t}`; form = 'jmp ptr16:32'; }
      else if (f === 1) {
        const m = this.mem(48); this.setup(...m.setup, `mov ${m.at(32, 0)}, ${t}`, `mov ${m.at(16, 4)}, ${hex(sel)}`);
        insn = `jmp far ${m.text.replace(/^\w+ /, '')}`; form = 'jmp m16:32';
      } else if (f === 2) {
        this.stackRoom(8, 0);
        insn = `call ${hex(sel)}:${t}`; form = 'call ptr16:32';
        if (ok) this.esp -= 8;
      } else if (f === 3) {
        this.stackRoom(8, 0);
        const m = this.mem(48); this.setup(...m.setup, `mov ${m.at(32, 0)}, ${t}`, `mov ${m.at(16, 4)}, ${hex(sel)}`);
        insn = `call far ${m.text.replace(/^\w+ /, '')}`; form = 'call m16:32';
        if (ok) this.esp -= 8;
      } else {
        // RETF to the same ring only (a numerically higher RPL would be a return to an outer ring)
        const rsel = ok || (sel & 3) <= ring || sel === 0 ? sel : code;
        const n = this.pick([0, 0, 4, 8]);
        this.stackRoom(8, 8 + n);
        this.setup(`push dword ${hex(rsel)}`, `push dword ${t}`);
        this.esp -= 8;
        insn = n ? `retf ${n}` : 'retf'; form = n ? 'retf imm16' : 'retf';
        if (rsel === code) this.esp += 8 + n;
      }
      const after = this.newLabel();
      this.emit(`mov dword [${hex(RESUME)}], ${after}`, insn);
      this.lines.push(`${t}:`, `${after}:`);
      this.emit('call dump');
      this.record(form, insn, 0);
      return;
    }
    // IN/OUT to port 0xED, where no device answers on QEMU's pc, on Bochs or on the ROM's acpidm bus: writes go
    // nowhere, reads give all ones (not 0x80: Bochs reads back the last POST code written there)
    // (reads are 8 bits wide: 16- and 32-bit reads of 0xED give 0 on QEMU 7.2's pc and all ones on Bochs)
    const out = this.chance(0.5);
    const b = out ? this.pick([8, 16, 32]) : 8;
    const acc = b === 8 ? 'al' : b === 16 ? 'ax' : 'eax';
    const byDx = this.chance(0.5);
    if (byDx) this.setup('mov dx, 0xed');
    const port = byDx ? 'dx' : '0xed';
    this.test(`${out ? 'out' : 'in'} ${byDx ? 'dx' : 'imm8'}, ${acc}`, out ? `out ${port}, ${acc}` : `in ${acc}, ${port}`);
  }

  /** LOCK on an instruction that cannot take it (SDM Vol. 2 "LOCK"): #UD. */
  private badLock(): void {
    const k = this.int(3);
    if (k === 0) this.test('lock add r32, r32 (#UD)', `lock add ${this.rnd(32)}, ${this.rnd(32)}`, 0, { faults: true });
    else if (k === 1) { const m = this.mem(32); this.setup(...m.setup); this.test('lock mov m32, r32 (#UD)', `lock mov ${m.text}, ${this.rnd(32)}`, 0, { faults: true }); }
    else { const m = this.mem(32); this.setup(...m.setup); this.test('lock cmp m32, r32 (#UD)', `lock cmp ${m.text}, ${this.rnd(32)}`, 0, { faults: true }); }
  }

  private misc(): void {
    const k = this.int(14);
    switch (k) {
      case 0: case 1: { const op = this.pick(['daa', 'das']); this.test(op, op, OF); return; }
      case 2: { const op = this.pick(['aaa', 'aas']); this.test(op, op, OF | SF | ZF | PF); return; }
      case 3: {
        const base = this.chance(0.1) ? 0 : this.chance(0.5) ? 10 : this.int(256);
        this.test(`aam imm8${base === 0 ? ' 0' : ''}`, `aam ${base}`, OF | AF | CF, { faults: true }); return;
      }
      case 4: { const base = this.chance(0.5) ? 10 : this.int(256); this.test('aad imm8', `aad ${base}`, OF | AF | CF); return; }
      case 5: { const op = this.pick(['lahf', 'sahf']); this.test(op, op); return; }
      case 6: { const op = this.pick(['cbw', 'cwde', 'cwd', 'cdq']); this.test(op, op); return; }
      case 7: {
        const a16 = this.chance(0.3);
        this.setup(a16 ? `mov bx, ${hex(WIN)}` : `mov ebx, ${hex(WIN)}`);
        this.test(`xlat${a16 ? ' a16' : ''}`, `${a16 ? 'a16 ' : ''}xlatb`); return;
      }
      case 8: { const op = this.pick(['clc', 'stc', 'cmc']); this.test(op, op); return; }
      case 9: this.test('into', 'into', 0, { faults: true }); return;
      case 10: {
        const b = this.pick([16, 32]);
        const ri = this.reg(b);
        const m = this.mem(b * 2, 0, [ri]); this.setup(...m.setup);
        this.test(`bound r${b}, m`, `bound ${this.rname(b, ri)}, ${m.text.replace(/^\w+ /, '')}`, 0, { faults: true }); return;
      }
      default: this.unary(); return;
    }
  }

  /** A label line. */
  label(l: string): void { this.lines.push(`${l}:`); }

  private readonly gateGen = new GateGen(this);
  private readonly taskGen = new TaskGen(this);
  private readonly innerStackGen = new InnerStackGen(this);

  /** Generate `count` tested instructions, half at CPL 0 and half at CPL 3. */
  generate(count: number): { ring0: string; ring3: string } {
    const o = this.opts, only = o.only;
    const on = (k: NonNullable<GenOptions['only']>[number], w: number): number => (only ? (only.includes(k) ? w : 0) : o[k] !== false ? w : 0);
    const base = only ? 0 : 1;
    const classes: [number, () => void][] = [
      [14 * base, () => this.alu()], [4 * base, () => this.unary()], [10 * base, () => this.shift()], [4 * base, () => this.shiftDouble()],
      [8 * base, () => this.muldiv()], [3 * base, () => this.imulForms()], [6 * base, () => this.bits()], [7 * base, () => this.string()],
      [9 * base, () => this.moves()], [4 * base, () => this.atomics()], [9 * base, () => this.stack()], [4 * base, () => this.lea()],
      [6 * base, () => this.branch()], [7 * base, () => this.misc()], [3 * base, () => this.calls()], [1 * base, () => this.popf()],
      [on('lockUd', 1), () => this.badLock()],
      [on('x87', 8), () => this.x87()],
      [on('system', 4), () => this.system()],
      [on('gates', 4), () => this.gateGen.next()],
      [on('tasks', 2), () => this.taskGen.next()],
      [o.extended !== false ? on('innerStack', 2) : 0, () => this.innerStackGen.next()],
    ];
    const total = classes.reduce((s, c) => s + c[0], 0);
    const parts: string[] = [];
    for (const ring of [0, 3] as const) {
      this.ring = ring;
      this.lines = [];
      const n = ring === 0 ? Math.ceil(count / 2) : Math.floor(count / 2);
      const start = this.items.length;
      while (this.items.length - start < n) {
        if ((this.items.length - start) % BLOCK === 0) this.startBlock();
        let x = this.int(total);
        for (const [w, f] of classes) { if (x < w) { f(); break; } x -= w; }
        this.pending = [];
      }
      parts.push(this.lines.join('\n'));
    }
    return { ring0: parts[0]!, ring3: parts[1]! };
  }
}

/** The whole generated test: sequence, window contents, ROM size that holds it. */
export function generate(seed: number, count: number, opts: GenOptions = {}): Generated {
  const g = new SeqGen(seed, opts);
  const { ring0, ring3 } = g.generate(count);
  const window = new Uint8Array(WIN_SIZE);
  for (let i = 0; i < window.length; i++) window[i] = g.r.int(256);
  // about 40 bytes of code per tested instruction (setup, RESUME stores, dumps), plus the fixed part
  let romSize = 0x10000;
  // (the gate, task and inner-stack groups alone, `only`, take about 200 bytes a record; Bochs takes at most 2 MiB)
  const groups = opts.only?.some((k) => k === 'gates' || k === 'tasks' || k === 'innerStack');
  while (romSize < count * (groups ? 200 : 48) + 0x12000) romSize *= 2;
  return { ring0, ring3, window, romSize, items: g.items };
}
