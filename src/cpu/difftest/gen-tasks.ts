/**
 * The tasks class of the differential test's generator: hardware task switches from the sequence's task (TSS A,
 * the ROM's TSS, selector 0x28) to a second task (TSS B, selector 0x80, CPL 0) and back: JMP/CALL to the TSS,
 * JMP/CALL through a task gate in the GDT, INT n through a task gate in the IDT; task B goes back by JMP to TSS A
 * (after a JMP: the busy bits moved) or IRETD (after a CALL/INT: NT = 1, the back link). Faults: TSS or gate DPL
 * below CPL/RPL (#GP), a busy or not-present TSS (#GP/#NP with the TSS selector), a not-present gate (#NP), an IDT
 * task gate of DPL 0 at CPL 3 (#GP(vector*8+2)).
 *
 * The group has the shape of gen-gates.ts (two records on every path): task B's view (its registers, EFLAGS with
 * NT, loaded from TSS B) and the sequence's after the switch back. The dump's checksum covers the dynamic part of
 * both TSSs (back link, EIP..LDT), so what each switch saved is compared (rom.ts).
 */
import type { GateHost } from './gen-gates.js';
import { GDT_RAM, IDT_RAM, RESUME, SCRATCH_VEC, SEL, TSS_B, TSS_B_ESP } from './rom.js';

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

export class TaskGen {
  constructor(private readonly h: GateHost) {}

  next(): void {
    const h = this.h, ring = h.ring;
    const how = h.pick(['jmp', 'call', 'jmp', 'call', 'int'] as const);
    const viaGate = how === 'int' || h.chance(0.4);
    // TSS B's descriptor: DPL, present, busy (an available TSS mostly)
    const tdpl = h.chance(0.85) ? 3 : h.int(4);
    const tpresent = h.chance(0.94);
    const tbusy = h.chance(0.06);
    // now and then the current task's own (busy) TSS: #GP
    const tss = h.chance(0.06) ? SEL.tssA : SEL.tssB;
    const gdpl = h.chance(0.85) ? 3 : h.int(4);
    const gpresent = h.chance(0.94);
    const rpl = h.chance(0.85) ? ring : h.int(4);
    const vec = h.pick(SCRATCH_VEC);
    const gsel = h.pick([SEL.gateA, SEL.gateB]);
    // the SDM's order (JMP/CALL "TASK-GATE" / "TASK-STATE-SEGMENT", INT n "TASK-GATE")
    const tssOk = (): string | null => tss === SEL.tssA || tbusy ? '#GP' : !tpresent ? '#NP' : null;
    let fault: string | null;
    if (how === 'int') fault = gdpl < ring ? '#GP' : !gpresent ? '#NP' : tssOk();
    else if (viaGate) fault = gdpl < ring || gdpl < rpl ? '#GP' : !gpresent ? '#NP' : tssOk();
    else fault = tss === SEL.tssB && (tdpl < ring || tdpl < rpl) ? '#GP' : tssOk();
    const tgt = h.newLabel(), res = h.newLabel(), b = h.newLabel();
    // task B: CPL 0, its own stack in the ring-0 window, random registers and arithmetic flags
    const fl = (h.r.u32() & 0xcd5) | 0x3002;
    h.setup(`mov dword [${hex(TSS_B + 0x20)}], ${tgt}`, `mov dword [${hex(TSS_B + 0x24)}], ${hex(fl)}`);
    for (let i = 0; i < 8; i++) h.setup(`mov dword [${hex(TSS_B + 0x28 + 4 * i)}], ${hex(i === 4 ? TSS_B_ESP : h.val(32))}`);
    const segs = [h.pick([0x10, 0x23, SEL.win0, 0]), 0x08, 0x10, h.pick([0x10, 0x23]), h.pick([0x10, 0x23, SEL.win0, 0]), h.pick([0x10, 0x23, 0])];
    segs.forEach((s, i) => h.setup(`mov word [${hex(TSS_B + 0x48 + 4 * i)}], ${hex(s)}`));
    // its descriptor (base and limit stay in the low dword)
    h.setup(`mov byte [${hex(GDT_RAM + SEL.tssB + 5)}], ${hex((tpresent ? 0x80 : 0) | (tdpl << 5) | (tbusy ? 0x0b : 0x09))}`);
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
    const formA = `${form} ${fault ?? (how === 'jmp' ? '(busy bits)' : '(nested)')}`;
    h.emit(`mov dword [${hex(RESUME)}], ${res}`, insn, `jmp ${b}`);
    h.label(tgt);
    h.emit('call dump');
    h.record(formA, insn, 0);
    h.emit(`mov dword [${hex(RESUME)}], ${b}`);
    // back to the sequence's task: JMP to its TSS (a JMP left it available) or IRETD through the back link
    const back = how === 'jmp' ? `jmp ${hex(SEL.tssA)}:0` : 'iretd';
    h.emit(back);
    h.label(res);
    h.emit('call dump');
    h.label(b);
    h.emit('call dump');
    h.record(fault ? `${formA} (resumed)` : `${how === 'jmp' ? 'jmp tss' : 'iretd'} back to the task`, fault ? 'next' : back, 0);
  }
}
