/**
 * The page: fetch a guest kernel, boot it on PcSystem in slices (the page
 * stays responsive), and render the guest's debug console, the QMP events and
 * the cause chain, and the run's swimlane diagram (src/diagram, the picture `acpidm run --diagram` writes), which
 * can be stepped through one message at a time and clicked. QEMU or Xen mode.
 * URL parameters: `?mode=qemu|xen&guest=pwrbtn&noShutdown=1&noReboot=1`; an unknown guest or mode is an error
 * shown on the page.
 *
 * For tests and scripts, when a run stops (phase other than running) the final
 * state is also written as JSON into `data-json` of #events and #chain, and
 * #status carries data-phase, data-exit-status, data-guest, data-insns.
 */
import { WebSession, eventText, type Phase, type Snapshot } from './session.js';
import { XenWebSession } from './xen-session.js';
import { renderSvg } from '../src/diagram/svg.js';
import { portIoInstruction } from '../src/diagram/pc-site.js';
import type { Message, Swimlane } from '../src/diagram/swimlane.js';

/** Instructions per `step` call; the loop runs steps for up to FRAME_MS before it yields to the browser. */
const STEP_INSNS = 50_000;
const FRAME_MS = 12;
/** Text panels show the tail of long runs (a reboot loop); the final data-json attributes keep everything. */
const SHOW_LINES = 400;
/** While a run goes on, the panels are redrawn at most this often. */
const RENDER_MS = 100;

/** What a guest needs from the host to show its point (firmware/guests/<name>.asm "Expected on QEMU"). */
const GUEST_DEFAULTS: Record<string, { noReboot?: boolean }> = { 'reboot-cf9': { noReboot: true } };

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

const ui = {
  mode: $<HTMLSelectElement>('mode'),
  guest: $<HTMLSelectElement>('guest'),
  xlShutdown: $<HTMLButtonElement>('xl-shutdown'),
  diagram: $<HTMLDivElement>('diagram'),
  detail: $<HTMLPreElement>('detail'),
  back: $<HTMLButtonElement>('step-back'),
  forward: $<HTMLButtonElement>('step-forward'),
  position: $<HTMLSpanElement>('step-position'),
  eventsTitle: $<HTMLHeadingElement>('events-title'),
  noShutdown: $<HTMLInputElement>('no-shutdown'),
  noReboot: $<HTMLInputElement>('no-reboot'),
  boot: $<HTMLButtonElement>('boot'),
  power: $<HTMLButtonElement>('power'),
  wakeup: $<HTMLButtonElement>('wakeup'),
  status: $<HTMLOutputElement>('status'),
  console: $<HTMLPreElement>('console'),
  events: $<HTMLPreElement>('events'),
  chain: $<HTMLPreElement>('chain'),
  timeline: $<HTMLPreElement>('timeline'),
};

let session: WebSession | XenWebSession | null = null;
/** The diagram last drawn, and the message the cursor is on (index into its messages; -1 = none). */
let drawnDiagram: Swimlane | null = null;
let cursor = -1;
let lastDiagramRender = 0;
/** While a run goes on, the diagram is redrawn at most this often (the whole SVG is rebuilt)... */
const DIAGRAM_MS = 750;
/** ...and at most an eighth of the time goes to it: a long reboot loop's picture costs more to build. */
let diagramCost = 0;
/** Bumped on every boot: a slice loop of an older session stops by itself. */
let generation = 0;
let looping = false;
let hostMs = 0;
let lastError: string | null = null;

/** Shows the tail of `lines` (`total` lines exist in all). */
function setText(el: HTMLElement, lines: readonly string[], total: number, empty: string): void {
  const shown = total > lines.length ? [`… ${total - lines.length} earlier lines`, ...lines] : lines;
  const text = shown.length ? shown.join('\n') : empty;
  el.classList.toggle('empty', !lines.length);
  if (el.textContent !== text) {
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
    el.textContent = text;
    if (atBottom) el.scrollTop = el.scrollHeight;
  }
}

const ms = (ns: number): string => `${(ns / 1e6).toFixed(6).padStart(12)} ms`;
let lastRender = 0;

