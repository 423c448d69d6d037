// The CLI's bundle (scripts/bundle-cli.mjs) and how its code finds the package's files (src/ioreq/package-file.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageFile } from '../../src/ioreq/package-file.js';

const root = path.join(import.meta.dirname, '../..');
const url = (rel: string): string => pathToFileURL(path.join(root, rel)).href;

describe('packageFile', () => {
  it('finds the same file of the package from src/, from dist/ and from a chunk of the bundle', () => {
    const want = url('firmware/guests/poweroff.bin');
    for (const here of ['src/cli/commands/run.ts', 'dist/cli/commands/run.js', 'dist/bundle/chunk-x.js', 'dist/bundle/commands/run.js']) {
      expect(packageFile('firmware/guests/poweroff.bin', url(here)).href, here).toBe(want);
    }
    expect(existsSync(fileURLToPath(packageFile('firmware/guests/poweroff.bin')))).toBe(true); // from this checkout
    // a checkout that itself sits under a folder named src/: the package's own src/ or dist/ is the last one
    expect(packageFile('package.json', 'file:///home/u/src/acpidm/dist/bundle/chunk-x.js').href).toBe('file:///home/u/src/acpidm/package.json');
    expect(() => packageFile('package.json', 'file:///elsewhere/x.js')).toThrow(/not under the package's src\/ or dist\//);
  });
});

// npm test builds the bundle after tsc (package.json). By hand (a bare tsc, then vitest) it may be missing or older
// than dist/, and bin/ then runs dist/cli/ (bin/load-cli.js): skipped with the reason, and a failure under CI=true.
const bundle = path.join(root, 'dist/bundle/main.js');
const plain = path.join(root, 'dist/cli/main.js');
const stale = !existsSync(bundle) ? 'dist/bundle/main.js is missing'
  : existsSync(plain) && statSync(bundle).mtimeMs < statSync(plain).mtimeMs ? 'dist/bundle/ is older than dist/cli/' : null;
if (stale && !process.env.CI) console.warn(`bundle test skipped: ${stale} (run \`npm run build\`)`);

describe.skipIf(stale !== null && !process.env.CI)('the CLI bundle', () => {
  it('is built with dist/ and is what bin/ runs: --version, and `run` boots the default guest from it', () => {
    expect(stale, `${stale}: run \`npm run build\``).toBeNull();
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const v = spawnSync(process.execPath, [path.join(root, 'bin/acpidm.js'), '--version'], { encoding: 'utf8' });
    expect(v.stdout).toContain(`acpidm ${pkg.version}`);
    // the modules node loaded (its loader names them under NODE_DEBUG=esm): the bundle's, not dist/cli/commands/
    const r = spawnSync(process.execPath, [path.join(root, 'bin/acpidm.js'), 'run', '--quiet'], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/dist\/bundle\/commands\/run\.js/);
    expect(r.stderr).not.toMatch(/dist\/cli\/commands\/run\.js/);
  });
});
