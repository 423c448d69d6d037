/**
 * The options a management stack (libvirt's QEMU driver) puts on QEMU's command line beyond what people type:
 * inherited listening sockets (`-chardev socket,fd=N`), `-mon`, `-pidfile`/`-daemonize`, JSON `-object`/`-device`,
 * the guest-agent channel, and the flags that mean nothing to acpidm. Pure, like qemu-args.ts: each option is
 * parsed for real where it means something, accepted with a note (shown in the timeline) where it does not, and
 * anything else is the clear error of qemu-args.ts.
 */
import type { QmpSpec } from '../qmp/spec.js';
import { CliError } from './cli-io.js';
import { parseKv } from './qemu-args.js';

/** `-chardev socket,...`: a listening socket, by path or inherited from the parent as a file descriptor. */
export interface SocketChardev {
  readonly id: string;
  readonly path: string | null;
  readonly fd: number | null;
  readonly wait: boolean;
}

/** The guest-agent channel: `-device virtserialport,name=org.qemu.guest_agent.0,chardev=ID` on a socket chardev. */
export const AGENT_PORT_NAME = 'org.qemu.guest_agent.0';

export interface ManagedConfig {
  /** `-machine none`: no board, no CPU; only the monitor (libvirt's capability probe). */
  noneMachine: boolean;
  /** `-pidfile FILE`: written with the pid of the process that runs the VM. */
  pidfile: string | null;
  /** `-daemonize`: the parent exits 0 once the monitors listen; the VM runs on in a detached child. */
  daemonize: boolean;
  /** `-uuid` (QMP query-uuid). */
  uuid: string | null;
  /** `-rtc base=utc|localtime|DATE` as given. */
  rtcBase: string | null;
  /** `-rtc base=DATE`: the RTC's time at virtual time 0 (ms since the epoch); utc/localtime keep acpidm's fixed epoch. */
  rtcBaseMs: number | null;
  /** `-chardev socket`. */
  sockets: Map<string, SocketChardev>;
  /** Monitors in control (QMP) mode: `-mon chardev=ID,mode=control`, resolved to their socket. */
  qmpSockets: QmpSpec[];
  /** The socket chardev of the guest-agent port (virtserialport name=org.qemu.guest_agent.0), if any. */
  agentSocket: QmpSpec | null;
  /** `-device ...,id=ID`: what QEMU lists under /machine/peripheral (qom-list), with its driver. */
  peripherals: { id: string; driver: string }[];
  /** `-object memory-backend-ram,id=ID,size=N` by id (size in bytes). */
  memoryBackends: Map<string, number>;
  /** Accepted with no effect on acpidm: one line each for the timeline. */
  notes: string[];
  /** Chardev id → what it is, in QEMU's query-chardev words (`filename`). */
  chardevLabels: Map<string, string>;
}

export function emptyManagedConfig(): ManagedConfig {
  return {
    noneMachine: false, pidfile: null, daemonize: false, uuid: null, rtcBase: null, rtcBaseMs: null, sockets: new Map(), qmpSockets: [],
    agentSocket: null, peripherals: [], memoryBackends: new Map(), notes: [], chardevLabels: new Map(),
  };
}

/** A JSON option value (`-device '{"driver":...}'`, `-object '{"qom-type":...}'`) as a QemuOpts string. */
export function jsonOptionToKv(opt: string, text: string, typeKey: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${opt}: '${text}' is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`${opt}: JSON value must be an object`);
  const o = v as Record<string, unknown>;
  const type = o[typeKey];
  if (typeof type !== 'string') throw new CliError(`${opt}: JSON object needs a string '${typeKey}'`);
  const parts = [type];
  for (const [k, x] of Object.entries(o)) {
    if (k === typeKey) continue;
    if (typeof x === 'object' && x !== null) throw new CliError(`${opt} ${type}: property '${k}' has a structured value acpidm does not take`);
    parts.push(`${k}=${typeof x === 'boolean' ? (x ? 'on' : 'off') : String(x)}`);
  }
  return parts.join(',');
}

