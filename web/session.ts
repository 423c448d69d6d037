/**
 * One guest run for the page, with no DOM: a PcSystem booted from a kernel
 * image, run in slices by the caller, plus the host's two buttons (power
 * button = QMP system_powerdown, wake up = QMP system_wakeup). The page
 * (main.ts) renders `snapshot()`; the slice loop lives there so the browser
 * stays responsive between slices.
 */
import { PcSystem, type RunOutcome } from '../src/machine/pc-system.js';
import { parseMultiboot } from '../src/machine/multiboot.js';
import type { MachineEvent } from '../src/machine/run-state.js';
import type { CauseLink } from '../src/machine/cause-chain.js';
import { Timeline as WebTimeline } from '../src/machine/timeline.js';
import { verdictLines } from '../src/machine/verdict.js';
import { DiagramRecorder } from '../src/diagram/recorder.js';
import { pcGuestSite } from '../src/diagram/pc-site.js';
import { buildSwimlane } from '../src/diagram/build.js';
import type { Swimlane } from '../src/diagram/swimlane.js';

/** Where the run is, from the host's point of view. */
export type Phase =
  | 'running'      // more slices to run
  | 'waiting'      // HLT with IF=1 and nothing pending: only the host (power button) can move it on
  | 'suspended'    // S3: only a wakeup can move it on
  | 'halted'       // HLT with IF=0: nothing will ever run again (the power button still gives POWERDOWN)
  | 'stopped'      // shut down under -no-shutdown, or another stopped run state
  | 'exited'       // the process would have exited (guest poweroff, -no-reboot reset)
  | 'budget';      // the instruction budget is used up

export interface SessionOptions {
  name: string;
  kernel: Uint8Array;
  /** `-no-shutdown`: a guest poweroff stops the machine instead of exiting. */
  noShutdown?: boolean;
  /** `-no-reboot`: a reset exits (SHUTDOWN guest-reset) instead of rebooting. */
  noReboot?: boolean;
  /** Stop after this many instructions in all (a reboot loop never ends on its own). */
  maxInsns?: number;
}

export interface EventView { event: string; data?: { guest: boolean; reason: string }; tNs: number; cause?: number }
export interface LinkView { id: number; requester: string; mechanism: string; what: string; answers?: number; tNs: number }

/** Everything the page shows, as plain data (also what the browser test reads). */
export interface Snapshot {
  guest: string;
  phase: Phase;
  runState: string;
  exitStatus: number | null;
  instructions: number;
  virtualNs: number;
  console: string;
  timeline: string[];
  events: EventView[];
  chain: LinkView[];
  /** The verdict (src/machine/verdict.ts: the sentence every client prints), then the chain with its evidence. */
  whoDidIt: string[];
  /** The verdict sentence alone. */
  verdict: string;
  /** Full lengths, for a page that shows only the tail. */
  counts: { console: number; timeline: number; events: number; chain: number };
  note: string;
}

/** A reboot loop prints forever: the console keeps its last half when it reaches this size. */
const CONSOLE_MAX = 1 << 20;

export class WebSession {
  readonly sys: PcSystem;
  readonly timeline: WebTimeline;
  phase: Phase = 'running';
  note = '';
  private console = '';
  private consoleLines = 0;
  private readonly maxInsns: number;
  /** What the swimlane diagram is drawn from (src/diagram): the trace records of this run. */
  readonly recorder: DiagramRecorder;

  constructor(readonly opts: SessionOptions) {
    parseMultiboot(opts.kernel); // a clear MultibootError before anything runs
    this.maxInsns = opts.maxInsns ?? 200_000_000;
    let timeline: WebTimeline | null = null;
    this.sys = new PcSystem({
      kernel: opts.kernel, memoryMiB: 64,
      debugcon: [{ iobase: 0xe9 }],
      noShutdown: opts.noShutdown ?? false, noReboot: opts.noReboot ?? false,
      onDebugconOutput: (b) => {
        if (b === 0x0a) this.consoleLines++;
        if (b !== 0x0d) this.console += String.fromCharCode(b);
        if (this.console.length > CONSOLE_MAX) this.console = this.console.slice(this.console.indexOf('\n', CONSOLE_MAX >> 1) + 1);
        timeline?.guestByte(b);
      },
    });
    const m = this.sys.machine;
    timeline = this.timeline = new WebTimeline(() => m.clock.ns(), { maxLines: 5000 });
    this.timeline.attach(m.trace);
    this.recorder = new DiagramRecorder(m.trace, { site: pcGuestSite(this.sys) });
    this.sys.powerOn();
    m.start();
  }

  /** Run for up to `insns` instructions; returns the new phase. */
  step(insns: number): Phase {
    if (this.phase !== 'running') return this.phase;
    const m = this.sys.machine;
    const left = this.maxInsns - m.clock.instructions;
    const out = this.sys.run(Math.max(1, Math.min(insns, left)));
    this.phase = this.phaseOf(out);
    return this.phase;
  }

