/**
 * xl domain configuration files (Xen tools/xl/xl_parse.c, libxlu's cfg
 * syntax): `key = value` lines, strings in "" or '', integers, [lists],
 * `#` comments. Only the keys acpidm uses are interpreted; the on_* actions
 * are validated with xl's messages and defaults.
 */
export const ACTIONS = ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart', 'soft-reset'] as const;
export type OnAction = (typeof ACTIONS)[number];

/** libxl_action_on_shutdown numbers (libxl_types.idl). */
export const ACTION_NUMBERS: Record<OnAction, number> = {
  destroy: 1, restart: 2, 'rename-restart': 3, preserve: 4, 'coredump-destroy': 5, 'coredump-restart': 6, 'soft-reset': 7,
};

export type DeviceModelVersion = 'qemu-xen-traditional' | 'qemu-xen';

export interface XlConfig {
  name: string;
  memory: number;
  vcpus: number;
  /** A multiboot kernel file, or `scripted:KIND` for a built-in scripted guest. */
  kernel: string;
  acpi: boolean;
  type: 'hvm';
  /**
   * `device_model_version`: "qemu-xen-traditional" (acpidm's default, the qemu-dm of the seeds: SCHEDOP_remote_shutdown)
   * or "qemu-xen" (upstream QEMU: XEN_DMOP_remote_shutdown first). Xen tools/xl/xl_parse.c parses the same two names.
   */
  device_model_version: DeviceModelVersion;
  on_poweroff: OnAction;
  on_reboot: OnAction;
  on_watchdog: OnAction;
  on_crash: OnAction;
  on_soft_reset: OnAction;
  /** Everything else, as parsed. */
  extra: Record<string, string | number | (string | number)[]>;
}

export class XlConfigError extends Error {
  override name = 'XlConfigError';
}

type Value = string | number | (string | number)[];

function parseValue(raw: string, line: number): Value {
  const s = raw.trim();
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new XlConfigError(`config line ${line}: unterminated list`);
    const inner = s.slice(1, -1).trim();
    if (!inner) return [];
    return inner.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
      const v = parseValue(x, line);
      if (Array.isArray(v)) throw new XlConfigError(`config line ${line}: nested lists are not allowed`);
      return v;
    });
  }
  const q = s[0];
  if (q === '"' || q === "'") {
    if (s.length < 2 || s[s.length - 1] !== q) throw new XlConfigError(`config line ${line}: unterminated string`);
    return s.slice(1, -1);
  }
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(s)) return Number(s);
  throw new XlConfigError(`config line ${line}: cannot parse value '${s}' (strings need quotes)`);
}

/** xl_parse.c: any other value is "Unknown device_model_version \"%s\" specified". */
function dmVersion(v: Value | undefined): DeviceModelVersion {
  if (v === undefined) return 'qemu-xen-traditional';
  if (v === 'qemu-xen-traditional' || v === 'qemu-xen') return v;
  throw new XlConfigError(`Unknown device_model_version "${String(v)}" specified`);
}

/** Parse the file text into key/value pairs (libxlu_cfg). */
export function parseXlCfg(text: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  text.split(/\r?\n/).forEach((rawLine, i) => {
    let line = '';
    let quote: string | null = null;
    for (const ch of rawLine) {
      if (quote) { if (ch === quote) quote = null; }
      else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#') break;
      line += ch;
    }
    for (const stmt of line.split(';')) {
      if (!stmt.trim()) continue;
      const eq = stmt.indexOf('=');
      if (eq < 0) throw new XlConfigError(`config line ${i + 1}: expected 'key = value', got '${stmt.trim()}'`);
      const key = stmt.slice(0, eq).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new XlConfigError(`config line ${i + 1}: bad key '${key}'`);
      out[key] = parseValue(stmt.slice(eq + 1), i + 1);
    }
  });
  return out;
}

function action(kv: Record<string, Value>, key: 'on_poweroff' | 'on_reboot' | 'on_watchdog' | 'on_crash' | 'on_soft_reset', def: OnAction): OnAction {
  const v = kv[key];
  if (v === undefined) return def;
  const s = String(v);
  if (!(ACTIONS as readonly string[]).includes(s)) throw new XlConfigError(`Unknown ${key} action "${s}" specified`);
  return s as OnAction;
}

/** parse_config_data: the keys acpidm uses, with xl's defaults. */
export function parseXlConfig(text: string): XlConfig {
  const kv = parseXlCfg(text);
  const name = kv.name;
  if (typeof name !== 'string' || !name) throw new XlConfigError('Domain name must be specified.');
  const int = (k: string, def: number, min: number, max: number): number => {
    const v = kv[k] ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new XlConfigError(`${k} must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
    return v;
  };
  const type = kv.type ?? (kv.builder === 'hvm' ? 'hvm' : 'hvm');
  if (type !== 'hvm') throw new XlConfigError(`only type = "hvm" is modelled, got ${JSON.stringify(type)}`);
  const cfg: XlConfig = {
    name, memory: int('memory', 128, 1, 2047), vcpus: int('vcpus', 1, 1, 128),
    kernel: typeof kv.kernel === 'string' ? kv.kernel : 'scripted:acpi-poweroff',
    acpi: int('acpi', 1, 0, 1) === 1, type: 'hvm', device_model_version: dmVersion(kv.device_model_version),
    on_poweroff: action(kv, 'on_poweroff', 'destroy'), on_reboot: action(kv, 'on_reboot', 'restart'),
    on_watchdog: action(kv, 'on_watchdog', 'destroy'), on_crash: action(kv, 'on_crash', 'destroy'),
    on_soft_reset: action(kv, 'on_soft_reset', 'soft-reset'), extra: {},
  };
  for (const [k, v] of Object.entries(kv)) if (!(k in cfg)) cfg.extra[k] = v;
  return cfg;
}
