// web/build.mjs: the browser bundle of the page, the importable module and every isomorphic src/ module.
// Its guard is what makes "src/ is isomorphic" checkable at bundle time: a Node built-in import fails the build.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { browserOnly, buildWeb, GUESTS, isomorphicSources } from '../../web/build.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'acpidm-webbuild-'));
  dirs.push(d);
  return d;
};

describe('web/build.mjs', () => {
  it('isomorphic sources are src/ minus src/cli and *-node.ts', () => {
    const rel = isomorphicSources().map((p) => p.slice(root.length).replace(/\\/g, '/'));
    expect(rel.length).toBeGreaterThan(100);
    expect(rel.filter((p) => p.startsWith('src/cli/') || p.endsWith('-node.ts'))).toEqual([]);
    expect(rel).toContain('src/machine/pc-system.ts');
  });

  it('every isomorphic src/ file type-checks with no @types/node (no Buffer, process, __dirname...)', () => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'web/tsconfig.isomorphic.json')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('a Node built-in import fails the browser bundle and names the importing file', async () => {
    const d = tmp();
    writeFileSync(join(d, 'uses-fs.ts'), `import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n`);
    const { build } = await import('rolldown');
    await expect(build({ input: join(d, 'uses-fs.ts'), platform: 'browser', plugins: [browserOnly()], logLevel: 'silent', output: { dir: join(d, 'out') } }))
      .rejects.toThrow(/uses-fs\.ts imports the Node built-in 'node:fs'/);
  });

  it('bundles the page, the module and the guests; no Node import left in any chunk', async () => {
    const out = join(tmp(), 'dist');
    const r = await buildWeb({ outDir: out, quiet: true });
    expect(r.warnings).toEqual([]);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<script type="module" src="./main.js">');
    const js = (readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    expect(js).toEqual(expect.arrayContaining(['main.js', 'acpidm.js', 'src-all.js']));
    for (const f of js) expect(readFileSync(join(out, f), 'utf8'), f).not.toMatch(/from\s*["']node:|import\(["']node:|require\(["']/);
    for (const g of GUESTS) expect(readFileSync(join(out, 'firmware/guests', `${g}.bin`))).toEqual(readFileSync(join(root, 'firmware/guests', `${g}.bin`)));
  });

  it('npm run web builds and serves the page (issue 15): one command, a loopback URL, nothing outside dist/', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['web']).toBe('node web/build.mjs --serve');
    const out = join(tmp(), 'dist');
    const child = spawn(process.execPath, [join(root, 'web/build.mjs'), '--out', out, '--serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (b: Buffer) => {
          text += b.toString();
          const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (m) resolve(m[1]!);
        });
        child.stderr.on('data', (b: Buffer) => { text += b.toString(); });
        child.on('exit', (code) => reject(new Error(`web/build.mjs --serve exited ${code}: ${text}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="./main.js">');
      expect((await fetch(`${url}firmware/guests/pwrbtn.bin`)).status).toBe(200);
      expect((await fetch(`${url}..%2f..%2fpackage.json`)).status).toBe(403);
      expect((await fetch(`${url}nope.js`)).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
