/**
 * The subset of qemu-system-x86_64's command line that firmware work uses, so
 * a script written for QEMU runs unchanged against `acpidm run`. Pure: turns
 * argv into a RunConfig or throws CliError naming the bad option.
 */
import { CPU_MODELS, DEFAULT_CPU_MODEL } from '../cpu/cpu-model.js';
import { CliError } from './cli-io.js';
import { emptyManagedConfig, finishManaged, jsonOptionToKv, type ManagedConfig, managedState, parseManagedOption } from './qemu-args-managed.js';
import { parseChardevSocket, parseSerialSocket, type SocketChardev } from './chardev-socket.js';

export interface DebugconSpec {
  port: number;
  /** 'stdio', a file path, or null (discard). */
  sink: { kind: 'stdio' } | { kind: 'file'; path: string } | { kind: 'null' };
}

/** `-serial` backends: one per port, COM1 first (QEMU serial_parse). A socket listens for one client at a time. */
export type SerialSpec = DebugconSpec['sink'] | SocketChardev;

export interface RunConfig {
  machine: 'pc';
  smm: boolean;
  memoryMiB: number;
  /** -cpu NAME: a model of src/cpu/cpu-model.ts */
  cpuModel: string;
  bios: string | null;
  kernel: string | null;
  /** `-initrd FILE` (with a Linux bzImage `-kernel`). */
  initrd: string | null;
  append: string;
  startPaused: boolean;
  noShutdown: boolean;
  noReboot: boolean;
  debugcons: DebugconSpec[];
  /** One backend per 16550A port, COM1 first (default: COM1; on stdio with -nographic). */
  serials: SerialSpec[];
  s4Val: number;
  disableS3: boolean;
  disableS4: boolean;
  icountShift: number;
  traceFile: string | null;
  tracePatterns: string[];
  qmp: string[];
  xen: boolean;
  /** acpidm: stop after this many guest instructions (default none: a guest runs until it stops, as on QEMU). */
  maxInsns: number;
  /** acpidm: print the timeline as JSON lines instead of text. */
  json: boolean;
  /** acpidm: be quiet (no timeline). */
  quiet: boolean;
  /** acpidm: write the run's swimlane diagram (src/diagram) to this SVG file. */
  diagram: string | null;
  /** acpidm --xen: run qemu-dm in its own worker thread. */
  dmWorker: boolean;
  /** `-name NAME` (QMP query-name). */
  name: string | null;
  /** `-nodefaults`: no default COM1. */
  nodefaults: boolean;
  /** `-monitor` specs: 'stdio', 'unix:PATH,...' ('none' leaves this empty). */
  monitors: string[];
  /** `-device isa-debug-exit`. */
  debugExit: { iobase: number; iosize: number } | null;
  /** `-device pc-testdev`. */
  pcTestdev: boolean;
  /** `-help` / `-version` seen: print and exit before anything else. */
  info: 'help' | 'version' | null;
  /** What a management stack (libvirt) passes: qemu-args-managed.ts. */
  managed: ManagedConfig;
}

export const SUPPORTED_OPTIONS = [
  '-M pc | -machine pc[,smm=on|off]', '-accel tcg', `-cpu ${Object.keys(CPU_MODELS).join('|')}`, '-m MB', '-bios FILE', '-kernel FILE', '-initrd FILE', '-append CMDLINE',
  '-nographic', '-display none', '-S', '-no-shutdown', '-no-reboot', '-chardev file,id=ID,path=P',
  '-device isa-debugcon,iobase=PORT,chardev=ID', '-debugcon file:P|stdio|null',
  '-serial stdio|file:PATH|null|none|chardev:ID|unix:PATH,server=on,wait=off|tcp:127.0.0.1:PORT,server=on,wait=off (repeatable: COM1..COM4)',
  '-chardev socket,id=ID,path=P|host=127.0.0.1,port=N,server=on,wait=off',
  '-global PIIX4_PM.disable_s3=0|1 | disable_s4=0|1 | s4_val=N', '-icount shift=N[,sleep=off]', '-D FILE',
  '-trace PATTERN | -trace enable=PATTERN', '-qmp unix:PATH,server=on,wait=off | tcp:127.0.0.1:PORT,server=on,wait=off',
  '-smp 1', '-name NAME', '-nodefaults', '-vga none', '-monitor none|stdio|unix:PATH,server=on,wait=off',
  '-device isa-debug-exit[,iobase=P][,iosize=N]', '-device pc-testdev', '-help', '-version',
  '--xen', '--dm-worker', '--max-insns N', '--json', '--quiet', '--diagram FILE',
];

