#!/usr/bin/env node
/**
 * A tiny static server for web/dist (what `npm run web` starts after the build): loopback only, GET/HEAD only,
 * nothing outside the folder. The page itself has no server side; any static server would do.
 *
 * Usage: node web/serve.mjs [--dir DIR] [--port N]   (default web/dist, port 8000; --port 0 picks a free one)
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json',
  '.bin': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** Serve `dir` on 127.0.0.1:`port`; resolves with the URL and a close function. */
export async function serveStatic(dir, port = 8000) {
  const root = normalize(resolve(dir) + sep);
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !file.startsWith(root)) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 403 : 405).end();
      return;
    }
    readFile(file).then((body) => {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    }, () => res.writeHead(404).end());
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] ?? d : d; };
  const dir = resolve(arg('--dir', join(dirname(fileURLToPath(import.meta.url)), 'dist')));
  const port = Number(arg('--port', '8000'));
  serveStatic(dir, port).then((s) => {
    process.stdout.write(`web: serving ${dir} at ${s.url} (Ctrl-C stops)\n`);
    const stop = () => s.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, (e) => {
    process.stderr.write(`web/serve: cannot serve on 127.0.0.1:${port}: ${e?.message ?? e}${e?.code === 'EADDRINUSE' ? ' (use --port N)' : ''}\n`);
    process.exit(1);
  });
}
