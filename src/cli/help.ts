/**
 * `acpidm --help`, `acpidm --version` and `acpidm run --help`: one line per option, grouped as
 * qemu-system-x86_64 -help groups them (Standard, Display, i386 target only, Character device, Boot Image or
 * Kernel specific, Debug/Expert), then acpidm's own options. test/cli/help.test.ts checks that every option
 * qemu-args.ts accepts has a line here.
 */
import { readFileSync } from 'node:fs';
import { packageFile } from '../ioreq/package-file.js';
import { QEMU_COMPAT } from '../qmp/version.js';

export interface OptionHelp {
  /** The option as typed, with its argument, e.g. `-m MB`. */
  syntax: string;
  text: string;
}

export const RUN_HELP: { group: string; options: OptionHelp[] }[] = [
  {
    group: 'Standard options',
    options: [
      { syntax: '-h | -help | --help', text: 'print this help and exit' },
      { syntax: '-version | --version', text: 'print the version and exit' },
      { syntax: '-machine pc[,smm=on|off][,accel=tcg]', text: "the i440FX/PIIX4 'pc' machine (-M pc); q35 and others are refused" },
      { syntax: '-M pc', text: 'same as -machine pc' },
      { syntax: '-accel tcg', text: 'the only accelerator: acpidm interprets the guest' },
      { syntax: '-cpu MODEL', text: 'the CPU model and its CPUID: 486 or acpidm (default; P6-class)' },
      { syntax: '-smp 1', text: 'one CPU (more are refused: acpidm models a single CPU)' },
      { syntax: '-m MB', text: 'guest RAM, 1 MiB .. 3 GiB (a bare number is MiB; k/M/G suffixes)' },
      { syntax: '-name NAME', text: "the VM's name (QMP query-name, the timeline)" },
      { syntax: '-nodefaults', text: 'no default devices (acpidm adds none besides the PIIX4 machine itself)' },
      { syntax: '-vga none', text: 'no display adapter (the only choice: acpidm models none; SeaBIOS then says "No VGA found")' },
      { syntax: '-device isa-debugcon,iobase=PORT,chardev=ID', text: 'a debug console on PORT writing to chardev ID' },
      { syntax: '-device isa-debug-exit[,iobase=P][,iosize=N]', text: 'a write of V to port P exits with status (V << 1) | 1' },
      { syntax: '-device pc-testdev', text: "QEMU's test device: scratch ports 0xe0/0xe8, page flush 0xe4, IRQ lines 0x2000" },
      { syntax: '-global PIIX4_PM.disable_s3=0|1', text: 'drop \\_S3_ from the DSDT and ignore SLP_TYP S3' },
      { syntax: '-global PIIX4_PM.disable_s4=0|1', text: 'drop \\_S4_ from the DSDT and ignore SLP_TYP S4' },
      { syntax: '-global PIIX4_PM.s4_val=N', text: 'the SLP_TYP value of S4 (0..7, default 2)' },
      // ---- what a management stack (libvirt) passes: qemu-args-managed.ts ----
      { syntax: '-machine none', text: "QEMU's empty board: no CPU, only the monitors (libvirt probes with it)" },
      { syntax: '-machine pc-i440fx-7.2,usb=off,memory-backend=ID', text: 'the pc machine by its versioned name; RAM from -object memory-backend-ram' },
      { syntax: '-object memory-backend-ram,id=ID,size=N | secret,...', text: 'guest RAM of N bytes (JSON form too); a secret is accepted and unused' },
      { syntax: '-device isa-serial,chardev=ID[,index=N]', text: 'COM1..COM4 on a file, stdio or null chardev (JSON form too)' },
      { syntax: '-device virtserialport,name=org.qemu.guest_agent.0,chardev=ID', text: "the guest agent's channel on a socket chardev, answered by acpidm's modelled agent" },
      { syntax: '-device virtio-serial-pci | piix3-usb-uhci', text: 'accepted with a note: only the agent port is served, no USB is modelled' },
      { syntax: '-uuid UUID', text: "the VM's UUID (QMP query-uuid)" },
      { syntax: '-rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS]', text: "the RTC's start (utc, localtime: acpidm's fixed epoch, noted)" },
      { syntax: '-boot strict=on|order=...', text: 'accepted with a note: acpidm boots the -kernel or -bios it is given' },
      { syntax: '-no-user-config', text: 'accepted: acpidm reads no configuration files' },
      { syntax: '-usb | -audiodev none', text: 'accepted with a note: no USB and no sound devices are modelled' },
    ],
  },
  {
    group: 'Display options',
    options: [
      { syntax: '-display none', text: 'no display (acpidm has none anyway)' },
      { syntax: '-nographic', text: 'no display; accepted as QEMU accepts it' },
    ],
  },
  {
    group: 'Character device options',
    options: [
      { syntax: '-chardev file,id=ID,path=P', text: 'a character device writing to file P' },
      { syntax: '-chardev stdio,id=ID', text: 'a character device on standard output' },
      { syntax: '-chardev null,id=ID', text: 'a character device that discards its output' },
    ],
  },
  {
    group: 'Boot Image or Kernel specific',
    options: [
      { syntax: '-kernel FILE', text: 'a Multiboot v1 kernel or a Linux bzImage, loaded by the built-in firmware' },
      { syntax: '-append CMDLINE', text: "the kernel's command line" },
      { syntax: '-initrd FILE', text: 'an initial ramdisk for a Linux bzImage -kernel' },
      { syntax: '-bios FILE', text: 'a BIOS image (a multiple of 64 KiB) instead of the built-in firmware' },
    ],
  },
  {
    group: 'Debug/Expert options',
    options: [
      { syntax: '-S', text: 'do not start the CPU (needs -qmp: `cont` starts it)' },
      { syntax: '-no-shutdown', text: 'stop instead of exiting when the guest powers off' },
      { syntax: '-no-reboot', text: 'exit instead of rebooting' },
      { syntax: '-serial stdio|file:PATH|null|none|chardev:ID', text: 'the next 16550A port (COM1..COM4); none: no COM1' },
      { syntax: '-debugcon file:P|stdio|null', text: 'the debug console on port 0xe9' },
      { syntax: '-qmp unix:PATH,server=on,wait=off', text: 'a QMP monitor on a unix socket (refused if a VM listens there)' },
      { syntax: '-qmp tcp:127.0.0.1:PORT,server=on,wait=off', text: 'a QMP monitor on a loopback TCP port' },
      { syntax: '-monitor none|stdio|unix:PATH,server=on,wait=off', text: 'an HMP monitor (info status, system_powerdown, system_reset, quit...)' },
      { syntax: '-chardev socket,id=ID,path=P|fd=N,server=on,wait=off', text: 'a listening socket, by path or inherited from the parent as descriptor N' },
      { syntax: '-mon chardev=ID,mode=control', text: 'a QMP monitor on socket chardev ID (how libvirt passes its monitor)' },
      { syntax: '-pidfile FILE', text: 'write the pid of the process that runs the VM (removed at exit)' },
      { syntax: '-daemonize', text: 'detach; the command returns 0 once the monitors listen (or the error)' },
      { syntax: '-sandbox ... | -msg ... | -overcommit ...', text: 'accepted with a note; no effect on acpidm' },
      { syntax: '-icount shift=N[,sleep=off]', text: 'virtual time: 2^N ns per instruction (deterministic)' },
      { syntax: '-trace PATTERN | -trace enable=PATTERN', text: 'enable trace events matching the glob (QEMU event names too)' },
      { syntax: '-D FILE', text: 'write trace records to FILE as JSON lines' },
    ],
  },
  {
    group: 'acpidm options',
    options: [
      { syntax: '--xen', text: 'boot the guest as a Xen HVM domain (hypervisor, qemu-dm, xenstore, xl)' },
      { syntax: '--dm-worker', text: "with --xen: run qemu-dm in its own worker thread" },
      { syntax: '--max-insns N', text: 'stop after N guest instructions (exit 4)' },
      { syntax: '--json', text: 'print the timeline as JSON lines' },
      { syntax: '--quiet', text: 'print no timeline' },
      { syntax: '--diagram FILE', text: "write the run's swimlane diagram (every layer's messages, the cause path) as SVG" },
    ],
  },
];

