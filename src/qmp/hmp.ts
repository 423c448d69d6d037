/**
 * The human monitor (HMP) commands people type first, on top of the QMP command table: used by
 * `human-monitor-command` and by `acpidm run -monitor stdio|unix:…`. Output follows QEMU's hmp_* functions
 * (monitor/hmp-cmds.c: `info status` prints "VM status: running", or "paused" plus the run state when it is
 * not plain paused); commands that print nothing in QEMU print nothing here.
 */
import type { Args, CommandContext, QmpCommand } from './commands.js';
import type { JsonValue } from './json-stream.js';

export const HMP_HELP: readonly [string, string][] = [
  ['info status', 'show the run state of the VM'],
  ['info name', 'show the VM name'],
  ['info version', 'show the version'],
  ['info kvm', 'show KVM information'],
  ['info cpus', 'show the CPUs'],
  ['system_powerdown', 'send the ACPI power button event'],
  ['system_reset', 'reset the system'],
  ['system_wakeup', 'wake the system from suspend'],
  ['stop', 'stop the emulation'],
  ['cont | c', 'resume the emulation'],
  ['quit | q', 'quit the emulator'],
  ['help | ?', 'this list'],
];

/** Run one HMP command line; returns its output ('' for silent commands). Errors come back as text, as in QEMU. */
export function runHmp(ctx: CommandContext, line: string, table: ReadonlyMap<string, QmpCommand>): string {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '';
  const call = (name: string, args: Args = {}): JsonValue => table.get(name)!.run(ctx, args);
  const [cmd, sub] = words;
  try {
    switch (cmd) {
      case 'info':
        switch (sub) {
          case 'status': {
            const s = call('query-status') as { running: boolean; status: string };
            return `VM status: ${s.running ? 'running' : 'paused'}${!s.running && s.status !== 'paused' ? ` (${s.status})` : ''}\n`;
          }
          case 'name': return ctx.vm.name ? `${ctx.vm.name}\n` : '';
          case 'version': {
            const v = call('query-version') as { qemu: { major: number; minor: number; micro: number }; package: string };
            return `${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro} (${v.package})\n`;
          }
          case 'kvm': return 'kvm support: disabled\n';
          case 'cpus': return `* CPU #0: thread_id=${0}\n`;
          case undefined: return `info subcommands: status, name, version, kvm, cpus\n`;
          default: return `info: unknown subcommand '${sub}'\n`;
        }
      case 'system_powerdown': case 'system_reset': case 'system_wakeup': case 'stop': case 'quit': case 'cont':
        call(cmd);
        return '';
      case 'c': call('cont'); return '';
      case 'q': call('quit'); return '';
      case 'help': case '?':
        return HMP_HELP.map(([c, t]) => `${c.padEnd(18)} -- ${t}`).join('\n') + '\n';
      default:
        return `unknown command: '${cmd}'\n`;
    }
  } catch (e) {
    return `Error: ${(e as { desc?: string }).desc ?? (e as Error).message}\n`;
  }
}
