// 16550A UART on COM1 (QEMU hw/char/serial.c: serial_ioport_read/write, serial_update_irq,
// serial_xmit, serial_reset), driven at port level with no CPU.
import { describe, expect, it } from 'vitest';
import { qtestMachine, type QtestMachine } from '../../src/machine/qtest.js';
import { uartCanReceive, uartReceive } from '../../src/piix4/uart-16550.js';

const COM1 = 0x3f8;
const RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const rd = (q: QtestMachine, r: number, base = COM1) => q.inb(base + r);
const wr = (q: QtestMachine, r: number, v: number, base = COM1) => q.outb(base + r, v);
/** IRR bit of an ISA IRQ on the master PIC (OCW3 read IRR). */
const irr = (q: QtestMachine, irq: number): boolean => { q.outb(0x20, 0x0a); return ((q.inb(0x20) >> irq) & 1) === 1; };
const line = (q: QtestMachine, i = 0) => q.machine.chipset.serials[i]!.irqLevel;

describe('reset values (serial_reset)', () => {
  it('IER 0, IIR no interrupt, LCR 0, MCR OUT2, LSR THRE|TEMT, MSR DCD|DSR|CTS, divisor 12 (9600 baud)', () => {
    const q = qtestMachine();
    expect([IER, IIR, LCR, MCR, LSR, MSR, SCR].map((r) => rd(q, r))).toEqual([0x00, 0x01, 0x00, 0x08, 0x60, 0xb0, 0x00]);
    wr(q, LCR, 0x80);
    expect([rd(q, 0), rd(q, 1)]).toEqual([0x0c, 0x00]);
  });

  it('COM1 is present by default and PIIX4 reports it; without serial ports 0x3F8 is unassigned', () => {
    const q = qtestMachine();
    expect(q.machine.chipset.serials.map((s) => s.iobase)).toEqual([0x3f8]);
    expect(q.pciConfigRead(0x0b, 0x67, 1)).toBe(0x08); // piix4_pm_machine_ready: 0x3F8 assigned
    const none = qtestMachine({ serialPorts: 0 });
    expect(none.inb(COM1 + LSR)).toBe(0xff);
    expect(none.pciConfigRead(0x0b, 0x67, 1)).toBe(0x00);
  });

  it('four ports at QEMU pc addresses and IRQs 4/3/4/3', () => {
    const q = qtestMachine({ serialPorts: 4 });
    expect(q.machine.chipset.serials.map((s) => s.iobase)).toEqual([0x3f8, 0x2f8, 0x3e8, 0x2e8]);
    expect(q.pciConfigRead(0x0b, 0x67, 1)).toBe(0x98);
    q.outb(0x21, 0x00);
    for (const [base, irq] of [[0x2f8, 3], [0x3e8, 4]] as const) {
      wr(q, IER, 0x02, base); // THRI with THR empty: interrupt at once
      expect(irr(q, irq)).toBe(true);
      wr(q, IER, 0x00, base);
    }
  });
});

describe('transmit', () => {
  it('bytes written to THR reach the backend at once; THRE and TEMT stay set (QEMU serial_xmit)', () => {
    const q = qtestMachine();
    for (const c of 'hi\n') wr(q, 0, c.charCodeAt(0));
    expect(q.machine.serialOutput()).toBe('hi\n');
    expect(rd(q, LSR)).toBe(0x60);
  });

  it('with the FIFO on, IIR shows 0xC0 and the FIFO drains immediately', () => {
    const q = qtestMachine();
    wr(q, 2, 0xc7); // FIFO on, clear both, trigger 14
    expect(rd(q, IIR)).toBe(0xc1);
    for (let i = 0; i < 20; i++) wr(q, 0, 0x41 + i);
    expect(q.machine.serialOutput()).toBe('ABCDEFGHIJKLMNOPQRST');
    expect(rd(q, LSR)).toBe(0x60);
  });

  it('DLAB selects the divisor latch at 0/1 instead of THR/IER', () => {
    const q = qtestMachine();
    wr(q, LCR, 0x83);
    wr(q, 0, 0x01);
    wr(q, 1, 0x02);
    expect([rd(q, 0), rd(q, 1)]).toEqual([0x01, 0x02]);
    wr(q, LCR, 0x03);
    expect(rd(q, IER)).toBe(0); // IER untouched by the DLM write
    expect(q.machine.serialOutput()).toBe(''); // nothing sent by the DLL write
  });
});

