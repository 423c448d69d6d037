// What the QEMU interop run does with each guest kernel after `cont`. Shared by
// firmware/record-qemu.sh (recording) and test/firmware/qemu-interop.test.ts (comparison); the
// same scenarios describe what acpidm must do to reproduce firmware/expected/ (firmware/README.md).
// Every run starts paused, so `cont` (and its RESUME event) always comes first.
export const SCENARIOS = {
  // guest S5 on its own → SHUTDOWN guest-shutdown, QEMU exits
  poweroff: [{ waitExit: true }],
  // host presses the power button once the guest waits in sti;hlt → POWERDOWN, guest S5
  pwrbtn: [{ waitOutput: 'waiting for the power button' }, { execute: 'system_powerdown' }, { waitExit: true }],
  // guest S3 → SUSPEND; host wakes it → WAKEUP; guest reboots, sees WAK_STS, powers off
  suspend: [{ waitEvent: 'SUSPEND' }, { execute: 'system_wakeup' }, { waitExit: true }],
  // guest S4 → SUSPEND_DISK then SHUTDOWN guest-shutdown
  hibernate: [{ waitExit: true }],
  // guest resets; with -no-reboot that is SHUTDOWN guest-reset
  'reboot-cf9': [{ waitExit: true }],
  'reboot-kbc': [{ waitExit: true }],
  'triple-fault': [{ waitExit: true }],
  // guest parks in cli;hlt: the power button only gives POWERDOWN, then the host quits
  halt: [
    { waitOutput: 'reboot: System halted' },
    { execute: 'system_powerdown' },
    { waitEvent: 'POWERDOWN' },
    { execute: 'quit' },
    { waitExit: true },
  ],
  'bench-alu32': [{ waitExit: true }],
  'bench-io': [{ waitExit: true }],
};
