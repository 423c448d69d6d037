// Guest resets (qemu-pm.md §6: hw/isa/piix.c rcr_write, hw/input/pckbd.c
// kbd_write_command / outport_write), APM (hw/isa/apm.c), port 0x80 and
// isa-debugcon (hw/char/debugcon.c).
import { describe, expect, it } from 'vitest';
import { qtestMachine } from '../../src/machine/qtest.js';
import { postCodes } from '../../src/piix4/index.js';

describe('reset control register 0xCF9', () => {
  it('Linux reboot=pci: 0x02 is stored, then 0x06 resets → RESET {guest, guest-reset}', () => {
    const q = qtestMachine({ pmBase: 0x600 });
    q.outb(0xcf9, 0x02);
    expect(q.inb(0xcf9)).toBe(0x02);
    expect(q.events()).toEqual([]);
    q.outb(0xcf9, 0x06);
    const e = q.nextEvent()!;
    expect(e).toMatchObject({ event: 'RESET', data: { guest: true, reason: 'guest-reset' } });
    expect(e.cause).toMatchObject({ requester: 'guest', mechanism: 'reset-cf9', evidence: { port: 0xcf9, value: 0x06 } });
    expect(q.status()).toEqual({ running: true, status: 'running' });
    // devices were reset: RCR 0, PM block hidden again
    expect(q.inb(0xcf9)).toBe(0);
    expect(q.inw(0x600)).toBe(0xffff);
  });

  it('only SYS_RST (bit 1) is stored: FULL_RST (bit 3) is dropped', () => {
    const q = qtestMachine();
    q.outb(0xcf9, 0x0a);
    expect(q.inb(0xcf9)).toBe(0x02);
    q.outb(0xcf9, 0x01);
    expect(q.inb(0xcf9)).toBe(0x00);
    expect(q.events()).toEqual([]);
  });

  it('a dword write at 0xCF8 goes to the config-address register, not the RCR', () => {
    const q = qtestMachine();
    q.outl(0xcf8, 0x80000400);
    expect(q.events()).toEqual([]);
    expect(q.inb(0xcf9)).toBe(0);
    expect(q.inl(0xcf8)).toBe(0x80000400);
  });

  it('the reset request stops the current vCPU (cpu_stop_current)', () => {
    const q = qtestMachine();
    let stops = 0;
    q.machine.onStopCpu = () => { stops++; };
    q.outb(0xcf9, 0x0e);
    expect(stops).toBe(1);
  });

  it('-no-reboot: the guest reset becomes SHUTDOWN {guest, guest-reset}, no RESET, and the machine exits', () => {
    const q = qtestMachine({ noReboot: true });
    q.outb(0xcf9, 0x06);
    expect(q.events().map((e) => [e.event, e.data])).toEqual([['SHUTDOWN', { guest: true, reason: 'guest-reset' }]]);
    expect(q.exitStatus).toBe(0);
  });
});

