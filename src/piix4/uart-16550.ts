/**
 * 16550A UART (QEMU hw/char/serial.c, isa-serial in hw/char/serial-isa.c):
 * eight registers at iobase..iobase+7, DLL/DLM behind LCR.DLAB, 16-byte
 * receive and transmit FIFOs, loopback, line and modem status, and the
 * interrupt identification priorities of `serial_update_irq`.
 *
 * Transmit is immediate, as in QEMU: `serial_xmit` hands each byte to the
 * backend inside the THR write and sets THRE/TEMT again at once (QEMU only
 * delays on a backend that would block). The divisor sets the character time
 * (`serial_update_parameters`), which paces the receive-FIFO timeout interrupt
 * (4 character times, `fifo_timeout_int`) on the virtual clock.
 *
 * Isomorphic: the backend is a byte sink plus `uartReceive` for input.
 */
import type { VirtualClock, VirtualTimer } from '../clock/virtual-clock.js';
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

/** QEMU pc: isa-serial index i sits at these ports and IRQs (hw/char/serial-isa.c isa_serial_io / isa_serial_irq). */
export const ISA_SERIAL_IOBASE = [0x3f8, 0x2f8, 0x3e8, 0x2e8] as const;
export const ISA_SERIAL_IRQ = [4, 3, 4, 3] as const;
export const MAX_ISA_SERIAL_PORTS = 4;

const FIFO_LEN = 16;
const BAUDBASE = 115200;
const NS_PER_SEC = 1_000_000_000;

export const LCR_DLAB = 0x80;
export const IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08;
export const IIR_NO_INT = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06, IIR_CTI = 0x0c, IIR_FE = 0xc0;
const IIR_ID = 0x0e;
export const LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const LSR_INT_ANY = 0x1e; // OE | PE | FE | BI
export const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
export const MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
const MSR_ANY_DELTA = 0x0f;
export const FCR_FE = 0x01, FCR_RFR = 0x02, FCR_XFR = 0x04;

export const tr = {
  read: defineEvent('piix4', 'serial_read', (a: { iobase: number; off: number; val: number }) => `0x${hex(a.iobase + a.off, 4)} ==> 0x${hex(a.val, 2)}`),
  write: defineEvent('piix4', 'serial_write', (a: { iobase: number; off: number; val: number }) => `0x${hex(a.iobase + a.off, 4)} <== 0x${hex(a.val, 2)}`),
};

/** A byte FIFO in a fixed Uint8Array: no allocation per byte. */
export interface ByteFifo {
  readonly buf: Uint8Array;
  head: number;
  num: number;
}

const newFifo = (): ByteFifo => ({ buf: new Uint8Array(FIFO_LEN), head: 0, num: 0 });
const fifoPush = (f: ByteFifo, b: number): void => { f.buf[(f.head + f.num) & (FIFO_LEN - 1)] = b; f.num++; };
const fifoPop = (f: ByteFifo): number => { const b = f.buf[f.head]!; f.head = (f.head + 1) & (FIFO_LEN - 1); f.num--; return b; };
const fifoReset = (f: ByteFifo): void => { f.head = 0; f.num = 0; };

export interface UartState {
  readonly iobase: number;
  rbr: number;
  thr: number;
  tsr: number;
  ier: number;
  iir: number;
  lcr: number;
  mcr: number;
  lsr: number;
  msr: number;
  scr: number;
  fcr: number;
  divider: number;
  thrIpending: boolean;
  timeoutIpending: boolean;
  readonly recvFifo: ByteFifo;
  readonly xmitFifo: ByteFifo;
  /** Receive FIFO interrupt trigger level (1, 4, 8, 14). */
  recvItl: number;
  /** Time of one character at the current divisor and frame format, ns. */
  charTransmitNs: number;
  irqLevel: boolean;
  readonly timeoutTimer: VirtualTimer;
  readonly clock: VirtualClock;
  readonly trace: Trace;
  /** The interrupt line (ISA IRQ 4 or 3). */
  readonly setIrq: (level: boolean) => void;
  /** The backend: each transmitted byte (not called in loopback). */
  sink: (byte: number) => void;
  /** Called when the guest drained the receive FIFO and more input may be accepted (QEMU qemu_chr_fe_accept_input). */
  onAcceptInput: (() => void) | null;
}

