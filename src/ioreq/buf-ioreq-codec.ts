/**
 * buf_ioreq_t and buffered_iopage codec (layout drawn in abi.ts). `page` is
 * the byte offset of the buffered iopage inside its buffer.
 *
 * read_pointer and write_pointer are the two words both sides race on: they
 * are accessed with Atomics on a Uint32Array (index = byte offset / 4).
 */
import {
  BUF_ADDR_MASK, BUF_ADDR_SHIFT, BUF_DIR_BIT, BUF_IOREQ_SIZE, BUF_PAD_BIT, BUF_SIZE_MASK, BUF_SIZE_SHIFT, BUF_TYPE_MASK,
  BUFIOREQ_OFF_READ_POINTER, BUFIOREQ_OFF_SLOTS, BUFIOREQ_OFF_WRITE_POINTER, IOREQ_BUFFER_SLOT_NUM,
} from './abi.js';

/** Byte offset of the slot a pointer designates: pointer MOD 511 (511 is not a power of two: no mask). */
export const bufSlotOffset = (page: number, pointer: number): number =>
  page + BUFIOREQ_OFF_SLOTS + ((pointer >>> 0) % IOREQ_BUFFER_SLOT_NUM) * BUF_IOREQ_SIZE;

/** size in bytes (1, 2, 4, 8) -> the 2-bit log2 field, or -1 if it cannot be buffered. */
export function bufSizeLog2(size: number): number {
  switch (size) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    default: return -1;
  }
}

/** Word 0 of a slot. `addr` must be <= 0xFFFFF (callers check; it is masked here). */
export const packBufWord0 = (type: number, dir: number, sizeLog2: number, addr: number): number =>
  ((type & BUF_TYPE_MASK) | (dir ? BUF_DIR_BIT : 0) | ((sizeLog2 << BUF_SIZE_SHIFT) & BUF_SIZE_MASK) | ((addr << BUF_ADDR_SHIFT) & BUF_ADDR_MASK)) >>> 0;

export const bufWord0Type = (w: number): number => w & BUF_TYPE_MASK;
export const bufWord0Pad = (w: number): number => (w & BUF_PAD_BIT) >>> 8;
export const bufWord0Dir = (w: number): number => (w & BUF_DIR_BIT) >>> 9;
export const bufWord0Size = (w: number): number => 1 << ((w & BUF_SIZE_MASK) >>> BUF_SIZE_SHIFT);
export const bufWord0Addr = (w: number): number => (w & BUF_ADDR_MASK) >>> BUF_ADDR_SHIFT;

export function writeBufSlot(v: DataView, slotOff: number, word0: number, data: number): void {
  v.setUint32(slotOff, word0, true);
  v.setUint32(slotOff + 4, data >>> 0, true);
}
export const bufSlotWord0 = (v: DataView, slotOff: number): number => v.getUint32(slotOff, true);
export const bufSlotData = (v: DataView, slotOff: number): number => v.getUint32(slotOff + 4, true);

// ---- pointers (seq-cst) -----------------------------------------------------------
export const rpIndex = (page: number): number => (page + BUFIOREQ_OFF_READ_POINTER) >>> 2;
export const wpIndex = (page: number): number => (page + BUFIOREQ_OFF_WRITE_POINTER) >>> 2;
export const loadReadPointer = (u32: Uint32Array, page: number): number => Atomics.load(u32, rpIndex(page));
export const loadWritePointer = (u32: Uint32Array, page: number): number => Atomics.load(u32, wpIndex(page));

/** For logs and tests (allocates). */
export interface DecodedBufIoreq { type: number; pad: number; dir: 'read' | 'write'; size: number; addr: number; data: number }

export function decodeBufIoreq(v: DataView, slotOff = 0): DecodedBufIoreq {
  const w = bufSlotWord0(v, slotOff);
  return { type: bufWord0Type(w), pad: bufWord0Pad(w), dir: bufWord0Dir(w) ? 'read' : 'write', size: bufWord0Size(w), addr: bufWord0Addr(w), data: bufSlotData(v, slotOff) };
}

export function encodeBufIoreq(r: { type: number; dir?: number; size: 1 | 2 | 4 | 8; addr: number; data: number }): Uint8Array {
  const b = new Uint8Array(BUF_IOREQ_SIZE);
  writeBufSlot(new DataView(b.buffer), 0, packBufWord0(r.type, r.dir ?? 0, bufSizeLog2(r.size), r.addr), r.data);
  return b;
}
