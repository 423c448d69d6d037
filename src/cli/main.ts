/**
 * `acpidm <command> ...`: each command lives in its own file under
 * commands/ and is loaded on demand, so a command's dependencies (sockets,
 * worker threads) are only touched when it runs.
 */
import { CliError, type CliIo, nodeIo } from './cli-io.js';
import { isHelp, isVersion, versionText } from './help.js';

/** Command name → module under ./commands/ and a one-line summary. */
export const COMMANDS: Record<string, { module: string; summary: string }> = {
  run: { module: 'run', summary: 'boot a guest (QEMU command-line subset; --xen for Xen mode)' },
  acpi: { module: 'acpi', summary: 'inspect ACPI tables: sleep-types FILE, fadt FILE, dump [--profile pc|xen] DIR' },
  qmp: { module: 'qmp', summary: 'send one QMP command: qmp SOCKET COMMAND [JSON-ARGS]' },
  domain: { module: 'domain', summary: 'virsh-like lifecycle operations and queries (list, dominfo, domstate; --json) on a running acpidm' },
  xen: { module: 'xen', summary: 'xen host: the modelled hypervisor, xenstored and device models; xen scenario [--timeline] FILE...' },
  xl: { module: 'xl', summary: 'xl-like toolstack client: create, list, info, shutdown, reboot, destroy, trigger' },
  conformance: { module: 'conformance', summary: 'run SingleStepTests-format CPU vectors: conformance FOLDER [STEM...]' },
};

export interface CliCommand {
  run(args: string[], io: CliIo): Promise<number>;
}

export function usage(): string {
  const lines = ['usage: acpidm <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push('', "'acpidm COMMAND --help' describes a command's options; 'acpidm --version' prints the version.");
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIo = nodeIo()): Promise<number> {
  let [name, ...rest] = argv;
  if (isVersion(name)) {
    io.stdout(versionText());
    return 0;
  }
  // `acpidm help CMD` is `acpidm CMD --help`
  if (name === 'help' && rest[0] && COMMANDS[rest[0]]) [name, rest] = [rest[0], ['--help']];
  if (!name || isHelp(name)) {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`acpidm: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    const mod = (await import(/* @vite-ignore */ `./commands/${entry.module}.js`)) as { command: CliCommand };
    return await mod.command.run(rest, io);
  } catch (e) {
    if (e instanceof CliError && e.exitCode === 0) {
      io.stdout(e.message.endsWith('\n') ? e.message : e.message + '\n'); // a usage asked for with --help
      return 0;
    }
    if (e instanceof CliError) {
      io.stderr(`acpidm ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    if ((e as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`commands/${entry.module}.js`)) {
      io.stderr(`acpidm: command '${name}' is not built in this version\n`);
      return 2;
    }
    // Not a CliError: still one line for a person; the stack only when asked for (ACPIDM_STACK=1).
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(process.env.ACPIDM_STACK === '1' && e instanceof Error ? `acpidm ${name}: ${e.stack}\n`
      : `acpidm ${name}: error: ${msg.split('\n')[0]} (ACPIDM_STACK=1 shows where)\n`);
    return 1;
  }
}