function onOff(v: string | undefined, what: string): boolean {
  if (v === undefined || ['on', 'yes', 'true'].includes(v)) return true;
  if (['off', 'no', 'false'].includes(v)) return false;
  throw new CliError(`${what}: '${v}' is not on/off`);
}

/** Devices libvirt adds that acpidm accepts; each gets its note (or its meaning, for the agent port). */
const NOTED_DEVICES: Record<string, string> = {
  'piix3-usb-uhci': 'USB controller not modelled (no USB devices exist to attach)',
  'virtio-serial-pci': 'virtio-serial bus: hosts only the guest-agent port, which acpidm serves from the host (modelled agent)',
  'virtio-serial': 'virtio-serial bus: hosts only the guest-agent port, which acpidm serves from the host (modelled agent)',
};

export interface ManagedParseState {
  readonly m: ManagedConfig;
  /** `-mon` chardev ids, resolved at the end (the chardev may come later on the line). */
  readonly monChardevs: string[];
  /** virtserialport chardev ids. */
  readonly agentChardevs: string[];
  /** isa-serial devices: index (COM1 = 0) and chardev. */
  readonly isaSerials: { index: number; chardev: string }[];
  /** Socket chardev ids used by -mon or the agent port. */
  readonly claimed: Set<string>;
}

/** The socket chardevs a management stack owns: those a `-mon` or the agent's virtserialport names (others are serial sockets, chardev-socket.ts). */
function claimedSocketIds(argv: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (let i = 0; i + 1 < argv.length; i++) {
    const o = argv[i]!.replace(/^--/, '-');
    const v = argv[i + 1]!;
    if (o === '-mon') { const c = parseKv(v).kv.get('chardev'); if (c) ids.add(c); }
    if (o === '-device' && /virtserialport/.test(v)) {
      const kv = v.startsWith('{') ? parseKv(jsonOptionToKv(o, v, 'driver')).kv : parseKv(v).kv;
      const c = kv.get('chardev');
      if (c) ids.add(c);
    }
  }
  return ids;
}

export function managedState(m: ManagedConfig, argv: readonly string[] = []): ManagedParseState {
  return { m, monChardevs: [], agentChardevs: [], isaSerials: [], claimed: claimedSocketIds(argv) };
}

/**
 * Handle one option if it is a management-stack option; returns false to let qemu-args.ts handle it.
 * `value()` consumes the option's argument.
 */
