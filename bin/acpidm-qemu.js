#!/usr/bin/env node
// `acpidm run` under the name a management stack expects of an emulator: it takes qemu-system-x86_64's
// command line directly (no `run` word), so libvirt's <emulator> can exec this file as it execs QEMU.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('acpidm-qemu: dist/ is missing; run `npm install` or `npm run build` first\n');
  process.exit(2);
}
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
// V8's tiering tuned for a long-running emulator, before the emulator's modules load (src/cli/engine-tuning-node.ts)
const { tuneEngine } = await import(new URL('../dist/cli/engine-tuning-node.js', import.meta.url).href);
tuneEngine();
const { main: run } = await import(main.href);
process.exitCode = await run(['run', ...process.argv.slice(2)]);