function render(): void {
  if (!session) return;
  lastRender = performance.now();
  const s: Snapshot = session.snapshot(SHOW_LINES);
  const phase: Phase | 'error' = lastError ? 'error' : s.phase;
  const out = s.console ? s.console.replace(/\n$/, '').split('\n') : [];
  setText(ui.console, out, Math.max(out.length, s.counts.console), '(nothing yet)');
  setText(ui.events, s.events.map((e) => `${ms(e.tNs)}  ${eventText(e)}`), s.counts.events, '(none)');
  setText(ui.chain, s.whoDidIt, s.counts.chain, '(no request was made)');
  setText(ui.timeline, s.timeline, s.counts.timeline, '(empty)');
  const rate = hostMs > 0 ? `, ${(s.instructions / hostMs / 1000).toFixed(2)} M insns/s` : '';
  const what = lastError ?? (s.note || 'running…');
  // An exited run has no run state any more (QEMU's process ended; the machine's last state would read "running").
  const xen = session instanceof XenWebSession;
  const state = phase === 'exited' ? (xen ? s.runState : `exit status ${s.exitStatus ?? 0}`) : `run state ${s.runState}`;
  ui.eventsTitle.textContent = xen ? 'libxl events' : 'QMP events';
  ui.status.textContent = `${s.guest} (${session instanceof XenWebSession ? 'Xen' : 'QEMU'} mode): ${phase} | ${state} | ${s.instructions} instructions, ` +
    `virtual ${(s.virtualNs / 1e6).toFixed(3)} ms, host ${hostMs.toFixed(1)} ms${rate} | ${what}`;
  const d = ui.status.dataset;
  d['guest'] = s.guest;
  d['insns'] = String(s.instructions);
  d['exitStatus'] = s.exitStatus === null ? '' : String(s.exitStatus);
  if (phase !== 'running') {
    // The state a test or script reads, complete, written before data-phase says the run has stopped.
    const all = session.snapshot();
    ui.events.dataset['json'] = JSON.stringify(all.events);
    ui.chain.dataset['json'] = JSON.stringify(all.chain);
    ui.chain.dataset['verdict'] = all.verdict;
    ui.console.dataset['json'] = JSON.stringify(all.console);
  }
  if (phase !== 'running' || performance.now() - lastDiagramRender >= Math.max(DIAGRAM_MS, 8 * diagramCost)) renderDiagram();
  d['phase'] = phase;
  const live = phase !== 'exited' && phase !== 'budget' && phase !== 'error';
  ui.power.disabled = !live;
  ui.xlShutdown.disabled = !live || !(session instanceof XenWebSession);
  ui.wakeup.disabled = phase !== 'suspended';
}

const msText = (ns: number): string => `${(ns / 1e6).toFixed(6)} ms`;
const hex = (v: number, w: number): string => v.toString(16).padStart(w, '0');

/** Draw the run's swimlane diagram (the same SVG as `acpidm run --diagram`) and keep the cursor where it was. */
function renderDiagram(): void {
  if (!session) return;
  const t0 = performance.now();
  const s = session.diagram();
  drawnDiagram = s;
  ui.diagram.innerHTML = renderSvg(s).replace(/^<\?xml[^>]*>\s*/, '');
  ui.diagram.dataset['messages'] = String(s.messages.length);
  ui.diagram.dataset['lanes'] = JSON.stringify(s.lanes.map((l) => l.title));
  // The complete list for tests and scripts, written when the run has stopped (as the other panels' data-json).
  if (session.phase !== 'running') ui.diagram.dataset['json'] = JSON.stringify(s.messages.map((m) => ({ i: m.i, seq: m.record.seq, name: m.record.name, t: m.t, from: m.from, to: m.to, label: m.label, path: m.path, links: m.links })));
  lastDiagramRender = performance.now();
  diagramCost = lastDiagramRender - t0;
  if (cursor >= 0) select(cursor, false);
  else if (session.phase !== 'running') {
    // The run has stopped: show the message that decided it (the last link on the cause path).
    const decisive = [...s.messages].reverse().find((m) => m.path && m.links.length);
    if (decisive) {
      select(decisive.i, false);
      // Scroll the picture (not the page) to where the cause path starts.
      const first = s.messages.find((m) => m.path);
      const g = first && ui.diagram.querySelector<SVGGElement>(`#m${first.i}`);
      if (g) ui.diagram.scrollTop = Math.max(0, g.getBBox().y - 60);
    }
    else updatePosition();
  } else updatePosition();
}

/** The message groups the picture shows, in order (a folded cycle shows only its last instance). */
const shown = (): SVGGElement[] => [...ui.diagram.querySelectorAll<SVGGElement>('g.msg')];

