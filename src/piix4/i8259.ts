/**
 * The two cascaded 8259A PICs of a PC (QEMU hw/intc/i8259.c,
 * i8259_common.c): master 0x20/0x21, slave 0xA0/0xA1 on master IRQ 2, ELCR
 * 0x4D0/0x4D1 selecting level-triggered inputs (masks 0xF8 / 0xDE). ICW1-4,
 * OCW2 (EOI, specific EOI, rotations), OCW3 (IRR/ISR select, poll, special
 * mask), IMR. The CPU side is `intr()` (the master's INT output) and
 * `ack()` (the INTA cycle, returning the vector).
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const tr = {
  setIrq: defineEvent('pic', 'pic_set_irq', (a: { irq: number; level: boolean; irr: number }) =>
    `irq ${a.irq} level ${a.level ? 1 : 0} (irr 0x${hex(a.irr, 2)})`),
  intack: defineEvent('pic', 'pic_interrupt', (a: { irq: number; vector: number }) => `irq ${a.irq} vector 0x${hex(a.vector, 2)}`),
  write: defineEvent('pic', 'pic_ioport_write', (a: { master: boolean; addr: number; val: number }) =>
    `${a.master ? 'master' : 'slave'} @${a.addr} <== 0x${hex(a.val, 2)}`),
};

/** One 8259's registers (QEMU PICCommonState). */
export interface PicChip {
  readonly master: boolean;
  lastIrr: number;
  irr: number;
  imr: number;
  isr: number;
  priorityAdd: number;
  irqBase: number;
  readRegSelect: number;
  poll: number;
  specialMask: number;
  initState: number;
  autoEoi: number;
  rotateOnAutoEoi: number;
  specialFullyNestedMode: number;
  init4: number;
  singleMode: number;
  elcr: number;
  readonly elcrMask: number;
  /** INT output level. */
  out: boolean;
}

export const picVmState = {
  name: 'i8259',
  version: 1,
  fields: ['lastIrr', 'irr', 'imr', 'isr', 'priorityAdd', 'irqBase', 'readRegSelect', 'poll', 'specialMask',
    'initState', 'autoEoi', 'rotateOnAutoEoi', 'specialFullyNestedMode', 'init4', 'singleMode', 'elcr'],
} as const;

function newChip(master: boolean): PicChip {
  return {
    master, lastIrr: 0, irr: 0, imr: 0, isr: 0, priorityAdd: 0, irqBase: 0, readRegSelect: 0, poll: 0,
    specialMask: 0, initState: 0, autoEoi: 0, rotateOnAutoEoi: 0, specialFullyNestedMode: 0, init4: 0,
    singleMode: 0, elcr: 0, elcrMask: master ? 0xf8 : 0xde, out: false,
  };
}

function getPriority(s: PicChip, mask: number): number {
  if (mask === 0) return 8;
  let p = 0;
  while ((mask & (1 << ((p + s.priorityAdd) & 7))) === 0) p++;
  return p;
}

/** The IRQ this chip wants to deliver, or -1 (`pic_get_irq`). */
function getIrq(s: PicChip): number {
  const priority = getPriority(s, s.irr & ~s.imr);
  if (priority === 8) return -1;
  // In special fully nested mode the master ignores the slave's in-service bit.
  let mask = s.isr;
  if (s.specialMask) mask &= ~s.imr;
  if (s.specialFullyNestedMode && s.master) mask &= ~(1 << 2);
  const cur = getPriority(s, mask);
  return priority < cur ? (priority + s.priorityAdd) & 7 : -1;
}

export class DualPic {
  readonly master = newChip(true);
  readonly slave = newChip(false);
  /** Called when the master's INT output changes (the CPU's INTR pin). */
  onIntr: ((level: boolean) => void) | null = null;

  constructor(readonly trace: Trace) {}

  /** CPU side: is INTR asserted? */
  intr(): boolean {
    return this.master.out;
  }

  /** Drive ISA IRQ 0-15 (level for ELCR inputs, edge-detected otherwise). */
  setIrq(irq: number, level: boolean): void {
    if (!(irq >= 0 && irq < 16)) return;
    const s = irq < 8 ? this.master : this.slave;
    const mask = 1 << (irq & 7);
    const irr = s.irr;
    if (s.elcr & mask) {
      if (level) { s.irr |= mask; s.lastIrr |= mask; } else { s.irr &= ~mask; s.lastIrr &= ~mask; }
    } else if (level) {
      if ((s.lastIrr & mask) === 0) s.irr |= mask;
      s.lastIrr |= mask;
    } else {
      s.lastIrr &= ~mask;
    }
    if (this.trace.on(tr.setIrq)) this.trace.emit(tr.setIrq, { irq, level, irr: s.irr });
    // IRR unchanged (the line kept its level, as an SCI re-evaluated on every PM1 write does): INT cannot change
    if (s.irr !== irr) this.update(s);
  }

