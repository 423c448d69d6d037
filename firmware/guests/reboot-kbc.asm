; reboot-kbc.asm - Linux `reboot=kbd` (arch/x86/kernel/reboot.c, BOOT_KBD): up to 10 times, wait
; for the i8042 input buffer to drain (kb_wait: status bit 1 clear), then write command 0xFE
; (pulse output line 0 = CPU reset) to port 0x64.
; QEMU hw/input/pckbd.c kbd_write_command: 0xF0-0xFF pulse the output port; bit 0 clear resets.
; Expected on QEMU with -no-reboot: SHUTDOWN {"guest": true, "reason": "guest-reset"}.
%define KERNEL_NAME "reboot-kbc"
%include "lib/multiboot.inc"
%include "lib/iolog.inc"
%include "lib/delay.inc"

KBC_STATUS      equ 0x64
KBC_STS_IBF     equ 0x02            ; input buffer full: the controller has not taken the last byte
KBC_CMD_RESET   equ 0xFE

main:
        PRINT "reboot: Restarting system", 10
        cli
        mov ebx, 10                     ; for (i = 0; i < 10; i++)
.try:
        ; kb_wait(): up to 0x10000 polls of the status register
        mov ecx, 0x10000
        mov dx, KBC_STATUS
.wait:
        in al, dx
        test al, KBC_STS_IBF
        jz .empty
        dec ecx
        jnz .wait
        PRINT "KBC: input buffer still full, writing anyway", 10
        jmp .write
.empty:
        PRINT "KBC: input buffer empty", 10
.write:
        mov edx, KBC_STATUS
        mov eax, KBC_CMD_RESET
        LOG_OUT 1, "KBC", "pulse reset line"
        mov ecx, SPIN_LONG
        call spin
        dec ebx
        jz .failed
        PRINT "reboot: keyboard controller reset did not happen, retrying", 10
        jmp .try
.failed:
        PRINT "reboot: keyboard controller reset did not happen, halting", 10
        jmp halt_forever

%include "lib/end.inc"
