; halt.asm - what Linux does for `poweroff` without a power-off method (acpi=off, or no \_S5_):
; kernel_halt() prints "reboot: System halted", and every CPU parks with interrupts off
; (native_machine_halt → stop_this_cpu: cli; hlt in a loop). No port I/O besides the console.
; Expected on QEMU: nothing. system_powerdown gives only POWERDOWN; the host must quit.
%define KERNEL_NAME "halt"
%include "lib/multiboot.inc"

main:
        PRINT "reboot: System halted", 10
        jmp halt_forever

%include "lib/end.inc"