  /** INTA (`pic_read_irq`): acknowledge and return the vector. Spurious IRQ 7 when nothing is pending. */
  ack(): number {
    const m = this.master;
    let irq = getIrq(m);
    let vector: number;
    if (irq >= 0) {
      if (irq === 2) {
        let irq2 = getIrq(this.slave);
        if (irq2 >= 0) this.intack(this.slave, irq2);
        else irq2 = 7; // spurious IRQ on the slave
        vector = this.slave.irqBase + irq2;
        if (this.trace.on(tr.intack)) this.trace.emit(tr.intack, { irq: 8 + irq2, vector });
      } else {
        vector = m.irqBase + irq;
        if (this.trace.on(tr.intack)) this.trace.emit(tr.intack, { irq, vector });
      }
      this.intack(m, irq);
    } else {
      irq = 7; // spurious IRQ on the master
      vector = m.irqBase + irq;
      if (this.trace.on(tr.intack)) this.trace.emit(tr.intack, { irq, vector });
    }
    return vector;
  }

  /** Device reset (`pic_reset`): ELCR cleared, then the init reset. */
  reset(): void {
    for (const s of [this.master, this.slave]) {
      s.elcr = 0;
      this.initReset(s);
    }
  }

  private intack(s: PicChip, irq: number): void {
    if (s.autoEoi) {
      if (s.rotateOnAutoEoi) s.priorityAdd = (irq + 1) & 7;
    } else {
      s.isr |= 1 << irq;
    }
    // A level-sensitive request is not cleared by the acknowledge.
    if (!(s.elcr & (1 << irq))) s.irr &= ~(1 << irq);
    this.update(s);
  }

  private update(s: PicChip): void {
    const level = getIrq(s) >= 0;
    if (level === s.out) return;
    s.out = level;
    if (s.master) this.onIntr?.(level);
    else this.setIrq(2, level); // cascade: the slave's INT drives master IRQ 2
  }

  /** `pic_init_reset` (ICW1 and device reset). ELCR is kept. */
  private initReset(s: PicChip): void {
    s.lastIrr = 0;
    s.irr &= s.elcr;
    s.imr = 0;
    s.isr = 0;
    s.priorityAdd = 0;
    s.irqBase = 0;
    s.readRegSelect = 0;
    s.poll = 0;
    s.specialMask = 0;
    s.initState = 0;
    s.autoEoi = 0;
    s.rotateOnAutoEoi = 0;
    s.specialFullyNestedMode = 0;
    s.init4 = 0;
    s.singleMode = 0;
    this.update(s);
  }

  ioWrite(s: PicChip, addr: number, val: number): void {
    if (this.trace.on(tr.write)) this.trace.emit(tr.write, { master: s.master, addr, val });
    if ((addr & 1) === 0) {
      if (val & 0x10) {
        this.initReset(s); // ICW1
        s.initState = 1;
        s.init4 = val & 1;
        s.singleMode = val & 2;
      } else if (val & 0x08) {
        // OCW3
        if (val & 0x04) s.poll = 1;
        if (val & 0x02) s.readRegSelect = val & 1;
        if (val & 0x40) s.specialMask = (val >> 5) & 1;
      } else {
        // OCW2
        const cmd = val >> 5;
        switch (cmd) {
          case 0:
          case 4:
            s.rotateOnAutoEoi = cmd >> 2;
            break;
          case 1: // non-specific EOI
          case 5: { // rotate on non-specific EOI
            const p = getPriority(s, s.isr);
            if (p !== 8) {
              const irq = (p + s.priorityAdd) & 7;
              s.isr &= ~(1 << irq);
              if (cmd === 5) s.priorityAdd = (irq + 1) & 7;
              this.update(s);
            }
            break;
          }
          case 3: // specific EOI
            s.isr &= ~(1 << (val & 7));
            this.update(s);
            break;
          case 6: // set priority
            s.priorityAdd = (val + 1) & 7;
            this.update(s);
            break;
          case 7: { // rotate on specific EOI
            const irq = val & 7;
            s.isr &= ~(1 << irq);
            s.priorityAdd = (irq + 1) & 7;
            this.update(s);
            break;
          }
          default:
            break; // no operation
        }
      }
      return;
    }
    switch (s.initState) {
      case 0: // OCW1: interrupt mask
        s.imr = val;
        this.update(s);
        break;
      case 1: // ICW2: vector base
        s.irqBase = val & 0xf8;
        s.initState = s.singleMode ? (s.init4 ? 3 : 0) : 2;
        break;
      case 2: // ICW3: cascade wiring (fixed on a PC)
        s.initState = s.init4 ? 3 : 0;
        break;
      case 3: // ICW4
        s.specialFullyNestedMode = (val >> 4) & 1;
        s.autoEoi = (val >> 1) & 1;
        s.initState = 0;
        break;
    }
  }

  ioRead(s: PicChip, addr: number): number {
    if (s.poll) {
      // Poll mode: the read is the acknowledge.
      let ret = getIrq(s);
      if (ret >= 0) {
        this.intack(s, ret);
        ret |= 0x80;
      } else {
        ret = 0;
      }
      s.poll = 0;
      return ret;
    }
    if ((addr & 1) === 0) return s.readRegSelect ? s.isr : s.irr;
    return s.imr;
  }
}

export interface PicPort { pic: DualPic; chip: PicChip }

export const picOps: RegionOps<PicPort> = {
  name: 'pic',
  size: 2,
  impl: { min: 1, max: 1 },
  read: (p, off) => p.pic.ioRead(p.chip, off),
  write: (p, off, val) => p.pic.ioWrite(p.chip, off, val),
};

export const elcrOps: RegionOps<PicChip> = {
  name: 'elcr',
  size: 1,
  impl: { min: 1, max: 1 },
  read: (s) => s.elcr,
  write: (s, _off, val) => {
    s.elcr = val & s.elcrMask;
  },
};
