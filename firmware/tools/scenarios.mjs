// What the QEMU interop run does with each guest kernel after `cont`. Shared by
// firmware/record-qemu.sh (recording) and test/firmware/qemu-interop.test.ts (comparison); the
// same scenarios describe what acpidm must do to reproduce firmware/expected/ (firmware/README.md).
// Every run starts paused, so `cont` (and its RESUME event) always comes first.
//
// A scenario name is the kernel name, or kernel + '-' + variant when `kernel` is given: variants
// add QEMU options (`args`) that change the tables the guest reads (PIIX4_PM properties, q35).
const exit = [{ waitExit: true }];
const pressButton = [{ waitOutput: 'waiting for the power button' }, { execute: 'system_powerdown' }, { waitExit: true }];

export const SCENARIOS = {
  // guest S5 on its own → SHUTDOWN guest-shutdown, QEMU exits
  poweroff: { steps: exit },
  // host presses the power button once the guest waits in sti;hlt → POWERDOWN, guest S5
  pwrbtn: { steps: pressButton },
  // guest S3 → SUSPEND; host wakes it → WAKEUP; guest resumes via the FACS vector, powers off
  suspend: { steps: [{ waitEvent: 'SUSPEND' }, { execute: 'system_wakeup' }, { waitExit: true }] },
  // guest S4 → SUSPEND_DISK then SHUTDOWN guest-shutdown
  hibernate: { steps: exit },
  // guest resets; with -no-reboot that is SHUTDOWN guest-reset
  'reboot-cf9': { steps: exit },
  'reboot-kbc': { steps: exit },
  'triple-fault': { steps: exit },
  // Linux's default order: ACPI reset register (absent on pc) → keyboard controller → triple fault
  reboot: { steps: exit },
  // guest parks in cli;hlt: the power button only gives POWERDOWN, then the host quits
  halt: {
    steps: [
      { waitOutput: 'reboot: System halted' },
      { execute: 'system_powerdown' },
      { waitEvent: 'POWERDOWN' },
      { execute: 'quit' },
      { waitExit: true },
    ],
  },
  'bench-alu32': { steps: exit },
  'bench-io': { steps: exit },
  // not on Xen (no XenVMMXenVMM CPUID leaf): falls back to the ACPI poweroff
  'xen-pv': { steps: exit },
  // CMOS shutdown status 0x0A and a keyboard-controller reset: QEMU clears the status on reset, so the firmware
  // boots the kernel again (reboot: true runs QEMU without -no-reboot); the guest parks in cli;hlt, the host quits
  'warm-reset': { reboot: true, steps: [{ waitOutput: 'booted again; CMOS shutdown status 0x00' }, { execute: 'quit' }, { waitExit: true }] },
  // guest sleeps in sti;hlt with TMR_EN until the 24-bit PM timer wraps (4.69 s of guest time), then S5
  'pmtimer-wrap': { steps: exit },

  // ---- variants: the same kernels against other tables ----
  // s4_val=3: \_S4_ = {3,3,0,0}; SLP_TYP 3 is now S4 (QEMU hw/acpi/core.c acpi_pm1_cnt_write)
  'hibernate-s4val3': { kernel: 'hibernate', args: ['-global', 'PIIX4_PM.s4_val=3'], steps: exit },
  // disable_s4=1: no \_S4_ in the DSDT → the kernel powers off through \_S5_ instead
  'hibernate-nos4': { kernel: 'hibernate', args: ['-global', 'PIIX4_PM.disable_s4=1'], steps: exit },
  // disable_s3=1: no \_S3_ → the kernel powers off instead of suspending
  'suspend-nos3': { kernel: 'suspend', args: ['-global', 'PIIX4_PM.disable_s3=1'], steps: exit },
  // q35 (ICH9): FADT rev 3, ACPI_ENABLE 0x02, GPE0 at 0x620 with 16 bytes
  'poweroff-q35': { kernel: 'poweroff', machine: 'q35', steps: exit },
  'pwrbtn-q35': { kernel: 'pwrbtn', machine: 'q35', steps: pressButton },
  // q35 FADT: RESET_REG_SUP with RESET_REG = I/O 0xCF9, value 0x0F
  'reboot-q35': { kernel: 'reboot', machine: 'q35', steps: exit },
};

/** The kernel binary name of a scenario. */
export function scenarioKernel(name) {
  return SCENARIOS[name]?.kernel ?? name;
}
