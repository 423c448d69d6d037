/**
 * `acpidm xl [--socket PATH] COMMAND ...`: an xl-like client of `acpidm xen host`.
 * Commands: create CONFIG, list, shutdown [-w] [-F] DOM, reboot [-w] [-F] DOM,
 * destroy [-f] DOM, trigger DOM power|sleep|reset, console DOM, dmesg; acpidm's own: cause DOM
 * (the domain's verdict: who took it down, from the chain the host holds).
 * Output and exit status are xl's.
 */
import { readFileSync } from 'node:fs';
import { CliError, type CliIo } from '../cli-io.js';
import type { CliCommand } from '../main.js';
import { DEFAULT_XL_SOCKET } from './xen.js';

export const command: CliCommand = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = [...argv];
    let socketPath = DEFAULT_XL_SOCKET;
    const si = args.indexOf('--socket');
    if (si >= 0) {
      const v = args[si + 1];
      if (!v) throw new CliError('--socket needs a path');
      socketPath = v;
      args.splice(si, 2);
    }
    if (!args.length) {
      io.stderr('usage: acpidm xl [--socket PATH] create CONFIG | list | shutdown [-w] [-F] DOM | reboot [-w] [-F] DOM | destroy [-f] DOM | trigger DOM power|sleep|reset | console DOM | dmesg | cause DOM\n');
      return 2;
    }
    const files: Record<string, string> = {};
    if (args[0] === 'create') {
      const f = args.slice(1).find((a) => !a.startsWith('-'));
      if (f) {
        try {
          files[f] = readFileSync(f, 'utf8');
        } catch (e) {
          io.stderr(`Parsing config from ${f}\nFailed to read config file: ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}\n`);
          return 1;
        }
      }
    }
    const { xlRequest } = await import('../../xen-hvm/xen-host-node.js');
    let reply;
    try {
      reply = await xlRequest(socketPath, args, files);
    } catch (e) {
      throw new CliError(`cannot reach acpidm xen host at ${socketPath}: ${(e as Error).message} (start it with 'acpidm xen host')`, 1);
    }
    for (const l of reply.out) io.stdout(l + '\n');
    for (const l of reply.err) io.stderr(l + '\n');
    return reply.code;
  },
};
