/**
 * String instructions MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE.
 * Registers are updated after every element, so a fault part-way through
 * restarts the instruction with the remaining count (Intel SDM 7.3.9.1).
 * A stop requested by an I/O handler ends REP INS/OUTS after the element.
 */
import { DF, DS, EDI, ESI, ES, u32, type CpuState } from './cpu-state.js';
import type { Cpu } from './cpu.js';
import { alu } from './ops-alu.js';
import { getR, rdMem, setR, wrMem } from './operand.js';
import { ioCheck } from './transfers.js';
import { repBulk } from './rep-bulk.js';

/** elements one run of a REP string instruction does before it restarts itself (also jit/wasm/interp-forms.ts) */
export const REP_SLICE = 4096;
export const MOVS = 0, CMPS = 1, STOS = 2, LODS = 3, SCAS = 4, INS = 5, OUTS = 6;

/** ESI/EDI as an offset (32-bit addressing: the int32, which segR/segW take as it is; see u32 in cpu-state.ts) */
function idx(c: CpuState, r: number): number {
  return c.as32 ? c.regs[r]! : c.r16[r << 1]!;
}
function adv(c: CpuState, r: number, d: number): void {
  if (c.as32) c.regs[r] = c.regs[r]! + d; else c.r16[r << 1] = c.r16[r << 1]! + d;
}

export function stringOp(c: Cpu, kind: number, bits: number): void {
  const size = bits >> 3;
  const d = (c.flags & DF) ? -size : size;
  const src = c.segOvr >= 0 ? c.segOvr : DS;
  const rep = c.rep;
  if (kind >= INS) ioCheck(c, c.r16[4]!, size);
  if (rep === 0) { stringOne(c, kind, bits, src, d); return; }
  for (let n = 0; ; n++) {
    const count = c.as32 ? u32(c.regs[1]!) : c.r16[2]!;
    if (count === 0) return;
    // A long REP is split: after a slice of elements the instruction restarts itself (EIP unchanged),
    // so interrupts and the instruction budget are honoured (Intel SDM: REP is interruptible).
    if (n === REP_SLICE) { c.eip = c.insnStart; return; }
    if ((kind === MOVS || kind === STOS) && !c.stopRequested) {
      // whole runs of elements inside a page (rep-bulk.ts); the same registers, slices and faults as one at a time
      const k = repBulk(c, kind === STOS, size, src, Math.min(count, REP_SLICE - n), d < 0);
      if (k > 0) {
        if (c.as32) c.regs[1] = count - k; else c.r16[2] = count - k;
        n += k - 1;
        continue;
      }
    }
    stringOne(c, kind, bits, src, d);
    if (c.as32) c.regs[1] = count - 1; else c.r16[2] = count - 1;
    if (kind === CMPS || kind === SCAS) {
      const zf = c.getZF();
      if (rep === 0xf3 ? !zf : zf) return;
    }
    if (c.stopRequested && count - 1 !== 0) { c.eip = c.insnStart; return; }
  }
}

function stringOne(c: Cpu, kind: number, bits: number, src: number, d: number): void {
  switch (kind) {
    case MOVS: {
      const v = rdMem(c, bits, src, idx(c, ESI));
      wrMem(c, bits, ES, idx(c, EDI), v);
      adv(c, ESI, d); adv(c, EDI, d);
      return;
    }
    case CMPS: {
      const a = rdMem(c, bits, src, idx(c, ESI));
      const b = rdMem(c, bits, ES, idx(c, EDI));
      alu(c, 7, a, b, bits);
      adv(c, ESI, d); adv(c, EDI, d);
      return;
    }
    case STOS: wrMem(c, bits, ES, idx(c, EDI), getR(c, bits, 0)); adv(c, EDI, d); return;
    case LODS: setR(c, bits, 0, rdMem(c, bits, src, idx(c, ESI))); adv(c, ESI, d); return;
    case SCAS: alu(c, 7, getR(c, bits, 0), rdMem(c, bits, ES, idx(c, EDI)), bits); adv(c, EDI, d); return;
    case INS: {
      // check the destination before the port is read (a read may have side effects)
      const di = idx(c, EDI);
      c.segW(ES, di, bits >> 3);
      c.syncClock();
      const v = c.io.read(c.r16[4]!, (bits >> 3) as 1 | 2 | 4);
      wrMem(c, bits, ES, di, v);
      adv(c, EDI, d);
      return;
    }
    default: {
      const v = rdMem(c, bits, src, idx(c, ESI));
      c.syncClock();
      c.io.write(c.r16[4]!, v >>> 0, (bits >> 3) as 1 | 2 | 4);
      adv(c, ESI, d);
      return;
    }
  }
}