function updatePosition(): void {
  const all = shown();
  const at = all.findIndex((g) => Number(g.dataset['i']) === cursor);
  ui.position.textContent = all.length ? `${at < 0 ? '–' : at + 1} / ${all.length}` : '0 / 0';
  ui.back.disabled = at <= 0;
  ui.forward.disabled = at >= all.length - 1;
}

/** Put the cursor on message `i` of the model: highlight it and show its trace record and guest instruction. */
function select(i: number, scroll = true): void {
  cursor = i;
  for (const g of ui.diagram.querySelectorAll('g.msg.current')) g.classList.remove('current');
  const g = ui.diagram.querySelector<SVGGElement>(`#m${i}`);
  g?.classList.add('current');
  if (g && scroll) g.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  const m = drawnDiagram?.messages[i];
  ui.detail.textContent = m && drawnDiagram ? describeMessage(m, drawnDiagram) : '(click a message)';
  ui.detail.dataset['i'] = m ? String(i) : '';
  ui.detail.dataset['json'] = m ? JSON.stringify(m.record) : '';
  updatePosition();
}

function describeMessage(m: Message, s: Swimlane): string {
  const lane = (id: string) => s.lanes.find((l) => l.id === id)?.title ?? id;
  const lines = [
    `${m.from === m.to ? lane(m.from) : `${lane(m.from)} → ${lane(m.to)}`}  (${m.kind}${m.path ? ', on the cause path' : ''})`,
    m.label,
    `virtual time ${msText(m.t)}`,
  ];
  for (const id of m.links) {
    const l = s.chain.find((x) => x.id === id);
    if (l) lines.push(`cause link #${l.id}: ${l.requester} via ${l.mechanism}: ${l.what}${l.answers !== undefined ? ` (answers #${l.answers})` : ''}`);
  }
  const site = m.record.site;
  const ev = m.links.map((id) => s.chain.find((x) => x.id === id)?.evidence).find((e) => e && typeof e['cs'] === 'number');
  if (site) {
    const io = site.bytes ? portIoInstruction(site.bytes, site.code32) : null;
    const bytes = site.bytes ? (io ? site.bytes.slice(0, io.length) : site.bytes) : null;
    lines.push(`guest instruction: CS:EIP ${hex(site.cs, 4)}:${hex(site.eip, 8)}` +
      (bytes ? `, bytes ${bytes.map((b) => hex(b, 2)).join(' ')}${io ? ` (${io.text})` : ' (the first 15 at CS:EIP)'}` : ' (paging on: bytes not read)'));
  } else if (ev) {
    lines.push(`guest instruction: CS:EIP ${hex(Number(ev['cs']), 4)}:${hex(Number(ev['eip']), 8)} (from the cause link's evidence)`);
  } else if (m.from === 'guest') {
    lines.push('guest instruction: not recorded for this message');
  }
  const rec = site?.bytes ? { ...m.record, site: { ...site, bytes: site.bytes.map((b) => hex(b, 2)).join(' ') } } : m.record;
  lines.push('', 'trace record:', JSON.stringify(rec, null, 2));
  return lines.join('\n');
}

function stepCursor(by: number): void {
  const all = shown();
  if (!all.length) return;
  const at = all.findIndex((g) => Number(g.dataset['i']) === cursor);
  const next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? (by > 0 ? 0 : all.length - 1) : at + by))]!;
  select(Number(next.dataset['i']));
}

/**
 * Queue `fn` as a new task, so input and rendering run in between. A MessageChannel message, not
 * setTimeout(0): nested timeouts are clamped to 4 ms (HTML timers spec), a third of every frame lost.
 */
const channel = new MessageChannel();
let queued: (() => void) | null = null;
channel.port1.onmessage = () => {
  const fn = queued;
  queued = null;
  fn?.();
};
function yieldThen(fn: () => void): void {
  queued = fn;
  channel.port2.postMessage(null);
}

/** Run slices until the guest stops or waits for the host, yielding to the browser between frames. */
function loop(gen: number): void {
  if (gen !== generation || !session) return;
  looping = true;
  const t0 = performance.now();
  let phase: Phase = session.phase;
  try {
    do phase = session.step(STEP_INSNS);
    while (phase === 'running' && performance.now() - t0 < FRAME_MS);
  } catch (e) {
    lastError = `emulator error: ${(e as Error)?.stack ?? e}`;
    phase = 'budget';
  }
  hostMs += performance.now() - t0;
  // Rendering a long run's tail costs more than a slice: while it runs, redraw a few times a second.
  if (phase !== 'running' || lastError || performance.now() - lastRender >= RENDER_MS) render();
  if (phase === 'running' && !lastError) yieldThen(() => loop(gen));
  else looping = false;
}

