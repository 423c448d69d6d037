/**
 * The tasks class of the differential test's generator: hardware task switches from the sequence's task (TSS A,
 * the ROM's TSS, selector 0x28) to a second task (TSS B, selector 0x80, CPL 0) and back: JMP/CALL to the TSS,
 * JMP/CALL through a task gate in the GDT, INT n through a task gate in the IDT; task B goes back by JMP to TSS A
 * (after a JMP: the busy bits moved) or IRETD (after a CALL/INT: NT = 1, the back link). Faults: TSS or gate DPL
 * below CPL/RPL (#GP), a busy or not-present TSS (#GP/#NP with the TSS selector), a not-present gate (#NP), an IDT
 * task gate of DPL 0 at CPL 3 (#GP(vector*8+2)).
 *
 * Variants: task B at CPL 3 (CS 0x1B, SS 0x23, its ring-0 stack in TSS B's SS0:ESP0); a 16-bit (286) TSS B (type
 * 1/3: IP enters through the trampoline, the undefined upper halves of its registers are cleared before the dump);
 * a TSS limit below 0x67 (0x2B for a 16-bit TSS): #TS(TSS selector) in the old task; a bad ES/FS/GS selector in
 * TSS B (null-indexed LDT selector, past the GDT, a system or execute-only or not-present segment, DPL below CPL):
 * #TS/#NP(selector) after the commit point, in the new task (SDM Vol. 3A 7.3 step 13, Table 7-1); with two bad ones
 * the first in ES, FS, GS order; the T bit of a 32-bit TSS B: #DB (DR6.BT) before its first instruction. A fault
 * in the new task reaches the ROM's handler on task B's stack (or its SS0:ESP0), which resumes at .res, still in
 * task B; from there task B switches back as it would have (JMP to TSS A or IRETD), so the sequence goes on in its
 * own task. (DS is always good: the ROM's fault handler reloads it. A bad LDT, CS or SS selector leaves no stack
 * for that handler; it needs a task-gate handler, not done.)
 *
 * The group has the shape of gen-gates.ts (two records on every path): task B's view (its registers, EFLAGS with
 * NT, loaded from TSS B) and the sequence's after the switch back. The dump's checksum covers the dynamic part of
 * both TSSs (back link, EIP..LDT), so what each switch saved is compared (rom.ts).
 */
import type { GateHost } from './gen-gates.js';
import { GDT_BYTES, GDT_RAM, IDT_RAM, ISTK_LO, ISTK_TOP, RESUME, SCRATCH_VEC, SEL, TGT_PTR, TRAMP, TSS_B, TSS_B_ESP, TSS_C } from './rom.js';

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

/**
 * NOPs up to the next 4 KiB page when the next 16 bytes would cross one, before a task-switching JMP/CALL/INT: when
 * such an instruction straddles a page boundary and the switch faults after the commit point, QEMU 7.2 TCG raises the
 * #TS/#NP with an EIP of neither task (0xffe24ff6 for a `call 0x80:…` at 0xffe23ffb whose task B starts at
 * 0xffe24002; likewise 0xffe2cffb), which the ROM's handler cannot resume from, so QEMU's run of the ROM ended there
 * (the stop the first extended run saw, then blamed on a past-the-GDT selector). The ROM's base is page-aligned.
 */
export const PAGE_GUARD = 'times (((($ - $$) & 0xfff) + 16) >> 12) * (0x1000 - (($ - $$) & 0xfff)) nop';

export class TaskGen {
  constructor(private readonly h: GateHost) {}

  /** A bad ES/FS/GS selector for a task at `cpl` and the fault the SDM gives its load (TASK SWITCH, Table 7-1). */
  private badSeg(cpl: number): [number, '#TS' | '#NP'] {
    const h = this.h;
    const c: [number, '#TS' | '#NP'][] = [[0x04 | cpl, '#TS'], [GDT_BYTES + 8 * h.int(4) | cpl, '#TS'], [SEL.tssA | cpl, '#TS'],
      [SEL.xo3 | cpl, '#TS'], [SEL.np3 | 3, '#NP']];
    if (cpl === 3) c.push([SEL.data0 | 3, '#TS'], [SEL.win0 | 3, '#TS'], [SEL.data0, '#TS']);
    else c.push([SEL.data0 | 3, '#TS']); // RPL 3 above DPL 0
    return h.pick(c);
  }

