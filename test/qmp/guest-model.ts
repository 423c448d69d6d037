/**
 * The guest's part in a scenario, as an interface: a qtest-style player that
 * writes ports (this file), or a real guest program run by the interpreter
 * (the lead's firmware/guests/*.bin) can implement it. Scenario tests call only
 * these methods, so a guest program can be substituted.
 */
import type { QtestMachine } from '../../src/machine/qtest.js';

export interface GuestModel {
  /** Firmware and kernel boot: program the PM block, switch to ACPI mode. */
  boot(): void;
  /** The kernel's ACPI button driver: PM1_EN.PWRBTN_EN = 1. */
  enablePowerButton(): void;
  /** Let the guest run: a guest with the button driver answers a latched press by powering off. */
  run(): void;
  /** Linux acpi_power_off (lifecycle.md §5): SLP_TYP write, then SLP_TYP|SLP_EN with S5. */
  poweroff(): void;
  suspendRam(): void;
  hibernate(slpTyp?: number): void;
  reset(how: 'cf9' | 'kbd'): void;
}

const PM = 0x600;
const PWRBTN = 0x0100;

/** A port-level guest played by the test (QEMU qtest style). */
export class QtestGuest implements GuestModel {
  readonly actions: string[] = [];
  constructor(readonly q: QtestMachine, readonly pm = PM) {}

  boot(): void {
    this.q.programPm(this.pm); // SeaBIOS piix4_pm_config_setup
    this.q.outb(0xb2, 0xf1);   // ACPI_ENABLE through APM: SCI_EN = 1
    this.actions.push('boot');
  }

  enablePowerButton(): void {
    this.q.outw(this.pm + 2, this.q.inw(this.pm + 2) | PWRBTN);
    this.actions.push('PWRBTN_EN=1');
  }

  run(): void {
    const sts = this.q.inw(this.pm);
    const en = this.q.inw(this.pm + 2);
    if (sts & en & PWRBTN) {
      this.q.outw(this.pm, PWRBTN); // W1C PWRBTN_STS, as the button driver does
      this.actions.push('saw PWRBTN_STS');
      this.poweroff();
    }
  }

  private sleep(typ: number): void {
    this.q.outw(this.pm, 0x8000);
    this.q.outw(this.pm, 0x8731);
    const cnt = (this.q.inw(this.pm + 4) & ~0x3c00) | (typ << 10);
    this.q.outw(this.pm + 4, cnt);          // write 1: SLP_TYP only, must not trigger
    this.q.outw(this.pm + 4, cnt | 0x2000); // write 2: SLP_TYP|SLP_EN
  }

  poweroff(): void {
    this.sleep(0);
    this.actions.push('S5');
  }

  suspendRam(): void {
    this.sleep(1);
    this.actions.push('S3');
  }

  hibernate(slpTyp = 2): void {
    this.sleep(slpTyp);
    this.actions.push(`S4 (SLP_TYP ${slpTyp})`);
  }

  reset(how: 'cf9' | 'kbd'): void {
    if (how === 'cf9') {
      this.q.outb(0xcf9, 0x02); // Linux reboot=pci: SYS_RST first ...
      this.q.outb(0xcf9, 0x06); // ... then RST_CPU|SYS_RST resets
    } else this.q.outb(0x64, 0xfe);
    this.actions.push(`reset ${how}`);
  }
}
