/**
 * The gates class of the differential test's generator: far JMP/CALL through call gates (16- and 32-bit, DPL 0-3,
 * 0-2 parameters, to non-conforming and conforming code, from ring 0 and ring 3: ring 3 → ring 0 switches to the
 * TSS stack and copies the parameters) with RETF / RETF imm16 back, and INT n through interrupt and trap gates the
 * sequence writes into the IDT (with and without a stack switch) with IRET / IRETD back, INT3 / INT 3 through the
 * ROM's DPL-3 gate, and the faults on the way (#GP/#NP with the gate's or the target's selector, #GP(vector*8+2)).
 *
 * A gate test is a group of two records. The gate's descriptor is written into the GDT/IDT copy in RAM (rom.ts),
 * then the transfer runs; its target is code right after it:
 *
 *     mov dword [RESUME], .res     ; a fault resumes at .res
 *     call 0x73:0                  ; (or jmp, or int 0x30)
 *     jmp .b                       ; a CALL / INT returns here
 *   .tgt:                          ; the gate's target (16-bit gates: through the trampoline at TRAMP)
 *     (clear the undefined upper halves of the CS/SS slots of a 32-bit frame)
 *     call dump                    ; record A: the handler's view (CPL, ESP, both stack windows)
 *     mov dword [RESUME], .b
 *     retf n / iretd / jmp far back
 *   .res: call dump                ; record A again when the transfer faulted
 *   .b:   call dump                ; record B: back in the caller
 *
 * so every path writes two records and the streams of two emulators stay aligned even when they disagree.
 */
import type { Rng } from './rng.js';
import { GDT_RAM, IDT_RAM, RET_PTR, RET_TRAMP, RESUME, SCRATCH_VEC, SEL, TGT_PTR, TRAMP, ERR, IDT_VECTORS } from './rom.js';

/** What the gates class needs from the generator (gen.ts SeqGen). */
export interface GateHost {
  readonly r: Rng;
  esp: number;
  readonly ring: 0 | 3;
  /** GenOptions.extended: the variants added with the inner-stack class. */
  readonly extended: boolean;
  pending: string[];
  int(n: number): number;
  pick<T>(a: readonly T[]): T;
  chance(p: number): boolean;
  val(bits: number): number;
  mem(bits: number, margin?: number, avoid?: number[]): { text: string; at(bits: number, plus: number): string; setup: string[] };
  emit(...l: string[]): void;
  setup(...l: string[]): void;
  newLabel(): string;
  label(l: string): void;
  record(form: string, insn: string, undef: number): void;
  stackRoom(down: number, up: number): void;
  test(form: string, insn: string, undef?: number, opts?: { faults?: boolean }): void;
}

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

/** The GDT entries a gate may point at (rom.ts): code or not, DPL, conforming, present. */
interface Target { code: boolean; dpl: number; conforming: boolean; present: boolean }
const TARGETS: Record<number, Target> = {
  [SEL.code0]: { code: true, dpl: 0, conforming: false, present: true },
  [SEL.code3]: { code: true, dpl: 3, conforming: false, present: true },
  [SEL.conf0]: { code: true, dpl: 0, conforming: true, present: true },
  [SEL.conf3]: { code: true, dpl: 3, conforming: true, present: true },
  [SEL.data0]: { code: false, dpl: 0, conforming: false, present: true },
  [SEL.npCode3]: { code: true, dpl: 3, conforming: false, present: false },
};

/** The outcome the SDM gives (CALL/JMP "CALL-GATE", INT n "PROTECTED-MODE"), in its order of checks. */
type Outcome = { fault: '#GP' | '#NP' } | { fault: null; inner: boolean };

function targetOutcome(tsel: number, cpl: number, jmp: boolean): Outcome {
  if ((tsel & 0xfffc) === 0) return { fault: '#GP' };
  const t = TARGETS[tsel & 0xfff8]!;
  if (!t.code || t.dpl > cpl) return { fault: '#GP' };
  if (!t.present) return { fault: '#NP' };
  if (jmp && !t.conforming && t.dpl !== cpl) return { fault: '#GP' };
  return { fault: null, inner: !jmp && !t.conforming && t.dpl < cpl };
}

