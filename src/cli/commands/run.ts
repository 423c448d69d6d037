/**
 * `acpidm run [QEMU options]`: boot a guest and print its timeline.
 * With no options it boots the built-in `poweroff` kernel in QEMU mode.
 *
 * Exit status: 0 when the machine exits as QEMU would (guest poweroff,
 * `-no-reboot` reset, QMP quit); 3 when the guest halted for good (HLT with
 * interrupts off, or waiting for an interrupt nothing will send); 4 when the
 * instruction budget ran out; 5 when it stopped in a state only a monitor can
 * leave (suspended, or shut down under -no-shutdown) and no -qmp was given;
 * 1 on a host-side error; 2 on a bad command line.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonLine } from '../../trace/trace.js';
import { attachDebug } from '../../trace/debug-sink.js';
import { PcSystem, type RunOutcome } from '../../machine/pc-system.js';
import { parseMultiboot } from '../../machine/multiboot.js';
import { isLinuxImage, parseLinuxImage } from '../../machine/linux-boot.js';
import { CliError, type CliIo } from '../cli-io.js';
import type { CliCommand } from '../main.js';
import { parseRunArgs, type RunConfig } from '../qemu-args.js';
import type { SocketChardev } from '../chardev-socket.js';
import type { SerialSocket } from '../serial-socket-node.js';
import type { SerialInputSource } from './run-serial-input.js';
import { Timeline } from '../../machine/timeline.js';
import { printSummary, runVerdict } from './run-summary.js';
import { qemuTraceAliases } from '../trace-aliases.js';
import { eventCatalogue, globToRegExp } from '../../trace/trace.js';
import { runHelp, versionText } from '../help.js';
import { attachTestDevices } from '../test-devices.js';
import { ISA_SERIAL_IOBASE } from '../../piix4/uart-16550.js';
import { packageFile } from '../../ioreq/package-file.js';

export const DEFAULT_KERNEL = fileURLToPath(packageFile('firmware/guests/poweroff.bin'));

function readImage(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new CliError(`${what} '${path}' does not exist`, 1);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(`cannot read ${what} '${path}': ${(e as Error).message}`, 1);
  }
}

function checkedKernel(image: Uint8Array): Uint8Array {
  // A clear error before anything runs: a Linux bzImage ("HdrS") first, as QEMU's x86_load_linux, else Multiboot.
  if (isLinuxImage(image)) parseLinuxImage(image);
  else parseMultiboot(image);
  return image;
}

/** Where Debian's qemu-system-data keeps QEMU's option ROMs (ACPIDM_QEMU_DATADIR overrides). */
const QEMU_DATADIR = process.env.ACPIDM_QEMU_DATADIR ?? '/usr/share/qemu';

/**
 * With -bios, QEMU boots a -kernel through an option ROM the firmware runs from fw_cfg (genroms/): a Multiboot
 * image through multiboot_dma.bin (hw/i386/multiboot.c), a Linux bzImage through linuxboot_dma.bin (x86_load_linux). The ROM is QEMU's own file, read at run time.
 */
function kernelOptionRom(kernelPath: string): { name: string; bytes: Uint8Array } {
  const name = isLinuxImage(readImage(kernelPath, '-kernel')) ? 'linuxboot_dma.bin' : 'multiboot_dma.bin';
  const path = `${QEMU_DATADIR}/${name}`;
  if (!existsSync(path)) throw new CliError(`-bios with -kernel needs QEMU's option ROM ${path} (Debian package qemu-system-data)`, 1);
  return { name, bytes: readImage(path, 'option ROM') };
}

/** Bad host-side input (a ROM of the wrong size, a kernel that is not Multiboot...) ends the run with its message. */
function hostInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const name = (e as Error)?.name;
    if (['PhysMemoryError', 'MultibootError', 'LinuxBootError', 'AcpiError', 'PortBusError'].includes(name)) throw new CliError((e as Error).message, 1);
    throw e;
  }
}

export const command: CliCommand = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const cfg = parseRunArgs(argv);
    if (cfg.info) {
      io.stdout(cfg.info === 'help' ? runHelp() : versionText());
      return 0;
    }
    if (cfg.xen) {
      const { runXen } = await import('./run-xen.js');
      return runXen(cfg, io);
    }
    if (cfg.dmWorker) throw new CliError('--dm-worker runs qemu-dm in its own worker thread, which only Xen mode has: add --xen');
    // ---- as a management stack starts it (libvirt): -daemonize/-pidfile, -machine none (run-managed.ts) ----
    if (cfg.managed.daemonize || cfg.managed.pidfile || cfg.managed.noneMachine) {
      const { withManagedProcess, runNoneMachine } = await import('./run-managed.js');
      return withManagedProcess(cfg, io, (out) => (cfg.managed.noneMachine ? runNoneMachine(cfg, out) : runPc(cfg, out, argv.length === 0)));
    }
    return runPc(cfg, io, argv.length === 0);
  },
};

