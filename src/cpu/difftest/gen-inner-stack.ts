/**
 * The inner-stack class of the differential test's generator: from ring 3, CALL through a 32-bit call gate or INT n
 * through a 32-bit interrupt/trap gate to flat code at DPL 1 (rom.ts SEL.code1), whose stack is SS1:ESP1 of the
 * sequence's TSS, written by the sequence. Ring 1, not ring 0: a fault on the new stack is delivered to the ROM's
 * ring-0 handler through SS0:ESP0, which stays good.
 *
 * SS1 is good (flat DPL-1 data; a 16-bit stack segment; an expand-down one with room) or bad, with the fault the SDM
 * gives (CALL "CALL-GATE" more-privilege, INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT", Vol. 3A 5.8.5 / 6.12.1):
 * null → #TS(0); RPL ≠ 1, past the GDT, an LDT selector with no LDT, DPL ≠ 1, code, read-only data, a system
 * descriptor → #TS(SS selector); not present → #SS(SS selector); no room for the frame (ESP1 above the limit, an
 * expand-down segment's limit inside the frame, ESP1 wrapping below 0) → #SS. The sequence writes the descriptor
 * of a non-flat SS1 into the ROM's SEL.ssSlot.
 *
 * The group has the two records of gen-gates.ts: the ring-1 handler's view (or record A after the fault) and the
 * caller's after RETF imm16 / IRETD back to ring 3. With IF = 1 before an INT n (set half the time), the handler's
 * EFLAGS shows an interrupt gate's IF = 0 beside a trap gate's IF = 1.
 */
import type { GateHost } from './gen-gates.js';
import { GDT_BYTES, GDT_RAM, IDT_RAM, ISTK_LO, RESUME, SCRATCH_VEC, SEL, TSS_RAM } from './rom.js';

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

/** SS1, ESP1, the slot's descriptor (or null) and the outcome. */
interface Stack { ss: number; esp: number; slot: [number, number] | null; fault: '#TS' | '#SS' | null; what: string }

/** A stack segment descriptor at DPL 1: base, limit (bytes), type (data: 3 RW, 1 RO, 7 RW expand-down), B, P. */
function desc(base: number, limit: number, type: number, big: boolean, present = true): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((base >>> 16) & 0xff) | (limit & 0xf0000) | (big ? 0x400000 : 0) |
    (present ? 0x8000 : 0) | (1 << 13) | 0x1000 | (type << 8);
  return [lo >>> 0, hi >>> 0];
}

export class InnerStackGen {
  constructor(private readonly h: GateHost) {}

  private stack(frame: number): Stack {
    const h = this.h;
    const top = ISTK_LO + 0x20; // below the frames of the ROM's ring-0 handler (rom.ts ISTK_TOP down)
    const slot = SEL.ssSlot | 1;
    switch (h.int(16)) {
      case 0: case 1: case 2: case 3: case 4: return { ss: SEL.data1 | 1, esp: top - 4 * h.int(3), slot: null, fault: null, what: 'ss1' };
      case 5: return { ss: slot, esp: top, slot: desc(0, 0xffff, 3, false), fault: null, what: 'ss1 16-bit' };
      case 6: {
        // expand-down: offsets above the limit; the frame (and the handler's CALL dump) fits above it or reaches it
        const fits = h.chance(0.5);
        const limit = fits ? top - frame - 8 - 4 * h.int(4) : top - frame + 4 * h.int(3);
        return { ss: slot, esp: top, slot: desc(0, limit, 7, true), fault: fits ? null : '#SS', what: 'ss1 expand-down' };
      }
      case 7: return { ss: h.int(4), esp: top, slot: null, fault: '#TS', what: 'ss1 null' };
      case 8: return { ss: h.pick([SEL.data1, SEL.data1 | 3, SEL.data1 | 2]), esp: top, slot: null, fault: '#TS', what: 'ss1 rpl' };
      case 9: return { ss: h.pick([SEL.data0 | 1, SEL.data3 | 1, SEL.win3 | 1]), esp: top, slot: null, fault: '#TS', what: 'ss1 dpl' };
      case 10: return { ss: h.pick([SEL.code1 | 1, SEL.tssA | 1, (GDT_BYTES + 8 * h.int(4)) | 1, 0x0c | 1]), esp: top, slot: null, fault: '#TS', what: 'ss1 type' };
      case 11: return { ss: slot, esp: top, slot: desc(0, 0xfffff, 1, true), fault: '#TS', what: 'ss1 read-only' };
      case 12: return { ss: slot, esp: top, slot: desc(0, 0xfffff, 3, true, false), fault: '#SS', what: 'ss1 not present' };
      case 13: return { ss: slot, esp: top, slot: desc(0, top - 2 - 4 * h.int(4), 3, true), fault: '#SS', what: 'ss1 limit' };
      case 14: {
        // ESP1 near 0: the frame wraps below offset 0 to 0xFFFFFFFx, past the limit, after a push or two fit
        const esp = 4 * (1 + h.int(3));
        return { ss: slot, esp, slot: desc(ISTK_LO, 0xff, 3, true), fault: '#SS', what: 'ss1 wraps' };
      }
      default: return { ss: SEL.data1 | 1, esp: top, slot: null, fault: null, what: 'ss1' };
    }
  }