/** Vectors without an error code (the ROM's handlers for vectors with one expect it on the stack). */
const NO_ERR = Array.from({ length: 32 }, (_, v) => v).filter((v) => !ERR.has(v));

export class GateGen {
  constructor(private readonly h: GateHost) {}

  next(): void {
    const k = this.h.int(12);
    if (k < 6) this.callGate();
    else if (k < 9) this.intGate();
    else this.intFault();
  }

  private target(): number {
    const h = this.h;
    const good = h.ring === 3 ? [SEL.code0, SEL.code0, SEL.code0, SEL.conf0, SEL.conf3, SEL.code3] : [SEL.code0, SEL.code0, SEL.conf0, SEL.code3, SEL.conf3];
    const sel: number = h.chance(0.8) ? h.pick(good) : h.pick([0, SEL.data0, SEL.npCode3]);
    return sel | (h.chance(0.2) ? h.int(4) : 0); // the RPL of a gate's target selector is ignored
  }

  /** Gate DPL: mostly 3 or the current ring (so the transfer goes through), sometimes anything. */
  private gateDpl(): number {
    const h = this.h;
    return h.chance(0.8) ? (h.chance(0.5) ? 3 : h.ring) : h.int(4);
  }

  /** The two lines that write a gate descriptor at `at` (GDT or IDT copy in RAM). */
  private writeGate(at: number, off: string, tsel: number, attr: number): void {
    this.h.setup(`mov dword [${hex(at)}], ((${off}) & 0xffff) | ${hex(tsel << 16)}`,
      `mov dword [${hex(at + 4)}], ((${off}) & 0xffff0000) | ${hex(attr)}`);
  }

  /** In the handler: a DPL-0 data segment in DS/ES/FS/GS, which a return to ring 3 must null (SDM RET/IRET). */
  private dpl0Seg(inner: boolean): string | null {
    const h = this.h;
    if (!inner || h.ring !== 3 || !h.chance(0.5)) return null;
    const s = h.pick(['ds', 'es', 'fs', 'gs']);
    h.emit(`mov ${s}, [cs:flat_sel0]`);
    return s;
  }

  /** Record B: back in the caller (the selector nulled or kept shows in a register first). */
  private back(b: string, seg: string | null, form: string, insn: string): void {
    const h = this.h;
    h.label(b);
    let obs = '';
    if (seg) {
      const r = h.pick(['ax', 'cx', 'dx', 'bx', 'si', 'di', 'bp']);
      h.emit(`mov ${r}, ${seg}`, `mov ${seg}, [cs:flat_sel${h.ring}]`);
      obs = `; mov ${r}, ${seg}`;
    }
    h.emit('call dump');
    h.record(form, insn + obs, 0);
  }

