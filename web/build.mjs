#!/usr/bin/env node
/**
 * Bundle the browser page into web/dist/ with rolldown (already in node_modules):
 *   main.js      the page (web/main.ts), loaded by index.html as a module
 *   acpidm.js    an importable ES module: WebSession, PcSystem, parseMultiboot...
 *   src-all.js   every isomorphic src/ module (all but src/cli and *-node.ts), to prove each one loads in a browser
 *   firmware/guests/<name>.bin   the guest kernels the page offers
 *
 * The bundle targets the browser platform, and any import of a Node built-in
 * fails the build naming the importing file: that would be a bug in src/.
 *
 * Usage: node web/build.mjs [--out DIR] [--serve [--port N]]
 *   --serve   then serve the result on http://127.0.0.1:8000/ (web/serve.mjs) until Ctrl-C: what `npm run web` does
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

/** The guests the page offers (firmware/guests/<name>.bin), in menu order. */
export const GUESTS = ['poweroff', 'pwrbtn', 'halt', 'suspend', 'hibernate', 'reboot-cf9'];

/** Every src/ file that must run in a browser (src/README.md: all but src/cli and *-node.ts). */
export function isomorphicSources() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (relative(join(root, 'src'), p) !== 'cli') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('-node.ts')) out.push(p);
    }
  };
  walk(join(root, 'src'));
  return out.sort();
}

const SRC_ALL = '\0acpidm-src-all';
const nodeBuiltins = new Set(builtinModules);

/** Fails the build on a Node built-in import, naming the importer; serves the generated src-all entry. */
export function browserOnly(sources = []) {
  return {
    name: 'acpidm-browser-only',
    resolveId(id, importer) {
      if (id === SRC_ALL) return id;
      if (id.startsWith('node:') || nodeBuiltins.has(id.split('/')[0])) {
        const who = importer ? relative(root, importer).split(sep).join('/') : '(entry)';
        this.error(`${who} imports the Node built-in '${id}': it cannot run in a browser`);
      }
      return null;
    },
    load(id) {
      if (id !== SRC_ALL) return null;
      const lines = sources.map((p, i) => `import * as m${i} from ${JSON.stringify(p)};`);
      const names = sources.map((p, i) => `  ${JSON.stringify(relative(root, p).split(sep).join('/'))}: m${i},`);
      return `${lines.join('\n')}\nexport const modules = {\n${names.join('\n')}\n};\n`;
    },
  };
}

export async function buildWeb({ outDir = join(here, 'dist'), quiet = false } = {}) {
  const { build } = await import('rolldown');
  const sources = isomorphicSources();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const warnings = [];
  await build({
    input: { main: join(here, 'main.ts'), acpidm: join(here, 'lib.ts'), 'src-all': SRC_ALL },
    platform: 'browser',
    tsconfig: join(here, 'tsconfig.json'),
    plugins: [browserOnly(sources)],
    onLog(level, log) {
      if (level === 'warn') warnings.push(log.message);
    },
    output: {
      dir: outDir, format: 'esm', sourcemap: true,
      entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js',
    },
  });
  copyFileSync(join(here, 'index.html'), join(outDir, 'index.html'));
  const guestDir = join(outDir, 'firmware', 'guests');
  mkdirSync(guestDir, { recursive: true });
  for (const g of GUESTS) {
    const from = join(root, 'firmware', 'guests', `${g}.bin`);
    if (!existsSync(from)) throw new Error(`guest kernel ${relative(root, from)} is missing (npm run firmware builds it)`);
    copyFileSync(from, join(guestDir, `${g}.bin`));
  }
  if (!quiet) {
    for (const w of warnings) process.stderr.write(`web/build: warning: ${w}\n`);
    process.stdout.write(`web/build: ${relative(process.cwd(), outDir) || '.'}: main.js, acpidm.js, src-all.js (${sources.length} src modules), index.html, ${GUESTS.length} guests\n`);
  }
  return { outDir, sources: sources.map((p) => relative(root, p).split(sep).join('/')), warnings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const p = process.argv.indexOf('--port');
  buildWeb(i > 0 ? { outDir: resolve(process.argv[i + 1] ?? '') } : {}).then(async ({ outDir }) => {
    if (!process.argv.includes('--serve')) {
      process.stdout.write(`web/build: to serve it: node web/serve.mjs --dir ${relative(process.cwd(), outDir) || '.'}  (or npm run web)\n`);
      return;
    }
    const { serveStatic } = await import('./serve.mjs');
    const port = p > 0 ? Number(process.argv[p + 1]) : 8000;
    const s = await serveStatic(outDir, port).catch((e) => {
      throw new Error(`cannot serve on 127.0.0.1:${port}: ${e?.message ?? e}${e?.code === 'EADDRINUSE' ? ' (use --port N)' : ''}`);
    });
    process.stdout.write(`web: serving ${relative(process.cwd(), outDir) || '.'} at ${s.url} (Ctrl-C stops)\n`);
    const stop = () => s.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }).catch((e) => {
    process.stderr.write(`web/build: ${e?.message ?? e}\n`);
    process.exit(1);
  });
}
