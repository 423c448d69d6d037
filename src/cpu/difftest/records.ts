/**
 * The record stream a difftest ROM writes to port 0xE9 (layout in rom.ts), parsed into flat typed arrays so a
 * run of a million instructions costs no object per record.
 */
import { FAULT_BYTES, FSAVE_BYTES, HASH_BYTES, HASH_MUL, RECORD_BYTES, START_MARK } from './rom.js';

export { START_MARK };

/** Field order of an R record after the tag, in dwords. */
export const F = { fpu: 0, csum: 1, edi: 2, esi: 3, ebp: 4, esp: 5, ebx: 6, edx: 7, ecx: 8, eax: 9, eflags: 10, eip: 11 } as const;
export const FIELD_NAMES = ['fpu', 'mem', 'edi', 'esi', 'ebp', 'esp', 'ebx', 'edx', 'ecx', 'eax', 'eflags', 'eip'] as const;
export const R_DWORDS = 12;

export interface Stream {
  /** R records: R_DWORDS dwords each (zero for a hashed record). */
  rec: Uint32Array;
  /** 1 where the record is an H record (only `hash` is known). */
  hashed: Uint8Array;
  hash: Uint32Array;
  nRec: number;
  /** For each R record, the faults (X records) seen just before it: index into `faults` and count. */
  faultStart: Uint32Array;
  faultCount: Uint8Array;
  /** F records: R record i's FSAVE image is at (fsaveSlot[i] - 1) * FSAVE_BYTES in `fsave` (slot 0: none). */
  fsave: Uint8Array;
  fsaveSlot: Uint32Array;
  /** X records: vector, error code, EIP. */
  faults: Uint32Array;
  /** The stream ended with its E marker (the ROM ran to the end). */
  complete: boolean;
  /** What went wrong while reading, if anything (the stream is cut there). */
  error: string | null;
}

export function parseStream(b: Uint8Array): Stream {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const maxRec = Math.floor(b.length / HASH_BYTES) + 1;
  const rec = new Uint32Array(maxRec * R_DWORDS);
  const hashed = new Uint8Array(maxRec), hash = new Uint32Array(maxRec);
  const faultStart = new Uint32Array(maxRec), faultCount = new Uint8Array(maxRec);
  const faults = new Uint32Array(Math.floor(b.length / FAULT_BYTES) * 3 + 3);
  // an F record follows its own R record: at most one per RECORD_BYTES + 1 + FSAVE_BYTES bytes of stream
  const fsaveSlot = new Uint32Array(maxRec);
  const fsave = new Uint8Array(Math.floor(b.length / (RECORD_BYTES + 1 + FSAVE_BYTES)) * FSAVE_BYTES);
  let nF = 0;
  let i = START_MARK.length, n = 0, nf = 0, pending = 0, complete = false, error: string | null = null;
  while (i < b.length) {
    const tag = b[i]!;
    if (tag === 0x52 /* R */ && i + RECORD_BYTES <= b.length) {
      for (let k = 0; k < R_DWORDS; k++) rec[n * R_DWORDS + k] = dv.getUint32(i + 1 + k * 4, true);
      faultStart[n] = nf - pending; faultCount[n] = Math.min(pending, 255); pending = 0;
      n++; i += RECORD_BYTES;
    } else if (tag === 0x48 /* H */ && i + HASH_BYTES <= b.length) {
      hashed[n] = 1; hash[n] = dv.getUint32(i + 1, true);
      faultStart[n] = nf - pending; faultCount[n] = Math.min(pending, 255); pending = 0;
      n++; i += HASH_BYTES;
    } else if (tag === 0x46 /* F */ && n > 0 && !hashed[n - 1] && !fsaveSlot[n - 1] && i + 1 + FSAVE_BYTES <= b.length) {
      fsave.set(b.subarray(i + 1, i + 1 + FSAVE_BYTES), nF * FSAVE_BYTES);
      fsaveSlot[n - 1] = ++nF;
      i += 1 + FSAVE_BYTES;
    } else if (tag === 0x58 /* X */ && i + FAULT_BYTES <= b.length) {
      for (let k = 0; k < 3; k++) faults[nf * 3 + k] = dv.getUint32(i + 1 + k * 4, true);
      nf++; pending++; i += FAULT_BYTES;
    } else if (tag === 0x45 /* E */) {
      complete = true; break;
    } else {
      error = `unexpected byte 0x${tag.toString(16)} at offset ${i} (after ${n} records)`;
      break;
    }
  }
  if (!complete && !error) error = `stream ends after ${n} records without the end marker`;
  if (pending && !error) error = `${pending} fault(s) at the end of the stream (the run stopped in a fault handler)`;
  if (pending) { faultStart[n] = nf - pending; faultCount[n] = pending; }
  return { rec, hashed, hash, nRec: n, faultStart, faultCount, fsave, fsaveSlot, faults, complete, error };
}

/** The hash the ROM computes in hash mode, from a full record, with the undefined flags cleared. */
export function recordHash(s: Stream, i: number, undef: number): number {
  if (s.hashed[i]) return s.hash[i]!;
  let h = 0;
  for (let k = 0; k < R_DWORDS; k++) {
    let d = s.rec[i * R_DWORDS + k]!;
    if (k === F.eflags) d &= ~undef;
    h = ((h << 7) | (h >>> 25)) ^ d;
    h = Math.imul(h, HASH_MUL);
  }
  return h >>> 0;
}