describe('THRE interrupt (IRQ 4)', () => {
  it('enabling THRI with THR empty raises IRQ 4; reading IIR (0x02) acknowledges it; a THR write raises it again', () => {
    const q = qtestMachine();
    q.outb(0x21, 0x00);
    wr(q, IER, 0x02);
    expect(line(q)).toBe(true);
    expect(irr(q, 4)).toBe(true);
    expect(rd(q, IIR)).toBe(0x02);
    expect(line(q)).toBe(false);
    expect(rd(q, IIR)).toBe(0x01);
    wr(q, 0, 0x41); // serial_xmit sets thr_ipending when THR empties again
    expect(rd(q, IIR)).toBe(0x02);
  });

  it('toggling IER.THRI resamples THRE (QEMU, after Bochs; Windows relies on it)', () => {
    const q = qtestMachine();
    wr(q, IER, 0x02);
    rd(q, IIR);
    expect(rd(q, IIR)).toBe(0x01);
    wr(q, IER, 0x00);
    wr(q, IER, 0x02);
    expect(rd(q, IIR)).toBe(0x02);
  });
});

describe('loopback (MCR bit 4): what Linux 8250 autoconfig probes', () => {
  it('MSR shows the MCR outputs: OUT2→DCD, OUT1→RI, RTS→CTS, DTR→DSR', () => {
    const q = qtestMachine();
    wr(q, MCR, 0x10);
    expect(rd(q, MSR)).toBe(0x00);
    wr(q, MCR, 0x1f);
    expect(rd(q, MSR)).toBe(0xf0);
    wr(q, MCR, 0x10 | 0x04); // OUT1 only
    expect(rd(q, MSR)).toBe(0x40);
    wr(q, MCR, 0x10 | 0x01); // DTR only
    expect(rd(q, MSR)).toBe(0x20);
  });

  it('a transmitted byte comes back in RBR with DR, not on the backend', () => {
    const q = qtestMachine();
    wr(q, MCR, 0x10);
    wr(q, 0, 0x5a);
    expect(rd(q, LSR)).toBe(0x61);
    expect(rd(q, RBR)).toBe(0x5a);
    expect(rd(q, LSR)).toBe(0x60);
    expect(q.machine.serialOutput()).toBe('');
  });

  it('without the FIFO a second byte overruns (OE), which reading LSR clears', () => {
    const q = qtestMachine();
    wr(q, MCR, 0x10);
    wr(q, 0, 1);
    wr(q, 0, 2);
    expect(rd(q, LSR)).toBe(0x63);
    expect(rd(q, LSR)).toBe(0x61);
    expect(rd(q, RBR)).toBe(2);
  });

  it('with the FIFO, 16 bytes fit, the 17th overruns without overwriting', () => {
    const q = qtestMachine();
    wr(q, 2, 0x07);
    wr(q, MCR, 0x10);
    for (let i = 0; i < 17; i++) wr(q, 0, i);
    expect(rd(q, LSR) & 0x03).toBe(0x03);
    const got: number[] = [];
    while (rd(q, LSR) & 1) got.push(rd(q, RBR));
    expect(got).toEqual([...Array(16).keys()]);
  });
});

