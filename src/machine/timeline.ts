/**
 * The human timeline of a run (`acpidm run` prints it, the web page shows it):
 * firmware steps, the guest's own debug-console lines, the PM register writes,
 * the decoded sleep request, run-state changes and events, then who shut the
 * machine down. Isomorphic: output goes to a callback and/or `lines`.
 */
import { formatRecord, type Trace } from '../trace/trace.js';

/** Events shown in the default timeline (globs over event names). */
export const TIMELINE_EVENTS = [
  'seabios_*', 'multiboot_load', 'acpi_pm1_cnt_write', 'acpi_pm1_evt_power_down', 'acpi_notify_wakeup',
  'machine_*', 'piix_rcr_write', 'pckbd_kbd_write_command', 'cpu_triple_fault', 'ioport_invalid_access',
  'piix4_pm_io_space_update', 'xen_*', 'qemu_dm_*', 'destroy_hvm_domain', 'xl_*', 'xenstored_domain_*', 'xenstored_watch_event',
];

const fmtTime = (ns: number): string => `${(ns / 1e6).toFixed(6).padStart(12)} ms`;

export interface TimelineOptions {
  /** Called with each rendered line (ending in a newline). */
  out?: (s: string) => void;
  /** Keep at most this many lines in `lines` (older ones are dropped in halves). Default: all. */
  maxLines?: number;
}

const DROP_MARK = '        ...  (';

export class Timeline {
  private line = '';
  /** Lines dropped from `lines` so far (the first line says how many). */
  dropped = 0;
  readonly lines: string[] = [];
  private readonly out: ((s: string) => void) | null;
  private readonly maxLines: number;

  constructor(private readonly clock: () => number, opts: TimelineOptions = {}) {
    this.out = opts.out ?? null;
    this.maxLines = opts.maxLines ?? Infinity;
  }

  attach(trace: Trace): () => void {
    for (const p of TIMELINE_EVENTS) trace.enable(p);
    return trace.subscribe((rec, def) => {
      if (!TIMELINE_EVENTS.some((p) => p.endsWith('*') ? rec.name.startsWith(p.slice(0, -1)) : rec.name === p)) return;
      this.flushGuest();
      this.emit(rec.t, rec.ns, formatRecord(rec, def));
    });
  }

  /** A byte the guest wrote to its debug console: shown line by line. */
  guestByte(b: number): void {
    if (b === 0x0a) {
      this.emit(this.clock(), 'guest', this.line);
      this.line = '';
    } else if (b !== 0x0d) this.line += String.fromCharCode(b);
  }

  flushGuest(): void {
    if (this.line) {
      this.emit(this.clock(), 'guest', this.line);
      this.line = '';
    }
  }

  note(text: string): void {
    this.flushGuest();
    this.emit(this.clock(), 'acpidm', text);
  }

  private emit(t: number, ns: string, msg: string): void {
    const l = `${fmtTime(t)}  ${ns.padEnd(9)} ${msg}`;
    if (this.lines.length >= this.maxLines) {
      // Say how many went, not just that some did (a marker from an earlier drop is replaced, its count kept).
      const marker = this.lines[0]?.startsWith(DROP_MARK) ? 1 : 0;
      const gone = (this.maxLines >> 1) - marker;
      this.dropped += gone;
      this.lines.splice(0, this.maxLines >> 1, `${DROP_MARK}${this.dropped} older lines dropped)`);
    }
    this.lines.push(l);
    this.out?.(l + '\n');
  }
}
