// Debian's SeaBIOS boots on acpidm as on QEMU (issue 16): it finds the RAM through fw_cfg etc/e820, shadows itself
// through the i440FX PAM, runs QEMU's BIOS linker/loader over acpidm's tables, and boots a Multiboot -kernel through
// QEMU's multiboot_dma.bin option ROM; the guest then powers off through the tables SeaBIOS installed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { walkGuestTables } from '../../src/acpi/install/walk-tables.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import { bootSeabios, ci, root, seabiosMissing } from './seabios-harness.js';

const missing = seabiosMissing();

describe('SeaBIOS boots poweroff.bin via -kernel (smm=off)', () => {
  if (missing && !ci) {
    it.skip(`skipped: ${missing}; required when CI=true`, () => {});
    return;
  }
  it.each(['bios.bin', 'bios-256k.bin'])('%s: SHUTDOWN {guest: true, reason: guest-shutdown}, guest output as on QEMU', (bios) => {
    if (missing) throw new Error(`${missing}: required when CI=true`);
    const r = bootSeabios({ bios, kernel: 'poweroff.bin' });
    expect(r.outcome, r.log).toEqual({ kind: 'exit', status: 0 });
    expect(r.events).toEqual([{ event: 'RESUME' }, { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } }]);
    // SeaBIOS's own steps (its debug port 0x402)
    expect(r.log).toContain('Found QEMU fw_cfg\nQEMU fw_cfg DMA interface supported\n');
    expect(r.log).toContain('qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]\n');
    expect(r.log).toContain('Moving pm_base to 0x600\n'); // it saw etc/table-loader
    expect(r.log).toContain('1: /rom@genroms/multiboot_dma.bin\n');
    expect(r.log).toContain('Booting from ROM...\n');
    // The guest found the FADT and DSDT SeaBIOS placed. The lines up to the S5 write are the ones QEMU's own run
    // printed (firmware/expected/poweroff.qemu.txt), except the FADT's SMM line: this is smm=off (SMI_CMD 0).
    const expected = readFileSync(join(root, 'firmware/expected/poweroff.qemu.txt'), 'latin1')
      .replace('SMI_CMD 0x00B2 ACPI_ENABLE 0xF1 ACPI_DISABLE 0xF0', 'SMI_CMD 0x0000 ACPI_ENABLE 0x00 ACPI_DISABLE 0x00');
    const cut = (s: string) => s.slice(0, s.indexOf('reboot: Power down'));
    expect(cut(r.guest)).toBe(cut(expected));
    // The tables in guest memory are the ones the loader made: valid checksums, RSDP in the F-segment.
    const t = walkGuestTables(r.sys.mem.ram);
    expect(t.rsdpAddress).toBeGreaterThanOrEqual(0xf0000);
    expect(t.tables.map((x) => x.signature)).toEqual(['RSDT', 'FACP', 'DSDT', 'FACS']);
    expect(t.tables.every((x) => x.checksumValid)).toBe(true);
    expect(t.pm.pm1aCntBlk).toBe(0x604);
  });

  // hw/acpi/core.c acpi_pm1_cnt_init: the PIIX4_PM globals reach SeaBIOS as etc/system-states, and the DSDT it
  // installs is the one the machine built for them: \_S3_ / \_S4_ disappear.
  it('disable_s3=1 / disable_s4=1: the guest finds no \\_S3_ / \\_S4_ in the DSDT SeaBIOS installed', () => {
    if (missing) throw new Error(`${missing}: required when CI=true`);
    const states = (o: { disableS3?: boolean; disableS4?: boolean }) => {
      const r = bootSeabios({ bios: 'bios.bin', kernel: 'poweroff.bin', ...o });
      expect(r.outcome).toEqual({ kind: 'exit', status: 0 });
      return Object.keys(walkGuestTables(r.sys.mem.ram).sleepTypes).sort();
    };
    expect(states({})).toEqual(['S3', 'S4', 'S5']);
    expect(states({ disableS3: true })).toEqual(['S4', 'S5']);
    expect(states({ disableS4: true })).toEqual(['S3', 'S5']);
  });

  it('smm=on with bios-256k.bin: the SMI it raises is reported (acpidm has no SMM), not a guest halt', () => {
    if (missing) throw new Error(`${missing}: required when CI=true`);
    const r = bootSeabios({ bios: 'bios-256k.bin', kernel: 'poweroff.bin', smm: true });
    expect(r.outcome.kind).toBe('halted-cli');
    expect(r.outcome.kind === 'halted-cli' && r.outcome.firmware).toMatch(/raised an SMI .*-machine smm=off .*last debug-console line: PCI: No VGA devices found/);
    expect(r.events).toEqual([{ event: 'RESUME' }]); // the start; no guest ever ran
  });

});

describe('a -bios image that halts is reported as a firmware halt', () => {
  // A 128 KiB ROM whose reset vector jumps to F000:0000, which prints a line on SeaBIOS's debug port and halts with
  // interrupts off (what SeaBIOS's panic() does). Hand-assembled 16-bit code:
  //   F000:0000  BA 02 04   mov dx, 0x402        F000:0006  2E AC   cs lodsb      F000:000C  EE      out dx, al
  //   F000:0003  BE 20 00   mov si, 0x0020       F000:0008  84 C0   test al, al   F000:000D  EB F7   jmp 0x0006
  //                                              F000:000A  74 03   jz 0x000F     F000:000F  FA F4   cli; hlt
  function panicRom(): Uint8Array {
    const rom = new Uint8Array(0x20000).fill(0xff);
    rom.set([0xba, 0x02, 0x04, 0xbe, 0x20, 0x00, 0x2e, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf7, 0xfa, 0xf4], 0x10000);
    rom.set(new TextEncoder().encode('early init\nNo space for init relocation.\n\0'), 0x10020);
    rom.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0x1fff0); // F000:FFF0: jmp far F000:0000
    return rom;
  }

  it('halted-cli with the last debug-console line, and the chain says firmware, not an acpi=off guest', () => {
    const sys = new PcSystem({ bios: panicRom(), debugcon: [{ iobase: 0x402 }] }).powerOn();
    sys.machine.start();
    const out = sys.run(10_000);
    expect(out).toEqual({ kind: 'halted-cli', firmware: 'firmware halted: last debug-console line: No space for init relocation.' });
    const last = sys.machine.runState.chain.links.at(-1)!;
    expect(last.mechanism).toBe('hlt-all-cpus');
    expect(last.what).toBe('firmware halted: last debug-console line: No space for init relocation.');
    expect(last.what).not.toMatch(/acpi=off/);
  });

  it('the same halt from a -kernel guest (RAM, no -bios) is still the guest halting', () => {
    const sys = new PcSystem({ kernel: new Uint8Array(readFileSync(join(root, 'firmware/guests/halt.bin'))) }).powerOn();
    sys.machine.start();
    const out = sys.run(50_000_000);
    expect(out).toEqual({ kind: 'halted-cli' });
  });
});
