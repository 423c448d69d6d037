/**
 * One structured trace for every layer.
 *
 * Events are declared once in a catalogue (`defineEvent`) with a namespace, a
 * QEMU-style `file_function_what` name and a one-line formatter. A `Trace` is
 * the stream one machine (or one Xen host) emits into; sinks render it for
 * people (`debug` namespaces `acpidm:<ns>`) or as JSON lines.
 *
 * Hot paths check `trace.on(def)` before building arguments, so a disabled
 * event costs one typed-array load and a compare.
 */

export type Namespace =
  | 'cpu' | 'ioport' | 'pci' | 'acpi' | 'piix4' | 'pic' | 'machine' | 'firmware'
  | 'qmp' | 'lifecycle' | 'ioreq' | 'xen' | 'xenstore' | 'xl' | 'qemu-dm' | 'cli';

export const NAMESPACES: readonly Namespace[] = [
  'cpu', 'ioport', 'pci', 'acpi', 'piix4', 'pic', 'machine', 'firmware',
  'qmp', 'lifecycle', 'ioreq', 'xen', 'xenstore', 'xl', 'qemu-dm', 'cli',
];

export interface EventDef<A> {
  readonly id: number;
  readonly ns: Namespace;
  readonly name: string;
  readonly format: (args: A) => string;
}

/** A rendered trace record: what sinks and tests see. */
export interface TraceRecord {
  /** Monotonic sequence number inside this trace. */
  readonly seq: number;
  /** Virtual time in nanoseconds when the event happened. */
  readonly t: number;
  readonly ns: Namespace;
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
}

const catalogue: EventDef<never>[] = [];

/** Declare a trace event. Call at module top level, once per event. */
export function defineEvent<A extends object>(ns: Namespace, name: string, format: (args: A) => string): EventDef<A> {
  const existing = catalogue.find((d) => d.name === name);
  if (existing) {
    if (existing.ns !== ns) throw new Error(`trace event ${name} declared twice in different namespaces`);
    return existing as unknown as EventDef<A>;
  }
  const def: EventDef<A> = { id: catalogue.length, ns, name, format };
  catalogue.push(def as unknown as EventDef<never>);
  return def;
}

export function eventCatalogue(): readonly EventDef<never>[] {
  return catalogue;
}

export type TraceSink = (rec: TraceRecord, def: EventDef<never>) => void;

/** Glob match in the style of QEMU's `-trace PATTERN` and `debug`'s DEBUG variable. */
export function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

export class Trace {
  private readonly enabled = new Uint8Array(4096);
  private readonly sinks: TraceSink[] = [];
  private readonly patterns: RegExp[] = [];
  private seq = 0;
  /** Bounded in-memory history (for QMP's trace extension and tests). */
  readonly history: TraceRecord[] = [];
  historyLimit = 100_000;
  private recordAll = false;

  constructor(public clock: () => number = () => 0) {}

  /** Is this event wanted by any sink? Check before building arguments. */
  on(def: EventDef<never> | EventDef<any>): boolean {
    return this.enabled[def.id] === 1 || this.recordAll;
  }

  /** Keep every event in `history`, whatever the patterns say. */
  recordEverything(on = true): this {
    this.recordAll = on;
    return this;
  }

  /**
   * Enable events whose `ns:name` or `name` matches a glob (`acpi_*`,
   * `acpidm:xen`, `*`). Returns how many catalogue entries matched.
   */
  enable(pattern: string): number {
    const re = globToRegExp(pattern.replace(/^acpidm:/, ''));
    this.patterns.push(re);
    return this.refresh();
  }

  private refresh(): number {
    let n = 0;
    for (const def of catalogue) {
      const hit = this.patterns.some((re) => re.test(def.name) || re.test(def.ns) || re.test(`${def.ns}:${def.name}`));
      this.enabled[def.id] = hit ? 1 : 0;
      if (hit) n++;
    }
    return n;
  }

  subscribe(sink: TraceSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  emit<A extends object>(def: EventDef<A>, args: A): void {
    // Events declared after enable() was called are picked up lazily.
    if (def.id >= catalogue.length) return;
    if (this.enabled[def.id] !== 1 && !this.recordAll) {
      if (this.patterns.length === 0) return;
      this.refresh();
      if (this.enabled[def.id] !== 1) return;
    }
    const rec: TraceRecord = { seq: this.seq++, t: this.clock(), ns: def.ns, name: def.name, args: args as Record<string, unknown> };
    if (this.history.length >= this.historyLimit) this.history.splice(0, this.history.length >> 1);
    this.history.push(rec);
    for (const s of this.sinks) s(rec, def as unknown as EventDef<never>);
  }

  /** Records of one event name, in order (for tests and the QMP extension). */
  find(name: string): TraceRecord[] {
    return this.history.filter((r) => r.name === name);
  }
}

export function formatRecord(rec: TraceRecord, def: EventDef<never>): string {
  return `${rec.name} ${def.format(rec.args as never)}`;
}

export function jsonLine(rec: TraceRecord): string {
  return JSON.stringify({ seq: rec.seq, t: rec.t, ns: `acpidm:${rec.ns}`, event: rec.name, args: rec.args });
}

export const hex = (v: number | bigint, width = 0): string => v.toString(16).padStart(width, '0');