function unsupported(opt: string): never {
  throw new CliError(`unsupported option '${opt}'; supported:\n  ${SUPPORTED_OPTIONS.join('\n  ')}`);
}

/** Parse `k=v,k2=v2` with an optional leading bare value. */
export function parseKv(s: string): { head: string | null; kv: Map<string, string> } {
  const kv = new Map<string, string>();
  let head: string | null = null;
  s.split(',').forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0) head = part;
      else kv.set(part, 'on');
    } else kv.set(part.slice(0, eq), part.slice(eq + 1));
  });
  return { head, kv };
}

function parseInt0(s: string, what: string): number {
  const v = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? parseInt(s, 10) : NaN;
  if (!Number.isFinite(v)) throw new CliError(`${what}: '${s}' is not a number`);
  return v;
}

function parseBool(s: string, what: string): boolean {
  if (['1', 'on', 'yes', 'true'].includes(s)) return true;
  if (['0', 'off', 'no', 'false'].includes(s)) return false;
  throw new CliError(`${what}: '${s}' is not a boolean (use on/off or 1/0)`);
}

/** QEMU `-m` accepts a size with an optional suffix; a bare number is MiB. */
export function parseMemSize(s: string): number {
  const m = /^(\d+)([kKmMgG]?)[bB]?$/.exec(s.replace(/^size=/, ''));
  if (!m) throw new CliError(`-m: '${s}' is not a memory size`);
  const n = Number(m[1]);
  const unit = (m[2] || 'M').toUpperCase();
  const mib = unit === 'G' ? n * 1024 : unit === 'K' ? n / 1024 : n;
  if (!(mib >= 1 && mib <= 3072)) throw new CliError(`-m: ${s} is outside 1 MiB .. 3 GiB`);
  return Math.ceil(mib);
}

