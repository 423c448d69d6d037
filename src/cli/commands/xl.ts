/**
 * `acpidm xl [--socket PATH] COMMAND ...`: an xl-like client of `acpidm xen host`.
 * Commands: create CONFIG, list, shutdown [-w] [-F] DOM, reboot [-w] [-F] DOM,
 * destroy [-f] DOM, trigger DOM power|sleep|reset, console DOM, dmesg; acpidm's own: cause DOM
 * (the domain's verdict: who took it down, from the chain the host holds).
 * Output and exit status are xl's.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CliError, type CliIo } from '../cli-io.js';
import type { CliCommand } from '../main.js';
import { DEFAULT_XL_SOCKET } from './xen.js';
import { isHelp } from '../help.js';

const USAGE = `usage: acpidm xl [--socket PATH] COMMAND [ARGS]   (a client of 'acpidm xen host')
  create CONFIG               create a domain from an xl config file (kernel = "..." is required;
                              a relative kernel path is taken from the config file's folder)
  list [-l|--long] [DOMAIN]   list domains (one with DOMAIN; -l: JSON)
  info                        the host's xl info
  shutdown [-w] [-F] DOMAIN   shut down through PV drivers; -F falls back to the ACPI power button; -w waits
  reboot [-w] [-F] DOMAIN     reboot the same way
  destroy [-f] DOMAIN         kill the domain at once (-f for domain 0)
  trigger DOMAIN power|sleep|reset|s3resume   inject an ACPI event
  console DOMAIN              print the domain's console output
  dmesg                       the hypervisor's console
  cause DOMAIN                the domain's verdict: who ended it and how
  --socket PATH               the host's control socket (default $ACPIDM_XL_SOCKET or /tmp/acpidm-xen.sock)
`;

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
    if (!args.length || args.some(isHelp)) {
      (args.length ? io.stdout : io.stderr)(USAGE);
      return args.length ? 0 : 2;
    }
    const files: Record<string, string> = {};
    if (args[0] === 'create') {
      const f = args.slice(1).find((a) => !a.startsWith('-'));
      if (f) {
        let text: string;
        try {
          text = readFileSync(f, 'utf8');
        } catch (e) {
          io.stderr(`Parsing config from ${f}\nFailed to read config file: ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}\n`);
          return 1;
        }
        // acpidm boots what `kernel =` names: a config without one is an error, not a silent built-in guest.
        const k = /^\s*kernel\s*=\s*(["'])(.*?)\1\s*$/m.exec(text);
        if (!k) {
          io.stderr(`Parsing config from ${f}\n${f}: no kernel = "FILE" line: acpidm needs the guest kernel to boot (a Multiboot image, e.g. firmware/guests/poweroff.bin)\n`);
          return 1;
        }
        // xl resolves a relative kernel path against the config file's folder; the host may run elsewhere.
        if (!k[2]!.startsWith('scripted:') && !isAbsolute(k[2]!)) {
          text = text.replace(k[0], `kernel = "${resolve(dirname(resolve(f)), k[2]!)}"`);
        }
        files[f] = text;
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