export function parseManagedOption(opt: string, peek: string | undefined, value: () => string, st: ManagedParseState): boolean {
  const m = st.m;
  switch (opt) {
    case '-no-user-config':
      m.notes.push('-no-user-config: acpidm reads no configuration files anyway');
      return true;
    case '-usb':
      // libvirt's legacy form of its default <controller type='usb'> when piix3-usb-uhci is not a known type
      m.notes.push('-usb: USB controller not modelled (no USB devices exist to attach)');
      return true;
    case '-pidfile':
      m.pidfile = value();
      return true;
    case '-daemonize':
      m.daemonize = true;
      return true;
    case '-uuid': {
      const u = value();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(u)) throw new CliError(`-uuid ${u}: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
      m.uuid = u.toLowerCase();
      return true;
    }
    case '-rtc': {
      const { head, kv } = parseKv(value());
      const base = kv.get('base') ?? head ?? 'utc';
      for (const k of kv.keys()) if (!['base', 'clock', 'driftfix'].includes(k)) throw new CliError(`-rtc: unsupported property '${k}' (base, clock, driftfix)`);
      m.rtcBase = base;
      // QEMU vl.c configure_rtc: base=utc|localtime, or a start date YYYY-MM-DD[THH:MM:SS] (taken as UTC here)
      const date = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?$/.exec(base);
      if (date) {
        const [, y, mo, d, h = '0', mi = '0', sec = '0'] = date;
        const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
        if (!Number.isFinite(ms) || new Date(ms).getUTCDate() !== Number(d)) throw new CliError(`-rtc base=${base}: not a date`);
        m.rtcBaseMs = ms;
      } else if (base === 'utc' || base === 'localtime') {
        m.notes.push(`-rtc base=${base}: the RTC starts at acpidm's fixed epoch (2026-01-01T00:00:00Z) and counts virtual time, so runs replay; give base=YYYY-MM-DDTHH:MM:SS to start elsewhere`);
      } else throw new CliError(`-rtc base=${base}: use utc, localtime or a date YYYY-MM-DD[THH:MM:SS]`);
      return true;
    }
    case '-boot': {
      const { kv } = parseKv(value());
      for (const k of kv.keys()) if (!['strict', 'order', 'once', 'menu', 'reboot-timeout', 'splash-time'].includes(k)) throw new CliError(`-boot: unsupported property '${k}'`);
      m.notes.push('-boot: acpidm boots the -kernel or -bios it is given; there are no boot devices to order');
      return true;
    }
    case '-sandbox':
    case '-msg':
    case '-overcommit': {
      const v = value();
      m.notes.push(`${opt} ${v}: accepted; no effect on acpidm (${opt === '-sandbox' ? 'no seccomp filter is installed' : opt === '-msg' ? 'messages carry no wall-clock timestamps' : 'guest RAM is an ordinary host allocation'})`);
      return true;
    }
    case '-audiodev': {
      const v = value();
      const kv = v.startsWith('{') ? jsonOptionToKv(opt, v, 'driver') : v;
      const { head, kv: props } = parseKv(kv);
      const driver = props.get('driver') ?? head;
      if (driver !== 'none') throw new CliError(`-audiodev ${driver}: acpidm has no sound devices; only driver 'none' is accepted`);
      m.notes.push('-audiodev none: accepted (no sound devices)');
      return true;
    }
    case '-mon': {
      const { kv } = parseKv(value());
      const chardev = kv.get('chardev');
      if (!chardev) throw new CliError('-mon needs chardev=ID');
      const mode = kv.get('mode') ?? 'readline';
      if (mode !== 'control') throw new CliError(`-mon mode=${mode}: acpidm serves QMP (mode=control) on a -mon; for the human monitor use -monitor`);
      for (const k of kv.keys()) if (!['chardev', 'mode', 'id', 'pretty'].includes(k)) throw new CliError(`-mon: unsupported property '${k}'`);
      st.monChardevs.push(chardev);
      return true;
    }
    case '-object': {
      const v = value();
      const text = v.startsWith('{') ? jsonOptionToKv(opt, v, 'qom-type') : v;
      const { head, kv } = parseKv(text);
      const type = kv.get('qom-type') ?? head;
      const id = kv.get('id');
      if (!id) throw new CliError(`-object ${type}: needs id=ID`);
      if (type === 'memory-backend-ram') {
        const size = Number(kv.get('size'));
        if (!Number.isInteger(size) || size <= 0) throw new CliError(`-object memory-backend-ram,id=${id}: size must be a byte count`);
        m.memoryBackends.set(id, size);
      } else if (type === 'secret') {
        // libvirt's master key for encrypted secrets: nothing in acpidm takes a secret.
        m.notes.push(`-object secret,id=${id}: accepted; nothing in acpidm uses secrets`);
      } else throw new CliError(`-object ${type}: acpidm supports memory-backend-ram and secret objects`);
      return true;
    }
    case '-chardev': {
      if (peek === undefined || !/^socket(,|$)/.test(peek) || !st.claimed.has(parseKv(peek).kv.get('id') ?? '')) return false;
      const { kv } = parseKv(value());
      const id = kv.get('id');
      if (!id) throw new CliError('-chardev socket needs id=ID');
      const fdText = kv.get('fd');
      const path = kv.get('path') ?? null;
      if ((fdText === undefined) === (path === null)) throw new CliError(`-chardev socket,id=${id}: give exactly one of path=P or fd=N`);
      if (!kv.has('server') || !onOff(kv.get('server'), `-chardev socket,id=${id} server`)) throw new CliError(`-chardev socket,id=${id}: acpidm only listens (server=on)`);
      const wait = kv.has('wait') ? onOff(kv.get('wait'), `-chardev socket,id=${id} wait`) : !kv.has('nowait');
      for (const k of kv.keys()) if (!['id', 'fd', 'path', 'server', 'wait', 'nowait'].includes(k)) throw new CliError(`-chardev socket,id=${id}: unsupported property '${k}'`);
      let fd: number | null = null;
      if (fdText !== undefined) {
        fd = Number(fdText);
        if (!/^\d+$/.test(fdText) || fd < 3) throw new CliError(`-chardev socket,id=${id}: fd=${fdText} is not an inherited descriptor (3 or more)`);
      }
      m.sockets.set(id, { id, path, fd, wait });
      return true;
    }
    case '-device': {
      if (peek === undefined) return false;
      const text = peek.startsWith('{') ? jsonOptionToKv(opt, peek, 'driver') : peek;
      const { head, kv } = parseKv(text);
      const driver = kv.get('driver') ?? head ?? '';
      const id = kv.get('id');
      if (driver === 'virtserialport') {
        value();
        const name = kv.get('name');
        const chardev = kv.get('chardev');
        if (name !== AGENT_PORT_NAME || !chardev) throw new CliError(`-device virtserialport: acpidm serves only the guest agent's port (name=${AGENT_PORT_NAME},chardev=ID)`);
        st.agentChardevs.push(chardev);
      } else if (driver === 'isa-serial') {
        value();
        const chardev = kv.get('chardev');
        if (!chardev) throw new CliError('-device isa-serial needs chardev=ID');
        const index = kv.has('index') ? Number(kv.get('index')) : st.isaSerials.length;
        if (!Number.isInteger(index) || index < 0 || index > 3) throw new CliError(`-device isa-serial: index ${kv.get('index')} is not 0..3 (COM1..COM4)`);
        st.isaSerials.push({ index, chardev });
      } else if (driver in NOTED_DEVICES) {
        value();
        m.notes.push(`-device ${driver}${id ? `,id=${id}` : ''}: ${NOTED_DEVICES[driver]}`);
      } else {
        if (!peek.startsWith('{')) return false;
        value();
        throw new CliError(`-device ${driver}: supported devices are isa-debugcon, isa-debug-exit, pc-testdev, isa-serial, and libvirt's piix3-usb-uhci, virtio-serial-pci, virtserialport (guest agent)`);
      }
      if (id) m.peripherals.push({ id, driver });
      return true;
    }
    default:
      return false;
  }
}