  private phaseOf(out: RunOutcome): Phase {
    const m = this.sys.machine;
    switch (out.kind) {
      case 'exit':
        return this.finish('exited', `machine exited with status ${out.status} (as QEMU would)`);
      case 'halted-cli':
        return this.finish('halted', 'guest halted with interrupts disabled: nothing can wake it (the power button only gives POWERDOWN)');
      case 'halted':
        return this.finish('waiting', 'guest is idle in HLT, waiting for the host (press the power button)');
      case 'stopped':
        if (out.state === 'suspended') {
          // As `acpidm run` without a monitor: an armed RTC / PM timer alarm wakes it (icount sleep=off warp).
          const next = m.clock.nextWakeDeadline(); // only timers that can wake it (not PIT ticks)
          if (next !== Infinity) {
            m.clock.advance(Math.max(0, next - m.clock.ns()));
            return 'running';
          }
          return this.finish('suspended', 'guest is suspended to RAM (S3): press Wake up');
        }
        return this.finish('stopped', `machine is ${out.state}`);
      case 'budget':
        if (m.clock.instructions >= this.maxInsns) {
          return this.finish('budget', `stopped: the budget of ${this.maxInsns} instructions is used up; run state ${m.runState.state}`);
        }
        return 'running';
    }
  }

  private finish(phase: Phase, note: string): Phase {
    if (note !== this.note) this.timeline.note(note);
    this.note = note;
    return phase;
  }

  /** QMP `system_powerdown`: the host presses the ACPI power button. */
  pressPowerButton(): void {
    if (this.phase === 'exited' || this.phase === 'budget') return;
    this.sys.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'acpi-power-button', what: 'power button' });
    if (this.phase === 'waiting' || this.phase === 'halted' || this.phase === 'suspended') this.phase = 'running';
  }

  /** QMP `system_wakeup`; returns QEMU's error text when the guest is not suspended. */
  wakeUp(): string | null {
    try {
      this.sys.machine.runState.requestWakeup('other');
    } catch (e) {
      return (e as Error).message;
    }
    if (this.phase === 'suspended' || this.phase === 'stopped') this.phase = 'running';
    return null;
  }

  /** The swimlane diagram of the run so far (the same model `acpidm run --diagram` draws). */
  diagram(): Swimlane {
    const rs = this.sys.machine.runState;
    return buildSwimlane({
      mode: 'qemu', title: `${this.opts.name} (QEMU mode)`, records: this.recorder.all(), chains: [{ links: rs.chain.links }],
      verdict: rs.verdict(), dropped: this.recorder.dropped,
    });
  }

  /**
   * Everything as plain data. `tail` keeps only the last N console lines, timeline lines, events and links
   * (what a page shows while a long run goes on: cheap however long the run); omitted = everything.
   */
  snapshot(tail?: number): Snapshot {
    const m = this.sys.machine;
    const last = <T>(a: readonly T[]): T[] => (tail === undefined || a.length <= tail ? a.slice() : a.slice(-tail));
    const links = last(m.runState.chain.links);
    const verdict = m.runState.verdict();
    let console = this.console;
    if (tail !== undefined) {
      let at = console.length;
      for (let n = 0; n <= tail && at > 0; n++) at = console.lastIndexOf('\n', at - 1);
      if (at >= 0) console = console.slice(at + 1);
    }
    return {
      guest: this.opts.name,
      phase: this.phase,
      runState: m.runState.state,
      exitStatus: m.runState.exitStatus,
      instructions: m.clock.instructions,
      virtualNs: m.clock.ns(),
      console,
      timeline: last(this.timeline.lines),
      events: last(m.runState.log).map(eventView),
      chain: links.map(linkView),
      whoDidIt: [...verdictLines(verdict), ...describeCauses(links)],
      verdict: verdict.sentence,
      counts: { console: this.consoleLines, timeline: this.timeline.lines.length, events: m.runState.log.length, chain: m.runState.chain.links.length },
      note: this.note,
    };
  }
}

function eventView(e: MachineEvent): EventView {
  return {
    event: e.event, tNs: e.t,
    ...(e.data ? { data: { guest: e.data.guest, reason: e.data.reason } } : {}),
    ...(e.cause ? { cause: e.cause.id } : {}),
  };
}

function linkView(l: CauseLink): LinkView {
  return {
    id: l.id, requester: l.requester, mechanism: l.mechanism, what: l.what, tNs: l.t,
    ...(l.answers !== undefined ? { answers: l.answers } : {}),
  };
}

/** "Who shut this VM down?": the chain oldest first with its evidence, as `acpidm run` prints it. */
export function describeCauses(links: readonly CauseLink[]): string[] {
  const val = (k: string, v: string | number | boolean) =>
    typeof v === 'number' && k !== 'insns' && k !== 'tNs' && k !== 'slpTyp' ? `0x${v.toString(16)}` : String(v);
  return links.map((l) => {
    const ev = l.evidence ? ` {${Object.entries(l.evidence).map(([k, v]) => `${k}: ${val(k, v)}`).join(', ')}}` : '';
    return `#${l.id} ${l.requester} via ${l.mechanism}: ${l.what} (answers ${l.answers !== undefined ? `#${l.answers}` : 'none'})${ev}`;
  });
}

/** An event as `acpidm run` lists it: `SHUTDOWN {"guest":true,"reason":"guest-shutdown"}`. */
export function eventText(e: EventView): string {
  return e.data ? `${e.event} ${JSON.stringify(e.data)}` : e.event;
}
