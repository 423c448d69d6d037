// The block compilers' shared ModRM/SIB decoder (src/cpu/jit/modrm.ts) against the encodings of Intel SDM Vol. 2A
// Tables 2-1 (16-bit addressing), 2-2 (32-bit) and 2-3 (SIB): registers, displacement, default segment, the bytes
// consumed, and a read that runs past the end of the code page.
import { describe, expect, it } from 'vitest';
import { CodeReader, decodeModrm } from '../../src/cpu/jit/modrm.js';

const SS = 2, DS = 3;
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

function decode(bytes: number[], as32: boolean, end = bytes.length) {
  const rd = new CodeReader(new Uint8Array(bytes), 0, end);
  const m = decodeModrm(rd, as32);
  return { ...m, used: rd.p, ok: rd.ok };
}

describe('decodeModrm', () => {
  it('16-bit addressing: the eight base/index pairs, disp16 alone, disp8 sign-extended, BP defaults to SS', () => {
    // mod 0: [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] disp16 [BX]
    const pairs = [[EBX, ESI], [EBX, EDI], [EBP, ESI], [EBP, EDI], [ESI, -1], [EDI, -1], [-1, -1], [EBX, -1]];
    for (let rm = 0; rm < 8; rm++) {
      const d = decode([rm, 0x34, 0x12], false);
      expect(d.ea, `rm ${rm}`).toMatchObject({ base: pairs[rm]![0], index: pairs[rm]![1], scale: 0 });
      expect(d.ea!.seg).toBe(rm === 2 || rm === 3 ? SS : DS);
      expect(d.used).toBe(rm === 6 ? 3 : 1);
      if (rm === 6) expect(d.ea!.disp).toBe(0x1234);
    }
    // mod 1, rm 6: [BP+disp8], SS; disp8 0xF0 = -16
    expect(decode([0x46, 0xf0], false)).toMatchObject({ mod: 1, reg: 0, rm: 6, used: 2, ea: { base: EBP, index: -1, disp: -16, seg: SS } });
    // mod 2, rm 7, reg 5: [BX+disp16]
    expect(decode([0xaf, 0xcd, 0xab], false)).toMatchObject({ mod: 2, reg: 5, rm: 7, used: 3, ea: { base: EBX, disp: 0xabcd, seg: DS } });
  });

  it('32-bit addressing: a register, disp32 alone, EBP defaults to SS', () => {
    expect(decode([0x03], true)).toMatchObject({ ea: { base: EBX, index: -1, disp: 0, seg: DS }, used: 1 });
    expect(decode([0x05, 0x78, 0x56, 0x34, 0x12], true)).toMatchObject({ ea: { base: -1, index: -1, disp: 0x12345678, seg: DS }, used: 5 });
    expect(decode([0x45, 0x80], true)).toMatchObject({ ea: { base: EBP, disp: -128, seg: SS }, used: 2 });
    expect(decode([0x81, 0x00, 0x00, 0x00, 0x80], true)).toMatchObject({ ea: { base: ECX, disp: -0x80000000, seg: DS }, used: 5 });
  });

  it('SIB: scale and index, no index (100), no base with mod 0 (disp32), ESP and EBP bases default to SS', () => {
    // [EAX + EDX*8]: SIB scale 3, index EDX, base EAX
    expect(decode([0x04, 0xd0], true)).toMatchObject({ ea: { base: EAX, index: EDX, scale: 3, disp: 0, seg: DS }, used: 2 });
    // [ESP+8]: SIB 0x24 (no index, base ESP), disp8
    expect(decode([0x44, 0x24, 0x08], true)).toMatchObject({ ea: { base: ESP, index: -1, disp: 8, seg: SS }, used: 3 });
    // [ESI*4 + disp32]: mod 0, base 101 = no base
    expect(decode([0x04, 0xb5, 0x00, 0x10, 0x00, 0x00], true)).toMatchObject({ ea: { base: -1, index: ESI, scale: 2, disp: 0x1000, seg: DS }, used: 6 });
    // [EBP + EDI*2 + disp32]: mod 2, base EBP
    expect(decode([0x84, 0x7d, 0xff, 0xff, 0xff, 0xff], true)).toMatchObject({ ea: { base: EBP, index: EDI, scale: 1, disp: -1, seg: SS }, used: 6 });
  });

  it('a register operand has no memory operand', () => {
    expect(decode([0xc8 | 2], true)).toMatchObject({ mod: 3, reg: 1, rm: 2, ea: null, used: 1 });
  });

  it('a displacement past the end of the page clears ok', () => {
    expect(decode([0x05, 0x78, 0x56], true, 3).ok).toBe(false);
    expect(decode([0x05, 0x78, 0x56, 0x34, 0x12], true).ok).toBe(true);
    expect(decode([0x86, 0x34], false, 2).ok).toBe(false);
  });
});