  next(): void {
    const h = this.h;
    if (h.ring !== 3) return; // an inner stack needs an outer caller
    const viaInt = h.chance(0.4);
    const params = viaInt ? 0 : h.int(3);
    const trap = viaInt && h.chance(0.5);
    const frame = viaInt ? 20 : 16 + 4 * params;
    const st = this.stack(frame);
    const tgt = h.newLabel(), res = h.newLabel(), b = h.newLabel();
    h.stackRoom(params * 4 + 16, 0);
    for (let i = 0; i < params; i++) h.setup(`push dword ${hex(h.val(32))}`);
    h.esp -= params * 4;
    const esp0 = h.esp;
    h.setup(`mov dword [${hex(TSS_RAM + 0x0c)}], ${hex(st.esp)}`, `mov dword [${hex(TSS_RAM + 0x10)}], ${hex(st.ss)}`);
    if (st.slot) h.setup(`mov dword [${hex(GDT_RAM + SEL.ssSlot)}], ${hex(st.slot[0])}`, `mov dword [${hex(GDT_RAM + SEL.ssSlot + 4)}], ${hex(st.slot[1])}`);
    let insn: string, form: string;
    if (viaInt) {
      const vec = h.pick(SCRATCH_VEC);
      const at = IDT_RAM + vec * 8, attr = 0xe000 | 0x8000 | ((trap ? 0x0f : 0x0e) << 8);
      h.setup(`mov dword [${hex(at)}], ((ADDR(${tgt})) & 0xffff) | ${hex(SEL.code1 << 16)}`, `mov dword [${hex(at + 4)}], ((ADDR(${tgt})) & 0xffff0000) | ${hex(attr)}`);
      if (h.chance(0.5)) h.setup('sti');
      insn = `int ${hex(vec)}`;
      form = `int imm8 ${trap ? 'trap' : 'int'}-gate32 to ring 1`;
    } else {
      const gsel = h.pick([SEL.gateA, SEL.gateB]), at = GDT_RAM + gsel, attr = 0xe000 | 0x8000 | 0x0c00 | params;
      h.setup(`mov dword [${hex(at)}], ((ADDR(${tgt})) & 0xffff) | ${hex(SEL.code1 << 16)}`, `mov dword [${hex(at + 4)}], ((ADDR(${tgt})) & 0xffff0000) | ${hex(attr)}`);
      insn = `call ${hex(gsel | 3)}:${hex(h.val(32))}`;
      form = 'call ptr16:32 gate32 to ring 1';
    }
    const formA = `${form} ${st.what}${st.fault ? ' ' + st.fault : ''}`;
    h.emit(`mov dword [${hex(RESUME)}], ${res}`, insn, `jmp ${b}`);
    h.label(tgt);
    if (!st.fault) {
      // the upper halves of the CS and SS slots of a 32-bit frame are undefined (SDM Vol. 3A 5.8.5, 6.12.1)
      h.emit('mov word [esp + 6], 0', `mov word [esp + ${viaInt ? 18 : 14 + 4 * params}], 0`);
    }
    h.emit('call dump');
    h.record(formA, insn, 0);
    h.emit(`mov dword [${hex(RESUME)}], ${b}`);
    const back = viaInt ? 'iretd' : `retf${params ? ' ' + params * 4 : ''}`;
    h.emit(back);
    h.label(res);
    h.emit('call dump');
    h.label(b);
    h.emit('call dump');
    h.record(st.fault ? `${formA} (resumed)` : `${viaInt ? 'iretd' : params ? 'retf imm16' : 'retf'} from ring 1`, st.fault ? 'next' : back, 0);
    h.esp = st.fault ? esp0 : esp0 + params * 4;
    h.emit(`mov esp, ${hex(h.esp)}`);
  }
}
