/**
 * Compares two record streams of the same generated sequence, instruction by instruction, with the SDM's
 * undefined flags masked per instruction (Item.undef). After a difference the rest of that block is not compared
 * (the block start reloads registers, flags and memory, so the next block is independent again).
 */
import type { Item } from './gen.js';
import { formatFsave, formatFsaveDiff, fsaveDiff, FSAVE_BYTES } from './fsave.js';
import { knownFor, KNOWN_DIFFERENCES, type KnownDifference } from './known-differences.js';
import { F, FIELD_NAMES, R_DWORDS, recordHash, type Stream } from './records.js';
import { FAULT_RF } from './rom.js';

export interface FormStat {
  form: string;
  count: number;
  /** Differences not explained by KNOWN_DIFFERENCES. */
  diffs: number;
  /** Differences on a form and emulator listed in KNOWN_DIFFERENCES. */
  explained: number;
  /** The first difference: reproducer and what each side recorded. */
  example: string | null;
  /** The first explained difference: the same, with the rows that explained it (`--explained` prints it). */
  explainedExample: string | null;
}

export interface Comparison {
  a: string;
  b: string;
  /** Instructions compared (both sides recorded them and the block had not diverged before). */
  compared: number;
  diffs: number;
  explained: number;
  forms: Map<string, FormStat>;
  /** Explained differences per KNOWN_DIFFERENCES row (its index). */
  byRow: Map<number, number>;
  /** A stream that stopped early or could not be read. */
  error: string | null;
}

const hex = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

function state(s: Stream, i: number): string {
  if (s.hashed[i]) return `(hash ${hex(s.hash[i]!)}; run with full records for the state)`;
  const o = i * R_DWORDS;
  const r = s.rec;
  return `eax=${hex(r[o + F.eax]!)} ebx=${hex(r[o + F.ebx]!)} ecx=${hex(r[o + F.ecx]!)} edx=${hex(r[o + F.edx]!)} ` +
    `esi=${hex(r[o + F.esi]!)} edi=${hex(r[o + F.edi]!)} ebp=${hex(r[o + F.ebp]!)} esp=${hex(r[o + F.esp]!)} ` +
    `eflags=${hex(r[o + F.eflags]!)} mem=${hex(r[o + F.csum]!)} fpu=${hex(r[o + F.fpu]!)}` +
    (s.fsaveSlot[i] ? `\n           ${formatFsave(s.fsave, (s.fsaveSlot[i]! - 1) * FSAVE_BYTES)}` : '');
}

/** The FSAVE fields in which record i differs, by name, when both sides wrote F records (rom.ts). */
function fpuDetail(a: Stream, ia: number, b: Stream, ib: number, fswUndef: number): string {
  if (!a.fsaveSlot[ia] || !b.fsaveSlot[ib]) return '';
  const d = fsaveDiff(a.fsave, (a.fsaveSlot[ia]! - 1) * FSAVE_BYTES, b.fsave, (b.fsaveSlot[ib]! - 1) * FSAVE_BYTES, ~fswUndef & 0xffff);
  return ` [${formatFsaveDiff(d)}]`;
}

/** The faults before record i; `rfOff`: without the RF bit. */
function faults(s: Stream, i: number, rfOff = false): string {
  const out: string[] = [];
  for (let k = 0; k < s.faultCount[i]!; k++) {
    const f = (s.faultStart[i]! + k) * 3;
    const v = s.faults[f]!;
    out.push(`#${v & 0xffff}${rfOff ? '' : v & FAULT_RF ? ' rf' : ''} err=${s.faults[f + 1]!.toString(16)} eip=${hex(s.faults[f + 2]!)}`);
  }
  return out.join(' ');
}

/** Fields (by name) in which record i differs, with the item's undefined flags masked. */
export function diffFields(a: Stream, ia: number, b: Stream, ib: number, undef: number, fswUndef = 0): string[] {
  const out: string[] = [];
  if (a.hashed[ia] || b.hashed[ib]) {
    if (recordHash(a, ia, undef) !== recordHash(b, ib, undef)) out.push('hash');
  } else for (let k = 0; k < R_DWORDS; k++) {
    let x = a.rec[ia * R_DWORDS + k]! ^ b.rec[ib * R_DWORDS + k]!;
    if (k === F.eflags) x &= ~undef;
    if (x) out.push(FIELD_NAMES[k]! + (k === F.fpu ? fpuDetail(a, ia, b, ib, fswUndef) : ''));
  }
  if (faults(a, ia) !== faults(b, ib)) out.push('fault');
  return out;
}

