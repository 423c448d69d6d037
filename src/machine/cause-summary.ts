/**
 * Readable at any length: repeated cycles (a reboot loop's 5,726 RESETs, a
 * restart loop's domains) are folded into one line with a count and the time
 * of the last one, and lists are cut to a width and line budget that says how
 * much it left out. The full lists stay available as data (`--json`,
 * `x-acpidm-query-cause` with a range).
 */
import { type CauseLink, linkText } from './cause-chain.js';

/** A run of `count` consecutive repeats of the same `period` items, starting at `start`. */
export interface Run<T> {
  readonly items: readonly T[];
  readonly count: number;
  readonly first: T;
  readonly last: T;
}

/**
 * Fold consecutive repeats of a block of up to `maxPeriod` items (same `key`) into runs. A block must repeat
 * at least `minRepeat` times to be folded; otherwise items stay single.
 */
export function foldRepeats<T>(xs: readonly T[], key: (x: T) => string, maxPeriod = 4, minRepeat = 3): Run<T>[] {
  const keys = xs.map(key);
  const out: Run<T>[] = [];
  let i = 0;
  while (i < xs.length) {
    let best = { p: 1, n: 1 };
    for (let p = 1; p <= maxPeriod && i + p <= xs.length; p++) {
      let n = 1;
      outer: for (;;) {
        const s = i + n * p;
        if (s + p > xs.length) break;
        for (let k = 0; k < p; k++) if (keys[s + k] !== keys[i + k]) break outer;
        n++;
      }
      if (n >= minRepeat && n * p > best.n * best.p) best = { p, n };
    }
    const span = best.n >= minRepeat ? best.n * best.p : 1;
    out.push({ items: xs.slice(i, i + (span === 1 ? 1 : best.p)), count: span === 1 ? 1 : best.n, first: xs[i]!, last: xs[i + span - 1]! });
    i += span;
  }
  return out;
}

/**
 * `n` with thousands separators, as `toLocaleString('en-US')` prints it; an integer without asking Intl, whose first
 * use loads the ICU locale data (12 ms of a CLI run's CPU time)
 */
export const fmtCount = (n: number): string =>
  Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');
export const fmtMs = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

/** The key under which two links count as the same step of a cycle (ids and times differ). */
const linkKey = (l: CauseLink): string => `${l.requester}|${l.mechanism}|${l.what}`;

/** The chain with repeated cycles folded: `#12..#5737 guest via reset-cf9: outb 0x0cf9 <== 0x06 ×5,726, last at 199.9 ms`. */
export function summarizeLinks(links: readonly CauseLink[]): string[] {
  return foldRepeats(links, linkKey).flatMap((r) => {
    if (r.count === 1) return r.items.map(linkText);
    const head = r.items.length === 1
      ? `#${r.first.id}..#${r.last.id} ${r.first.requester} via ${r.first.mechanism}: ${r.first.what}`
      : `#${r.first.id}..#${r.last.id} cycle of ${r.items.length}: ${r.items.map((l) => `${l.requester} via ${l.mechanism}: ${l.what}`).join(' → ')}`;
    return [`${head} ×${fmtCount(r.count)}, last at ${fmtMs(r.last.t)}`];
  });
}

/** Events with repeats folded: `RESET {guest: true, reason: guest-reset} ×5,726, last at 199.9 ms`. */
export function summarizeEvents<E extends { event: string; data?: { guest: boolean; reason: string }; t: number }>(events: readonly E[]): string[] {
  const text = (e: E) => (e.data ? `${e.event} {guest: ${e.data.guest}, reason: ${e.data.reason}}` : e.event);
  return foldRepeats(events, text).map((r) => {
    const body = r.items.map(text).join(', ');
    return r.count === 1 ? body : `${r.items.length > 1 ? `(${body})` : body} ×${fmtCount(r.count)}, last at ${fmtMs(r.last.t)}`;
  });
}

/**
 * Lay items out as lines no wider than `width` (an item longer than that is cut with `…`), at most `maxLines`
 * lines; what does not fit is counted in one more line: `… 12 more (all of them in --json)`.
 */
export function fitLines(items: readonly string[], opts: { width?: number; maxLines?: number; indent?: string; sep?: string; more?: string } = {}): string[] {
  const width = opts.width ?? 100;
  const maxLines = opts.maxLines ?? 12;
  const indent = opts.indent ?? '';
  const sep = opts.sep ?? ', ';
  const cut = (s: string) => (s.length > width - indent.length ? s.slice(0, width - indent.length - 1) + '…' : s);
  const lines: string[] = [];
  let cur = '';
  let used = 0;
  for (const raw of items) {
    const it = cut(raw);
    if (cur && indent.length + cur.length + sep.length + it.length > width) {
      if (lines.length + 1 >= maxLines) break;
      lines.push(indent + cur + sep.trimEnd());
      cur = '';
    }
    cur = cur ? cur + sep + it : it;
    used++;
  }
  if (cur) lines.push(indent + cur);
  if (used < items.length) lines.push(`${indent}… ${fmtCount(items.length - used)} more${opts.more ? ` (${opts.more})` : ''}`);
  return lines;
}

/** Word-wrap one sentence to `width` columns, continuation lines indented by `indent`. */
export function wrapText(text: string, width = 100, indent = '  '): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of text.split(' ')) {
    const pre = out.length ? indent : '';
    if (cur && pre.length + cur.length + 1 + w.length > width) {
      out.push(pre + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push((out.length ? indent : '') + cur);
  return out;
}

/**
 * One item per line, each cut to `width`; beyond `maxLines` the middle goes (the start and the end of a chain
 * are what matter) and one line says how many: `… 12 more (…)`.
 */
export function listLines(items: readonly string[], opts: { width?: number; maxLines?: number; indent?: string; more?: string } = {}): string[] {
  const width = opts.width ?? 100;
  const max = Math.max(3, opts.maxLines ?? 16);
  const indent = opts.indent ?? '';
  const cut = (s: string) => indent + (indent.length + s.length > width ? s.slice(0, width - indent.length - 1) + '…' : s);
  if (items.length <= max) return items.map(cut);
  const tail = 2;
  const head = max - tail - 1;
  return [...items.slice(0, head).map(cut), `${indent}… ${fmtCount(items.length - head - tail)} more${opts.more ? ` (${opts.more})` : ''}`,
    ...items.slice(-tail).map(cut)];
}
