; reboot-cf9.asm - Linux `reboot=pci` (arch/x86/kernel/reboot.c native_machine_emergency_restart,
; BOOT_CF9_FORCE): read the reset control register, request a hard reset (0x02), wait, then set
; the reset bits (0x0E cold, the default reboot mode; `reboot=pci,warm` would write 0x06).
; QEMU hw/isa/piix.c rcr_write: a write with bit 2 (RST_CPU) set resets the machine.
; Expected on QEMU with -no-reboot: SHUTDOWN {"guest": true, "reason": "guest-reset"}.
%define KERNEL_NAME "reboot-cf9"
%include "lib/multiboot.inc"
%include "lib/iolog.inc"
%include "lib/delay.inc"

RST_CNT         equ 0xCF9
RST_SYS         equ 0x02            ; SYS_RST: hard (system) reset when RST_CPU is set
RST_CPU_COLD    equ 0x0E            ; FULL_RST | RST_CPU | SYS_RST

main:
        PRINT "reboot: Restarting system", 10
        cli
        mov dx, RST_CNT
        in al, dx
        movzx eax, al
        push eax
        PRINT "RST_CNT 0x0CF9 -> "
        call puthex8
        PRINT 10
        pop eax
        and eax, ~RST_CPU_COLD & 0xFF   ; cf9 = inb(0xcf9) & ~reboot_code
        mov ebx, eax
        or eax, RST_SYS
        mov edx, RST_CNT
        LOG_OUT 1, "RST_CNT", "request hard reset"
        mov ecx, SPIN_SHORT             ; udelay(50)
        call spin
        mov eax, ebx
        or eax, RST_CPU_COLD
        LOG_OUT 1, "RST_CNT", "cold reset"
        mov ecx, SPIN_LONG
        call spin
        PRINT "reboot: 0xCF9 reset did not happen, halting", 10
        jmp halt_forever

%include "lib/end.inc"
