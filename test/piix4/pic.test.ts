// The 8259 pair (QEMU hw/intc/i8259.c) driven through its ports, and the
// SCI reaching the CPU's INTR: PIIX4 → ISA IRQ 9 (slave input 1) → cascade
// on master IRQ 2 → INTR; INTA returns the vector.
import { describe, expect, it } from 'vitest';
import { qtestMachine, type QtestMachine } from '../../src/machine/qtest.js';

/** SeaBIOS-style init: master base 0x08, slave base 0x70, cascade on IRQ 2, 8086 mode. */
function initPics(q: QtestMachine, masterBase = 0x08, slaveBase = 0x70): void {
  q.outb(0x20, 0x11); q.outb(0x21, masterBase); q.outb(0x21, 0x04); q.outb(0x21, 0x01);
  q.outb(0xa0, 0x11); q.outb(0xa1, slaveBase); q.outb(0xa1, 0x02); q.outb(0xa1, 0x01);
  q.outb(0x21, 0xfb); // mask all but the cascade
  q.outb(0xa1, 0xff);
}

describe('8259 basics', () => {
  it('IMR reads back; OCW3 selects IRR or ISR on the command port', () => {
    const q = qtestMachine();
    initPics(q);
    expect(q.inb(0x21)).toBe(0xfb);
    expect(q.inb(0xa1)).toBe(0xff);
    q.machine.pic.setIrq(1, true); // edge on IRQ 1 (masked)
    q.outb(0x20, 0x0a); // read IRR
    expect(q.inb(0x20)).toBe(0x02);
    q.outb(0x20, 0x0b); // read ISR
    expect(q.inb(0x20)).toBe(0x00);
    expect(q.machine.pic.intr()).toBe(false); // masked
  });

  it('edge IRQ: unmask → INTR; INTA gives base+irq, moves IRR→ISR; EOI clears ISR', () => {
    const q = qtestMachine();
    initPics(q);
    q.machine.pic.setIrq(1, true);
    q.outb(0x21, 0xf9); // unmask IRQ 1
    expect(q.machine.pic.intr()).toBe(true);
    expect(q.machine.pic.ack()).toBe(0x09);
    expect(q.machine.pic.intr()).toBe(false);
    q.outb(0x20, 0x0b);
    expect(q.inb(0x20)).toBe(0x02);
    q.outb(0x20, 0x20); // non-specific EOI
    expect(q.inb(0x20)).toBe(0x00);
    // edge already consumed: holding the line high raises nothing more
    expect(q.machine.pic.intr()).toBe(false);
  });

  it('priority: IRQ 0 beats IRQ 3; a lower-priority request waits for the EOI', () => {
    const q = qtestMachine();
    initPics(q, 0x20, 0x28);
    q.outb(0x21, 0x00);
    q.machine.pic.setIrq(3, true);
    q.machine.pic.setIrq(0, true);
    expect(q.machine.pic.ack()).toBe(0x20);
    expect(q.machine.pic.intr()).toBe(false); // IRQ 3 blocked by IRQ 0 in service
    q.outb(0x20, 0x60); // specific EOI for IRQ 0
    expect(q.machine.pic.intr()).toBe(true);
    expect(q.machine.pic.ack()).toBe(0x23);
  });

  it('no request: INTA returns the spurious vector base+7', () => {
    const q = qtestMachine();
    initPics(q);
    expect(q.machine.pic.ack()).toBe(0x0f);
  });

  it('poll mode (OCW3 with P): the read acknowledges and returns 0x80|irq', () => {
    const q = qtestMachine();
    initPics(q);
    q.outb(0x21, 0x00);
    q.machine.pic.setIrq(4, true);
    q.outb(0x20, 0x0c);
    expect(q.inb(0x20)).toBe(0x84);
    q.outb(0x20, 0x0b);
    expect(q.inb(0x20)).toBe(0x10);
  });

  it('ELCR masks: master 0xF8, slave 0xDE; reset clears ELCR', () => {
    const q = qtestMachine();
    q.outb(0x4d0, 0xff);
    q.outb(0x4d1, 0xff);
    expect(q.inb(0x4d0)).toBe(0xf8);
    expect(q.inb(0x4d1)).toBe(0xde);
    q.machine.reset();
    expect(q.inb(0x4d0)).toBe(0);
    expect(q.inb(0x4d1)).toBe(0);
  });
});

