/**
 * A modelled qemu-guest-agent (qga) for guests that have no agent of their own.
 *
 * The real agent runs inside the guest; `guest-shutdown` makes the guest run its
 * normal poweroff path, which on Linux ends in `acpi_power_off`. The model plays
 * that final part through the machine's ports, exactly as lifecycle.md §5 lists it
 * (and as the `poweroff` guest binary does), so the PIIX4 sees a genuine guest S5:
 *   PM1a_STS <- 0x8000, PM1a_STS <- 0x8731, GPE0 STS <- 0xFF.., GPE0 EN <- 0,
 *   PM1a_CNT <- SLP_TYP (no SLP_EN), then PM1a_CNT <- SLP_TYP|SLP_EN.
 * `guest-shutdown {mode: reboot}` is Linux's default x86 reboot on `pc` (no FADT
 * reset register): the keyboard controller pulse, `outb 0x64 <- 0xFE`.
 * `guest-shutdown {mode: halt}` is `kernel_halt`: no port I/O at all.
 * `guest-suspend-ram` / `guest-suspend-disk` write SLP_TYP = \_S3_ / \_S4_ with SLP_EN.
 * A guest program with a real agent can replace this by implementing `GuestAgent`.
 */
import { genericError, QmpError } from './errors.js';
import type { JsonValue } from './json-stream.js';
import type { GuestAgent } from './vm.js';

export interface PortIo {
  inw(port: number): number;
  outw(port: number, value: number): void;
  outb(port: number, value: number): void;
}

export interface AgentConfig {
  /** PM1a_EVT_BLK from the FADT (SeaBIOS on QEMU: 0x600). */
  pmBase: number;
  /** GPE0_BLK (PIIX4: 0xAFE0, 4 bytes: 2 STS then 2 EN). */
  gpe0: number;
  /** SLP_TYPa from \_S3_, \_S4_, \_S5_ (QEMU's DSDT: 1, s4_val = 2, 0). */
  slpTyp: { s3: number | null; s4: number | null; s5: number | null };
}

export const QEMU_PC_AGENT: AgentConfig = { pmBase: 0x600, gpe0: 0xafe0, slpTyp: { s3: 1, s4: 2, s5: 0 } };

const SLP_EN = 0b0010_0000_0000_0000;
const SLP_TYP_MASK = 0b0001_1100_0000_0000;

export class PortGuestAgent implements GuestAgent {
  /** What the agent did, in order (for people and tests). */
  readonly log: string[] = [];

  constructor(private readonly io: PortIo, private readonly guestRunning: () => boolean, private readonly cfg: AgentConfig = QEMU_PC_AGENT) {}

  execute(command: string, args: { readonly [k: string]: JsonValue }): JsonValue | undefined {
    // The agent is a guest process: a paused, suspended or stopped guest cannot answer (libvirt's wording).
    if (!this.guestRunning()) throw genericError('Guest agent is not responding: Guest agent not available for now');
    switch (command) {
      case 'guest-ping':
        return {};
      case 'guest-shutdown': {
        const mode = args['mode'] ?? 'powerdown';
        if (mode === 'powerdown') {
          // Linux registers acpi_power_off only if \_S5 exists; without it poweroff becomes kernel_halt.
          if (this.cfg.slpTyp.s5 === null) this.log.push('no \\_S5_: kernel_halt (cli; hlt), no port I/O');
          else this.sleep(this.cfg.slpTyp.s5);
        }
        else if (mode === 'reboot') this.out8(0x64, 0xfe); // arch/x86/kernel/reboot.c: BOOT_KBD pulse
        else if (mode === 'halt') this.log.push('halt: cli; hlt (no port I/O)');
        else throw genericError(`Parameter 'mode' does not accept value '${String(mode)}'`);
        return {};
      }
      case 'guest-suspend-ram':
      case 'guest-suspend-disk': {
        const typ = command === 'guest-suspend-ram' ? this.cfg.slpTyp.s3 : this.cfg.slpTyp.s4;
        if (typ === null) throw genericError(`${command}: the guest's ACPI tables have no ${command === 'guest-suspend-ram' ? '\\_S3_' : '\\_S4_'}`);
        this.sleep(typ);
        return {};
      }
      default:
        throw new QmpError('CommandNotFound', `The command ${command} has not been found`);
    }
  }

  /** drivers/acpi/acpica/hwsleep.c acpi_hw_legacy_sleep, PM1a only. */
  private sleep(typ: number): void {
    const { pmBase, gpe0 } = this.cfg;
    this.out16(pmBase, 0x8000); // clear WAK_STS
    this.out16(pmBase, 0x8731); // clear all fixed status bits
    this.out8(gpe0, 0xff);
    this.out8(gpe0 + 1, 0xff);
    this.out8(gpe0 + 2, 0);
    this.out8(gpe0 + 3, 0);
    const cnt = (this.io.inw(pmBase + 4) & ~(SLP_TYP_MASK | SLP_EN)) | ((typ << 10) & SLP_TYP_MASK);
    this.out16(pmBase + 4, cnt); // write 1: SLP_TYP only, must not trigger anything
    this.out16(pmBase + 4, cnt | SLP_EN); // write 2: SLP_TYP|SLP_EN
  }

  private out16(port: number, v: number): void {
    this.log.push(`outw 0x${port.toString(16)} <== 0x${v.toString(16).padStart(4, '0')}`);
    this.io.outw(port, v);
  }

  private out8(port: number, v: number): void {
    this.log.push(`outb 0x${port.toString(16)} <== 0x${v.toString(16).padStart(2, '0')}`);
    this.io.outb(port, v);
  }
}
