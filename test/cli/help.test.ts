// acpidm --version / --help, and --help on every subcommand (issue 15), without any running host or VM.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { RUN_HELP } from '../../src/cli/help.js';
import { COMMANDS, main } from '../../src/cli/main.js';

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

describe('acpidm --version and --help', () => {
  it('--version prints the package version (exit 0); -version too, and run -version as QEMU has it', async () => {
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const argv of [['--version'], ['-version'], ['run', '-version'], ['run', '--version']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out).toMatch(new RegExp(`^acpidm ${pkg.version.replace(/\./g, '\\.')} `));
    }
  });

  it('--help lists every command with a summary and says how to get more', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(r.out).toContain("'acpidm COMMAND --help'");
  });

  it.each([['run'], ['xl'], ['xen'], ['xen', 'host'], ['qmp'], ['domain'], ['acpi'], ['conformance']])('acpidm %s %s --help prints usage and exits 0 (no host, no VM)', async (...cmd) => {
    const words = cmd.filter((w): w is string => typeof w === 'string');
    const r = await run(...words, '--help');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/usage: acpidm /);
    expect(r.err).toBe('');
  });

  it('acpidm help CMD is CMD --help', async () => {
    expect((await run('help', 'xl')).out).toBe((await run('xl', '--help')).out);
  });

  it('run --help groups options as qemu-system-x86_64 -help does, one line each', async () => {
    const r = await run('run', '-help');
    const groups = [...r.out.matchAll(/^([A-Za-z][^:\n ]*(?: [^:\n]+)?):$/gm)].map((m) => m[1]);
    expect(groups).toEqual(['Standard options', 'Display options', 'Character device options', 'Boot Image or Kernel specific', 'Debug/Expert options', 'acpidm options']);
    expect(r.out).toMatch(/^-m MB +guest RAM/m);
  });

  it('every option qemu-args.ts accepts has a help line (so a new option cannot be added undocumented)', () => {
    const src = readFileSync(path.join(import.meta.dirname, '../../src/cli/qemu-args.ts'), 'utf8');
    const body = src.slice(src.indexOf('export function parseRunArgs'));
    const managed = readFileSync(path.join(import.meta.dirname, '../../src/cli/qemu-args-managed.ts'), 'utf8');
    const accepted = [...(body + managed).matchAll(/case '(-{1,2}[a-zA-Z][\w-]*)':/g)].map((m) => m[1]!);
    expect(accepted.length).toBeGreaterThan(20);
    const documented = RUN_HELP.flatMap((g) => g.options.map((o) => o.syntax)).join(' ');
    const missing = accepted.filter((o) => !new RegExp(`(^|[\\s|])${o.replace(/[-]/g, '\\-')}(\\s|$|\\|)`).test(documented));
    expect(missing).toEqual([]);
  });
});