describe('8259 modes (ICW4 AEOI, OCW2 rotation, special mask, SFNM)', () => {
  it('auto-EOI (ICW4 bit 1): INTA leaves ISR empty', () => {
    const q = qtestMachine();
    q.outb(0x20, 0x11); q.outb(0x21, 0x20); q.outb(0x21, 0x04); q.outb(0x21, 0x03); // ICW4: 8086 + AEOI
    q.outb(0x21, 0x00);
    q.machine.pic.setIrq(5, true);
    expect(q.machine.pic.ack()).toBe(0x25);
    q.outb(0x20, 0x0b);
    expect(q.inb(0x20)).toBe(0);
  });

  it('rotate on non-specific EOI: the serviced IRQ drops to lowest priority', () => {
    const q = qtestMachine();
    initPics(q, 0x20, 0x28);
    q.outb(0x21, 0x00);
    q.machine.pic.setIrq(1, true);
    expect(q.machine.pic.ack()).toBe(0x21);
    q.outb(0x20, 0xa0); // rotate on non-specific EOI: IRQ 1 becomes lowest, IRQ 2 highest
    q.machine.pic.setIrq(1, false); q.machine.pic.setIrq(1, true);
    q.machine.pic.setIrq(0, true);
    // priority order is now 2,3,...,7,0,1: IRQ 0 goes before IRQ 1
    expect(q.machine.pic.ack()).toBe(0x20);
    q.outb(0x20, 0x20);
    expect(q.machine.pic.ack()).toBe(0x21);
  });

  it.each([[false, false], [true, true]])('special fully nested mode %s: a higher slave IRQ nests inside a slave IRQ in service → %s', (sfnm, nests) => {
    const q = qtestMachine();
    q.outb(0x20, 0x11); q.outb(0x21, 0x08); q.outb(0x21, 0x04); q.outb(0x21, sfnm ? 0x11 : 0x01);
    q.outb(0xa0, 0x11); q.outb(0xa1, 0x70); q.outb(0xa1, 0x02); q.outb(0xa1, 0x01);
    q.outb(0x21, 0xfb); q.outb(0xa1, 0x00);
    q.machine.pic.setIrq(10, true);
    expect(q.machine.pic.ack()).toBe(0x72);
    q.machine.pic.setIrq(9, true); // higher priority than IRQ 10 on the slave
    expect(q.machine.pic.intr()).toBe(nests);
    if (nests) expect(q.machine.pic.ack()).toBe(0x71);
  });

  it('set priority (OCW2 0xC0|n): IRQ n+1 becomes highest', () => {
    const q = qtestMachine();
    initPics(q, 0x20, 0x28);
    q.outb(0x21, 0x00);
    q.outb(0x20, 0xc4); // lowest = IRQ 4, so IRQ 5 is highest
    q.machine.pic.setIrq(3, true);
    q.machine.pic.setIrq(6, true);
    expect(q.machine.pic.ack()).toBe(0x26);
  });

  it('special mask mode: a lower-priority IRQ is served while a higher one is in service but masked', () => {
    const q = qtestMachine();
    initPics(q, 0x20, 0x28);
    q.outb(0x21, 0x00);
    q.machine.pic.setIrq(1, true);
    expect(q.machine.pic.ack()).toBe(0x21);
    q.machine.pic.setIrq(4, true);
    expect(q.machine.pic.intr()).toBe(false); // IRQ 1 in service blocks IRQ 4
    q.outb(0x20, 0x68); // OCW3: set special mask
    q.outb(0x21, 0x02); // mask IRQ 1
    expect(q.machine.pic.intr()).toBe(true);
    expect(q.machine.pic.ack()).toBe(0x24);
  });

  it('level-triggered input stays requested after EOI while the line is high, and is dropped when it falls', () => {
    const q = qtestMachine();
    initPics(q, 0x20, 0x28);
    q.outb(0x4d0, 0x08); // IRQ 3 level
    q.outb(0x21, 0x00);
    q.machine.pic.setIrq(3, true);
    expect(q.machine.pic.ack()).toBe(0x23);
    q.outb(0x20, 0x20);
    expect(q.machine.pic.intr()).toBe(true); // still high: requested again
    q.machine.pic.setIrq(3, false);
    expect(q.machine.pic.intr()).toBe(false);
  });

  it('slave request withdrawn before INTA: the master delivers the slave spurious vector (slave base + 7)', () => {
    const q = qtestMachine();
    initPics(q);
    q.outb(0x4d1, 0x02);
    q.outb(0xa1, 0xfd);
    q.machine.pic.setIrq(9, true);
    expect(q.machine.pic.intr()).toBe(true);
    q.machine.pic.setIrq(9, false); // level source gone; the master's edge-latched IRQ 2 remains
    expect(q.machine.pic.ack()).toBe(0x77);
  });
});

