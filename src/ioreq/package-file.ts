/**
 * A file of this package by its path from the package's root (`dist/ioreq/dm-worker-node.js`, `package.json`),
 * wherever the code asking runs from: `src/` (vitest), `dist/`, or the CLI's bundle in `dist/bundle/`
 * (scripts/bundle-cli.mjs), where a module's own URL no longer says which folder it came from. The root is what
 * precedes the last `/src/` or `/dist/` of `here`. Node's worker scripts and the firmware are found this way.
 */
export function packageFile(rel: string, here: string = import.meta.url): URL {
  const cut = Math.max(here.lastIndexOf('/src/'), here.lastIndexOf('/dist/'));
  if (cut < 0) throw new Error(`packageFile: ${here} is not under the package's src/ or dist/`);
  return new URL(rel, here.slice(0, cut + 1));
}