/**
/**
 * A difference on record i that the KNOWN_DIFFERENCES rows for its form cover (the rows used go to explainedBy):
 * 2 when only RF in the faults differs (a faultRf row: the state is the same, the block goes on being compared);
 * 1 for a row without `bits`/`fsave` (whole record), or when each differing bit is named by some row (EFLAGS and
 * fpu-field bits, or the FSAVE fields of an `fsave` row whose precision-control condition holds); 0 otherwise.
 */
let explainedBy: KnownDifference[] = [];
function isExplained(form: string, an: string, a: Stream, bn: string, b: Stream, i: number, undef: number, fswUndef: number): 0 | 1 | 2 {
  explainedBy = [];
  const rows = knownFor(form, an, bn);
  const rfOk = rows.some((k) => k.faultRf);
  for (const k of rows) {
    // the record itself (hash or fields) equal, the faults equal but for RF (which the ROM keeps out of memory)
    if (k.faultRf && faults(a, i, true) === faults(b, i, true) && diffFields(a, i, b, i, undef).every((d) => d === 'fault')) { explainedBy = [k]; return 2; }
  }
  const plain = rows.filter((k) => !k.faultRf);
  const whole = plain.find((k) => !k.bits && !k.fsave);
  if (whole) { explainedBy = [whole]; return 1; }
  if (!plain.length || a.hashed[i] || b.hashed[i] || faults(a, i, rfOk) !== faults(b, i, rfOk)) return 0;
  // the bits the rows name, per record field; what differs within them
  const ok = new Array<number>(R_DWORDS).fill(0), named = new Array<number>(R_DWORDS).fill(0);
  const field = (n: string): number => FIELD_NAMES.indexOf(n as (typeof FIELD_NAMES)[number]);
  for (const k of plain) for (const [n, m] of Object.entries(k.bits ?? {})) { const f = field(n); ok[f] = ok[f]! | (m ?? 0); }
  const fpuOk = ok[F.fpu]!;
  let fpuX = 0;
  for (let f = 0; f < R_DWORDS; f++) {
    let x = a.rec[i * R_DWORDS + f]! ^ b.rec[i * R_DWORDS + f]!;
    if (f === F.eflags) x &= ~undef;
    named[f] = x & ok[f]!;
    if (f === F.fpu) { fpuX = x & ~fpuOk; continue; } // (beyond the named bits: the FSAVE images decide, below)
    if (x & ~ok[f]!) return 0;
  }
  const used = plain.filter((k) => Object.entries(k.bits ?? {}).some(([n, m]) => (named[field(n)]! & (m ?? 0)) !== 0));
  if (!fpuX) { explainedBy = used; return 1; }
  // beyond the named FSW bits: the FSAVE images say which fields differ
  if (!a.fsaveSlot[i] || !b.fsaveSlot[i]) return 0;
  const oa = (a.fsaveSlot[i]! - 1) * FSAVE_BYTES, ob = (b.fsaveSlot[i]! - 1) * FSAVE_BYTES;
  const d = fsaveDiff(a.fsave, oa, b.fsave, ob, ~fswUndef & 0xffff);
  if (d.fcw || d.ftw) return 0;
  const pc = a.fsave[oa + 1]! & 3; // FCW.PC, bits 9:8
  let fswOk = fpuOk, st0Ok = false;
  // ST(0) a NaN: exponent 0x7FFF and a fraction other than 0 below the integer bit
  const nan = (s: Uint8Array, o: number): boolean => ((s[o + 36]! | (s[o + 37]! << 8)) & 0x7fff) === 0x7fff &&
    (s.subarray(o + 28, o + 35).some((x) => x !== 0) || (s[o + 35]! & 0x7f) !== 0);
  const apply = plain.filter((k) => k.fsave?.pc.includes(pc) && (!k.fsave.nanSt0 || (nan(a.fsave, oa) && nan(b.fsave, ob))));
  for (const k of apply) { fswOk |= k.fsave!.fsw; st0Ok ||= k.fsave!.st0; }
  if ((d.fsw ?? 0) & ~fswOk) return 0;
  if (!(d.st ?? []).every((r) => r.i === 0 && st0Ok)) return 0;
  explainedBy = [...new Set([...used, ...apply])];
  return 1;
}

