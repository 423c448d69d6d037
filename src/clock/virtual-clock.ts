/**
 * The guest's virtual clock. Time is derived from the instruction count, as
 * QEMU's `-icount shift=N` does: every instruction advances time by 2^N ns.
 * With no CPU (qtest-style tests) time moves only when `advance()` is called.
 * Nothing here reads the host's clock, so every run replays exactly.
 */

export interface VirtualTimer {
  readonly name: string;
  deadline: number; // ns; Infinity when disarmed
  readonly fire: (now: number) => void;
  /**
   * Whether firing could wake a halted CPU (or a suspended machine) now; absent = always.
   * A PIT tick on a masked IRQ 0 cannot: the machine loop reports a halted guest idle
   * when no armed timer can wake it, instead of warping from tick to tick forever.
   */
  wakes?: () => boolean;
}

/**
 * A timer of this clock: setting `deadline` tells the clock, so finding the next deadline costs nothing on the
 * CPU's per-I/O path (the clock sync before every port access and the check after every OUT).
 */
class ClockTimer implements VirtualTimer {
  private d = Infinity;
  wakes?: () => boolean;
  constructor(readonly name: string, readonly fire: (now: number) => void, private readonly clock: VirtualClock) {}
  get deadline(): number { return this.d; }
  set deadline(v: number) {
    const old = this.d;
    if (v === old) return;
    this.d = v;
    this.clock.deadlineMoved(old, v);
  }
}

export class VirtualClock {
  /** ns per instruction = 2^shift (QEMU -icount shift=N). */
  private nsPerInsn: number;
  private baseNs = 0;
  private insns = 0;
  private readonly timers: VirtualTimer[] = [];
  /** The earliest deadline of all timers while `earliestExact`; otherwise a lower bound of it. */
  private earliest = Infinity;
  private earliestExact = true;

  constructor(shift = 0) {
    this.nsPerInsn = 2 ** shift;
    // The counters start as doubles: `baseNs` leaves the small-integer range at the first jump of a halted CPU and
    // `insns` past 2^31 instructions, and a field's first such value changes the clock's hidden class, which throws away
    // every optimised function that read it (a Linux boot: 16, the clock's readers, port IO and three compiled blocks).
    // Fields elsewhere that store what these return must be doubles too (Cpu.widenAddressFields).
    this.baseNs = 0.5;
    this.baseNs = 0;
    this.insns = 0.5;
    this.insns = 0;
  }

  /** Nanoseconds of virtual time per instruction (2^shift). */
  get nsPerInstruction(): number {
    return this.nsPerInsn;
  }

  get shift(): number {
    return Math.log2(this.nsPerInsn);
  }

  setShift(shift: number): void {
    if (!Number.isInteger(shift) || shift < 0 || shift > 10) throw new RangeError(`icount shift must be an integer 0..10, got ${shift}`);
    this.baseNs = this.ns();
    this.insns = 0;
    this.nsPerInsn = 2 ** shift;
  }

  /** Virtual time in nanoseconds. */
  ns(): number {
    return this.baseNs + this.insns * this.nsPerInsn;
  }

  /** Instructions retired since the clock was created. */
  get instructions(): number {
    return this.insns;
  }

  /** Called by the CPU after a slice. Fires due timers. */
  addInstructions(n: number): void {
    this.insns += n;
    if (this.ns() >= this.earliest) this.runDue(); // `earliest` never exceeds the first deadline: nothing is due
  }

  /** Move time forward with no CPU (qtest `clock_step`). */
  advance(ns: number): void {
    if (!(ns >= 0)) throw new RangeError(`cannot move the virtual clock by ${ns} ns`);
    const target = this.ns() + ns;
    // Fire timers in deadline order, each at its own time.
    for (;;) {
      const next = this.nextDeadline();
      if (next > target) break;
      this.baseNs += Math.max(0, next - this.ns());
      this.runDue();
    }
    this.baseNs += target - this.ns();
  }

  /** How many instructions may run before the next timer is due. */
  insnsUntilNextDeadline(): number {
    const d = this.nextDeadline();
    if (d === Infinity) return Infinity;
    return Math.max(1, Math.ceil((d - this.ns()) / this.nsPerInsn));
  }

  timer(name: string, fire: (now: number) => void): VirtualTimer {
    const t = new ClockTimer(name, fire, this);
    this.timers.push(t);
    return t;
  }

  /** A timer's deadline moved from `old` to `v` (ClockTimer's setter). */
  deadlineMoved(old: number, v: number): void {
    if (v < this.earliest) this.earliest = v; // still exact if it was: nothing is earlier
    else if (old <= this.earliest) this.earliestExact = false; // the first timer moved later: recompute on demand
  }

  /** Earliest deadline among the timers that could wake the guest (see `VirtualTimer.wakes`). */
  nextWakeDeadline(): number {
    let d = Infinity;
    for (const t of this.timers) if (t.deadline < d && (!t.wakes || t.wakes())) d = t.deadline;
    return d;
  }

  nextDeadline(): number {
    if (this.earliestExact) return this.earliest;
    let d = Infinity;
    for (const t of this.timers) if (t.deadline < d) d = t.deadline;
    this.earliest = d;
    this.earliestExact = true;
    return d;
  }

  runDue(): void {
    const now = this.ns();
    for (const t of this.timers) {
      if (t.deadline <= now) {
        t.deadline = Infinity;
        t.fire(now);
      }
    }
    // `earliest` was due or a stale lower bound (a timer moved later): settle it here, or every addInstructions (one per
    // guest port access) would find the time past it and scan the timers again until the next nextDeadline() call
    this.earliestExact = false;
    this.nextDeadline();
  }
}
