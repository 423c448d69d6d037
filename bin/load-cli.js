// What bin/acpidm.js and bin/acpidm-qemu.js share: V8 tuned for an emulator before anything else loads
// (src/cli/engine-tuning-node.ts), then the CLI's `main` from the bundle (scripts/bundle-cli.mjs) when it is at least
// as new as dist/cli/main.js, else from dist/cli/ itself; exits 2 when dist/ was never built.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function loadCli(name) {
  const plain = new URL('../dist/cli/main.js', import.meta.url);
  if (!existsSync(fileURLToPath(plain))) {
    process.stderr.write(`${name}: dist/ is missing; run \`npm install\` or \`npm run build\` first\n`);
    process.exit(2);
  }
  // `acpidm run | head` closes the pipe early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  }
  const { tuneEngine } = await import(new URL('../dist/cli/engine-tuning-node.js', import.meta.url).href);
  tuneEngine();
  const bundle = new URL('../dist/bundle/main.js', import.meta.url);
  const fresh = existsSync(fileURLToPath(bundle)) && statSync(bundle).mtimeMs >= statSync(plain).mtimeMs;
  return (await import((fresh ? bundle : plain).href)).main;
}