  /** JMP/CALL through a call gate, RETF (imm16) back. */
  private callGate(): void {
    const h = this.h, ring = h.ring;
    const gate32 = h.chance(0.6), size = gate32 ? 4 : 2;
    const jmp = h.chance(0.25);
    const gsel = h.pick([SEL.gateA, SEL.gateB]);
    const gdpl = this.gateDpl();
    const rpl = h.chance(0.85) ? ring : h.int(4);
    const present = h.chance(0.93);
    const params = h.int(3);
    const tsel = this.target();
    const out: Outcome = gdpl < ring || rpl > gdpl ? { fault: '#GP' } : !present ? { fault: '#NP' } : targetOutcome(tsel, ring, jmp);
    // RETF imm16 releases the parameters; to an outer ring it must (else it pops a parameter as ESP)
    const n = jmp ? 0 : !out.fault && out.inner || h.chance(0.7) ? params * size : h.pick([0, 2, 4, 8]);
    const tgt = h.newLabel(), res = h.newLabel(), b = h.newLabel();
    // parameters on the caller's stack (copied to the new stack on a switch)
    h.stackRoom(params * size + 2 * size + 8, Math.max(0, n - params * size));
    for (let i = 0; i < params; i++) h.setup(`push ${size === 4 ? 'dword' : 'word'} ${hex(h.val(size * 8))}`);
    h.esp -= params * size;
    const esp0 = h.esp;
    // the gate: a 16-bit one reaches its target through the trampoline (16-bit offset), returns through RET_TRAMP
    this.writeGate(GDT_RAM + gsel, gate32 ? `ADDR(${tgt})` : hex(TRAMP), tsel,
      (present ? 0x8000 : 0) | (gdpl << 13) | ((gate32 ? 0x0c : 0x04) << 8) | params);
    if (!gate32) h.setup(`mov dword [${hex(TGT_PTR)}], ${tgt}`, `mov dword [${hex(RET_PTR)}], ${b}`);
    const sel = hex(gsel | rpl);
    const op = jmp ? 'jmp' : 'call';
    let insn: string, how: string;
    if (h.chance(0.5)) { insn = `${op} ${sel}:${hex(h.val(32))}`; how = 'ptr16:32'; }
    else {
      const m = h.mem(48); h.setup(...m.setup, `mov ${m.at(32, 0)}, ${hex(h.val(32))}`, `mov ${m.at(16, 4)}, ${sel}`);
      insn = `${op} far ${m.text.replace(/^\w+ /, '')}`; how = 'm16:32';
    }
    const tag = out.fault ?? (out.inner ? 'inner' : 'same');
    const formA = `${op} ${how} gate${size * 8} ${tag}`;
    h.emit(`mov dword [${hex(RESUME)}], ${res}`, insn, `jmp ${b}`);
    h.label(tgt);
    let seg: string | null = null;
    if (!out.fault) {
      // the upper halves of the CS and SS slots of a 32-bit frame are undefined (SDM CALL, Vol. 3A 5.8.5 Figure 5-13)
      if (!jmp && gate32) h.emit('mov word [esp + 6], 0');
      if (!jmp && gate32 && out.inner) h.emit(`mov word [esp + ${14 + 4 * params}], 0`);
      seg = this.dpl0Seg(out.inner);
    }
    h.emit('call dump');
    h.record(formA, insn, 0);
    h.emit(`mov dword [${hex(RESUME)}], ${b}`);
    let formB: string, insnB: string;
    if (jmp) {
      // back to the ring's own code selector (a JMP never changes CPL)
      insnB = `jmp ${hex(ring === 0 ? SEL.code0 : SEL.code3 | 3)}:${b}`;
      formB = 'jmp ptr16:32 back from a gate';
    } else {
      if (!gate32) h.emit(`mov word [esp], ${hex(RET_TRAMP)}`);
      insnB = `${gate32 ? '' : 'o16 '}retf${n ? ' ' + n : ''}`;
      formB = `retf${n ? ' imm16' : ''} gate${size * 8} ${out.fault ? 'same' : out.inner ? 'to outer' : 'same'}`;
    }
    h.emit(insnB);
    h.label(res);
    h.emit('call dump');
    this.back(b, seg, out.fault ? `${formA} (resumed)` : formB, out.fault ? 'next' : insnB);
    h.esp = !out.fault && !jmp ? esp0 + n : esp0;
    h.emit(`mov esp, ${hex(h.esp)}`);
  }