export function parseRunArgs(argv: string[]): RunConfig {
  const cfg: RunConfig = {
    machine: 'pc', smm: true, memoryMiB: 128, bios: null, kernel: null, initrd: null, append: '', startPaused: false,
    noShutdown: false, noReboot: false, debugcons: [], serials: [], s4Val: 2, disableS3: false, disableS4: false,
    cpuModel: DEFAULT_CPU_MODEL, icountShift: 0, traceFile: null, tracePatterns: [], qmp: [], xen: false, maxInsns: Infinity,
    json: false, quiet: false, diagram: null, dmWorker: false, name: null, nodefaults: false, monitors: [], debugExit: null,
    pcTestdev: false, info: null, managed: emptyManagedConfig(),
  };
  // ---- management-stack options (libvirt): qemu-args-managed.ts ----
  const managed = managedState(cfg.managed, argv);
  let memoryBackend: string | null = null;
  let memoryGiven = false;
  argv = [...argv];
  const chardevs = new Map<string, SerialSpec>();
  const pendingDebugcon: { port: number; chardev: string }[] = [];
  // QEMU serial_parse: every -serial except `none` adds the next port; any -serial replaces the default COM1.
  const serialArgs: ({ sink: SerialSpec } | { chardev: string })[] = [];
  let serialGiven = false;
  let nographic = false;
  let i = 0;
  const next = (opt: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new CliError(`option ${opt} needs an argument`);
    return v;
  };
  for (; i < argv.length; i++) {
    const raw = argv[i]!;
    // QEMU accepts both -opt and --opt.
    const opt = raw.startsWith('--') && !['--xen', '--dm-worker', '--max-insns', '--json', '--quiet', '--diagram'].includes(raw) ? raw.slice(1) : raw;
    if (parseManagedOption(opt, argv[i + 1], () => next(opt), managed)) continue;
    // libvirt passes -device as JSON: the same device in QemuOpts form
    if (opt === '-device' && argv[i + 1]?.startsWith('{')) argv[i + 1] = jsonOptionToKv(opt, argv[i + 1]!, 'driver');
    switch (opt) {
      case '-M':
      case '-machine': {
        const { head, kv } = parseKv(next(opt));
        const type = head ?? kv.get('type') ?? 'pc';
        if (/^(q35|pc-q35)/.test(type)) throw new CliError(`-machine ${type}: the Q35/ICH9 machine is not modelled yet; acpidm models QEMU's i440FX/PIIX4 'pc' (-M pc)`);
        // `none`: QEMU's empty board (no CPU, no devices), what libvirt probes capabilities with
        if (type === 'none') cfg.managed.noneMachine = true;
        else if (!['pc', 'pc-i440fx', 'pc-i440fx-7.2'].includes(type) && !(kv.size > 0 && head === null)) {
          throw new CliError(`-machine: unsupported machine type '${type}' (acpidm models the i440FX/PIIX4 'pc' machine: pc, pc-i440fx-7.2)`);
        }
        for (const [k, v] of kv) {
          if (k === 'type') continue;
          if (k === 'smm') cfg.smm = parseBool(v, '-machine smm');
          // QEMU accel=A:B tries each in turn (libvirt's probe: kvm:tcg); acpidm is always the interpreter
          else if (k === 'accel') { if (!v.split(':').includes('tcg')) throw new CliError(`-machine accel=${v}: acpidm is an interpreter; only tcg is available`); }
          // ---- management-stack properties (libvirt) ----
          else if (k === 'usb') { if (parseBool(v, '-machine usb')) throw new CliError('-machine usb=on: acpidm models no USB controller (use usb=off)'); }
          else if (k === 'dump-guest-core') { parseBool(v, '-machine dump-guest-core'); cfg.managed.notes.push(`-machine dump-guest-core=${v}: acpidm never core-dumps guest RAM`); }
          else if (k === 'memory-backend') memoryBackend = v;
          else throw new CliError(`-machine: unsupported property '${k}' (supported: smm, accel=tcg, usb=off, dump-guest-core, memory-backend)`);
        }
        break;
      }
      case '-accel': {
        const { head, kv } = parseKv(next(opt));
        const a = head ?? kv.get('accel');
        if (a !== 'tcg') throw new CliError(`-accel ${a}: acpidm is an interpreter; only '-accel tcg' is available`);
        break;
      }
      case '-cpu': {
        const { head, kv } = parseKv(next(opt));
        if (head === null || !(head in CPU_MODELS)) {
          throw new CliError(`-cpu ${head ?? ''}: not implemented; available models: ${Object.entries(CPU_MODELS).map(([n, m]) => `${n} (${m.description})`).join(', ')}`);
        }
        if (kv.size > 0) throw new CliError(`-cpu ${head}: feature flags (${[...kv.keys()].join(', ')}) are not supported; a model reports exactly what it implements`);
        cfg.cpuModel = head;
        break;
      }
      case '-m': cfg.memoryMiB = parseMemSize(next(opt)); memoryGiven = true; break;
      case '-bios': cfg.bios = next(opt); break;
      case '-kernel': cfg.kernel = next(opt); break;
      case '-append': cfg.append = next(opt); break;
      case '-initrd': cfg.initrd = next(opt); break;
      case '-nographic': nographic = true; break;
      case '-serial': {
        const v = next(opt);
        serialGiven = true;
        if (v === 'none') break;
        if (v === 'stdio' || v === 'mon:stdio') serialArgs.push({ sink: { kind: 'stdio' } });
        else if (v === 'null') serialArgs.push({ sink: { kind: 'null' } });
        else if (v.startsWith('file:') && v.length > 5) serialArgs.push({ sink: { kind: 'file', path: v.slice(5) } });
        else if (v.startsWith('chardev:') && v.length > 8) serialArgs.push({ chardev: v.slice(8) });
        else if (v.startsWith('unix:') || v.startsWith('tcp:')) serialArgs.push({ sink: parseSerialSocket(v)! });
        else throw new CliError(`-serial ${v}: use stdio, file:PATH, null, none, chardev:ID, unix:PATH,server=on,wait=off or tcp:127.0.0.1:PORT,server=on,wait=off`);
        if (serialArgs.length > 4) throw new CliError('-serial: the pc machine has at most 4 serial ports (COM1..COM4)');
        break;
      }
      case '-display': {
        const d = next(opt);
        if (d !== 'none') throw new CliError(`-display ${d}: acpidm has no display; use '-display none'`);
        break;
      }
      case '-S': cfg.startPaused = true; break;
      case '-no-shutdown': cfg.noShutdown = true; break;
      case '-no-reboot': cfg.noReboot = true; break;
      case '-chardev': {
        const { head, kv } = parseKv(next(opt));
        const id = kv.get('id');
        if (!id) throw new CliError('-chardev needs id=ID');
        if (head === 'file') {
          const path = kv.get('path');
          if (!path) throw new CliError(`-chardev file,id=${id} needs path=P`);
          chardevs.set(id, { kind: 'file', path });
        } else if (head === 'stdio') chardevs.set(id, { kind: 'stdio' });
        else if (head === 'null') chardevs.set(id, { kind: 'null' });
        else if (head === 'socket') chardevs.set(id, parseChardevSocket(id, kv));
        else throw new CliError(`-chardev ${head}: supported backends are file, stdio, null, socket`);
        break;
      }
      case '-device': {
        const { head, kv } = parseKv(next(opt));
        if (head === 'isa-debug-exit') {
          // QEMU hw/misc/debugexit.c: iobase 0x501, iosize 2 by default.
          const iobase = parseInt0(kv.get('iobase') ?? '0x501', 'isa-debug-exit iobase');
          const iosize = parseInt0(kv.get('iosize') ?? '2', 'isa-debug-exit iosize');
          if (iosize < 1 || iosize > 4 || iobase + iosize > 0x10000) throw new CliError(`-device isa-debug-exit: iobase 0x${iobase.toString(16)} iosize ${iosize} does not fit the port space (iosize 1..4)`);
          for (const k of kv.keys()) if (k !== 'iobase' && k !== 'iosize') throw new CliError(`-device isa-debug-exit: unsupported property '${k}' (iobase, iosize)`);
          cfg.debugExit = { iobase, iosize };
          break;
        }
        if (head === 'pc-testdev') {
          if (kv.size) throw new CliError('-device pc-testdev takes no properties');
          cfg.pcTestdev = true;
          break;
        }
        if (head !== 'isa-debugcon') throw new CliError(`-device ${head}: supported devices are isa-debugcon, isa-debug-exit, pc-testdev`);
        const chardev = kv.get('chardev');
        if (!chardev) throw new CliError('-device isa-debugcon needs chardev=ID');
        // QEMU hw/char/debugcon.c: iobase defaults to 0xe9.
        const port = parseInt0(kv.get('iobase') ?? '0xe9', 'isa-debugcon iobase');
        if (port > 0xffff) throw new CliError(`isa-debugcon iobase 0x${port.toString(16)} is outside the port space`);
        pendingDebugcon.push({ port, chardev });
        break;
      }
      case '-debugcon': {
        const v = next(opt);
        let sink: DebugconSpec['sink'];
        if (v === 'stdio') sink = { kind: 'stdio' };
        else if (v === 'null' || v === 'none') sink = { kind: 'null' };
        else if (v.startsWith('file:')) sink = { kind: 'file', path: v.slice(5) };
        else throw new CliError(`-debugcon ${v}: use file:PATH, stdio or null`);
        cfg.debugcons.push({ port: 0xe9, sink });
        break;
      }
      case '-global': {
        const v = next(opt);
        const m = /^PIIX4_PM\.(disable_s3|disable_s4|s4_val)=(.+)$/.exec(v);
        if (!m) throw new CliError(`-global ${v}: supported are PIIX4_PM.disable_s3, PIIX4_PM.disable_s4, PIIX4_PM.s4_val`);
        if (m[1] === 's4_val') {
          const n = parseInt0(m[2]!, '-global PIIX4_PM.s4_val');
          if (n > 7) throw new CliError(`-global PIIX4_PM.s4_val=${n}: SLP_TYP is 3 bits (0..7)`);
          cfg.s4Val = n;
        } else if (m[1] === 'disable_s3') cfg.disableS3 = parseBool(m[2]!, '-global PIIX4_PM.disable_s3');
        else cfg.disableS4 = parseBool(m[2]!, '-global PIIX4_PM.disable_s4');
        break;
      }
      case '-icount': {
        const { head, kv } = parseKv(next(opt));
        const shift = kv.get('shift') ?? head;
        if (shift === null || shift === undefined || shift === 'auto') throw new CliError('-icount: acpidm needs a fixed shift=N (deterministic clock)');
        cfg.icountShift = parseInt0(shift, '-icount shift');
        if (cfg.icountShift > 10) throw new CliError(`-icount shift=${cfg.icountShift}: must be 0..10`);
        for (const k of kv.keys()) if (!['shift', 'sleep', 'align'].includes(k)) throw new CliError(`-icount: unsupported property '${k}'`);
        break;
      }
      case '-D': cfg.traceFile = next(opt); break;
      case '-trace': {
        const v = next(opt);
        const { head, kv } = parseKv(v);
        const pat = kv.get('enable') ?? head;
        if (!pat) throw new CliError(`-trace ${v}: use -trace PATTERN or -trace enable=PATTERN`);
        cfg.tracePatterns.push(pat);
        break;
      }
      case '-qmp': cfg.qmp.push(next(opt)); break;
      case '--xen': cfg.xen = true; break;
      case '--dm-worker': cfg.dmWorker = true; break;
      case '--max-insns': {
        const n = Number(next(opt));
        if (!Number.isInteger(n) || n <= 0) throw new CliError('--max-insns needs a positive integer');
        cfg.maxInsns = n;
        break;
      }
      case '--json': cfg.json = true; break;
      case '--quiet': cfg.quiet = true; break;
      case '--diagram': cfg.diagram = next(opt); break;
      case '-smp': {
        const { head, kv } = parseKv(next(opt));
        const n = parseInt0(kv.get('cpus') ?? head ?? '1', '-smp');
        for (const [k, v] of kv) if (k !== 'cpus' && !(['sockets', 'cores', 'threads', 'maxcpus', 'dies'].includes(k) && v === '1')) throw new CliError(`-smp: '${k}=${v}': acpidm models one CPU (use -smp 1)`);
        if (n !== 1) throw new CliError(`-smp ${n}: acpidm models a single CPU; more CPUs are not supported (use -smp 1)`);
        break;
      }
      case '-name': {
        const { head, kv } = parseKv(next(opt));
        const n = kv.get('guest') ?? head;
        if (!n) throw new CliError('-name needs a name');
        cfg.name = n;
        break;
      }
      case '-nodefaults': cfg.nodefaults = true; break;
      case '-vga': {
        const v = next(opt);
        if (v !== 'none') throw new CliError(`-vga ${v}: acpidm models no display adapter (use -vga none; firmware output goes to the debug console)`);
        break;
      }
      case '-monitor': {
        const v = next(opt);
        if (v === 'none') break;
        if (v === 'stdio' || v.startsWith('unix:')) cfg.monitors.push(v);
        else throw new CliError(`-monitor ${v}: use none, stdio or unix:PATH,server=on,wait=off`);
        break;
      }
      case '-h':
      case '-help': cfg.info ??= 'help'; break;
      case '-version': cfg.info ??= 'version'; break;
      default: unsupported(raw);
    }
  }
  for (const d of pendingDebugcon) {
    const sink = chardevs.get(d.chardev);
    if (!sink) throw new CliError(`-device isa-debugcon: no -chardev with id=${d.chardev}`);
    if (sink.kind === 'socket') throw new CliError(`-device isa-debugcon,chardev=${d.chardev}: a socket chardev works with -serial only (the debug console takes file, stdio or null)`);
    cfg.debugcons.push({ port: d.port, sink });
  }
  // ---- management-stack options, resolved (qemu-args-managed.ts) ----
  for (const s of finishManaged(managed, (id) => chardevs.has(id))) {
    serialGiven = true;
    const sink = chardevs.get(s.chardev);
    if (!sink) throw new CliError(`-device isa-serial: no -chardev with id=${s.chardev}`);
    serialArgs.push({ sink });
  }
  if (memoryBackend !== null) {
    const size = cfg.managed.memoryBackends.get(memoryBackend);
    if (size === undefined) throw new CliError(`-machine memory-backend=${memoryBackend}: no -object memory-backend-ram with id=${memoryBackend}`);
    // QEMU: the backend's size must equal -m (machine_run_board_init "Machine memory size does not match")
    const mib = size / (1 << 20);
    if (!Number.isInteger(mib) || (memoryGiven && mib !== cfg.memoryMiB)) throw new CliError(`-machine memory-backend=${memoryBackend}: its size ${size} does not match -m ${cfg.memoryMiB}M`);
    cfg.memoryMiB = parseMemSize(`${mib}`);
  }
  for (const a of serialArgs) {
    if ('sink' in a) { cfg.serials.push(a.sink); continue; }
    const sink = chardevs.get(a.chardev);
    if (!sink) throw new CliError(`-serial chardev:${a.chardev}: no -chardev with id=${a.chardev}`);
    cfg.serials.push(sink);
  }
  // Without -serial, QEMU's pc gets COM1 on a default backend: stdio with -nographic (mon:stdio), else a vc (nowhere here).
  if (!serialGiven && !cfg.nodefaults) cfg.serials.push({ kind: nographic ? 'stdio' : 'null' });
  if (cfg.info) return cfg;
  if (cfg.monitors.includes('stdio') && cfg.serials.some((x) => x.kind === 'stdio')) {
    throw new CliError('-monitor stdio: stdio is already used by a serial port (QEMU: cannot use stdio by multiple character devices)');
  }
  if (cfg.initrd && !cfg.kernel) throw new CliError('-initrd needs -kernel (a Linux bzImage)');
  return cfg;
}
