; triple-fault.asm - Linux `reboot=triple` (arch/x86/kernel/reboot.c, BOOT_TRIPLE): load an IDT
; with limit 0, then INT3. The breakpoint cannot be delivered (#GP), neither can the #GP (#DF),
; nor the #DF: the CPU shuts down, which the chipset turns into a reset.
; Expected on QEMU with -no-reboot: SHUTDOWN {"guest": true, "reason": "guest-reset"}.
%define KERNEL_NAME "triple-fault"
%include "lib/multiboot.inc"
%include "lib/delay.inc"

no_idt:
        dw 0                            ; limit 0: no vector is valid
        dd 0

main:
        PRINT "reboot: Restarting system", 10
        PRINT "reboot: triple fault: null IDT, then int3", 10
        cli
        lidt [no_idt]
        int3
        mov ecx, SPIN_LONG
        call spin
        PRINT "reboot: still running after the triple fault, halting", 10
        jmp halt_forever

%include "lib/end.inc"
