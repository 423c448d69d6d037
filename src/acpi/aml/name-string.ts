/**
 * NameString (ACPI 6.5 §20.2.2): optional RootChar '\' or a run of ParentPrefixChar '^', then a NamePath:
 * a NameSeg (4 chars), DualNamePrefix 0x2E + 2 segs, MultiNamePrefix 0x2F + count + segs, or NullName 0x00.
 */
import { AmlError } from './aml-error.js';

export const ROOT_CHAR = 0x5c;
export const PARENT_PREFIX = 0x5e;
export const DUAL_NAME_PREFIX = 0x2e;
export const MULTI_NAME_PREFIX = 0x2f;

export interface NameString {
  root: boolean;
  /** Number of '^' prefixes. */
  parents: number;
  segs: string[];
  next: number;
}

const isLead = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isNameChar = (c: number): boolean => isLead(c) || (c >= 0x30 && c <= 0x39);

/** True when b[p] can start a NameString. */
export const startsName = (c: number): boolean => isLead(c) || c === ROOT_CHAR || c === PARENT_PREFIX || c === DUAL_NAME_PREFIX || c === MULTI_NAME_PREFIX;

function seg(b: Uint8Array, p: number, end: number, base: number): string {
  if (p + 4 > end) throw new AmlError('truncated: NameSeg runs past the end', base + p);
  if (!isLead(b[p]!) || !isNameChar(b[p + 1]!) || !isNameChar(b[p + 2]!) || !isNameChar(b[p + 3]!)) {
    throw new AmlError(`bad NameSeg bytes ${Array.from(b.subarray(p, p + 4), (x) => x.toString(16).padStart(2, '0')).join(' ')}`, base + p);
  }
  return String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
}

export function readNameString(b: Uint8Array, p: number, end: number, base = 0): NameString {
  let root = false;
  let parents = 0;
  if (p >= end) throw new AmlError('truncated: NameString expected', base + p);
  if (b[p] === ROOT_CHAR) {
    root = true;
    p++;
  } else {
    while (p < end && b[p] === PARENT_PREFIX) {
      parents++;
      p++;
    }
  }
  if (p >= end) throw new AmlError('truncated: NamePath expected', base + p);
  const c = b[p]!;
  const segs: string[] = [];
  if (c === 0x00) return { root, parents, segs, next: p + 1 };
  if (c === DUAL_NAME_PREFIX) {
    segs.push(seg(b, p + 1, end, base), seg(b, p + 5, end, base));
    return { root, parents, segs, next: p + 9 };
  }
  if (c === MULTI_NAME_PREFIX) {
    if (p + 1 >= end) throw new AmlError('truncated: MultiNamePath count expected', base + p);
    const n = b[p + 1]!;
    if (n === 0) throw new AmlError('MultiNamePath with a segment count of 0', base + p + 1);
    for (let i = 0; i < n; i++) segs.push(seg(b, p + 2 + 4 * i, end, base));
    return { root, parents, segs, next: p + 2 + 4 * n };
  }
  segs.push(seg(b, p, end, base));
  return { root, parents, segs, next: p + 4 };
}

/** Renders a NameString the way iasl prints it: trailing '_' padding stripped from each segment. */
export function formatNameString(n: Pick<NameString, 'root' | 'parents' | 'segs'>): string {
  return (n.root ? '\\' : '^'.repeat(n.parents)) + n.segs.map(trimSeg).join('.');
}

export const trimSeg = (s: string): string => s.replace(/_+$/, '') || '_';

/** Resolves a NameString against the scope it appears in (absolute segment list; no search rules). */
export function resolvePath(scope: readonly string[], n: Pick<NameString, 'root' | 'parents' | 'segs'>): string[] {
  if (n.root) return [...n.segs];
  const up = scope.slice(0, Math.max(0, scope.length - n.parents));
  return [...up, ...n.segs];
}

export const pathString = (segs: readonly string[]): string => '\\' + segs.join('.');