export function compareStreams(items: readonly Item[], a: Stream, an: string, b: Stream, bn: string): Comparison {
  const forms = new Map<string, FormStat>();
  let compared = 0, diffs = 0, nExplained = 0, skipBlock = -1, error: string | null = null;
  const byRow = new Map<number, number>();
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (i >= a.nRec || i >= b.nRec) {
      const short = i >= a.nRec ? [an, a] as const : [bn, b] as const;
      error = `${short[0]} stopped after ${short[1].nRec} of ${items.length} instructions` +
        (short[1].error ? ` (${short[1].error})` : '') + ` at \`${it.asm}\` [${it.form}]` +
        (short[1].faultCount[i] ? `; fault ${faults(short[1], i)}` : '');
      break;
    }
    if (it.block === skipBlock) continue;
    let st = forms.get(it.form);
    if (!st) forms.set(it.form, st = { form: it.form, count: 0, diffs: 0, explained: 0, example: null, explainedExample: null });
    st.count++; compared++;
    const d = diffFields(a, i, b, i, it.undef, it.fswUndef);
    if (!d.length) continue;
    const ex = isExplained(it.form, an, a, bn, b, i, it.undef, it.fswUndef ?? 0);
    if (ex !== 2) skipBlock = it.block;
    const example = (): string => {
      const prev = i > 0 && items[i - 1]!.block === it.block ? `before: ${state(b, i - 1)}` : 'before: block start (registers from the block\'s own setup)';
      return [`ring ${it.ring}: ${it.asm}`, `  differs in: ${d.join(', ')}` + (it.undef ? ` (undefined flags masked: ${it.undef.toString(16)})` : ''),
        `  ${prev}`, `  ${an.padEnd(7)}: ${state(a, i)} ${faults(a, i)}`, `  ${bn.padEnd(7)}: ${state(b, i)} ${faults(b, i)}`].join('\n');
    };
    if (ex) {
      st.explained++; nExplained++;
      const rows = explainedBy.map((k) => KNOWN_DIFFERENCES.indexOf(k));
      for (const r of rows) byRow.set(r, (byRow.get(r) ?? 0) + 1);
      st.explainedExample ??= `${example()}\n  explained by row ${rows.join(' + ')}`;
      continue;
    }
    st.diffs++; diffs++;
    st.example ??= example();
  }
  return { a: an, b: bn, compared, diffs, explained: nExplained, forms, byRow, error };
}

/** One line per form: count and differences per comparison; then the first reproducer of each differing form. */
export function formatSummary(cmps: readonly Comparison[], opts: { all?: boolean; explained?: boolean } = {}): string {
  const names = new Set<string>();
  for (const c of cmps) for (const k of c.forms.keys()) names.add(k);
  const sorted = [...names].sort();
  const head = ['form'.padEnd(28), 'count'.padStart(8), ...cmps.map((c) => `${c.a}/${c.b}`.padStart(16))].join(' ');
  const lines = [head];
  for (const f of sorted) {
    const ds = cmps.map((c) => c.forms.get(f)?.diffs ?? 0);
    const ex = cmps.map((c) => c.forms.get(f)?.explained ?? 0);
    if (!opts.all && ds.every((d) => d === 0) && ex.every((d) => d === 0)) continue;
    const count = Math.max(...cmps.map((c) => c.forms.get(f)?.count ?? 0));
    lines.push([f.padEnd(28), String(count).padStart(8), ...ds.map((d, k) => `${d}${ex[k] ? ` (+${ex[k]} expl.)` : ''}`.padStart(16))].join(' '));
  }
  lines.push([`total (${sorted.length} forms)`.padEnd(28), String(Math.max(...cmps.map((c) => c.compared))).padStart(8),
    ...cmps.map((c) => `${c.diffs}${c.explained ? ` (+${c.explained} expl.)` : ''}`.padStart(16))].join(' '));
  for (const c of cmps) {
    lines.push(`${c.a}/${c.b}: ${c.compared} records compared, ${c.diffs} unexplained differences, ${c.explained} explained`);
    for (const [row, n] of [...c.byRow].sort((x, y) => x[0] - y[0])) {
      const k = KNOWN_DIFFERENCES[row]!;
      lines.push(`  ${n} explained by row ${row} (${k.emulator}, /${k.form.source.slice(0, 40)}/): ${k.what.slice(0, 60)}`);
    }
  }
  for (const c of cmps) {
    if (c.error) lines.push(`${c.a}/${c.b}: ${c.error}`);
    for (const f of sorted) {
      const ex = c.forms.get(f)?.example;
      if (ex) lines.push(`--- ${c.a}/${c.b} ${f}\n${ex}`);
    }
    if (opts.explained) for (const f of sorted) {
      const ex = c.forms.get(f)?.explainedExample;
      if (ex) lines.push(`--- ${c.a}/${c.b} ${f} (explained)\n${ex}`);
    }
  }
  return lines.join('\n');
}
