/**
 * The page: fetch a guest kernel, boot it on PcSystem in slices (the page
 * stays responsive), and render the guest's debug console, the QMP events and
 * the cause chain. URL parameters: `?guest=pwrbtn&noShutdown=1&noReboot=1`.
 *
 * For tests and scripts, when a run stops (phase other than running) the final
 * state is also written as JSON into `data-json` of #events and #chain, and
 * #status carries data-phase, data-exit-status, data-guest, data-insns.
 */
import { WebSession, eventText, type Phase, type Snapshot } from './session.js';

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
  guest: $<HTMLSelectElement>('guest'),
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

let session: WebSession | null = null;
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
  ui.status.textContent = `${s.guest}: ${phase} | run state ${s.runState} | ${s.instructions} instructions, ` +
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
  d['phase'] = phase;
  const live = phase !== 'exited' && phase !== 'budget' && phase !== 'error';
  ui.power.disabled = !live;
  ui.wakeup.disabled = phase !== 'suspended';
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
  ui.status.dataset['phase'] = 'loading';
  ui.status.textContent = `fetching firmware/guests/${name}.bin…`;
  ui.power.disabled = ui.wakeup.disabled = true;
  try {
    const res = await fetch(`firmware/guests/${encodeURIComponent(name)}.bin`);
    if (!res.ok) throw new Error(`firmware/guests/${name}.bin: HTTP ${res.status}`);
    const kernel = new Uint8Array(await res.arrayBuffer());
    if (gen !== generation) return;
    session = new WebSession({ name, kernel, noShutdown: ui.noShutdown.checked, noReboot: ui.noReboot.checked, maxInsns: 50_000_000 });
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
if (wanted && [...ui.guest.options].some((o) => o.value === wanted)) ui.guest.value = wanted;
applyGuestDefaults();
if (params.has('noShutdown')) ui.noShutdown.checked = params.get('noShutdown') !== '0';
if (params.has('noReboot')) ui.noReboot.checked = params.get('noReboot') !== '0';

ui.guest.addEventListener('change', () => {
  applyGuestDefaults();
  void boot();
});
ui.boot.addEventListener('click', () => void boot());
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

void boot();