export const uartVmState = {
  name: 'serial', version: 1,
  fields: ['rbr', 'thr', 'tsr', 'ier', 'iir', 'lcr', 'mcr', 'lsr', 'msr', 'scr', 'fcr', 'divider', 'thrIpending',
    'timeoutIpending', 'recvFifo', 'xmitFifo', 'recvItl', 'charTransmitNs', 'timeoutTimer.deadline'],
} as const;

export function newUart(iobase: number, clock: VirtualClock, trace: Trace, setIrq: (level: boolean) => void, sink: (byte: number) => void): UartState {
  const s: UartState = {
    iobase, rbr: 0, thr: 0, tsr: 0, ier: 0, iir: IIR_NO_INT, lcr: 0, mcr: 0, lsr: 0, msr: 0, scr: 0, fcr: 0, divider: 0,
    thrIpending: false, timeoutIpending: false, recvFifo: newFifo(), xmitFifo: newFifo(), recvItl: 1, charTransmitNs: 0, irqLevel: false,
    timeoutTimer: clock.timer(`serial@0x${iobase.toString(16)}`, () => {
      // fifo_timeout_int: characters sat in the FIFO below the trigger level for 4 character times.
      if (s.recvFifo.num > 0) {
        s.timeoutIpending = true;
        updateIrq(s);
      }
    }),
    clock, trace, setIrq, sink, onAcceptInput: null,
  };
  uartReset(s);
  return s;
}

/** QEMU serial_reset. */
export function uartReset(s: UartState): void {
  s.rbr = 0;
  s.ier = 0;
  s.iir = IIR_NO_INT;
  s.lcr = 0;
  s.lsr = LSR_TEMT | LSR_THRE;
  // No modem-control backend (QEMU: the TIOCM ioctl is unsupported, poll_msl = -1): DCD, DSR, CTS asserted.
  s.msr = MSR_DCD | MSR_DSR | MSR_CTS;
  s.divider = 0x0c; // 9600 baud, 8N1
  s.mcr = MCR_OUT2;
  s.scr = 0;
  s.fcr = 0;
  s.thr = 0;
  s.tsr = 0;
  s.recvItl = 1;
  s.charTransmitNs = Math.floor(NS_PER_SEC / 9600) * 10;
  s.thrIpending = false;
  s.timeoutIpending = false;
  s.timeoutTimer.deadline = Infinity;
  fifoReset(s.recvFifo);
  fifoReset(s.xmitFifo);
  setLine(s, false);
}

function setLine(s: UartState, level: boolean): void {
  if (s.irqLevel === level) return;
  s.irqLevel = level;
  s.setIrq(level);
}

/** serial_update_irq: the highest-priority pending source goes into IIR[3:0]. */
function updateIrq(s: UartState): void {
  let id = IIR_NO_INT;
  if ((s.ier & IER_RLSI) && (s.lsr & LSR_INT_ANY)) id = IIR_RLSI;
  else if ((s.ier & IER_RDI) && s.timeoutIpending) id = IIR_CTI;
  else if ((s.ier & IER_RDI) && (s.lsr & LSR_DR) && (!(s.fcr & FCR_FE) || s.recvFifo.num >= s.recvItl)) id = IIR_RDI;
  else if ((s.ier & IER_THRI) && s.thrIpending) id = IIR_THRI;
  else if ((s.ier & IER_MSI) && (s.msr & MSR_ANY_DELTA)) id = IIR_MSI;
  s.iir = id | (s.iir & 0xf0);
  setLine(s, id !== IIR_NO_INT);
}