export function runHelp(): string {
  const lines = ['usage: acpidm run [options]   (the qemu-system-x86_64 options firmware work uses)', ''];
  const width = Math.max(...RUN_HELP.flatMap((g) => g.options.map((o) => o.syntax.length)));
  for (const g of RUN_HELP) {
    lines.push(`${g.group}:`);
    for (const o of g.options) {
      lines.push(o.syntax.length <= 44 ? `${o.syntax.padEnd(Math.min(width, 44))}  ${o.text}` : `${o.syntax}\n${''.padEnd(Math.min(width, 44))}  ${o.text}`);
    }
    lines.push('');
  }
  lines.push('Exit status: 0 as QEMU would exit, 3 halted for good, 4 instruction budget used up,',
    '5 stopped in a state only a monitor can leave, 1 host-side error, 2 bad command line.');
  return lines.join('\n') + '\n';
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function versionText(): string {
  const q = `${QEMU_COMPAT.major}.${QEMU_COMPAT.minor}.${QEMU_COMPAT.micro}`;
  return `acpidm ${packageVersion()} (x86 ACPI / IO-port device model; presents itself as QEMU ${q}: qemu-system-x86_64 ${q} command-line subset)\n`;
}

/** Is `a` a help flag? (QEMU: -h, -help; GNU: --help) */
export const isHelp = (a: string | undefined): boolean => a === '-h' || a === '-help' || a === '--help' || a === 'help';
export const isVersion = (a: string | undefined): boolean => a === '-version' || a === '--version' || a === '-V';