describe('receive', () => {
  it('without the FIFO: RDI on the first byte (IIR 0x04) and a line-status interrupt on overrun (IIR 0x06, highest)', () => {
    const q = qtestMachine();
    const u = q.machine.chipset.serials[0]!;
    wr(q, IER, 0x05);
    expect(uartCanReceive(u)).toBe(1);
    uartReceive(u, 0x61);
    expect(uartCanReceive(u)).toBe(0);
    expect(rd(q, IIR)).toBe(0x04);
    uartReceive(u, 0x62);
    expect(rd(q, IIR)).toBe(0x06);
    expect(rd(q, LSR)).toBe(0x63); // reading LSR clears OE ...
    expect(rd(q, IIR)).toBe(0x04); // ... and RDI is next
    expect(rd(q, RBR)).toBe(0x62);
    expect(rd(q, IIR)).toBe(0x01);
  });

  it('with the FIFO: RDI at the trigger level, else the character timeout after 4 character times', () => {
    const q = qtestMachine();
    const u = q.machine.chipset.serials[0]!;
    wr(q, 2, 0x41); // FIFO on, trigger level 4
    wr(q, IER, 0x01);
    expect(uartCanReceive(u)).toBe(4);
    uartReceive(u, 1);
    uartReceive(u, 2);
    expect(rd(q, IIR)).toBe(0xc1); // below the trigger level
    // serial_reset: char_transmit_time = (NANOSECONDS_PER_SECOND / 9600) * 10 until LCR or the divisor is written
    const charNs = Math.floor(1e9 / 9600) * 10;
    q.clockStep(4 * charNs - 1);
    expect(rd(q, IIR)).toBe(0xc1);
    q.clockStep(1);
    expect(rd(q, IIR)).toBe(0xcc); // character timeout
    expect(rd(q, RBR)).toBe(1); // reading clears the timeout and re-arms it
    expect(rd(q, IIR)).toBe(0xc1);
    uartReceive(u, 3);
    uartReceive(u, 4);
    uartReceive(u, 5);
    expect(rd(q, IIR)).toBe(0xc4); // 4 bytes: trigger level reached
    expect(uartCanReceive(u)).toBe(0); // serial_can_receive: itl - num while num <= itl
    uartReceive(u, 6);
    expect(uartCanReceive(u)).toBe(1); // above the level: one at a time
  });

  it('the divisor and LCR set the character time: 115200 baud 8N1 = 10 bits of 8680 ns', () => {
    const q = qtestMachine();
    const u = q.machine.chipset.serials[0]!;
    wr(q, LCR, 0x80); wr(q, 0, 1); wr(q, 1, 0); wr(q, LCR, 0x03);
    wr(q, 2, 0xc1); // trigger 14
    wr(q, IER, 0x01);
    uartReceive(u, 1);
    q.clockStep(4 * 86800 - 1);
    expect(rd(q, IIR)).toBe(0xc1);
    q.clockStep(1);
    expect(rd(q, IIR)).toBe(0xcc);
  });

  it('FCR receive reset empties the FIFO and clears DR', () => {
    const q = qtestMachine();
    const u = q.machine.chipset.serials[0]!;
    wr(q, 2, 0x01);
    uartReceive(u, 7);
    expect(rd(q, LSR) & 1).toBe(1);
    wr(q, 2, 0x03);
    expect(rd(q, LSR)).toBe(0x60);
  });
});

describe('device reset', () => {
  it('a machine reset restores the power-on registers', () => {
    const q = qtestMachine();
    wr(q, LCR, 0x83); wr(q, 0, 1); wr(q, LCR, 0x03); wr(q, IER, 0x0f); wr(q, MCR, 0x1f); wr(q, SCR, 0x55); wr(q, 2, 0x07);
    q.machine.reset();
    expect([IER, IIR, LCR, MCR, LSR, MSR, SCR].map((r) => rd(q, r))).toEqual([0x00, 0x01, 0x00, 0x08, 0x60, 0xb0, 0x00]);
  });
});
