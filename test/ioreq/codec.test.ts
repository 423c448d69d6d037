// Unit tables for the ioreq_t and buf_ioreq_t codecs (Xen public/hvm/ioreq.h layout; the
// byte-for-byte check against the real headers is abi.test.ts).
import { describe, expect, it } from 'vitest';
import {
  IOREQ_DATA_IS_PTR, IOREQ_DF, IOREQ_DIR, IOREQ_SIZE, IOREQ_TYPE_COPY, IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PIO, IOREQ_TYPE_TIMEOFFSET,
  pciSbdf,
} from '../../src/ioreq/abi.js';
import {
  bufSizeLog2, bufWord0Addr, bufWord0Dir, bufWord0Size, bufWord0Type, packBufWord0,
} from '../../src/ioreq/buf-ioreq-codec.js';
import {
  decodeIoreq, ioreqAddr, ioreqAddrHi, ioreqAddrLo, ioreqCount, ioreqData, ioreqDataHi, ioreqDataIsPtr, ioreqDataLo, ioreqDf, ioreqDir,
  ioreqSize, ioreqStatePlain, ioreqType, ioreqVpEport, newIoreq, packIoreqBits, readIoreq, setIoreqAddr, writeIoreq, type Ioreq,
} from '../../src/ioreq/ioreq-codec.js';

describe('ioreq_t accessors read what writeIoreq wrote, at vCPU n * 32', () => {
  const page = new DataView(new ArrayBuffer(4096));
  const r: Ioreq = newIoreq({
    addrLo: 0xdeadbeef, addrHi: 0x00012345, dataLo: 0xcafef00d, dataHi: 0x87654321, count: 0x10001, size: 8, vpEport: 77,
    state: 3, dataIsPtr: 1, dir: 1, df: 1, type: IOREQ_TYPE_COPY,
  });
  writeIoreq(page, 5 * IOREQ_SIZE, r);
  it.each([
    ['addr lo', ioreqAddrLo, 0xdeadbeef], ['addr hi', ioreqAddrHi, 0x00012345],
    ['data lo', ioreqDataLo, 0xcafef00d], ['data hi', ioreqDataHi, 0x87654321],
    ['count', ioreqCount, 0x10001], ['size', ioreqSize, 8], ['vp_eport', ioreqVpEport, 77],
    ['state', ioreqStatePlain, 3], ['data_is_ptr', ioreqDataIsPtr, 1], ['dir', ioreqDir, 1], ['df', ioreqDf, 1], ['type', ioreqType, IOREQ_TYPE_COPY],
  ] as const)('%s', (_f, get, want) => {
    expect(get(page, 5 * IOREQ_SIZE)).toBe(want);
  });

  it('leaves the neighbouring slots untouched', () => {
    expect([page.getUint32(4 * 32 + 28, true), page.getUint32(6 * 32, true)]).toEqual([0, 0]);
  });

  it('readIoreq fills the same object back', () => {
    expect(readIoreq(page, 5 * IOREQ_SIZE, newIoreq())).toEqual(r);
  });
});

describe('byte 30 packing', () => {
  it.each([
    [0, 0, 0, 0, 0x00], [1, 0, 0, 0, 0x01], [3, 0, 0, 0, 0x03], [0xf, 0, 0, 0, 0x0f],
    [0, 1, 0, 0, IOREQ_DATA_IS_PTR], [0, 0, 1, 0, IOREQ_DIR], [0, 0, 0, 1, IOREQ_DF],
    [2, 1, 1, 1, 0x72], [0x1f, 0, 0, 0, 0x0f], // a state wider than 4 bits never spills into data_is_ptr
  ])('state %i ptr %i dir %i df %i -> 0x%s', (state, ptr, dir, df, want) => {
    expect(packIoreqBits(state, ptr, dir, df)).toBe(want);
  });
});

describe('64-bit fields as numbers', () => {
  it.each([0, 1, 0xffffffff, 0x1_0000_0000, 0xfee00000, 2 ** 52 + 3])('addr %d round-trips through lo/hi', (v) => {
    const r = newIoreq();
    setIoreqAddr(r, v);
    expect(ioreqAddr(r)).toBe(v);
  });

  it('PCI_CONFIG: sbdf is the high u32 (segment, bus, dev, fn), the register the low one', () => {
    const r = newIoreq({ type: IOREQ_TYPE_PCI_CONFIG, addrHi: pciSbdf(0x1234, 0x56, 0x1f, 7), addrLo: 0x44 });
    expect(decodeIoreq(new DataView(encode(r)))).toMatchObject({ addr: 0x1234_56_ff_00000044n });
  });

  it('TIMEOFFSET data is signed 64-bit in two halves', () => {
    const r = newIoreq({ type: IOREQ_TYPE_TIMEOFFSET, dataLo: 0xfffffff6, dataHi: 0xffffffff });
    expect(BigInt.asIntN(64, decodeIoreq(new DataView(encode(r))).data)).toBe(-10n);
    expect(ioreqData(newIoreq({ dataLo: 5, dataHi: 1 }))).toBe(0x1_0000_0005);
  });
});

describe('buf_ioreq_t word 0', () => {
  it.each([
    [IOREQ_TYPE_PIO, 0, 1, 0x00000, 0x00000000],
    [IOREQ_TYPE_COPY, 1, 2, 0x00001, 0x00001601],
    [IOREQ_TYPE_TIMEOFFSET, 0, 8, 0x00000, 0x00000c07],
    [0xff, 1, 4, 0xfffff, 0xfffffaff],
  ])('type %i dir %i size %i addr 0x%s -> 0x%s', (type, dir, size, addr, word) => {
    const w = packBufWord0(type, dir, bufSizeLog2(size), addr);
    expect(w).toBe(word);
    expect([bufWord0Type(w), bufWord0Dir(w), bufWord0Size(w), bufWord0Addr(w)]).toEqual([type, dir, size, addr]);
  });

  it.each([[1, 0], [2, 1], [4, 2], [8, 3], [0, -1], [3, -1], [16, -1]])('size %i has log2 field %i (-1: cannot be buffered)', (size, log2) => {
    expect(bufSizeLog2(size)).toBe(log2);
  });
});

function encode(r: Ioreq): ArrayBuffer {
  const b = new ArrayBuffer(32);
  writeIoreq(new DataView(b), 0, r);
  return b;
}