  /**
   * A bad LDT, SS or CS selector in TSS B (one at a time: Bochs checks LDT, SS, DS..GS, CS; QEMU LDT, CS, SS, ES..GS):
   * the #TS/#NP/#SS comes after the commit point, in task B, whose stack may be unusable, so IDT vectors 10, 11, 12
   * are task gates to a handler task C for the group (three TSS descriptors of one TSS_C; STR tells which). Task C
   * records its TR (EAX) and the error code the switch pushed on its stack (ECX), puts the ROM's interrupt gates back
   * in the sequence's code and JMPs to TSS A (marked available first: after a CALL or INT it is busy), which resumes
   * after its JMP/CALL/INT. What task B's TSS got saved (its half-loaded state) is in the checksum.
   */
  private broken(): void {
    const h = this.h;
    const how = h.pick(['jmp', 'call', 'int'] as const);
    const tgt = h.newLabel(), hc = h.newLabel(), b = h.newLabel();
    const cpl3 = h.chance(0.3);
    const cs = cpl3 ? SEL.code3 | 3 : 0x08, ss = cpl3 ? SEL.data3 | 3 : 0x10;
    const segs = [ss, cs, ss, ss, ss, ss];
    let ldt = 0, slot: [number, number] | null = null, what: string, fault: string;
    const k = h.int(3);
    if (k === 0) {
      const c: [number, string, [number, number] | null][] = [
        [0x04 | h.int(4), '#TS', null], [GDT_BYTES + 8 * h.int(4), '#TS', null], [SEL.data0, '#TS', null], [SEL.tssA, '#TS', null],
        [SEL.ssSlot, '#TS', [0x9b800007, 0x00008200 & ~0x8000]], // an LDT descriptor, not present
        [SEL.ssSlot, 'good', [0x9b800007, 0x00008200]], // a good LDT (one entry): task B runs with it
      ];
      const [sel, f, d] = h.pick(c);
      ldt = sel; slot = d; fault = f; what = 'ldt';
    } else if (k === 1) {
      // (RPL of CS = the task's CPL, so Bochs's SS-before-CS order and QEMU's CS-before-SS agree)
      const np: [number, number] = [0x0000ffff, 0x00cf1300]; // flat data, DPL 0, not present
      const c: [number, string, [number, number] | null][] = cpl3
        ? [[h.int(4), '#TS', null], [SEL.data3, '#TS', null], [SEL.code3 | 3, '#TS', null], [SEL.data0 | 3, '#TS', null], [SEL.ro3 | 3, '#TS', null], [SEL.np3 | 3, '#SS', null]]
        : [[h.int(4), '#TS', null], [SEL.data0 | 3, '#TS', null], [SEL.data3 | 3, '#TS', null], [0x08, '#TS', null], [SEL.ssSlot, '#SS', np]];
      const [sel, f, d] = h.pick(c);
      segs[2] = sel; fault = f; what = 'ss'; slot = d;
    } else {
      const np: [number, number] = [0x0000ffff, 0x00cf1b00]; // flat code, DPL 0, not present
      const c: [number, string, [number, number] | null][] = cpl3
        ? [[3, '#TS', null], [SEL.data3 | 3, '#TS', null], [SEL.npCode3 | 3, '#NP', null], [SEL.code0 | 3, '#TS', null], [SEL.conf3 | 3, 'good', null]]
        : [[0, '#TS', null], [0x10, '#TS', null], [SEL.conf3, '#TS', null], [SEL.ssSlot, '#NP', np], [SEL.tssA, '#TS', null]];
      const [sel, f, d] = h.pick(c);
      segs[1] = sel; fault = f; what = 'cs'; slot = d;
    }
    // task B
    const fl = (h.r.u32() & 0xcd5) | 0x3002;
    h.setup(`mov dword [${hex(TSS_B + 0x1c)}], 0x2000`, `mov dword [${hex(TSS_B + 0x20)}], ${tgt}`, `mov dword [${hex(TSS_B + 0x24)}], ${hex(fl)}`);
    for (let i = 0; i < 8; i++) h.setup(`mov dword [${hex(TSS_B + 0x28 + 4 * i)}], ${hex(i === 4 ? (cpl3 ? ISTK_LO + 0x20 : TSS_B_ESP) : h.val(32))}`);
    segs.forEach((v, i) => h.setup(`mov word [${hex(TSS_B + 0x48 + 4 * i)}], ${hex(v)}`));
    h.setup(`mov word [${hex(TSS_B + 0x60)}], ${hex(ldt)}`, `mov byte [${hex(TSS_B + 0x64)}], 0`);
    if (cpl3) h.setup(`mov dword [${hex(TSS_B + 4)}], ${hex(ISTK_TOP)}`, `mov dword [${hex(TSS_B + 8)}], 0x10`);
    if (slot) h.setup(`mov dword [${hex(GDT_RAM + SEL.ssSlot)}], ${hex(slot[0])}`, `mov dword [${hex(GDT_RAM + SEL.ssSlot + 4)}], ${hex(slot[1])}`);
    h.setup(`mov byte [${hex(GDT_RAM + SEL.tssB)}], 0x67`, `mov byte [${hex(GDT_RAM + SEL.tssB + 5)}], 0xe9`);
    // task C: CPL 0, flat, its stack in the ring-0 window, registers zero
    h.setup(`mov dword [${hex(TSS_C + 0x1c)}], 0x2000`, `mov dword [${hex(TSS_C + 0x20)}], ${hc}`, `mov dword [${hex(TSS_C + 0x24)}], 0x3002`);
    for (let i = 0; i < 8; i++) h.setup(`mov dword [${hex(TSS_C + 0x28 + 4 * i)}], ${hex(i === 4 ? ISTK_LO + 0x60 : 0)}`);
    [0x10, 0x08, 0x10, 0x10, 0x10, 0x10].forEach((v, i) => h.setup(`mov word [${hex(TSS_C + 0x48 + 4 * i)}], ${hex(v)}`));
    h.setup(`mov dword [${hex(TSS_C + 0x60)}], 0`);
    for (const [v, sel] of [[10, SEL.tssC10], [11, SEL.tssC11], [12, SEL.tssC12]] as const) {
      h.setup(`mov byte [${hex(GDT_RAM + sel + 5)}], 0x89`, `mov dword [${hex(IDT_RAM + v * 8)}], ${hex(sel << 16)}`, `mov dword [${hex(IDT_RAM + v * 8 + 4)}], 0x8500`);
    }
    let insn: string;
    if (how === 'int') {
      const vec = h.pick(SCRATCH_VEC);
      h.setup(`mov dword [${hex(IDT_RAM + vec * 8)}], ${hex(SEL.tssB << 16)}`, `mov dword [${hex(IDT_RAM + vec * 8 + 4)}], 0xe500`);
      insn = `int ${hex(vec)}`;
    } else insn = `${how} ${hex(SEL.tssB)}:0`;
    const form = `${how === 'int' ? 'int imm8 task-gate' : `${how} tss`}${cpl3 ? ' cpl3' : ''} bad ${what} ${fault === 'good' ? '(good)' : fault}`;
    h.emit(`mov dword [${hex(RESUME)}], ${b}`, PAGE_GUARD, insn, `jmp ${b}`);
    // task B, when its selectors were good: back as usual
    h.label(tgt);
    h.emit('call dump');
    h.record(form, insn, 0);
    h.emit(`mov dword [${hex(RESUME)}], ${b}`, how === 'jmp' ? `jmp ${hex(SEL.tssA)}:0` : 'iretd');
    // task C: the fault's TR and error code, then back to task A
    h.label(hc);
    h.emit('pop ecx', 'str ax', `mov edx, [${hex(TSS_B + 0x20)}]`, `mov ebx, [${hex(TSS_B + 0x24)}]`, `mov esi, [${hex(TSS_B + 0x64)}]`, `mov edi, [${hex(TSS_B + 0x54)}]`, `mov ebp, [${hex(TSS_B + 0x4c)}]`, 'call dump');
    h.emit(`mov byte [${hex(GDT_RAM + SEL.tssA + 5)}], 0xe9`, `jmp ${hex(SEL.tssA)}:0`);
    h.label(b);
    // the ROM's interrupt gates for #TS, #NP, #SS back
    for (const v of [10, 11, 12]) {
      h.emit(`mov dword [${hex(IDT_RAM + v * 8)}], (ADDR(isr${v}) & 0xffff) | 0x80000`, `mov dword [${hex(IDT_RAM + v * 8 + 4)}], (ADDR(isr${v}) & 0xffff0000) | 0x8e00`);
    }
    h.emit('call dump');
    h.record(`${form} (back)`, 'next', 0);
  }