/** QEMU mode on the pc machine (the default kernel when neither -bios nor -kernel is given). */
async function runPc(cfg: RunConfig, io: CliIo, zeroArg: boolean): Promise<number> {
  if (!cfg.bios && !cfg.kernel) {
    cfg.kernel = DEFAULT_KERNEL;
    // The default run shows the guest's own debug console in the timeline.
    if (cfg.debugcons.length === 0) cfg.debugcons.push({ port: 0xe9, sink: { kind: 'null' } });
  }
  if (cfg.startPaused && cfg.qmp.length === 0 && cfg.monitors.length === 0 && cfg.managed.qmpSockets.length === 0) throw new CliError('-S without -qmp or -monitor: nothing could ever start the machine');
  return runQemuMode(cfg, io, zeroArg);
}

async function runQemuMode(cfg: RunConfig, io: CliIo, zeroArg: boolean): Promise<number> {
  const files = new Map<string, number>();
  const closeFiles = () => { for (const fd of files.values()) closeSync(fd); files.clear(); };
  const openFile = (p: string): number => {
    let fd = files.get(p);
    if (fd === undefined) {
      try {
        fd = openSync(p, 'w');
      } catch (e) {
        throw new CliError(`cannot open '${p}': ${(e as Error).message}`, 1);
      }
      files.set(p, fd);
    }
    return fd;
  };
  // A guest's bytes to a file, line-buffered as a C stdio file is: a Linux boot's console is ~12 k bytes, and a
  // write(2) each took 30 ms of the run's CPU time. One buffer per file (two devices may share one, in the order the
  // guest wrote); whatever is left goes out before the files close.
  const flushers: (() => void)[] = [];
  const buffered = new Map<number, (b: number) => void>();
  const fileBytes = (fd: number): ((b: number) => void) => {
    let put = buffered.get(fd);
    if (put === undefined) {
      const buf = new Uint8Array(4096);
      let n = 0;
      const flush = () => { if (n !== 0) writeSync(fd, buf, 0, n); n = 0; };
      flushers.push(flush);
      put = (b) => { buf[n++] = b; if (b === 0x0a || n === buf.length) flush(); };
      buffered.set(fd, put);
    }
    return put;
  };
  let timeline: Timeline | null = null;
  const out = (s: string) => { if (!cfg.quiet && !cfg.json) io.stdout(s); };
  const sinks = new Map<number, (b: number) => void>();
  for (const d of cfg.debugcons) {
    const sink = d.sink;
    const write = sink.kind === 'stdio' ? (b: number) => io.stdout(String.fromCharCode(b))
      : sink.kind === 'file' ? fileBytes(openFile(sink.path))
      : () => {};
    sinks.set(d.port, write);
  }
  const sockets = new Map<number, SerialSocket>();
  const serialOut: ((b: number) => void)[] = cfg.serials.map((sink, i) => {
    if (sink.kind === 'socket') return (b: number) => { sockets.get(i)?.write(b); timeline?.guestByte(b); };
    // Serial output not on stdio also shows in the timeline, like the debug console.
    if (sink.kind === 'stdio') return (b: number) => io.stdout(String.fromCharCode(b));
    if (sink.kind !== 'file') return (b: number) => timeline?.guestByte(b);
    const put = fileBytes(openFile(sink.path));
    return (b: number) => { put(b); timeline?.guestByte(b); };
  });
  const stdioPorts = new Set(cfg.debugcons.filter((d) => d.sink.kind === 'stdio').map((d) => d.port));
  const sys = hostInput(() => new PcSystem({
    memoryMiB: cfg.memoryMiB, cpuModel: cfg.cpuModel, smm: cfg.smm, s4Val: cfg.s4Val, disableS3: cfg.disableS3, disableS4: cfg.disableS4,
    noShutdown: cfg.noShutdown, noReboot: cfg.noReboot, icountShift: cfg.icountShift,
    ...(cfg.managed.rtcBaseMs !== null ? { rtcBase: cfg.managed.rtcBaseMs } : {}),
    debugcon: cfg.debugcons.map((d) => ({ iobase: d.port })),
    serialPorts: cfg.serials.length,
    onSerialOutput: (b, i) => serialOut[i]?.(b),
    onDebugconOutput: (b, port) => {
      sinks.get(port)?.(b);
      if (!stdioPorts.has(port)) timeline?.guestByte(b); // on stdout already: shown once, not twice
    },
    ...(cfg.kernel ? { kernel: checkedKernel(readImage(cfg.kernel, '-kernel')), kernelName: cfg.kernel } : {}),
    ...(cfg.bios ? { bios: readImage(cfg.bios, '-bios') } : {}),
    ...(cfg.bios && cfg.kernel ? { kernelRom: kernelOptionRom(cfg.kernel) } : {}),
    ...(cfg.append ? { cmdline: cfg.append } : {}),
    ...(cfg.initrd ? { initrd: readImage(cfg.initrd, '-initrd') } : {}),
  }));
  const m = sys.machine;
  const trace = m.trace;
  attachDebug(trace);
  attachTestDevices(sys, cfg);
  const diagram = cfg.diagram
    ? (await import('./run-diagram.js')).recordQemuDiagram(sys, cfg.diagram, `acpidm run ${cfg.kernel ? `-kernel ${cfg.kernel}` : `-bios ${cfg.bios}`}`)
    : null;
  if (!cfg.quiet && !cfg.json) {
    timeline = new Timeline(() => m.clock.ns(), { out: io.stdout });
    timeline.attach(trace);
  }
  for (const p of cfg.tracePatterns) {
    trace.enable(qemuTraceAliases(p));
    const re = globToRegExp(qemuTraceAliases(p).replace(/^acpidm:/, ''));
    const n = eventCatalogue().filter((d) => re.test(d.name) || re.test(d.ns) || re.test(`${d.ns}:${d.name}`)).length;
    // QEMU trace/control.c: a name that is not a pattern and matches nothing is a warning
    if (n === 0) io.stderr(/[*?]/.test(p) ? `acpidm run: -trace ${p}: warning: no trace event matches '${p}'\n` : `acpidm run: -trace ${p}: warning: trace event '${p}' does not exist\n`);
  }
  if (cfg.json || cfg.traceFile || cfg.tracePatterns.length) {
    const fd = cfg.traceFile ? openFile(cfg.traceFile) : null;
    // Only what the patterns name: the timeline enables more events for itself.
    const wanted = cfg.tracePatterns.map((p) => globToRegExp(qemuTraceAliases(p).replace(/^acpidm:/, '')));
    trace.subscribe((rec) => {
      if (wanted.length && !wanted.some((re) => re.test(rec.name) || re.test(rec.ns) || re.test(`${rec.ns}:${rec.name}`))) return;
      const line = jsonLine(rec) + '\n';
      if (fd !== null) writeSync(fd, line);
      else if (cfg.json) io.stdout(line);
      else if (wanted.length) io.stderr(line);
    });
    if (cfg.json && !cfg.tracePatterns.length) for (const p of ['seabios_*', 'multiboot_load', 'acpi_*', 'machine_*', 'piix_rcr_write', 'pckbd_*', 'cpu_triple_fault', 'debugcon_write']) trace.enable(p);
  }
  if (zeroArg) out('acpidm: no options given: booting the built-in poweroff kernel (firmware/guests/poweroff.bin) on -M pc\n');
  out(`acpidm: -M pc, ${cfg.memoryMiB} MiB, smm=${cfg.smm ? 'on' : 'off'}, ${cfg.kernel ? `-kernel ${cfg.kernel}` : `-bios ${cfg.bios}`}` +
    `${cfg.noShutdown ? ', -no-shutdown' : ''}${cfg.noReboot ? ', -no-reboot' : ''}\n`);
  // Say where the guest's consoles go (a person otherwise wonders why nothing or everything appears twice).
  for (const d of cfg.debugcons) {
    const where = d.sink.kind === 'stdio' ? 'standard output (not repeated in the timeline)' : d.sink.kind === 'file' ? `file ${d.sink.path} (and the timeline)` : 'the timeline only';
    out(`acpidm: guest debug console (port 0x${d.port.toString(16)}) -> ${where}\n`);
  }
  cfg.serials.forEach((sink, i) => {
    const where = sink.kind === 'stdio' ? 'standard output (not repeated in the timeline)' : sink.kind === 'file' ? `file ${sink.path} (and the timeline)` : 'the timeline only';
    out(`acpidm: guest serial console COM${i + 1} (port 0x${ISA_SERIAL_IOBASE[i]!.toString(16)}) -> ${where}\n`);
  });

  // Socket chardevs listen before the machine powers on, so a bad or busy address fails before anything runs.
  try {
    for (const [i, sink] of cfg.serials.entries()) {
      if (sink.kind !== 'socket') continue;
      const { listenSerialSocket } = await import('../serial-socket-node.js');
      sockets.set(i, await listenSerialSocket(sink, `-serial (COM${i + 1})`));
    }
  } catch (e) {
    closeFiles();
    await Promise.all([...sockets.values()].map((k) => k.close()));
    throw e;
  }
  for (const [i, sock] of sockets) {
    const spec = cfg.serials[i] as SocketChardev;
    out(`acpidm: serial port COM${i + 1} -> socket ${sock.address} (one client at a time; output is dropped while none is connected)\n`);
    if (spec.wait) {
      // QEMU prints the same line to stderr and blocks until a client connects.
      io.stderr(`acpidm: waiting for connection on ${sock.address},server=on (COM${i + 1}; wait=off starts without one)\n`);
      await sock.connected();
    }
  }

  hostInput(() => sys.powerOn());
  let status: number;
  try {
    if (cfg.qmp.length || cfg.monitors.length || cfg.managed.qmpSockets.length) {
      const { runWithQmp } = await import('./run-qmp.js');
      status = await runWithQmp(sys, cfg, io, timeline);
    } else {
      m.start();
      // A serial port on stdio takes the host's standard input (QEMU's stdio chardev); a socket, its client's.
      const stdioPort = cfg.serials.findIndex((p) => p.kind === 'stdio');
      const inputs: SerialInputSource[] = [...sockets].map(([index, src]) => ({ index, src, endless: true }));
      if (stdioPort >= 0 && io.stdin) inputs.push({ index: stdioPort, src: io.stdin });
      const out = inputs.length
        ? await (await import('./run-serial-input.js')).runWithSerialInput(sys, cfg.maxInsns, inputs)
        : runToEnd(sys, cfg.maxInsns);
      status = finish(out, sys, cfg, io, timeline);
    }
  } finally {
    timeline?.flushGuest();
    for (const f of flushers) f();
    closeFiles();
    await Promise.all([...sockets.values()].map((k) => k.close()));
  }
  diagram?.write();
  return status;
}

