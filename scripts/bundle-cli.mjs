#!/usr/bin/env node
// The CLI as a bundle: dist/bundle/main.js and one entry per command (dist/bundle/commands/NAME.js, where main.js's
// dynamic import finds them), the modules they share in chunks beside them. bin/ loads it in place of dist/cli/ when
// it is at least as new: node resolves, reads and links ~150 ES modules for `acpidm run` one by one, and a Linux boot's
// whole process took ~70 ms less CPU time from the bundle (5 alternating runs, 1.61 → 1.54 s). Node's builtins and
// the `debug` package stay imports; worker scripts and firmware are still found in dist/ and firmware/
// (src/ioreq/package-file.ts). Run by `npm run build`, `prepare` and `npm test` after tsc.
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/`;
let build;
try {
  ({ build } = await import('rolldown'));
} catch {
  // an install without the devDependencies (a package from the registry ships dist/ already built)
  console.error('bundle-cli: rolldown is not installed; bin/ runs dist/cli/ unbundled');
  process.exit(0);
}
const input = { main: `${cli}main.js` };
for (const f of readdirSync(`${cli}commands`)) if (f.endsWith('.js')) input[`commands/${f.slice(0, -3)}`] = `${cli}commands/${f}`;
const out = `${root}dist/bundle`;
rmSync(out, { recursive: true, force: true });
await build({
  input, platform: 'node', logLevel: 'warn',
  external: [/^node:/, 'debug'],
  output: { dir: out, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[hash].js' },
});