describe('i8042 keyboard controller', () => {
  it.each(['fe', 'fc', 'f0', 'fa'])('command 0x%s pulses bit 0 → RESET {guest, guest-reset}', (cmd) => {
    const q = qtestMachine();
    q.outb(0x64, parseInt(cmd, 16));
    const e = q.nextEvent()!;
    expect(e).toMatchObject({ event: 'RESET', data: { guest: true, reason: 'guest-reset' }, cause: { mechanism: 'reset-kbc' } });
  });

  it.each(['ff', 'f1', 'fd'])('command 0x%s does not pulse bit 0: no reset', (cmd) => {
    const q = qtestMachine();
    q.outb(0x64, parseInt(cmd, 16));
    expect(q.events()).toEqual([]);
  });

  it('0xD1 then an output-port byte with bit 0 clear resets; with bit 0 set it does not', () => {
    const q = qtestMachine();
    q.outb(0x64, 0xd1);
    q.outb(0x60, 0xdf);
    expect(q.events()).toEqual([]);
    q.outb(0x64, 0xd1);
    q.outb(0x60, 0xde);
    expect(q.nextEvent()).toMatchObject({ event: 'RESET', cause: { mechanism: 'reset-kbc', evidence: { port: 0x60, value: 0xde } } });
  });

  it('status is sane: no output data after reset; self test answers 0x55 and sets OBF', () => {
    const q = qtestMachine();
    expect(q.inb(0x64) & 0x01).toBe(0);
    expect(q.inb(0x64) & 0x10).toBe(0x10);
    q.outb(0x64, 0xaa);
    expect(q.inb(0x64) & 0x01).toBe(1);
    expect(q.inb(0x60)).toBe(0x55);
    expect(q.inb(0x64) & 0x01).toBe(0);
    q.outb(0x64, 0x20); // read mode byte
    expect(q.inb(0x60)).toBe(0x03);
  });

  it('keyboard commands: GET_ID → FA AB 83, reset → FA AA, echo → EE (hw/input/ps2.c)', () => {
    const q = qtestMachine();
    const drain = () => { const out: number[] = []; while (q.inb(0x64) & 1) out.push(q.inb(0x60)); return out; };
    q.outb(0x60, 0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x83]);
    q.outb(0x60, 0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    q.outb(0x60, 0xee);
    expect(drain()).toEqual([0xee]);
    q.outb(0x64, 0x60); q.outb(0x60, 0x43); // mode byte with translation
    q.outb(0x60, 0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x41]);
  });

  it('output data raises IRQ 1 while the mode byte enables it', () => {
    const q = qtestMachine();
    q.outb(0x64, 0xaa);
    expect(q.machine.pic.master.irr & 0x02).toBe(0x02);
  });

  it('-no-reboot turns the KBC reset into SHUTDOWN guest-reset', () => {
    const q = qtestMachine({ noReboot: true });
    q.outb(0x64, 0xfe);
    expect(q.nextEvent()).toMatchObject({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-reset' } });
  });
});

describe('port 0x92 (hw/i386/port92.c)', () => {
  it('bit 1 drives A20, reads back; a 0→1 edge on bit 0 resets (RESET {guest, guest-reset}, mechanism reset-port92)', () => {
    const q = qtestMachine();
    const a20: boolean[] = [];
    q.machine.onA20 = (on) => a20.push(on);
    q.outb(0x92, 0x02);
    expect(q.inb(0x92)).toBe(0x02);
    expect(q.events()).toEqual([]);
    q.outb(0x92, 0x03);
    expect(q.nextEvent()).toMatchObject({ event: 'RESET', data: { guest: true, reason: 'guest-reset' }, cause: { mechanism: 'reset-port92' } });
    expect(q.inb(0x92)).toBe(0x02); // reset clears bit 0 only
    q.outb(0x92, 0x02);
    expect(q.events()).toEqual([]);
    expect(a20).toEqual([true, true, true]);
  });

  it('the i8042 also drives A20: 0xDD/0xDF and the output port', () => {
    const q = qtestMachine();
    const a20: boolean[] = [];
    q.machine.onA20 = (on) => a20.push(on);
    q.outb(0x64, 0xdd);
    q.outb(0x64, 0xdf);
    q.outb(0x64, 0xd1);
    q.outb(0x60, 0xcd); // bit 1 clear, bit 0 set (no reset)
    expect(a20).toEqual([false, true, false]);
    expect(q.events()).toEqual([]);
  });
});

describe('APM 0xB2/0xB3', () => {
  it('both read back what was stored; a word write is split into the two bytes', () => {
    const q = qtestMachine();
    q.outb(0xb3, 0x5a);
    q.outb(0xb2, 0x33);
    expect(q.inb(0xb2)).toBe(0x33);
    expect(q.inb(0xb3)).toBe(0x5a);
    q.outw(0xb2, 0x1234);
    expect(q.inw(0xb2)).toBe(0x1234);
  });

  it('other commands raise no SMI while DEVACTB bit 25 (0x5B bit 1) is clear', () => {
    const q = qtestMachine();
    q.machine.trace.enable('piix4_apm_smi');
    q.outb(0xb2, 0x42);
    expect(q.machine.trace.find('piix4_apm_smi')[0]!.args).toEqual({ val: 0x42, raised: false });
  });
});

describe('port 0x80 and isa-debugcon', () => {
  it('POST codes: last value kept, reads return 0xFF, trace event per code', () => {
    const q = qtestMachine();
    q.machine.trace.enable('post_code');
    q.outb(0x80, 0x12);
    q.outb(0x80, 0x34);
    expect(q.machine.chipset.port80.last).toBe(0x34);
    expect(q.inb(0x80)).toBe(0xff);
    expect(q.machine.trace.find('post_code').map((r) => r.args.code)).toEqual([0x12, 0x34]);
    expect(postCodes(q.machine.chipset.port80)).toEqual([0x12, 0x34]);
    for (let i = 0; i < 300; i++) q.outb(0x80, i & 0xff); // Linux outb_p delay traffic: a bounded ring
    const codes = postCodes(q.machine.chipset.port80);
    expect(codes).toHaveLength(256);
    expect(codes[0]).toBe(44);
    expect(codes[255]).toBe(299 & 0xff);
  });

  it('debugcon at 0xE9 (QEMU default) and 0x402 (SeaBIOS) collect bytes; reads return 0xE9', () => {
    const seen: [number, number][] = [];
    const q = qtestMachine({ onDebugconOutput: (b, p) => seen.push([b, p]) });
    for (const c of 'ok') q.outb(0x402, c.charCodeAt(0));
    q.outb(0xe9, 0x0a);
    expect(q.machine.debugconOutput).toBe('ok\n');
    expect(seen).toEqual([[0x6f, 0x402], [0x6b, 0x402], [0x0a, 0xe9]]);
    expect(q.inb(0xe9)).toBe(0xe9);
    expect(q.inb(0x402)).toBe(0xe9);
  });

  it('debugcon accepts only byte accesses (valid 1..1): a word write is dropped', () => {
    const q = qtestMachine();
    q.outw(0xe9, 0x4141);
    expect(q.machine.debugconOutput).toBe('');
  });

  it('a configured port and readback; [] means no debug console at all', () => {
    const q = qtestMachine({ debugcon: [{ iobase: 0x3f0, readback: 0x55 }] });
    q.outb(0x3f0, 0x41);
    expect(q.machine.debugconOutput).toBe('A');
    expect(q.inb(0x3f0)).toBe(0x55);
    expect(q.inb(0xe9)).toBe(0xff);
    const none = qtestMachine({ debugcon: [] });
    none.outb(0x402, 0x41);
    expect(none.machine.debugconOutput).toBe('');
    expect(none.inb(0x402)).toBe(0xff);
  });
});
