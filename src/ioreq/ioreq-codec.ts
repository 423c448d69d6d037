/**
 * ioreq_t codec over a DataView (layout drawn in abi.ts). `o` is the byte
 * offset of the slot (32 * vcpu inside the shared page).
 *
 * Field accessors are allocation-free (the hot path). 64-bit fields are read
 * as lo/hi u32 halves so no BigInt is ever created on the hot path;
 * `decodeIoreq` builds a plain object with BigInts for logs and tests.
 *
 * The `state` byte is the one field both sides race on, so it is read and
 * written with Atomics on a Uint8Array over the same memory (a seq-cst
 * access: the publishing store is the write barrier, the observing load the
 * read barrier; see ring-memory.ts).
 */
import {
  IOREQ_DATA_IS_PTR, IOREQ_DF, IOREQ_DIR, IOREQ_OFF_ADDR, IOREQ_OFF_BITS, IOREQ_OFF_COUNT, IOREQ_OFF_DATA,
  IOREQ_OFF_PAD0, IOREQ_OFF_SIZE, IOREQ_OFF_TYPE, IOREQ_OFF_VP_EPORT, IOREQ_SIZE, IOREQ_STATE_MASK,
  IOREQ_STATE_NAMES, ioreqTypeName,
} from './abi.js';

/** A request as plain named numbers: the reusable "copy" QEMU works on (`ioreq_t copy = *req`). */
export interface Ioreq {
  addrLo: number; // u32
  addrHi: number; // u32
  dataLo: number; // u32
  dataHi: number; // u32
  count: number;
  size: number;
  vpEport: number;
  state: number;
  dataIsPtr: number; // 0 | 1
  dir: number; // IOREQ_WRITE 0 | IOREQ_READ 1
  df: number; // 0 | 1
  type: number;
}

export function newIoreq(init: Partial<Ioreq> = {}): Ioreq {
  return {
    addrLo: 0, addrHi: 0, dataLo: 0, dataHi: 0, count: 1, size: 1, vpEport: 0, state: 0, dataIsPtr: 0, dir: 0, df: 0, type: 0,
    ...init,
  };
}

export function copyIoreq(dst: Ioreq, src: Ioreq): Ioreq {
  dst.addrLo = src.addrLo; dst.addrHi = src.addrHi; dst.dataLo = src.dataLo; dst.dataHi = src.dataHi;
  dst.count = src.count; dst.size = src.size; dst.vpEport = src.vpEport; dst.state = src.state;
  dst.dataIsPtr = src.dataIsPtr; dst.dir = src.dir; dst.df = src.df; dst.type = src.type;
  return dst;
}

const TWO32 = 0x1_0000_0000;
/** addr as a number (exact below 2^53). */
export const ioreqAddr = (r: Ioreq): number => r.addrHi * TWO32 + r.addrLo;
/** data as a number (exact below 2^53). */
export const ioreqData = (r: Ioreq): number => r.dataHi * TWO32 + r.dataLo;
export function setIoreqAddr(r: Ioreq, v: number): void {
  r.addrLo = v >>> 0;
  r.addrHi = Math.floor(v / TWO32) >>> 0;
}
export function setIoreqData(r: Ioreq, v: number): void {
  r.dataLo = v >>> 0;
  r.dataHi = Math.floor(v / TWO32) >>> 0;
}

// ---- allocation-free field accessors -------------------------------------------
export const ioreqAddrLo = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_ADDR, true);
export const ioreqAddrHi = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_ADDR + 4, true);
export const ioreqDataLo = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_DATA, true);
export const ioreqDataHi = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_DATA + 4, true);
export const ioreqCount = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_COUNT, true);
export const ioreqSize = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_SIZE, true);
export const ioreqVpEport = (v: DataView, o: number): number => v.getUint32(o + IOREQ_OFF_VP_EPORT, true);
export const ioreqBits = (v: DataView, o: number): number => v.getUint8(o + IOREQ_OFF_BITS);
export const ioreqType = (v: DataView, o: number): number => v.getUint8(o + IOREQ_OFF_TYPE);
export const ioreqStatePlain = (v: DataView, o: number): number => v.getUint8(o + IOREQ_OFF_BITS) & IOREQ_STATE_MASK;
export const ioreqDataIsPtr = (v: DataView, o: number): number => (v.getUint8(o + IOREQ_OFF_BITS) & IOREQ_DATA_IS_PTR) >>> 4;
export const ioreqDir = (v: DataView, o: number): number => (v.getUint8(o + IOREQ_OFF_BITS) & IOREQ_DIR) >>> 5;
export const ioreqDf = (v: DataView, o: number): number => (v.getUint8(o + IOREQ_OFF_BITS) & IOREQ_DF) >>> 6;