  next(): void {
    if (this.h.extended && this.h.chance(0.15)) { this.broken(); return; }
    const h = this.h, ring = h.ring;
    const how = h.pick(['jmp', 'call', 'jmp', 'call', 'int'] as const);
    const viaGate = how === 'int' || h.chance(0.4);
    // task B: CPL 0 or 3, 32- or 16-bit TSS
    const ext = h.extended;
    const cpl3 = ext && h.chance(0.3);
    const t16 = ext && h.chance(0.2);
    // TSS B's descriptor: DPL, present, busy (an available TSS mostly), limit
    const tdpl = h.chance(0.85) ? 3 : h.int(4);
    const tpresent = h.chance(0.94);
    const tbusy = h.chance(0.06);
    const tshort = ext && h.chance(0.05);
    // now and then the current task's own (busy) TSS: #GP
    const tss = h.chance(0.06) ? SEL.tssA : SEL.tssB;
    const gdpl = h.chance(0.85) ? 3 : h.int(4);
    const gpresent = h.chance(0.94);
    const rpl = h.chance(0.85) ? ring : h.int(4);
    const vec = h.pick(SCRATCH_VEC);
    const gsel = h.pick([SEL.gateA, SEL.gateB]);
    // task B: random registers and arithmetic flags, its own stack in the ring-0 window
    const fl = (h.r.u32() & 0xcd5) | 0x3002;
    // (at CPL 3 below the ring-0 frames a fault or #NM pushes from ISTK_TOP down through SS0:ESP0)
    const regs = Array.from({ length: 8 }, (_, i) => (i === 4 ? (cpl3 ? ISTK_LO + 0x20 : TSS_B_ESP) : h.val(32)));
    // after the commit point (32-bit TSS B only: a 16-bit one enters through the trampoline, which the ROM's fault
    // handler cannot resume from): bad ES/FS/GS selectors, the T bit
    const segs = cpl3
      ? [h.pick([0x23, SEL.win3 | 3, 0]), SEL.code3 | 3, SEL.data3 | 3, 0x23, h.pick([0x23, SEL.win3 | 3, 0]), h.pick([0x23, 0])]
      : [h.pick([0x10, 0x23, SEL.win0, 0]), 0x08, 0x10, h.pick([0x10, 0x23]), h.pick([0x10, 0x23, SEL.win0, 0]), h.pick([0x10, 0x23, 0])];
    let late: string | null = null;
    // (only from ring 0 to a task at CPL 0: Bochs checks CS last, so CPL is still the old task's when a data segment
    // faults, and an IRET of the handler to ring 3 nulls a half-loaded ES/FS/GS by its stale descriptor's DPL; the
    // SDM leaves both open)
    if (ext && !t16 && !cpl3 && ring === 0 && h.chance(0.3)) {
      const bad: number[] = [];
      for (const s of [0, 4, 5]) if (h.chance(0.45)) { const [sel, f] = this.badSeg(cpl3 ? 3 : 0); segs[s] = sel; bad.push(s); late ??= f; }
    }
    const tbit = ext && !t16 && !late && h.chance(0.1);
    // DR7 with random L0-L3/G0-G3 (DR0-DR3 stay 0: nothing runs at linear 0): every task switch clears L0-L3 (SDM
    // Vol. 3B 17.2.4). Task B (CPL 0) and the sequence after the switch back (ring 0) show DR7 in ECX. Not with a
    // fault after the commit point: Bochs clears DR7 at the commit point, QEMU only at the end of a switch that
    // loaded everything. LE (bit 8) is left out: Bochs clears it too, QEMU does not, the SDM does not say.
    const dr7 = ext && ring === 0 && !cpl3 && !late && h.chance(0.25) ? h.int(256) | 0x400 : -1;
    if (dr7 >= 0) h.setup(`mov ecx, ${hex(dr7)}`, 'mov dr7, ecx');
    // the accessed bit of one GDT descriptor task B loads (ES..GS; a 16-bit TSS: ES, CS, SS, DS), cleared before the
    // switch: the switch sets it (SDM Vol. 3A 3.4.5.1); task B shows the descriptor's byte 5 in EDX, and the group
    // sets the bit again at its end. (Not with a fault after the commit point: the loads stop at the bad selector,
    // in an order the emulators do not share.) The AND/OR go between PUSHFD and POPFD: QEMU 7.2 TCG gives the new task
    // of a JMP/CALL task switch that follows a flag-setting instruction the arithmetic flags of that instruction,
    // not those of its TSS (seen as EFLAGS 0x7082 for a TSS's 0x3852 after `and byte [m], 0xfe`); after POPFD it
    // loads them right. (The sequence reaches a task switch through the dump, which ends with POPFD.)
    const accSlots = [0, 1, 2, 3, 4, 5].filter((k) => (!t16 || k < 4) && (segs[k]! & 0xfff8) !== 0);
    const acc = ext && !late && accSlots.length && h.chance(0.2) ? (segs[h.pick(accSlots)]! & 0xfff8) : -1;
    if (acc >= 0) h.setup('pushfd', `and byte [${hex(GDT_RAM + acc + 5)}], 0xfe`, 'popfd');
    // the SDM's order (JMP/CALL "TASK-GATE" / "TASK-STATE-SEGMENT", INT n "TASK-GATE", then TASK SWITCH)
    const tssOk = (): string | null => tss === SEL.tssA || tbusy ? '#GP' : !tpresent ? '#NP' : tshort ? '#TS' : null;
    let fault: string | null;
    if (how === 'int') fault = gdpl < ring ? '#GP' : !gpresent ? '#NP' : tssOk();
    else if (viaGate) fault = gdpl < ring || gdpl < rpl ? '#GP' : !gpresent ? '#NP' : tssOk();
    else fault = tss === SEL.tssB && (tdpl < ring || tdpl < rpl) ? '#GP' : tssOk();
    if (!fault && tss === SEL.tssB) fault = late ? `${late} in the new task` : tbit ? '#DB T bit' : null;
    else late = null;
    const inB = fault !== null && (late !== null || fault === '#DB T bit');
    const tgt = h.newLabel(), res = h.newLabel(), b = h.newLabel();
    if (t16) {
      h.setup(`mov word [${hex(TSS_B + 0x0e)}], ${hex(TRAMP)}`, `mov dword [${hex(TGT_PTR)}], ${tgt}`, `mov word [${hex(TSS_B + 0x10)}], ${hex(fl)}`);
      regs.forEach((v, i) => h.setup(`mov word [${hex(TSS_B + 0x12 + 2 * i)}], ${hex(v & 0xffff)}`));
      [segs[0]!, segs[1]!, segs[2]!, segs[3]!].forEach((s, i) => h.setup(`mov word [${hex(TSS_B + 0x22 + 2 * i)}], ${hex(s)}`));
      // LDT null (its word overlaps a 32-bit TSS's EAX); SS0:SP0 for a task at CPL 3
      h.setup(`mov word [${hex(TSS_B + 0x2a)}], 0`);
      if (cpl3) h.setup(`mov dword [${hex(TSS_B + 2)}], ${hex((0x10 << 16) | ISTK_TOP)}`);
    } else {
      h.setup(`mov dword [${hex(TSS_B + 0x20)}], ${tgt}`, `mov dword [${hex(TSS_B + 0x24)}], ${hex(fl)}`);
      regs.forEach((v, i) => h.setup(`mov dword [${hex(TSS_B + 0x28 + 4 * i)}], ${hex(v)}`));
      segs.forEach((s, i) => h.setup(`mov word [${hex(TSS_B + 0x48 + 4 * i)}], ${hex(s)}`));
      // CR3 (a 16-bit TSS overlaps it), LDT null (broken() writes bad ones), the T bit
      h.setup(`mov dword [${hex(TSS_B + 0x1c)}], 0x2000`, `mov word [${hex(TSS_B + 0x60)}], 0`, `mov byte [${hex(TSS_B + 0x64)}], ${tbit ? 1 : 0}`);
      // SS0:ESP0 for a task at CPL 3 (a 16-bit TSS written earlier in the block overlaps them)
      if (cpl3) h.setup(`mov dword [${hex(TSS_B + 4)}], ${hex(ISTK_TOP)}`, `mov dword [${hex(TSS_B + 8)}], 0x10`);
    }
    // its descriptor (base in the low dword; the limit's low byte and the attributes written here)
    const type = t16 ? (tbusy ? 0x03 : 0x01) : tbusy ? 0x0b : 0x09;
    h.setup(`mov byte [${hex(GDT_RAM + SEL.tssB)}], ${hex((t16 ? 0x2b : 0x67) - (tshort ? 1 : 0))}`,
      `mov byte [${hex(GDT_RAM + SEL.tssB + 5)}], ${hex((tpresent ? 0x80 : 0) | (tdpl << 5) | type)}`);
    const gattr = (gpresent ? 0x8000 : 0) | (gdpl << 13) | 0x500;
    let insn: string, form: string;
    if (how === 'int') {
      h.setup(`mov dword [${hex(IDT_RAM + vec * 8)}], ${hex(tss << 16)}`, `mov dword [${hex(IDT_RAM + vec * 8 + 4)}], ${hex(gattr)}`);
      insn = `int ${hex(vec)}`; form = 'int imm8 task-gate';
    } else {
      let sel = tss | rpl;
      if (viaGate) {
        h.setup(`mov dword [${hex(GDT_RAM + gsel)}], ${hex(tss << 16)}`, `mov dword [${hex(GDT_RAM + gsel + 4)}], ${hex(gattr)}`);
        sel = gsel | rpl;
      }
      if (h.chance(0.6)) insn = `${how} ${hex(sel)}:${hex(h.val(32))}`;
      else {
        const m = h.mem(48); h.setup(...m.setup, `mov ${m.at(32, 0)}, ${hex(h.val(32))}`, `mov ${m.at(16, 4)}, ${hex(sel)}`);
        insn = `${how} far ${m.text.replace(/^\w+ /, '')}`;
      }
      form = `${how} ${viaGate ? 'task gate' : 'tss'}`;
    }
    // the variant in the form's name when it is in play (the plain names stay those of the 32-bit CPL-0 task)
    const into = (tss === SEL.tssB ? `${t16 ? ' tss16' : ''}${cpl3 ? ' cpl3' : ''}` : '') + (dr7 >= 0 ? ' dr7' : '') + (acc >= 0 ? ' acc' : '');
    const formA = `${form}${into} ${fault ?? (how === 'jmp' ? '(busy bits)' : '(nested)')}`;
    h.emit(`mov dword [${hex(RESUME)}], ${res}`, PAGE_GUARD, insn, `jmp ${b}`);
    h.label(tgt);
    // a 16-bit TSS: the upper halves of the general registers are undefined (SDM Vol. 3A 7.6? Bochs loads 0xFFFF,
    // QEMU zero-extends): cleared, ESP first (SS is a 32-bit segment)
    if (t16) h.emit('and esp, 0xffff', ...['eax', 'ecx', 'edx', 'ebx', 'ebp', 'esi', 'edi'].map((r) => `movzx ${r}, ${r.slice(1)}`));
    if (dr7 >= 0) h.emit('mov ecx, dr7');
    if (acc >= 0) h.emit(`movzx edx, byte [${hex(GDT_RAM + acc + 5)}]`);
    h.emit('call dump');
    h.record(formA, insn, 0);
    h.emit(`mov dword [${hex(RESUME)}], ${b}`);
    // back to the sequence's task: JMP to its TSS (a JMP left it available) or IRETD through the back link
    const back = how === 'jmp' ? `jmp ${hex(SEL.tssA)}:0` : 'iretd';
    h.emit(back);
    h.label(res);
    if (inB && !cpl3 && fault === '#DB T bit') h.emit('mov eax, dr6', 'and eax, 0xe00f', 'xor ecx, ecx', 'mov dr6, ecx'); // DR6.BT
    h.emit('call dump');
    // a fault after the commit point left the sequence in task B: back to its own task as task B would have gone
    if (inB) h.emit(`mov dword [${hex(RESUME)}], ${b}`, back);
    h.label(b);
    if (dr7 >= 0) h.emit('mov ecx, dr7');
    h.emit('call dump');
    if (dr7 >= 0) h.emit('mov ecx, 0x400', 'mov dr7, ecx');
    if (acc >= 0) h.emit('pushfd', `or byte [${hex(GDT_RAM + acc + 5)}], 1`, 'popfd');
    h.record(fault && !inB ? `${formA} (resumed)` : `${how === 'jmp' ? 'jmp tss' : 'iretd'} back to the task${inB ? ` (after ${fault})` : ''}`, fault && !inB ? 'next' : back, 0);
  }
}
