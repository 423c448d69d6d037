/**
 * IN/OUT inside compiled blocks (E4-E7, EC-EF, with the operand-size prefix). Kept apart from compile.ts, which
 * calls `emitPortIo` for these opcodes and passes `ioCheck` (../transfers.ts) and `busIn`/`busOut` (../port-io.ts) to the
 * block function.
 *
 * What the emitted code does, in the interpreter's order:
 *  - stores c.insnStart first: the machine names it as the site of the access (cause-chain evidence), and a #GP
 *    from the I/O permission check (CPL > IOPL or V86: the TSS bitmap) restarts this instruction;
 *  - in protected mode only, makes that check (transfers.ts ioCheck) as a guarded slow path: the lazy flags are
 *    stored first there (jit/flags.ts MAT), since a fault pushes EFLAGS. Nothing else in an IN/OUT reads or writes
 *    the flags, so it is no barrier for them: the flags stay in the block's locals across the access;
 *  - gives the clock the block's instructions before this one (`n` completed iterations plus the index, which
 *    compile.ts writes where the `IDX` comment stands), so a device reads the exact virtual time;
 *  - leaves the block (EIP after the instruction, the count including it, the flags stored) only when the access
 *    left `c.breakLoop` set: a stop or reset request, or (after OUT, Cpu.portWritten) an interrupt the CPU can
 *    take, a memory-map change or a timer due before the slice ends. A polling loop otherwise stays in the block.
 * The CPU is named `C` where the flags pass (jit/flags.ts) must not take a use for a barrier: the same object.
 */

import { VM } from '../cpu-state.js';

/** The marker compile.ts replaces with the instruction's index in the block. */
export const IDX = '/*IDX*/';

/**
 * Code for one IN/OUT. `op` is E4-E7 or EC-EF, `vb` the operand size (16/32), `port` the imm8 of E4-E7 (ignored
 * for EC-EF, which use DX), `ip` the instruction's EIP and `nip` the next one.
 */
export function emitPortIo(op: number, vb: number, port: number, ip: number, nip: number): string {
  const size = (op & 1) === 0 ? 1 : vb >> 3;
  const acc = size === 1 ? 'b[0]' : size === 2 ? 'w[0]' : 'r[0]';
  const p = op >= 0xec ? 'w[4]' : String(port & 0xff);
  const leave = `if(C.breakLoop){/*MATS*/c.eip=${nip};return n+${IDX}+1;}`;
  // the check's own test inline (transfers.ts ioCheck): at CPL <= IOPL outside V86 mode there is nothing to check,
  // and the flags stay in the block's locals (the MAT stores them only on the way to a check that may fault); a
  // Linux boot's TSC calibration polls port 0x61 ~2 M times at CPL 0
  const check = `if(C.pe&&(C.cpl>((C.flags>>>12)&3)||(C.flags&${VM})!==0))(/*MAT*/c.insnStart=${ip},ioCheck(c,${p},${size}));`;
  const access = (op & 2) === 0
    ? `${acc}=busIn(C,${p},${size},n+${IDX})${size === 4 ? '|0' : ''};`
    : `busOut(C,${p},${acc},${size},n+${IDX});`;
  return `C.insnStart=${ip};${check}${access}${leave}`;
}
