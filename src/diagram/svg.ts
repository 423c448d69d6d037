/**
 * The swimlane model as a standalone SVG document (a string: no DOM, so `acpidm run --diagram FILE` and the web
 * page draw the same picture). Lanes are columns, time runs down, one row per message; the cause path is red
 * and thick, a link's id sits at the start of the message that carried it, and a folded cycle is a dashed box
 * with its count. Every message is `<g class="msg" id="mN" data-i="N">` with its full text in `<title>`, so
 * a page can step and click through them. All text is escaped.
 */
import { linkText } from '../machine/cause-chain.js';
import type { Message, Swimlane } from './swimlane.js';

export interface SvgOptions {
  /** At most this many message rows: the middle of a longer picture is left out with a row saying how many. */
  maxRows?: number;
}

const LANE_W = 180;
const X0 = 118;
const HEAD = 64;
const ROW = 21;
const CHAR_W = 6.4;

/** XML text and attribute escaping (also drops the control characters XML 1.0 forbids). */
export function escapeXml(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, Math.max(1, n - 1))}…` : s);
const hex4 = (v: number): string => v.toString(16).padStart(4, '0');
const ms = (ns: number): string => `${(ns / 1e6).toFixed(6)} ms`;

export type Row =
  | { kind: 'msg'; m: Message }
  | { kind: 'fold-start' | 'fold-end'; count: number; firstT: number; lastT: number; hidden: number }
  | { kind: 'gap'; hidden: number };

/** The rows a picture shows: folded cycles reduced to their last instance, the middle of a huge run left out. */
export function visibleRows(s: Swimlane, maxRows = 2000): Row[] {
  const rows: Row[] = [];
  const folds = [...s.folds].sort((a, b) => a.start - b.start);
  let f = 0;
  for (let i = 0; i < s.messages.length;) {
    const fold = folds[f];
    if (fold && i === fold.start) {
      const info = { count: fold.count, firstT: fold.firstT, lastT: fold.lastT, hidden: fold.end - fold.start - fold.length };
      rows.push({ kind: 'fold-start', ...info });
      for (let k = fold.shown; k < fold.shown + fold.length; k++) rows.push({ kind: 'msg', m: s.messages[k]! });
      rows.push({ kind: 'fold-end', ...info });
      i = fold.end;
      f++;
      continue;
    }
    rows.push({ kind: 'msg', m: s.messages[i]! });
    i++;
  }
  if (rows.length <= maxRows) return rows;
  const keep = maxRows >> 1;
  const hidden = rows.length - 2 * keep;
  return [...rows.slice(0, keep), { kind: 'gap', hidden }, ...rows.slice(rows.length - keep)];
}

const STYLE = `
  .bg { fill: #ffffff; }
  text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11px; fill: #1d1d1f; }
  .title { font-size: 14px; font-weight: bold; }
  .lane-head rect { fill: #eef2fb; stroke: #6b7aa6; }
  .lane-head text { font-weight: bold; text-anchor: middle; }
  .lifeline { stroke: #9aa3bd; stroke-dasharray: 4 4; }
  .time { fill: #6b6b73; font-size: 10px; }
  .msg line { stroke: #4a5a85; stroke-width: 1.2; }
  .msg .label { fill: #1d1d1f; }
  .msg.kind-console .note { fill: #f3f7ee; stroke: #9bb58a; }
  .msg.kind-console text { fill: #2f5d1e; font-style: italic; }
  .msg .note { fill: #f6f6f8; stroke: #b9bcc8; }
  .msg.kind-qmp-event line, .msg.kind-qmp-command line, .msg.kind-command line { stroke: #7a3fb0; }
  .msg.kind-ioreq line, .msg.kind-ioresp line { stroke: #1f7a8c; }
  .msg.kind-hypercall line { stroke: #a35a00; }
  .msg.kind-virq line, .msg.kind-watch line, .msg.kind-sci line { stroke: #b0306a; stroke-dasharray: 5 3; }
  .msg.path line { stroke: #d1242f; stroke-width: 2.6; stroke-dasharray: none; }
  .msg.path .label { fill: #b3141d; font-weight: bold; }
  .msg.path .note { stroke: #d1242f; stroke-width: 2; }
  .msg.current .hit { fill: #ffe58f; opacity: .55; }
  .hit { fill: transparent; }
  .badge circle { fill: #d1242f; }
  .badge.off circle { fill: #8a8f9e; }
  .badge text { fill: #ffffff; font-size: 9px; text-anchor: middle; font-weight: bold; }
  .fold rect { fill: none; stroke: #9a6700; stroke-dasharray: 6 4; stroke-width: 1.5; }
  .fold text, .gap text { fill: #9a6700; font-weight: bold; }
  .footer text { font-size: 11px; }
  .footer .verdict { fill: #b3141d; }
`;

/** Words wrapped to `width` characters. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

export function renderSvg(s: Swimlane, o: SvgOptions = {}): string {
  const rows = visibleRows(s, o.maxRows);
  const laneX = new Map(s.lanes.map((l, i) => [l.id, X0 + LANE_W / 2 + i * LANE_W]));
  const width = Math.max(760, X0 + s.lanes.length * LANE_W + 24 + LANE_W * 0.75); // a note on the last lane runs on to the right
  const footerLines = [
    ...(s.verdict ? wrap(`verdict: ${s.verdict}`, Math.floor((width - 24) / CHAR_W)) : []),
    ...s.chain.map((l) => clip(linkText(l), Math.floor((width - 24) / CHAR_W))),
  ];
  const bodyEnd = HEAD + 10 + rows.length * ROW;
  const height = bodyEnd + 24 + footerLines.length * 15 + 12;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" class="swimlane" data-mode="${s.mode}" data-messages="${s.messages.length}">`);
  out.push(`<title>${escapeXml(s.title)}</title>`);
  out.push(`<style>${STYLE}</style>`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5a85"/></marker>'
    + '<marker id="arrow-path" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d1242f"/></marker></defs>');
  out.push(`<rect class="bg" x="0" y="0" width="${width}" height="${height}"/>`);
  out.push(`<text class="title" x="12" y="20">${escapeXml(clip(s.title, Math.floor((width - 24) / 8)))}</text>`);
  out.push(`<text class="time" x="12" y="${HEAD - 6}">virtual time</text>`);
  out.push('<g class="lanes">');
  for (const l of s.lanes) {
    const x = laneX.get(l.id)!;
    out.push(`<g class="lane-head" data-lane="${escapeXml(l.id)}"><rect x="${x - LANE_W / 2 + 8}" y="30" width="${LANE_W - 16}" height="24" rx="5"/>`
      + `<text x="${x}" y="46">${escapeXml(clip(l.title, 28))}</text></g>`);
    out.push(`<line class="lifeline" x1="${x}" y1="54" x2="${x}" y2="${bodyEnd}"/>`);
  }
  out.push('</g>');
  out.push('<g class="rows">');
  let y = HEAD + 10;
  let foldTop = 0;
  for (const r of rows) {
    y += ROW;
    if (r.kind === 'gap') {
      out.push(`<g class="gap"><text x="${X0}" y="${y - 6}">… ${r.hidden} messages left out …</text></g>`);
      continue;
    }
    if (r.kind === 'fold-start') {
      foldTop = y - ROW + 4;
      out.push(`<g class="fold" data-count="${r.count}"><text x="${X0 - 100}" y="${y - 6}">×${r.count} identical cycles from ${ms(r.firstT)} to ${ms(r.lastT)}; the last one:</text></g>`);
      continue;
    }
    if (r.kind === 'fold-end') {
      out.push(`<g class="fold"><rect x="${X0 - 104}" y="${foldTop}" width="${width - X0 + 96}" height="${y - foldTop - 6}" rx="6"/></g>`);
      continue;
    }
    if (r.kind === 'msg') out.push(messageSvg(r.m, y, laneX, width));
  }
  out.push('</g>');
  out.push(`<g class="footer">`);
  let fy = bodyEnd + 24;
  footerLines.forEach((line, i) => {
    const cls = s.verdict && i < footerLines.length - s.chain.length ? ' class="verdict"' : '';
    out.push(`<text${cls} x="12" y="${fy}">${escapeXml(line)}</text>`);
    fy += 15;
  });
  out.push('</g>');
  if (s.dropped) out.push(`<text class="time" x="12" y="${height - 4}">${s.dropped} trace records from the middle of the run were not kept</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function messageSvg(m: Message, y: number, laneX: ReadonlyMap<string, number>, width: number): string {
  const x1 = laneX.get(m.from)!;
  const x2 = laneX.get(m.to)!;
  const cls = `msg kind-${m.kind}${m.path ? ' path' : ''}`;
  const site = m.record.site;
  const insn = site ? `  guest instruction ${hex4(site.cs)}:${site.eip.toString(16).padStart(8, '0')}${site.bytes ? ` (${site.bytes.slice(0, 4).map((b) => b.toString(16).padStart(2, '0')).join(' ')}…)` : ''}` : '';
  const full = `${ms(m.t)}  ${m.label}  [${m.record.name} #${m.record.seq}]${m.links.length ? `  cause link ${m.links.map((l) => `#${l}`).join(' ')}` : ''}${insn}`;
  const parts: string[] = [
    `<g class="${cls}" id="m${m.i}" data-i="${m.i}" data-seq="${m.record.seq}" data-t="${m.t}" data-from="${escapeXml(m.from)}" data-to="${escapeXml(m.to)}">`,
    `<title>${escapeXml(full)}</title>`,
    `<rect class="hit" x="0" y="${y - ROW + 3}" width="${width}" height="${ROW}"/>`,
    `<text class="time" x="12" y="${y - 4}">${ms(m.t)}</text>`,
  ];
  if (x1 === x2) {
    const left = x1 - LANE_W / 2 + 10;
    const text = clip(m.label, Math.floor((LANE_W * 1.7) / CHAR_W));
    const w = Math.min(text.length * CHAR_W + 10, LANE_W * 1.7 + 10);
    parts.push(`<rect class="note" x="${left}" y="${y - ROW + 6}" width="${w.toFixed(1)}" height="${ROW - 6}" rx="3"/>`);
    parts.push(`<text class="label" x="${left + 5}" y="${y - 5}">${escapeXml(text)}</text>`);
  } else {
    const dir = x2 > x1 ? 1 : -1;
    const span = Math.abs(x2 - x1);
    parts.push(`<line x1="${x1}" y1="${y - 3}" x2="${x2 - dir * 2}" y2="${y - 3}" marker-end="url(#${m.path ? 'arrow-path' : 'arrow'})"/>`);
    const text = clip(m.label, Math.max(30, Math.floor((span - 16) / CHAR_W)));
    parts.push(`<text class="label" x="${(x1 + x2) / 2}" y="${y - 7}" text-anchor="middle">${escapeXml(text)}</text>`);
  }
  m.links.forEach((id, k) => {
    const bx = x1 + (x2 >= x1 ? -14 : 14) + k * 18 * (x2 >= x1 ? -1 : 1);
    parts.push(`<g class="badge${m.path ? '' : ' off'}"><circle cx="${bx}" cy="${y - 6}" r="8"/><text x="${bx}" y="${y - 3}">#${id}</text></g>`);
  });
  parts.push('</g>');
  return parts.join('');
}
