// Debian's SeaBIOS (package seabios) on acpidm: shared set-up for test/firmware/seabios-*.test.ts.
// The images and QEMU's multiboot_dma.bin option ROM (package qemu-system-data) are read at run time, never committed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcSystem, type RunOutcome } from '../../src/machine/pc-system.js';

export const root = join(import.meta.dirname, '../..');
export const SEABIOS_DIR = '/usr/share/seabios';
export const QEMU_DATADIR = '/usr/share/qemu';
export const MULTIBOOT_ROM = join(QEMU_DATADIR, 'multiboot_dma.bin');
export const ci = process.env.CI === 'true';

/** What is missing for these tests (Debian packages seabios and qemu-system-data), or null. */
export function seabiosMissing(): string | null {
  for (const f of [join(SEABIOS_DIR, 'bios.bin'), join(SEABIOS_DIR, 'bios-256k.bin'), MULTIBOOT_ROM]) {
    if (!existsSync(f)) return `${f} is missing (apt-get install seabios qemu-system-data)`;
  }
  return null;
}

export interface SeabiosRun {
  sys: PcSystem;
  outcome: RunOutcome;
  /** SeaBIOS's debug log (port 0x402) */
  log: string;
  /** the guest's debug console (port 0xE9) */
  guest: string;
  events: { event: string; data?: unknown }[];
}

export function bootSeabios(o: { bios: string; kernel?: string; smm?: boolean; disableS3?: boolean; disableS4?: boolean; maxInsns?: number }): SeabiosRun {
  let log = '';
  let guest = '';
  const kernel = o.kernel ? readFileSync(join(root, 'firmware/guests', o.kernel)) : undefined;
  const sys = new PcSystem({
    bios: new Uint8Array(readFileSync(join(SEABIOS_DIR, o.bios))),
    smm: o.smm ?? false, noReboot: true,
    ...(o.disableS3 ? { disableS3: true } : {}),
    ...(o.disableS4 ? { disableS4: true } : {}),
    ...(kernel ? { kernel: new Uint8Array(kernel), kernelName: o.kernel!, kernelRom: { name: 'multiboot_dma.bin', bytes: new Uint8Array(readFileSync(MULTIBOOT_ROM)) } } : {}),
    debugcon: [{ iobase: 0x402 }, { iobase: 0xe9 }],
    onDebugconOutput: (b, port) => {
      if (port === 0x402) log += String.fromCharCode(b);
      else guest += String.fromCharCode(b);
    },
  });
  const events: { event: string; data?: unknown }[] = [];
  sys.machine.runState.events.on((e) => events.push({ event: e.event, ...(e.data !== undefined ? { data: e.data } : {}) }));
  sys.powerOn();
  sys.machine.start();
  const outcome = sys.run(o.maxInsns ?? 100_000_000);
  return { sys, outcome, log, guest, events };
}