export function setIoreqDataLoHi(v: DataView, o: number, lo: number, hi: number): void {
  v.setUint32(o + IOREQ_OFF_DATA, lo, true);
  v.setUint32(o + IOREQ_OFF_DATA + 4, hi, true);
}

/** state with a seq-cst load (the read barrier: see READY, then read the contents). */
export const loadIoreqState = (u8: Uint8Array, o: number): number => Atomics.load(u8, o + IOREQ_OFF_BITS) & IOREQ_STATE_MASK;

/**
 * Publish a new state with a seq-cst store (the write barrier: contents first,
 * state second). Only the side that owns the slot writes it, so the
 * read-modify-write of the other bits in the byte cannot race.
 */
export function storeIoreqState(u8: Uint8Array, o: number, state: number): void {
  const b = Atomics.load(u8, o + IOREQ_OFF_BITS);
  Atomics.store(u8, o + IOREQ_OFF_BITS, (b & ~IOREQ_STATE_MASK) | (state & IOREQ_STATE_MASK));
}

/** Byte 30 from its parts. */
export const packIoreqBits = (state: number, dataIsPtr: number, dir: number, df: number): number =>
  (state & IOREQ_STATE_MASK) | (dataIsPtr ? IOREQ_DATA_IS_PTR : 0) | (dir ? IOREQ_DIR : 0) | (df ? IOREQ_DF : 0);

/** Read a whole slot into `out` (no allocation). */
export function readIoreq(v: DataView, o: number, out: Ioreq): Ioreq {
  out.addrLo = v.getUint32(o + IOREQ_OFF_ADDR, true);
  out.addrHi = v.getUint32(o + IOREQ_OFF_ADDR + 4, true);
  out.dataLo = v.getUint32(o + IOREQ_OFF_DATA, true);
  out.dataHi = v.getUint32(o + IOREQ_OFF_DATA + 4, true);
  out.count = v.getUint32(o + IOREQ_OFF_COUNT, true);
  out.size = v.getUint32(o + IOREQ_OFF_SIZE, true);
  out.vpEport = v.getUint32(o + IOREQ_OFF_VP_EPORT, true);
  const b = v.getUint8(o + IOREQ_OFF_BITS);
  out.state = b & IOREQ_STATE_MASK;
  out.dataIsPtr = (b & IOREQ_DATA_IS_PTR) >>> 4;
  out.dir = (b & IOREQ_DIR) >>> 5;
  out.df = (b & IOREQ_DF) >>> 6;
  out.type = v.getUint8(o + IOREQ_OFF_TYPE);
  return out;
}

/** Write a whole slot from `r` (state included; _pad0 and _pad1 zero). */
export function writeIoreq(v: DataView, o: number, r: Ioreq): void {
  v.setUint32(o + IOREQ_OFF_ADDR, r.addrLo, true);
  v.setUint32(o + IOREQ_OFF_ADDR + 4, r.addrHi, true);
  v.setUint32(o + IOREQ_OFF_DATA, r.dataLo, true);
  v.setUint32(o + IOREQ_OFF_DATA + 4, r.dataHi, true);
  v.setUint32(o + IOREQ_OFF_COUNT, r.count, true);
  v.setUint32(o + IOREQ_OFF_SIZE, r.size, true);
  v.setUint32(o + IOREQ_OFF_VP_EPORT, r.vpEport, true);
  v.setUint16(o + IOREQ_OFF_PAD0, 0, true);
  v.setUint8(o + IOREQ_OFF_BITS, packIoreqBits(r.state, r.dataIsPtr, r.dir, r.df));
  v.setUint8(o + IOREQ_OFF_TYPE, r.type);
}

/** For logs and tests (allocates). */
export interface DecodedIoreq {
  addr: bigint; data: bigint; count: number; size: number; vpEport: number;
  state: number; stateName: string; dataIsPtr: boolean; dir: 'read' | 'write'; df: boolean; type: number; typeName: string;
}

export function decodeIoreq(v: DataView, o = 0): DecodedIoreq {
  const r = readIoreq(v, o, newIoreq());
  return {
    addr: (BigInt(r.addrHi) << 32n) | BigInt(r.addrLo),
    data: (BigInt(r.dataHi) << 32n) | BigInt(r.dataLo),
    count: r.count, size: r.size, vpEport: r.vpEport,
    state: r.state, stateName: IOREQ_STATE_NAMES[r.state] ?? `bad(${r.state})`,
    dataIsPtr: r.dataIsPtr === 1, dir: r.dir ? 'read' : 'write', df: r.df === 1, type: r.type, typeName: ioreqTypeName(r.type),
  };
}

/** Encode a fresh 32-byte ioreq_t (tests, tools). */
export function encodeIoreq(r: Partial<Ioreq>): Uint8Array {
  const b = new Uint8Array(IOREQ_SIZE);
  writeIoreq(new DataView(b.buffer), 0, newIoreq(r));
  return b;
}