function kick(): void {
  if (!looping && session?.phase === 'running') loop(generation);
}

async function boot(): Promise<void> {
  const gen = ++generation;
  looping = false;
  session = null;
  lastError = null;
  hostMs = 0;
  const name = ui.guest.value;
  const xen = ui.mode.value === 'xen';
  cursor = -1;
  drawnDiagram = null;
  ui.diagram.textContent = '';
  ui.detail.textContent = '(click a message)';
  ui.status.dataset['phase'] = 'loading';
  ui.status.textContent = `fetching firmware/guests/${name}.bin…`;
  ui.power.disabled = ui.wakeup.disabled = ui.xlShutdown.disabled = true;
  try {
    const res = await fetch(`firmware/guests/${encodeURIComponent(name)}.bin`);
    if (!res.ok) throw new Error(`firmware/guests/${name}.bin: HTTP ${res.status}`);
    const kernel = new Uint8Array(await res.arrayBuffer());
    if (gen !== generation) return;
    session = xen ? new XenWebSession({ name, kernel, maxInsns: 50_000_000 })
      : new WebSession({ name, kernel, noShutdown: ui.noShutdown.checked, noReboot: ui.noReboot.checked, maxInsns: 50_000_000 });
  } catch (e) {
    ui.status.dataset['phase'] = 'error';
    ui.status.textContent = `cannot boot ${name}: ${(e as Error)?.message ?? e}`;
    return;
  }
  render();
  loop(gen);
}

function applyGuestDefaults(): void {
  ui.noReboot.checked = GUEST_DEFAULTS[ui.guest.value]?.noReboot ?? false;
}

const params = new URLSearchParams(location.search);
const wanted = params.get('guest');
const wantedMode = params.get('mode');
/** A URL naming a guest or mode that does not exist is an error on the page, not a silent default. */
let urlError: string | null = null;
if (wanted !== null) {
  if ([...ui.guest.options].some((o) => o.value === wanted)) ui.guest.value = wanted;
  else urlError = `unknown guest '${wanted}' in the URL (?guest=): choose one of ${[...ui.guest.options].map((o) => o.value).join(', ')}`;
}
if (wantedMode !== null) {
  if (wantedMode === 'qemu' || wantedMode === 'xen') ui.mode.value = wantedMode;
  else urlError ??= `unknown mode '${wantedMode}' in the URL (?mode=): qemu or xen`;
}
applyGuestDefaults();
if (params.has('noShutdown')) ui.noShutdown.checked = params.get('noShutdown') !== '0';
if (params.has('noReboot')) ui.noReboot.checked = params.get('noReboot') !== '0';

ui.guest.addEventListener('change', () => {
  applyGuestDefaults();
  if (urlError) {
  ui.status.dataset['phase'] = 'error';
  ui.status.textContent = urlError;
} else void boot();
});
ui.boot.addEventListener('click', () => void boot());
ui.mode.addEventListener('change', () => void boot());
ui.back.addEventListener('click', () => stepCursor(-1));
ui.forward.addEventListener('click', () => stepCursor(1));
ui.diagram.addEventListener('click', (e) => {
  const g = (e.target as Element | null)?.closest?.('g.msg');
  if (g) select(Number((g as SVGGElement).dataset['i']), false);
});
document.addEventListener('keydown', (e) => {
  if ((e.target as HTMLElement | null)?.tagName === 'SELECT') return;
  if (e.key === 'ArrowRight' || e.key === 'j') stepCursor(1);
  else if (e.key === 'ArrowLeft' || e.key === 'k') stepCursor(-1);
});
ui.xlShutdown.addEventListener('click', () => {
  if (!(session instanceof XenWebSession)) return;
  session.xlShutdown();
  render();
  kick();
});
ui.power.addEventListener('click', () => {
  session?.pressPowerButton();
  render();
  kick();
});
ui.wakeup.addEventListener('click', () => {
  const err = session?.wakeUp();
  if (err) ui.status.textContent = err;
  else {
    render();
    kick();
  }
});

if (urlError) {
  ui.status.dataset['phase'] = 'error';
  ui.status.textContent = urlError;
} else void boot();
