/**
 * Collects what a swimlane diagram needs from one machine's trace while it runs: the records of the events
 * in `DIAGRAM_EVENTS`, the guest's console bytes (debugcon_write, serial_write) joined into lines, and for a
 * guest's port access the CS:EIP and bytes of its instruction (the trace sink runs inside the OUT, so the
 * CPU is still on it). Costs nothing unless created: the events are enabled only then.
 */
import type { Trace, TraceRecord } from '../trace/trace.js';
import type { DiagramRecord, GuestSite } from './swimlane.js';

/** QEMU-mode events the diagram draws (qemu-lanes.ts says how). */
export const QEMU_DIAGRAM_EVENTS = [
  'seabios_piix4_pm_config_setup', 'seabios_acpi_tables', 'multiboot_load', 'linux_load', 'seabios_s3_resume', 'seabios_hard_reboot',
  'acpi_pm1_cnt_write', 'acpi_pm1_cnt_update', 'acpi_pm1_evt_write_sts', 'acpi_pm1_evt_write_en', 'acpi_pm1_evt_power_down',
  'acpi_notify_wakeup', 'acpi_gpe_writeb', 'piix_rcr_write', 'pckbd_kbd_write_command', 'port92_write', 'debug_exit_write',
  'cpu_triple_fault', 'machine_guest_sleep', 'machine_request', 'machine_event', 'machine_runstate', 'machine_reset',
  'machine_halted_cli', 'qmp_command', 'qmp_session',
];

/** Records made by guest instructions: they get the instruction's site. */
const GUEST_ACCESSES = new Set([
  'acpi_pm1_cnt_write', 'acpi_pm1_cnt_update', 'acpi_pm1_evt_write_sts', 'acpi_pm1_evt_write_en', 'acpi_gpe_writeb',
  'piix_rcr_write', 'pckbd_kbd_write_command', 'port92_write', 'debug_exit_write', 'cpu_triple_fault',
]);

/** The console line record the recorder makes from a guest's console bytes (ns `guest`, not a catalogue event). */
export const CONSOLE_LINE = 'guest_console_line';

export interface RecorderOptions {
  /** The guest instruction being executed (CS:EIP, bytes), asked for each guest access. */
  site?: () => GuestSite | undefined;
  /** Keep at most this many records: the first and last halves stay, the middle is counted in `dropped`. */
  limit?: number;
}

const LCR_DLAB = 0x80;

export class DiagramRecorder {
  readonly records: DiagramRecord[] = [];
  /** Records left out of the middle of a long run. */
  dropped = 0;
  private readonly tail: DiagramRecord[] = [];
  private readonly limit: number;
  private readonly lines = new Map<number, { text: string; seq: number; t: number }>();
  private readonly lcr = new Map<number, number>();
  private readonly unsubscribe: () => void;

  constructor(trace: Trace, private readonly o: RecorderOptions = {}) {
    this.limit = o.limit ?? 40_000;
    for (const e of [...QEMU_DIAGRAM_EVENTS, 'debugcon_write', 'serial_write']) trace.enable(e);
    this.unsubscribe = trace.subscribe((rec) => this.take(rec));
  }

  stop(): void {
    this.unsubscribe();
  }

  private take(rec: TraceRecord): void {
    if (rec.name === 'debugcon_write') return this.consoleByte(rec.args['port'] as number, rec.args['byte'] as number, rec);
    if (rec.name === 'serial_write') {
      const base = rec.args['iobase'] as number;
      const off = rec.args['off'] as number;
      const val = rec.args['val'] as number;
      if (off === 3) this.lcr.set(base, val);
      // Offset 0 is THR only with DLAB clear (with it set, the divisor latch): QEMU hw/char/serial.c serial_ioport_write.
      else if (off === 0 && ((this.lcr.get(base) ?? 0) & LCR_DLAB) === 0) this.consoleByte(base, val, rec);
      return;
    }
    if (!QEMU_DIAGRAM_EVENTS.includes(rec.name)) return;
    const site = GUEST_ACCESSES.has(rec.name) ? this.o.site?.() : undefined;
    this.push({ seq: rec.seq, t: rec.t, ns: rec.ns, name: rec.name, args: rec.args, ...(site ? { site } : {}) });
  }

  private consoleByte(port: number, b: number, rec: TraceRecord): void {
    let l = this.lines.get(port);
    if (b === 0x0a) {
      this.push({ seq: l?.seq ?? rec.seq, t: l?.t ?? rec.t, ns: 'guest', name: CONSOLE_LINE, args: { port, line: l?.text ?? '' } });
      this.lines.delete(port);
      return;
    }
    if (b === 0x0d) return;
    if (!l) this.lines.set(port, (l = { text: '', seq: rec.seq, t: rec.t }));
    if (l.text.length < 400) l.text += String.fromCharCode(b);
  }

  private push(r: DiagramRecord): void {
    if (this.records.length < this.limit >> 1) {
      this.records.push(r);
      return;
    }
    this.tail.push(r);
    if (this.tail.length >= this.limit >> 1) this.dropped += this.tail.splice(0, this.limit >> 2).length;
  }

  /** Everything recorded, in trace order (a console line without its newline yet is included). */
  all(): DiagramRecord[] {
    const partial: DiagramRecord[] = [...this.lines].map(([port, l]) => ({ seq: l.seq, t: l.t, ns: 'guest', name: CONSOLE_LINE, args: { port, line: l.text } }));
    return [...this.records, ...this.tail, ...partial].sort((a, b) => a.seq - b.seq);
  }
}
