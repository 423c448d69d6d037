// Stretch of issue 16: the small Linux guest kernel boots through Debian's SeaBIOS and QEMU's linuxboot_dma.bin
// option ROM (fw_cfg SETUP_/KERNEL_/INITRD_/CMDLINE_ items as x86_load_linux makes them), and its poweroff walks the
// tables SeaBIOS installed from the loader script. Minutes of emulation: by hand only with ACPIDM_LINUX=1 (CI always).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_CMDLINE, bootLinux, CI, LINUX_WANTED, linuxGuest, runUntil } from '../linux/harness.js';
import { QEMU_DATADIR, SEABIOS_DIR, seabiosMissing } from './seabios-harness.js';

const guest = linuxGuest();
const missing = 'missing' in guest ? guest.missing : seabiosMissing();

describe('Linux through SeaBIOS + linuxboot_dma.bin', () => {
  if (!LINUX_WANTED || (missing && !CI)) {
    it.skip(`skipped: ${!LINUX_WANTED ? 'set ACPIDM_LINUX=1 to boot Linux (minutes)' : missing}; required when CI=true`, () => {});
    return;
  }
  it('boots to /init and powers off: SHUTDOWN {guest: true, reason: guest-shutdown}', () => {
    if (missing || 'missing' in guest) throw new Error(`${missing}: required when CI=true`);
    let log = '';
    const run = bootLinux(guest, {
      rc: 'echo "init through seabios"\npoweroff -f\n',
      cmdline: BASE_CMDLINE,
      machine: {
        bios: new Uint8Array(readFileSync(join(SEABIOS_DIR, 'bios.bin'))), smm: false,
        kernelRom: { name: 'linuxboot_dma.bin', bytes: new Uint8Array(readFileSync(join(QEMU_DATADIR, 'linuxboot_dma.bin'))) },
        debugcon: [{ iobase: 0x402 }],
        onDebugconOutput: (b) => { log += String.fromCharCode(b); },
      },
    });
    const events: string[] = [];
    run.sys.machine.runState.events.on((e) => events.push(`${e.event}${e.data ? ` ${JSON.stringify(e.data)}` : ''}`));
    const out = runUntil(run, () => false, 2_000_000_000);
    expect(out, run.serial().slice(-2000)).toEqual({ kind: 'exit', status: 0 });
    expect(log).toContain('1: /rom@genroms/linuxboot_dma.bin\n');
    expect(run.serial()).toContain('init through seabios');
    expect(run.serial()).toContain('reboot: Power down');
    expect(events).toEqual(['SHUTDOWN {"guest":true,"reason":"guest-shutdown"}']);
  }, 3_600_000);
});
