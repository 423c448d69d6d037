/**
 * Headless Chromium driven over the Chrome DevTools Protocol with no npm
 * package: `--remote-debugging-pipe` makes Chromium read commands from fd 3
 * and write replies/events to fd 4, each message JSON terminated by '\0'
 * (chromium content/browser/devtools/devtools_pipe_handler.cc). No websocket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  sessionId?: string;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export class CdpError extends Error {
  override name = 'CdpError';
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Set<(m: CdpMessage) => void>();
  private chunks: Uint8Array[] = [];
  private readonly decoder = new TextDecoder();
  private closed = false;
  readonly stderr: string[] = [];

  private constructor(private readonly child: ChildProcess, private readonly userDataDir: string) {
    const toBrowser = child.stdio[3] as Writable;
    const fromBrowser = child.stdio[4] as Readable;
    toBrowser.on('error', () => {}); // a write after the browser died is reported by the pending promise
    fromBrowser.on('data', (b: Uint8Array) => this.receive(b));
    child.stderr?.on('data', (b: Buffer) => {
      if (this.stderr.length < 200) this.stderr.push(b.toString());
    });
    child.on('exit', (code, signal) => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new CdpError(`chromium exited (${code ?? signal}) during ${p.method}\n${this.stderr.join('')}`));
      this.pending.clear();
    });
  }

  /** Start headless Chromium with a fresh profile; the caller must `close()` it. */
  static async launch(extraFlags: string[] = []): Promise<Chromium> {
    const userDataDir = mkdtempSync(join(tmpdir(), 'acpidm-chromium-'));
    const child = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--window-size=1280,900',
      `--user-data-dir=${userDataDir}`, '--remote-debugging-pipe', ...extraFlags, 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const c = new Chromium(child, userDataDir);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new CdpError(`cannot start ${CHROMIUM}: ${e.message}`)));
    });
    await c.send('Browser.getVersion');
    return c;
  }

  private receive(b: Uint8Array): void {
    let start = 0;
    for (let i = b.indexOf(0); i !== -1; i = b.indexOf(0, start)) {
      this.chunks.push(b.subarray(start, i));
      const text = this.decoder.decode(concat(this.chunks));
      this.chunks = [];
      start = i + 1;
      this.dispatch(JSON.parse(text) as CdpMessage);
    }
    if (start < b.length) this.chunks.push(b.slice(start));
  }

  private dispatch(m: CdpMessage): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new CdpError(`${p.method}: ${m.error.message} (${m.error.code})`));
      else p.resolve(m.result ?? {});
      return;
    }
    for (const fn of this.listeners) fn(m);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new CdpError(`chromium is gone (${method})`));
    const id = this.nextId++;
    const msg: CdpMessage = { id, method, params, ...(sessionId ? { sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      (this.child.stdio[3] as Writable).write(JSON.stringify(msg) + '\0');
    });
  }

  /** Events (messages without id), optionally of one session. */
  on(fn: (m: CdpMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** A new tab attached in flat mode; its console errors and uncaught exceptions are collected. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
    const page = new Page(this, sessionId, targetId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Log.enable');
    return page;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      try {
        await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]);
      } catch {
        // exited while closing
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.userDataDir, { recursive: true, force: true });
  }
}

export class Page {
  /** Uncaught exceptions, console.error calls and browser log errors (failed loads). */
  readonly errors: string[] = [];

  constructor(private readonly browser: Chromium, readonly sessionId: string, readonly targetId: string) {
    browser.on((m) => {
      if (m.sessionId !== sessionId || !m.params) return;
      const p = m.params as Record<string, any>;
      if (m.method === 'Runtime.exceptionThrown') {
        const d = p['exceptionDetails'];
        this.errors.push(`exception: ${d?.exception?.description ?? d?.text}`);
      } else if (m.method === 'Runtime.consoleAPICalled' && (p['type'] === 'error' || p['type'] === 'assert')) {
        this.errors.push(`console.${p['type']}: ${(p['args'] as { value?: unknown; description?: string }[]).map((a) => a.value ?? a.description).join(' ')}`);
      } else if (m.method === 'Log.entryAdded' && p['entry']?.level === 'error') {
        this.errors.push(`log: ${p['entry'].text} ${p['entry'].url ?? ''}`.trim());
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  async navigate(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const off = this.browser.on((m) => {
        if (m.sessionId === this.sessionId && m.method === 'Page.loadEventFired') {
          off();
          resolve();
        }
      });
    });
    const r = await this.send('Page.navigate', { url }) as { errorText?: string };
    if (r.errorText) throw new CdpError(`navigate ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Evaluate an expression in the page (promises awaited); returns its JSON value or throws the page's error. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }) as {
      result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new CdpError(`${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Poll `expression` until it is truthy; returns its value, or throws with `describe()` after `timeoutMs`. */
  async waitFor<T>(expression: string, timeoutMs: number, describe: () => Promise<string> = async () => ''): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate<T>(expression);
      if (v) return v;
      if (Date.now() > end) throw new CdpError(`timed out after ${timeoutMs} ms waiting for ${expression}\n${await describe()}\n${this.errors.join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async close(): Promise<void> {
    await this.browser.send('Target.closeTarget', { targetId: this.targetId }).catch(() => {});
  }

  /** A PNG of the viewport, or with `width`/`height` of that area of the page from its top left (beyond the viewport). */
  async screenshot(area?: { width: number; height: number }): Promise<Uint8Array> {
    const params = area ? { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, ...area, scale: 1 } } : { format: 'png' };
    const { data } = await this.send('Page.captureScreenshot', params) as { data: string };
    return new Uint8Array(Buffer.from(data, 'base64'));
  }
}
