/**
 * The page's timeline: the same lines `acpidm run` prints (src/cli/timeline.ts,
 * which the page may not import: src/cli is Node-only): firmware steps, the
 * guest's debug-console lines, PM register writes, run-state changes, events.
 */
import { formatRecord, type Trace } from '../src/trace/trace.js';

/** Events shown (globs over event names), as the CLI's TIMELINE_EVENTS for QEMU mode. */
export const TIMELINE_EVENTS = [
  'seabios_*', 'multiboot_load', 'acpi_pm1_cnt_write', 'acpi_pm1_evt_power_down', 'acpi_notify_wakeup',
  'machine_*', 'piix_rcr_write', 'pckbd_kbd_write_command', 'cpu_triple_fault', 'ioport_invalid_access',
  'piix4_pm_io_space_update',
];

/** Keep the page light: a reboot loop would otherwise grow the timeline without end. */
const MAX_LINES = 5000;

const fmtTime = (ns: number): string => `${(ns / 1e6).toFixed(6).padStart(12)} ms`;
const wanted = (name: string): boolean =>
  TIMELINE_EVENTS.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));

export class WebTimeline {
  readonly lines: string[] = [];
  private line = '';

  constructor(private readonly clock: () => number) {}

  attach(trace: Trace): () => void {
    for (const p of TIMELINE_EVENTS) trace.enable(p);
    return trace.subscribe((rec, def) => {
      if (!wanted(rec.name)) return;
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
    if (this.lines.length >= MAX_LINES) this.lines.splice(0, MAX_LINES >> 1, '        ...  (older lines dropped)');
    this.lines.push(`${fmtTime(t)}  ${ns.padEnd(9)} ${msg}`);
  }
}
