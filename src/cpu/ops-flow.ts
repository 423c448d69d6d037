/**
 * Control flow: Jcc, JMP, CALL, RET (near and far), LOOP/JCXZ, INT n,
 * INT3, INTO, IRET, and the FE/FF groups.
 */
import { BP, ESP, GP, IOPL, OFV, UD, VM, type CpuState } from './cpu-state.js';
import { dec, inc } from './ops-alu.js';
import { farTransfer, interrupt, iret, retFar } from './transfers.js';
import { rEW, wb } from './operand.js';

export function jccShort(c: CpuState, cc: number): void {
  const d = c.fetchS8();
  if (c.cond(cc)) c.jumpNear(c.eipI32 + d);
}
export function jccNear(c: CpuState, cc: number): void {
  const d = c.os ? c.fetch32() : (c.fetch16() << 16) >> 16;
  if (c.cond(cc)) c.jumpNear(c.eipI32 + d);
}
export function jmpShort(c: CpuState): void { const d = c.fetchS8(); c.jumpNear(c.eipI32 + d); }
export function jmpNear(c: CpuState): void {
  const d = c.os ? c.fetch32() : (c.fetch16() << 16) >> 16;
  c.jumpNear(c.eipI32 + d);
}
export function callNear(c: CpuState): void {
  const d = c.os ? c.fetch32() : (c.fetch16() << 16) >> 16;
  callTo(c, c.eipI32 + d);
}
function callTo(c: CpuState, target: number): void {
  // EIP and the target as int32s, the limit compared unsigned (^ 2^31) as in CpuState.jumpNear
  const ret = c.eipI32;
  const t = c.os ? target | 0 : target & 0xffff;
  if ((t ^ 0x80000000) > (c.segLimit[1]! ^ 0x80000000)) c.gp(0);
  c.pushV(ret);
  c.eipI32 = t;
}
export function retNear(c: CpuState, withImm: boolean): void {
  const imm = withImm ? c.fetch16() : 0;
  const t = c.os ? c.peek32(0) | 0 : c.peek16(0);
  if ((t ^ 0x80000000) > (c.segLimit[1]! ^ 0x80000000)) c.gp(0); // as in callTo
  c.addSP((c.os ? 4 : 2) + imm);
  c.eipI32 = t;
}
export function retFarOp(c: CpuState, withImm: boolean): void {
  const imm = withImm ? c.fetch16() : 0;
  retFar(c, imm);
}
/** 9A / EA: CALL/JMP ptr16:16/32 */
export function farDirect(c: CpuState, isCall: boolean): void {
  const off = c.os ? c.fetch32() : c.fetch16();
  const sel = c.fetch16();
  farTransfer(c, sel, off, isCall, c.eip);
}
/** E0-E3: LOOPNE, LOOPE, LOOP, JCXZ (count register by address size) */
export function loop(c: CpuState, kind: number): void {
  const d = c.fetchS8();
  let n: number;
  if (kind === 3) {
    n = c.as32 ? c.regs[1]! : c.r16[2]!;
    if (n === 0) c.jumpNear(c.eipI32 + d);
    return;
  }
  if (c.as32) { n = (c.regs[1]! - 1) | 0; c.regs[1] = n; } else { n = (c.r16[2]! - 1) & 0xffff; c.r16[2] = n; }
  const take = n !== 0 && (kind === 2 || (kind === 1 ? c.getZF() : !c.getZF()));
  if (take) c.jumpNear(c.eipI32 + d);
}
export function intN(c: CpuState): void {
  const v = c.fetch8();
  // INT n in virtual-8086 mode with IOPL < 3 goes to the monitor as #GP(0) (no VME); INT3/INTO/INT1 do not
  if ((c.flags & VM) !== 0 && (c.flags & IOPL) !== IOPL) c.raise(GP, 0);
  interrupt(c, v, true, 0, false, 0, c.eip);
}
export function int3(c: CpuState): void { interrupt(c, BP, true, 0, false, 0, c.eip); }
export function into(c: CpuState): void { if (c.getOF()) interrupt(c, OFV, true, 0, false, 0, c.eip); }
export function iretOp(c: CpuState): void { iret(c); c.breakLoop = true; }

/** FE: INC/DEC Eb */
export function group4(c: CpuState): void {
  c.modrm();
  if (c.mReg > 1) c.raise(UD);
  const v = rEW(c, 8);
  wb(c, 8, c.mReg === 0 ? inc(c, v, 8) : dec(c, v, 8));
}
/** FF: INC, DEC, CALL Ev, CALL Mp, JMP Ev, JMP Mp, PUSH Ev */
export function group5(c: CpuState): void {
  c.modrm();
  const bits = c.os ? 32 : 16;
  switch (c.mReg) {
    case 0: case 1: {
      const v = rEW(c, bits);
      wb(c, bits, c.mReg === 0 ? inc(c, v, bits) : dec(c, v, bits));
      return;
    }
    case 2: callTo(c, c.os ? c.rE32() : c.rE16()); return;
    case 4: c.jumpNear(c.os ? c.rE32() : c.rE16()); return;
    case 3: case 5: {
      if (!c.mMem) c.raise(UD);
      const off = c.os ? c.rd32(c.mSeg, c.mOff) : c.rd16(c.mSeg, c.mOff);
      const sel = c.rd16(c.mSeg, c.as32 ? (c.mOff + (c.os ? 4 : 2)) >>> 0 : (c.mOff + (c.os ? 4 : 2)) & 0xffff);
      farTransfer(c, sel, off, c.mReg === 3, c.eip);
      return;
    }
    case 6: {
      const v = c.os ? c.rE32() : c.rE16();
      c.pushV(v);
      return;
    }
    default: c.raise(UD);
  }
}
export { ESP };
