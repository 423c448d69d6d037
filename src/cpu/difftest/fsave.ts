/**
 * The FSAVE image of an F record (32-bit protected-mode layout, SDM vol. 1 figure 8-9) decoded into the fields the
 * record's fpu checksum covers: control word, status word, tag word and the eight registers ST(0)..ST(7), so a
 * difference in the checksum can be named down to the bit (`fsaveDiff`).
 */
import { FSAVE_BYTES } from './rom.js';

/** The differences between two FSAVE images, per field, as XOR masks (only fields that differ are present). */
export interface FsaveDiff {
  fcw?: number;
  /** Status word XOR, the caller's undefined condition codes already masked. */
  fsw?: number;
  ftw?: number;
  /** ST(i) (stack order, as FSAVE stores them): sign+exponent word and the 64-bit significand, each as an XOR. */
  st?: { i: number; se: number; sig: bigint }[];
}

const FSW_NAMES: [number, string][] = [
  [0x0001, 'IE'], [0x0002, 'DE'], [0x0004, 'ZE'], [0x0008, 'OE'], [0x0010, 'UE'], [0x0020, 'PE'], [0x0040, 'SF'],
  [0x0080, 'ES'], [0x0100, 'C0'], [0x0200, 'C1'], [0x0400, 'C2'], [0x3800, 'TOP'], [0x4000, 'C3'], [0x8000, 'B'],
];

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const sig = (b: Uint8Array, o: number): bigint => {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[o + k]!);
  return v;
};

/** Field-by-field XOR of images `a` and `b` (at byte offsets oa, ob), with `fswMask` (1 = compared) on the status word. */
export function fsaveDiff(a: Uint8Array, oa: number, b: Uint8Array, ob: number, fswMask = 0xffff): FsaveDiff {
  const d: FsaveDiff = {};
  const fcw = u16(a, oa) ^ u16(b, ob);
  const fsw = (u16(a, oa + 4) ^ u16(b, ob + 4)) & fswMask;
  const ftw = u16(a, oa + 8) ^ u16(b, ob + 8);
  if (fcw) d.fcw = fcw;
  if (fsw) d.fsw = fsw;
  if (ftw) d.ftw = ftw;
  for (let i = 0; i < 8; i++) {
    const r = 28 + i * 10;
    const s = sig(a, oa + r) ^ sig(b, ob + r);
    const se = u16(a, oa + r + 8) ^ u16(b, ob + r + 8);
    if (s || se) (d.st ??= []).push({ i, se, sig: s });
  }
  return d;
}

/** `FSW.C1, ST(2).sig ^0x1` — the differing bits by name. */
export function formatFsaveDiff(d: FsaveDiff): string {
  const out: string[] = [];
  if (d.fcw) out.push(`FCW ^0x${d.fcw.toString(16)}`);
  if (d.fsw) out.push(...FSW_NAMES.filter(([m]) => d.fsw! & m).map(([, n]) => `FSW.${n}`));
  if (d.ftw) out.push(`FTW ^0x${d.ftw.toString(16)}`);
  for (const s of d.st ?? []) {
    if (s.se) out.push(`ST(${s.i}).sign/exp ^0x${s.se.toString(16)}`);
    if (s.sig) out.push(`ST(${s.i}).sig ^0x${s.sig.toString(16)}`);
  }
  return out.join(', ');
}

/** `fcw=037f fsw=3800 ftw=00ff st0=4000:8000000000000000 …` for a reproducer. */
export function formatFsave(b: Uint8Array, o: number): string {
  const h = (v: number | bigint, w: number): string => v.toString(16).padStart(w, '0');
  const regs: string[] = [];
  for (let i = 0; i < 8; i++) regs.push(`st${i}=${h(u16(b, o + 28 + i * 10 + 8), 4)}:${h(sig(b, o + 28 + i * 10), 16)}`);
  return `fcw=${h(u16(b, o), 4)} fsw=${h(u16(b, o + 4), 4)} ftw=${h(u16(b, o + 8), 4)} fop=${h(u16(b, o + 18) & 0x7ff, 3)} ${regs.join(' ')}`;
}

export { FSAVE_BYTES };
