// Peer test (issue 16): the same SeaBIOS image and Multiboot kernel on real QEMU and on acpidm print the same SeaBIOS
// debug log (port 0x402) line for line. QEMU runs the devices acpidm models: `-nodefaults -vga none -serial null`
// (the PIIX3 IDE function and COM1 stay, as on acpidm), `-global apic-common.vapic=off` (no kvmvapic.bin option
// ROM: acpidm has no VAPIC) and `-machine smm=off`.
// Known differences, normalised below: QEMU also hands SeaBIOS SMBIOS tables (etc/smbios/*), acpidm does not, so
// SeaBIOS builds its own and the F-segment addresses in the "Copying ..." and "Space available for UMB" lines move;
// acpidm's DSDT is its own (401 bytes, QEMU's is 6385), so bios-256k.bin's "parse DSDT ... (len N)" and the FADT
// address after it in "table(50434146)=..." differ (the DSDT itself sits at the same address, blob offset 0x40).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootSeabios, ci, root, SEABIOS_DIR, seabiosMissing } from './seabios-harness.js';

const QEMU = 'qemu-system-i386';
const haveQemu = spawnSync(QEMU, ['--version']).status === 0;
const missing = seabiosMissing() ?? (haveQemu ? null : `${QEMU} not found (apt-get install qemu-system-x86)`);

function qemuLog(bios: string, kernel: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-seabios-'));
  try {
    const log = join(dir, 'seabios.log');
    execFileSync(QEMU, [
      '-M', 'pc', '-machine', 'smm=off', '-bios', join(SEABIOS_DIR, bios), '-kernel', join(root, 'firmware/guests', kernel),
      '-nodefaults', '-vga', 'none', '-serial', 'null', '-global', 'apic-common.vapic=off',
      '-chardev', `file,id=d,path=${log}`, '-device', 'isa-debugcon,iobase=0x402,chardev=d',
      '-display', 'none', '-no-reboot',
    ], { timeout: 30_000, stdio: 'ignore' });
    return readFileSync(log, 'latin1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Addresses SeaBIOS picks in its F-segment and low memory depend on the tables it built itself (see above). */
const normalise = (log: string): string[] => log.split('\n').filter((l) => l.length > 0).map((l) =>
  /^(Copying |Space available for UMB:|table\(50434146\)=)/.test(l) ? l.replace(/\b(0x)?[0-9a-f]{5,}\b/g, '<addr>')
    : l.replace(/^(ACPI: parse DSDT at 0x[0-9a-f]+) \(len \d+\)$/, '$1 (len <n>)'));

describe('SeaBIOS debug log: acpidm against real QEMU', () => {
  if (missing && !ci) {
    it.skip(`skipped: ${missing}; required when CI=true`, () => {});
    return;
  }
  it.each(['bios.bin', 'bios-256k.bin'])('%s with -kernel poweroff.bin: same lines, up to the F-segment addresses', (bios) => {
    if (missing) throw new Error(`${missing}: required when CI=true`);
    const ref = normalise(qemuLog(bios, 'poweroff.bin'));
    const ours = bootSeabios({ bios, kernel: 'poweroff.bin' });
    expect(ours.outcome).toEqual({ kind: 'exit', status: 0 });
    expect(ref.length).toBeGreaterThan(40);
    expect(normalise(ours.log)).toEqual(ref);
  });
});