/** serial_update_parameters: character time from the divisor and the frame in LCR. */
function updateParameters(s: UartState): void {
  if (s.divider === 0 || s.divider > BAUDBASE) return;
  let frame = 1; // start bit
  if (s.lcr & 0x08) frame++; // parity
  frame += (s.lcr & 0x04) ? 2 : 1; // stop bits
  frame += (s.lcr & 0x03) + 5; // data bits
  const speed = BAUDBASE / s.divider;
  s.charTransmitNs = Math.floor(NS_PER_SEC / speed) * frame;
}

function armTimeout(s: UartState): void {
  s.timeoutTimer.deadline = s.clock.ns() + s.charTransmitNs * 4;
}

/** QEMU serial_receive1 for one byte (loopback or backend input). */
function receiveByte(s: UartState, b: number): void {
  if (s.fcr & FCR_FE) {
    // recv_fifo_put: an overrun does not overwrite the FIFO's contents.
    if (s.recvFifo.num < FIFO_LEN) fifoPush(s.recvFifo, b);
    else s.lsr |= LSR_OE;
    s.lsr |= LSR_DR;
    armTimeout(s);
  } else {
    if (s.lsr & LSR_DR) s.lsr |= LSR_OE;
    s.rbr = b;
    s.lsr |= LSR_DR;
  }
  updateIrq(s);
}

/** serial_xmit: move bytes THR/FIFO → TSR → backend (or RX in loopback) until THRE; immediate, as QEMU. */
function xmit(s: UartState): void {
  do {
    if (s.fcr & FCR_FE) {
      s.tsr = fifoPop(s.xmitFifo);
      if (s.xmitFifo.num === 0) s.lsr |= LSR_THRE;
    } else {
      s.tsr = s.thr;
      s.lsr |= LSR_THRE;
    }
    if ((s.lsr & LSR_THRE) && !s.thrIpending) {
      s.thrIpending = true;
      updateIrq(s);
    }
    if (s.mcr & MCR_LOOP) receiveByte(s, s.tsr);
    else s.sink(s.tsr);
  } while (!(s.lsr & LSR_THRE));
  s.lsr |= LSR_TEMT;
}

/**
 * How many bytes the UART takes from the backend now (QEMU serial_can_receive):
 * with the FIFO on, up to the trigger level (1 once it is reached) while there is room; without, 1 when RBR is empty.
 */
export function uartCanReceive(s: UartState): number {
  if (s.fcr & FCR_FE) {
    if (s.recvFifo.num >= FIFO_LEN) return 0;
    return s.recvFifo.num <= s.recvItl ? s.recvItl - s.recvFifo.num : 1;
  }
  return s.lsr & LSR_DR ? 0 : 1;
}

/** Input from the backend (QEMU serial_receive1). Ignored in loopback, where the line is disconnected. */
export function uartReceive(s: UartState, b: number): void {
  if (s.mcr & MCR_LOOP) return;
  receiveByte(s, b & 0xff);
}

function writeFcr(s: UartState, val: number): void {
  // A change of the enable bit flushes both FIFOs.
  if ((val ^ s.fcr) & FCR_FE) val |= FCR_XFR | FCR_RFR;
  if (val & FCR_RFR) {
    s.lsr &= ~(LSR_DR | LSR_BI);
    s.timeoutTimer.deadline = Infinity;
    s.timeoutIpending = false;
    fifoReset(s.recvFifo);
  }
  if (val & FCR_XFR) {
    s.lsr |= LSR_THRE;
    s.thrIpending = true;
    fifoReset(s.xmitFifo);
  }
  // serial_write_fcr: only FE, DMA mode and the trigger level stick.
  s.fcr = val & 0xc9;
  if (s.fcr & FCR_FE) {
    s.iir |= IIR_FE;
    s.recvItl = [1, 4, 8, 14][(s.fcr >> 6) & 3]!;
  } else {
    s.iir &= ~IIR_FE;
  }
  updateIrq(s);
}

