// README truth (issue 15): every command in the README's ```sh blocks runs and exits 0. The blocks are parsed
// at test time, so commands other people add are picked up. Rules, so that the commands stay copy-pasteable:
//  - `npx acpidm` runs this checkout's bin/acpidm.js; `npm run X` runs in the repo; everything else in a
//    scratch folder that links the repo's top-level entries (so firmware/... resolves and out/ lands there);
//  - /tmp/ in a command becomes a private folder (parallel runs do not meet);
//  - a command that serves until stopped (`-qmp ...` without a poweroff, `xen host`, `event --loop`) runs in
//    the background: the next commands talk to it, and it is stopped when the test file ends;
//  - a line ending in `# (not run: REASON)` is skipped; so are `npm install` and `npm test` (this very suite);
//  - each foreground command has 120 s and must exit 0 (`# exit N` at the end of a line expects N).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../tmp-dir.js';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

export interface ReadmeCommand { line: string; block: number; background: boolean; expect: number; skip: string | null }

/** The commands of every ```sh block: continuation lines joined, comments split off. */
export function readmeCommands(text: string): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let block = 0;
  for (const m of text.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)) {
    block++;
    const joined = m[1]!.replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const hash = raw.search(/\s#\s|^#/);
      const cmd = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
      const comment = hash >= 0 ? raw.slice(hash).replace(/^\s*#\s*/, '') : '';
      if (!cmd) continue;
      const notRun = /^\(not run: (.+)\)/.exec(comment);
      const ex = /(?:^|\s)exit (\d+)\b/.exec(comment);
      const selfRef = /^npm (install|ci|test)$/.test(cmd) || /^bash \.ci\/run/.test(cmd);
      const line = cmd.replace(/^npm install && /, '');
      out.push({
        line, block,
        background: /\s-qmp\s/.test(line) && /-no-shutdown|\s-S(\s|$)/.test(line) || /\bxen host\b/.test(line) || /\s--loop\b/.test(line),
        expect: ex ? Number(ex[1]) : 0,
        skip: notRun ? notRun[1]! : selfRef ? 'this is the test suite itself' : null,
      });
    }
  }
  return out;
}

const scratch = tempDir('acpidm-readme-');
const tmp = path.join(scratch, 'tmp');
const cwd = path.join(scratch, 'cwd');
for (const d of [tmp, cwd]) if (!existsSync(d)) (await import('node:fs')).mkdirSync(d);
for (const e of readdirSync(root)) if (e !== 'out' && !e.startsWith('.')) symlinkSync(path.join(root, e), path.join(cwd, e));

const shell = (line: string): string =>
  line.replace(/\/tmp\//g, `${tmp}/`).replace(/\bnpx acpidm\b/g, `node ${path.join(root, 'bin/acpidm.js')}`);

const background: ChildProcess[] = [];
function stopBackground(): void {
  for (const c of background.splice(0)) if (c.exitCode === null) c.kill('SIGTERM');
}
afterAll(stopBackground);

function runFg(line: string, timeoutMs = 120_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn('bash', ['-c', shell(line)], { cwd: /^npm run\b/.test(line) ? root : cwd, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (out += b));
    const t = setTimeout(() => { out += `\n(killed after ${timeoutMs / 1000} s)`; c.kill('SIGKILL'); }, timeoutMs);
    c.on('close', (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

async function runBg(line: string): Promise<void> {
  const c = spawn('bash', ['-c', `exec ${shell(line)}`], { cwd, stdio: 'ignore' });
  background.push(c);
  // wait for the socket it announces, if any
  const sock = /(?:-qmp unix:|--socket )([^,\s]+)/.exec(shell(line))?.[1];
  for (let i = 0; i < 400 && sock && !existsSync(sock) && c.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
  if (!sock) await new Promise((r) => setTimeout(r, 500));
}

const cmds = readmeCommands(readme);

describe('README commands', () => {
  it('the README has commands to check', () => expect(cmds.filter((c) => !c.skip).length).toBeGreaterThan(8));

  // In order, as a person would type them; what serves stays up until the end (the next blocks talk to it).
  it.each(cmds.map((c) => [c.line, c] as const))('%s', async (_l, c) => {
    if (c.skip) return;
    if (c.background) {
      await runBg(c.line);
      expect(background.at(-1)!.exitCode, `${c.line} exited at once`).toBeNull();
      return;
    }
    const r = await runFg(c.line);
    if (r.code === 127 && process.env.CI !== 'true') {
      console.warn(`skipping README command (a tool is not installed; required under CI=true): ${c.line}\n${r.out.slice(-300)}`);
      return;
    }
    expect(r.code, `${c.line}\n${r.out.slice(-2000)}`).toBe(c.expect);
  }, 180_000);
});