/** A socket chardev as a listening QMP-style spec. */
function socketSpec(s: SocketChardev): QmpSpec {
  return s.fd !== null ? { kind: 'fd', fd: s.fd, wait: s.wait } : { kind: 'unix', path: s.path!, wait: s.wait };
}

/** Resolve `-mon` and the agent port to their socket chardevs; isa-serial to COM ports (returned by index). */
export function finishManaged(st: ManagedParseState, hasChardev: (id: string) => boolean): { index: number; chardev: string }[] {
  const m = st.m;
  const sock = (id: string, what: string): SocketChardev => {
    const s = m.sockets.get(id);
    if (!s) throw new CliError(hasChardev(id) ? `${what}: chardev '${id}' must be a socket (-chardev socket,...)` : `${what}: no -chardev with id=${id}`);
    return s;
  };
  for (const id of st.monChardevs) m.qmpSockets.push(socketSpec(sock(id, '-mon')));
  if (st.agentChardevs.length > 1) throw new CliError('-device virtserialport: only one guest-agent port is supported');
  for (const id of st.agentChardevs) m.agentSocket = socketSpec(sock(id, '-device virtserialport'));
  for (const [id, s] of m.sockets) m.chardevLabels.set(id, s.path !== null ? `unix:${s.path},server=on` : `fd:${s.fd},server=on`);
  for (const s of st.isaSerials) {
    if (m.sockets.has(s.chardev)) throw new CliError(`-device isa-serial: chardev '${s.chardev}' is a socket; serial ports take file, stdio or null chardevs`);
  }
  return [...st.isaSerials].sort((a, b) => a.index - b.index);
}