export function uartWrite(s: UartState, off: number, val: number): void {
  val &= 0xff;
  if (s.trace.on(tr.write)) s.trace.emit(tr.write, { iobase: s.iobase, off, val });
  switch (off) {
    case 0:
      if (s.lcr & LCR_DLAB) {
        s.divider = (s.divider & 0xff00) | val;
        updateParameters(s);
        return;
      }
      s.thr = val;
      if (s.fcr & FCR_FE) {
        // A transmit overrun overwrites: make room by dropping the oldest byte.
        if (s.xmitFifo.num >= FIFO_LEN) fifoPop(s.xmitFifo);
        fifoPush(s.xmitFifo, val);
      }
      s.thrIpending = false;
      s.lsr &= ~(LSR_THRE | LSR_TEMT);
      updateIrq(s);
      xmit(s);
      return;
    case 1: {
      if (s.lcr & LCR_DLAB) {
        s.divider = (s.divider & 0x00ff) | (val << 8);
        updateParameters(s);
        return;
      }
      const changed = (s.ier ^ val) & 0x0f;
      s.ier = val & 0x0f;
      // QEMU (after Bochs): enabling THRI while THR is empty raises the THRE interrupt again, even if IIR was read.
      if (changed & IER_THRI) s.thrIpending = (s.ier & IER_THRI) !== 0 && (s.lsr & LSR_THRE) !== 0;
      if (changed) updateIrq(s);
      return;
    }
    case 2:
      writeFcr(s, val);
      return;
    case 3:
      s.lcr = val;
      updateParameters(s);
      return;
    case 4:
      s.mcr = val & 0x1f;
      return;
    case 5: case 6:
      return; // LSR and MSR are read-only
    default:
      s.scr = val;
  }
}

export function uartRead(s: UartState, off: number): number {
  let ret: number;
  switch (off) {
    case 0:
      if (s.lcr & LCR_DLAB) { ret = s.divider & 0xff; break; }
      if (s.fcr & FCR_FE) {
        ret = s.recvFifo.num === 0 ? 0 : fifoPop(s.recvFifo);
        if (s.recvFifo.num === 0) s.lsr &= ~(LSR_DR | LSR_BI);
        else armTimeout(s);
        s.timeoutIpending = false;
      } else {
        ret = s.rbr;
        s.lsr &= ~(LSR_DR | LSR_BI);
      }
      updateIrq(s);
      if (!(s.mcr & MCR_LOOP)) s.onAcceptInput?.();
      break;
    case 1:
      ret = s.lcr & LCR_DLAB ? (s.divider >> 8) & 0xff : s.ier;
      break;
    case 2:
      ret = s.iir;
      // Reading IIR while it reports THRE acknowledges that interrupt.
      if ((ret & IIR_ID) === IIR_THRI) {
        s.thrIpending = false;
        updateIrq(s);
      }
      break;
    case 3:
      ret = s.lcr;
      break;
    case 4:
      ret = s.mcr;
      break;
    case 5:
      ret = s.lsr;
      // Reading LSR clears break and overrun.
      if (s.lsr & (LSR_BI | LSR_OE)) {
        s.lsr &= ~(LSR_BI | LSR_OE);
        updateIrq(s);
      }
      break;
    case 6:
      if (s.mcr & MCR_LOOP) {
        // Loopback: OUT2→DCD, OUT1→RI, RTS→CTS, DTR→DSR.
        ret = ((s.mcr & 0x0c) << 4) | ((s.mcr & 0x02) << 3) | ((s.mcr & 0x01) << 5);
      } else {
        ret = s.msr;
        if (s.msr & MSR_ANY_DELTA) {
          s.msr &= 0xf0;
          updateIrq(s);
        }
      }
      break;
    default:
      ret = s.scr;
  }
  if (s.trace.on(tr.read)) s.trace.emit(tr.read, { iobase: s.iobase, off, val: ret });
  return ret;
}

/** QEMU serial_io_ops: 8 byte-wide registers, any access size and alignment (wider accesses are split by the bus). */
export const uartOps: RegionOps<UartState> = {
  name: 'serial',
  size: 8,
  valid: { min: 1, max: 4, unaligned: true },
  impl: { min: 1, max: 1 },
  read: (s, off) => uartRead(s, off),
  write: (s, off, val) => uartWrite(s, off, val),
};
