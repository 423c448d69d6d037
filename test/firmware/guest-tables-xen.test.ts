// The ACPI guest kernels find what a Linux guest finds in Xen hvmloader's tables (xen.md §10): an
// ACPI 2.0 RSDP → XSDT → revision-4 FADT with the V1 ports (PM1a 0xB000/0xB004, PM_TMR 0xB008,
// GPE0 0xAFE0), no SMI_CMD, \_S5_ in the DSDT and \_S3_ / \_S4_ in SSDTs (S3 = 1, S4 = 0: S4 reuses
// S5's value). Real QEMU cannot give us these tables, so this runs the committed binaries on acpidm's
// CPU interpreter with acpidm's hvmloader profile installed and the PIIX4 PM block at 0xB000.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installTables } from '../../src/acpi/install/index.js';
import { xenHvmloaderProfile } from '../../src/acpi/profiles/xen-hvmloader.js';
import { Cpu } from '../../src/cpu/cpu.js';
import { loadMultiboot } from '../../src/machine/multiboot.js';
import { PcMachine } from '../../src/machine/pc-machine.js';
import { QtestMachine } from '../../src/machine/qtest.js';
import { PhysMemory } from '../../src/memory/phys-memory.js';

function runOnXenTables(kernel: string): { out: string; events: string[] } {
  const profile = xenHvmloaderProfile();
  // smm off: QEMU under Xen is ACPI-only, SCI_EN is set from reset (xen.md §10)
  const m = new PcMachine({ noReboot: true, smm: false, debugcon: [{ iobase: 0xe9 }], policy: profile.sleepPolicy });
  const mem = PhysMemory.fromMegabytes(64);
  const cpu = new Cpu({ mem, io: m.bus, clock: m.clock, intr: m.pic });
  // src/cpu gives its instructions to the clock itself, so the port reports 0 to the machine
  m.attachCpu({ run: (n) => { cpu.run(n); return 0; }, requestStop: () => cpu.requestStop(), reset: () => cpu.reset(), get halted() { return cpu.halted; } });
  new QtestMachine(m).programPm(0xb000); // hvmloader pci_setup: PMBA = 0xB000 | 1, PMREGMISC = 1
  installTables(mem.ram, profile);
  const entry = loadMultiboot(mem.ram, new Uint8Array(readFileSync(join(import.meta.dirname, '../../firmware/guests', `${kernel}.bin`))));
  cpu.setFlatProtectedMode(entry.entry, { eax: 0x2badb002, ebx: 0 });
  m.start();
  for (let i = 0; i < 50 && m.runSlice(100_000) === 'budget'; i++);
  return { out: new TextDecoder().decode(m.debugconBytes()), events: m.runState.log.map((e) => e.event) };
}

const tableLines = [
  'ACPI: RSDP in 0xE0000-0xFFFFF rev 2',
  'FADT: SCI_INT 9 SMI_CMD 0x0000 ACPI_ENABLE 0x00 ACPI_DISABLE 0x00',
  'FADT: PM1a_EVT 0xB000 PM1b_EVT 0x0000 PM1a_CNT 0xB004 PM1b_CNT 0x0000 PM_TMR 0xB008',
  'AML: \\_S5_ Package(4) {0, 0, 0, 0} -> SLP_TYPa 0 SLP_TYPb 0',
];

describe('guest kernels on Xen hvmloader tables (acpidm profile)', () => {
  it('poweroff: XSDT, FADT rev 4, V1 ports; SLP_TYP 0 with SCI_EN kept: 0x0001 then 0x2001 to 0xB004', () => {
    const r = runOnXenTables('poweroff');
    for (const l of tableLines) expect(r.out).toContain(`${l}\n`);
    expect(r.out).toContain('ACPI: XSDT -> FACP, 2 SSDT\n'); // hvmloader: SSDT_S3 and SSDT_S4
    expect(r.out).toContain('ACPI: FACP rev 4 length 244\n');
    expect(r.out.endsWith('PM1a_CNT 0xB004 -> 0x0001\nPM1a_CNT 0xB004 <- 0x0001 (write 1: SLP_TYP)\nPM1a_CNT 0xB004 <- 0x2001 (write 2: SLP_TYP | SLP_EN)\n')).toBe(true);
    expect(r.events).toEqual(['RESUME', 'SHUTDOWN']);
  });

  it('hibernate: \\_S4_ comes from an SSDT and is 0, so the S4 write is an S5 (no SUSPEND_DISK)', () => {
    const r = runOnXenTables('hibernate');
    expect(r.out).toContain('AML: \\_S4_ Package(4) {0, 0, 0, 0} -> SLP_TYPa 0 SLP_TYPb 0\n');
    expect(r.out).toContain('PM1a_CNT 0xB004 <- 0x2001 (write 2: SLP_TYP | SLP_EN)\n');
    expect(r.events).toEqual(['RESUME', 'SHUTDOWN']);
  });

  it('suspend: \\_S3_ from an SSDT is 1: 0x0401 then 0x2401', () => {
    const r = runOnXenTables('suspend');
    expect(r.out).toContain('AML: \\_S3_ Package(4) {1, 1, 0, 0} -> SLP_TYPa 1 SLP_TYPb 1\n');
    expect(r.out).toContain('PM1a_CNT 0xB004 <- 0x0401 (write 1: SLP_TYP)\nWBINVD\nPM1a_CNT 0xB004 <- 0x2401 (write 2: SLP_TYP | SLP_EN)\n');
    expect(r.events).toEqual(['RESUME', 'SUSPEND']);
  });
});