describe('SCI on IRQ 9 through the cascade', () => {
  function sciMachine(smm = true): QtestMachine {
    const q = qtestMachine({ pmBase: 0x600, smm });
    initPics(q);
    q.outb(0x4d1, 0x02); // ELCR: IRQ 9 level-triggered, as SeaBIOS sets it
    q.outb(0xa1, 0xfd); // unmask IRQ 9 on the slave
    q.outw(0x600, 0x0001); // clear TMR_STS
    return q;
  }

  it('power button with PWRBTN_EN: INTR rises, INTA gives slave base + 1; level stays until PWRBTN_STS is cleared', () => {
    const q = sciMachine();
    q.outw(0x602, 0x0100);
    q.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    expect(q.events().map((e) => e.event)).toEqual(['POWERDOWN']);
    expect(q.inw(0x600)).toBe(0x0100);
    expect(q.machine.pic.intr()).toBe(true);
    expect(q.machine.pic.ack()).toBe(0x71);
    // Level-triggered: IRR keeps the request after INTA.
    q.outb(0xa0, 0x0a);
    expect(q.inb(0xa0) & 0x02).toBe(0x02);
    q.outw(0x600, 0x0100); // W1C PWRBTN_STS → SCI low
    q.outb(0xa0, 0x20); q.outb(0x20, 0x20); // EOI slave then master
    expect(q.machine.pic.intr()).toBe(false);
    q.outb(0xa0, 0x0a);
    expect(q.inb(0xa0) & 0x02).toBe(0);
  });

  it('SCI_EN is not consulted: with SCI_EN = 0 the press still raises IRQ 9 (observed on QEMU)', () => {
    const q = sciMachine();
    expect(q.inw(0x604) & 1).toBe(0);
    q.outw(0x602, 0x0100);
    q.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    q.events();
    expect(q.machine.pic.intr()).toBe(true);
  });

  it('without PWRBTN_EN the press is lost: no STS bit, no interrupt, POWERDOWN only', () => {
    const q = sciMachine();
    q.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    expect(q.events().map((e) => e.event)).toEqual(['POWERDOWN']);
    expect(q.inw(0x600)).toBe(0x0000);
    expect(q.machine.pic.intr()).toBe(false);
    // enabling afterwards does not resurrect the press
    q.outw(0x602, 0x0100);
    expect(q.machine.pic.intr()).toBe(false);
    expect(q.status()).toEqual({ running: true, status: 'running' });
  });

  it('SLPBTN is not an SCI source in QEMU (mask 0x0521)', () => {
    const q = sciMachine();
    q.outw(0x602, 0x0200);
    q.machine.pm.regs.pm1.sts |= 0x0200;
    q.outw(0x602, 0x0200); // re-evaluate
    expect(q.machine.pic.intr()).toBe(false);
  });

  it('masked IRQ 9 on the slave: the SCI is pending in IRR but INTR stays low', () => {
    const q = sciMachine();
    q.outb(0xa1, 0xff);
    q.outw(0x602, 0x0100);
    q.machine.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    q.events();
    expect(q.machine.pic.intr()).toBe(false);
    q.outb(0xa1, 0xfd);
    expect(q.machine.pic.intr()).toBe(true);
    expect(q.machine.pic.ack()).toBe(0x71);
  });
});
