/**
 * A minimal i8042 keyboard controller (QEMU hw/input/pckbd.c): enough for
 * firmware probing and for the reset paths. Data 0x60, command/status 0x64.
 * - Commands 0xF0-0xFF pulse output-port bits 3-0; a pulse of bit 0
 *   (0xFE, 0xFC, ... 0xF0) resets the machine, 0xFF is a no-op.
 * - 0xD1 then a data byte writes the output port; bit 0 = 0 resets.
 * - Self test (0xAA → 0x55), interface test (0xAB → 0x00), mode byte
 *   (0x20/0x60), output port read (0xD0), input port (0xC0 → 0x80).
 * - Bytes written to the keyboard itself are answered with ACK (0xFA); GET_ID
 *   (0xF2) adds AB 83 (AB 41 when translating), reset (0xFF) adds BAT OK
 *   0xAA, echo (0xEE) answers 0xEE. No scancodes, no mouse.
 */
import type { RegionOps } from '../ioports/region.js';
import { defineEvent, hex, type Trace } from '../trace/trace.js';

export const KBC_DATA_PORT = 0x60;
export const KBC_CMD_PORT = 0x64;
const STAT_OBF = 0x01;
const STAT_SELFTEST = 0x04;
const STAT_CMD = 0x08;
const STAT_UNLOCKED = 0x10;
const MODE_KBD_INT = 0x01;
const OUT_RESET = 0x01;
const QUEUE = 16;

export const tr = {
  cmd: defineEvent('piix4', 'pckbd_kbd_write_command', (a: { val: number }) => `cmd 0x${hex(a.val, 2)}`),
  data: defineEvent('piix4', 'pckbd_kbd_write_data', (a: { val: number; writeCmd: number }) =>
    `data 0x${hex(a.val, 2)}${a.writeCmd ? ` for cmd 0x${hex(a.writeCmd, 2)}` : ''}`),
  unsupported: defineEvent('piix4', 'pckbd_unsupported_cmd', (a: { val: number }) => `unsupported keyboard cmd=0x${hex(a.val, 2)}`),
};

export interface KbcState {
  status: number;
  mode: number;
  outport: number;
  writeCmd: number;
  /** Output queue (ring of QUEUE bytes). */
  readonly queue: Uint8Array;
  qHead: number;
  qCount: number;
  /** Reset request (0xFE pulse or output-port bit 0 cleared). */
  reset: (how: 'pulse' | 'outport', val: number) => void;
  /** IRQ 1 line. */
  irq: (level: boolean) => void;
  /** A20 line (output port bit 1; commands 0xDD/0xDF). */
  a20: (enabled: boolean) => void;
  readonly trace: Trace;
}

export const kbcVmState = { name: 'pckbd', version: 1, fields: ['status', 'mode', 'outport', 'writeCmd', 'queue', 'qHead', 'qCount'] } as const;

export function newKbc(trace: Trace, reset: KbcState['reset'], irq: KbcState['irq'], a20: KbcState['a20'] = () => {}): KbcState {
  const s: KbcState = { status: 0, mode: 0, outport: 0, writeCmd: 0, queue: new Uint8Array(QUEUE), qHead: 0, qCount: 0, reset, irq, a20, trace };
  kbcReset(s);
  return s;
}

/** `kbd_reset`. */
export function kbcReset(s: KbcState): void {
  s.mode = MODE_KBD_INT | 0x02;
  s.status = STAT_CMD | STAT_UNLOCKED;
  s.outport = 0xcf; // RESET | A20 | ONES
  s.writeCmd = 0;
  s.qHead = 0;
  s.qCount = 0;
  updateIrq(s);
}

function updateIrq(s: KbcState): void {
  if (s.qCount > 0) s.status |= STAT_OBF;
  else s.status &= ~STAT_OBF;
  s.irq(s.qCount > 0 && (s.mode & MODE_KBD_INT) !== 0);
}

function queue(s: KbcState, b: number): void {
  if (s.qCount === QUEUE) return;
  s.queue[(s.qHead + s.qCount) % QUEUE] = b;
  s.qCount++;
  updateIrq(s);
}

function writeCommand(s: KbcState, val: number): void {
  if (s.trace.on(tr.cmd)) s.trace.emit(tr.cmd, { val });
  // Pulse bits 3-0 of the output port: only pulsing bit 0 (CPU reset) does anything.
  if ((val & 0xf0) === 0xf0) val = (val & 1) === 0 ? 0xfe : 0xff;
  switch (val) {
    case 0x20: queue(s, s.mode); break;
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: s.writeCmd = val; break;
    case 0xa7: s.mode |= 0x20; break;
    case 0xa8: s.mode &= ~0x20; break;
    case 0xa9: queue(s, 0x00); break;
    case 0xaa: s.status |= STAT_SELFTEST; queue(s, 0x55); break;
    case 0xab: queue(s, 0x00); break;
    case 0xad: s.mode |= 0x10; break;
    case 0xae: s.mode &= ~0x10; break;
    case 0xc0: queue(s, 0x80); break;
    case 0xd0: queue(s, s.outport); break;
    case 0xdd: s.outport &= ~0x02; s.a20(false); break; // disable A20
    case 0xdf: s.outport |= 0x02; s.a20(true); break; // enable A20
    case 0xfe: s.reset('pulse', val); break;
    case 0xff: break;
    default:
      if (s.trace.on(tr.unsupported)) s.trace.emit(tr.unsupported, { val });
  }
  s.status |= STAT_CMD;
}

function writeData(s: KbcState, val: number): void {
  if (s.trace.on(tr.data)) s.trace.emit(tr.data, { val, writeCmd: s.writeCmd });
  switch (s.writeCmd) {
    case 0: // to the keyboard (QEMU hw/input/ps2.c ps2_write_keyboard, minus scancodes and typematic state)
      if (val === 0xee) { queue(s, 0xee); break; } // echo
      queue(s, 0xfa); // ACK
      if (val === 0xf2) { queue(s, 0xab); queue(s, (s.mode & 0x40) !== 0 ? 0x41 : 0x83); } // GET_ID (translated or not)
      else if (val === 0xff) queue(s, 0xaa); // reset: BAT OK
      break;
    case 0x60: s.mode = val; updateIrq(s); break;
    case 0xd1: // outport_write
      s.outport = val;
      s.a20((val & 0x02) !== 0);
      if ((val & OUT_RESET) === 0) s.reset('outport', val);
      break;
    case 0xd2: case 0xd3: queue(s, val); break;
    case 0xd4: break; // no mouse
  }
  s.writeCmd = 0; // QEMU leaves KBD_STAT_CMD as it is (checked against QEMU 7.2)
}

function readData(s: KbcState): number {
  if (s.qCount === 0) return s.queue[(s.qHead + QUEUE - 1) % QUEUE]!; // last byte again, as ps2_read_data
  const b = s.queue[s.qHead]!;
  s.qHead = (s.qHead + 1) % QUEUE;
  s.qCount--;
  updateIrq(s);
  return b;
}

export const kbcDataOps: RegionOps<KbcState> = {
  name: 'i8042-data', size: 1, impl: { min: 1, max: 1 },
  read: (s) => readData(s),
  write: (s, _off, val) => writeData(s, val),
};

export const kbcCmdOps: RegionOps<KbcState> = {
  name: 'i8042-cmd', size: 1, impl: { min: 1, max: 1 },
  read: (s) => s.status,
  write: (s, _off, val) => writeCommand(s, val),
};