/** Run with no monitor: timers may still wake a suspended guest (PM timer / RTC wake, icount sleep=off). */
export function runToEnd(sys: PcSystem, maxInsns: number): RunOutcome {
  const m = sys.machine;
  const start = m.clock.instructions;
  for (;;) {
    const out = sys.run(maxInsns - (m.clock.instructions - start));
    if (out.kind === 'stopped' && out.state === 'suspended' && m.clock.nextWakeDeadline() !== Infinity) {
      m.clock.advance(Math.max(0, m.clock.nextWakeDeadline() - m.clock.ns()));
      continue;
    }
    return out;
  }
}

export function finish(out: RunOutcome, sys: PcSystem, cfg: RunConfig, io: CliIo, timeline: Timeline | null): number {
  const m = sys.machine;
  const say = (s: string) => (timeline ? timeline.note(s) : cfg.quiet || cfg.json ? undefined : io.stdout(s + '\n'));
  let status: number;
  switch (out.kind) {
    case 'exit':
      say(`machine exited with status ${out.status} (as QEMU would)`);
      status = out.status;
      break;
    case 'halted-cli':
      if (out.firmware !== undefined) {
        say(out.firmware);
        status = 3;
        break;
      }
      say('guest halted with interrupts disabled: every CPU is in HLT with IF=0 and nothing is pending; ' +
        'QEMU would sit here forever (what a Linux guest booted with acpi=off does on poweroff)');
      status = 3;
      break;
    case 'halted':
      say('guest is waiting in HLT for an interrupt that nothing is going to send (no timer armed, no monitor)');
      status = 3;
      break;
    case 'stopped':
      say(`machine is ${out.state}; without -qmp nothing can move it on`);
      status = out.state === 'shutdown' ? 0 : 5;
      break;
    case 'budget':
      say(`stopped: the instruction budget of ${cfg.maxInsns} instruction${cfg.maxInsns === 1 ? '' : 's'} (--max-insns) is used up; run state ${m.runState.state}`);
      status = 4;
      break;
  }
  // One verdict for every output mode (verdict.ts): the summary's last lines, --quiet's one line, --json's last record.
  const endText = out.kind === 'halted-cli' ? (out.firmware ?? 'every CPU is in HLT with IF=0 and nothing is pending')
    : out.kind === 'halted' ? 'the guest waits in HLT for an interrupt nothing will send'
    : out.kind === 'budget' ? `the instruction budget of ${cfg.maxInsns} ran out`
    : out.kind === 'stopped' ? `left ${out.state}` : undefined;
  printSummary(m, runVerdict(m, { kind: out.kind, ...(endText ? { text: endText } : {}) }, status), io, { json: cfg.json, quiet: cfg.quiet });
  return status;
}