  /** INT n through an interrupt or trap gate written into a scratch IDT vector, IRET/IRETD back. */
  private intGate(): void {
    const h = this.h, ring = h.ring;
    const vec = h.pick(SCRATCH_VEC);
    const gate32 = h.chance(0.65), size = gate32 ? 4 : 2;
    const trap = h.chance(0.5);
    const gdpl = this.gateDpl();
    const present = h.chance(0.93);
    const tsel = this.target();
    // SDM INT n: gate DPL < CPL → #GP(vector*8+2); not present → #NP(vector*8+2); then the target's checks
    const out: Outcome = gdpl < ring ? { fault: '#GP' } : !present ? { fault: '#NP' } : targetOutcome(tsel, ring, false);
    const tgt = h.newLabel(), res = h.newLabel(), b = h.newLabel();
    h.stackRoom(3 * size + 8, 0);
    this.writeGate(IDT_RAM + vec * 8, gate32 ? `ADDR(${tgt})` : hex(TRAMP), tsel,
      (present ? 0x8000 : 0) | (gdpl << 13) | (((gate32 ? 8 : 0) | (trap ? 7 : 6)) << 8));
    if (!gate32) h.setup(`mov dword [${hex(TGT_PTR)}], ${tgt}`, `mov dword [${hex(RET_PTR)}], ${b}`);
    // IF = 1 half the time (the ROM masks the PICs), so the handler's EFLAGS tells an interrupt gate (IF cleared)
    // from a trap gate (IF kept)
    if (h.extended && h.chance(0.5)) h.setup('sti');
    const insn = `int ${hex(vec)}`;
    const tag = out.fault ?? (out.inner ? 'inner' : 'same');
    const formA = `int imm8 ${trap ? 'trap' : 'int'}-gate${size * 8} ${tag}`;
    h.emit(`mov dword [${hex(RESUME)}], ${res}`, insn, `jmp ${b}`);
    h.label(tgt);
    let seg: string | null = null;
    if (!out.fault) {
      // 32-bit frame: EIP, CS, EFLAGS (, ESP, SS); the upper halves of the CS and SS slots are undefined
      if (gate32) h.emit('mov word [esp + 6], 0');
      if (gate32 && out.inner) h.emit('mov word [esp + 18], 0');
      seg = this.dpl0Seg(out.inner);
    }
    h.emit('call dump');
    h.record(formA, insn, 0);
    h.emit(`mov dword [${hex(RESUME)}], ${b}`);
    if (!out.fault && h.chance(0.5)) {
      // IRET loads the flags from the frame: random arithmetic flags and DF (IOPL stays 3, IF 0)
      const fl = (h.r.u32() & 0xcd5) | 0x3002;
      h.emit(`mov ${gate32 ? 'dword' : 'word'} [esp + ${2 * size}], ${hex(fl)}`);
    }
    if (!gate32) h.emit(`mov word [esp], ${hex(RET_TRAMP)}`);
    const insnB = gate32 ? 'iretd' : 'o16 iret';
    h.emit(insnB);
    h.label(res);
    h.emit('call dump');
    this.back(b, seg, out.fault ? `${formA} (resumed)` : `${insnB} ${out.inner ? 'to outer' : 'same'}`, out.fault ? 'next' : insnB);
    h.emit(`mov esp, ${hex(h.esp)}`);
  }

  /**
   * INT3 / INT 3 through the ROM's DPL-3 gate to its handler (an X record), and INT n that faults before any
   * delivery: a DPL-0 gate at CPL 3, an empty IDT entry, a vector past the IDT's limit (#GP(vector*8+2)). At CPL 0 a
   * vector without an error code reaches the ROM's handler.
   */
  private intFault(): void {
    const h = this.h;
    const k = h.int(3);
    if (k === 0) { const i = h.pick(['int3', 'int 3']); h.stackRoom(16, 0); h.test(i, i, 0, { faults: true }); return; }
    const empty = [0x20, 0x21, 0x2f, 0x32, 0x3f];
    const past = [IDT_VECTORS, 0x80, 0xff];
    const v = h.ring === 3 ? h.pick([...NO_ERR.filter((x) => x !== 3 && x !== 4), ...ERR, ...empty, ...past])
      : h.pick([...NO_ERR, ...empty, ...past]);
    h.stackRoom(16, 0);
    const kind = v >= IDT_VECTORS ? 'past the IDT' : v >= 0x20 ? 'empty' : h.ring === 3 && v !== 3 && v !== 4 ? 'DPL 0' : 'to the handler';
    h.test(`int imm8 (${kind})`, `int ${hex(v)}`, 0, { faults: true });
  }
}
