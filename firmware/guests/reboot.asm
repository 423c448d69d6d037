; reboot.asm - Linux's default `reboot` on x86 (arch/x86/kernel/reboot.c native_machine_emergency_restart
; with reboot_type BOOT_ACPI): first the FADT reset register (drivers/acpi/reboot.c acpi_reboot: only
; when FADT flags RESET_REG_SUP is set and the register is 8 bits wide at bit offset 0; system I/O or
; memory space via acpi_reset(), PCI config space of bus 0), wait 15 ms; then the keyboard controller
; (10 tries), then a triple fault.
; QEMU pc: FADT rev 1 has no RESET_REG → keyboard controller. q35: RESET_REG = I/O 0xCF9, value 0x0F.
; Expected on QEMU with -no-reboot: SHUTDOWN {"guest": true, "reason": "guest-reset"}.
%define KERNEL_NAME "reboot"
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"
%include "lib/delay.inc"

FADT_FLAG_RESET_REG_SUP equ 1 << 10
GAS_SYSTEM_MEMORY equ 0
GAS_SYSTEM_IO     equ 1
GAS_PCI_CONFIG    equ 2

no_idt:
        dw 0
        dd 0

main:
        call acpi_find_tables           ; a failure only means "no ACPI reset register"
        PRINT "reboot: Restarting system", 10
        cli
        ; ---- BOOT_ACPI ----
        test dword [acpi_flags], FADT_FLAG_RESET_REG_SUP
        jnz .acpi_sup
        PRINT "ACPI: no reset register (FADT RESET_REG_SUP clear)", 10
        jmp .kbd
.acpi_sup:
        cmp dword [acpi_reset_width], 8
        jne .acpi_bad
        cmp dword [acpi_reset_offset], 0
        jne .acpi_bad
        mov eax, [acpi_reset_space]
        cmp eax, GAS_SYSTEM_IO
        je .acpi_io
        cmp eax, GAS_SYSTEM_MEMORY
        je .acpi_mem
        cmp eax, GAS_PCI_CONFIG
        je .acpi_pci
.acpi_bad:
        PRINT "ACPI: reset register is not an 8-bit register at bit 0 in I/O, memory or PCI space", 10
        jmp .kbd
.acpi_io:
        mov edx, [acpi_reset_addr]
        mov eax, [acpi_reset_value]
        LOG_OUT 1, "RESET_REG", "ACPI reset"
        jmp .acpi_wait
.acpi_mem:
        PRINT "RESET_REG memory "
        mov eax, [acpi_reset_addr]
        call puthex32
        PRINT " <- "
        mov eax, [acpi_reset_value]
        call puthex8
        PRINT " (ACPI reset)", 10
        mov edx, [acpi_reset_addr]
        mov [edx], al
        jmp .acpi_wait
.acpi_pci:
        ; drivers/acpi/reboot.c: bus 0, device = address bits 32-47, function = bits 16-31,
        ; register = bits 0-15 (ACPI_PCI_DEVICE/FUNCTION/REGISTER); we only see the low 32 bits, so
        ; device 0 unless the table is revision >= 2 with the high dword (rare; not handled).
        mov eax, [acpi_reset_addr]
        mov ebx, eax
        shr ebx, 16                     ; function
        and ebx, 7
        shl ebx, 8
        and eax, 0xFC
        or eax, ebx
        or eax, 0x80000000
        mov edx, 0xCF8
        LOG_OUT 4, "PCI_CFG_ADDR", ""
        mov edx, [acpi_reset_addr]
        and edx, 3
        add edx, 0xCFC
        mov eax, [acpi_reset_value]
        LOG_OUT 1, "PCI_CFG_DATA", "ACPI reset"
.acpi_wait:
        mov ecx, SPIN_LONG              ; mdelay(15), and more: nothing printed unless it failed
        call spin
        PRINT "reboot: ACPI reset did not happen", 10
        ; ---- BOOT_KBD ----
.kbd:
        mov ebx, 10
.kbd_try:
        mov ecx, 0x10000
.kbd_wait:
        in al, 0x64
        test al, 0x02                   ; input buffer full
        jz .kbd_empty
        dec ecx
        jnz .kbd_wait
.kbd_empty:
        mov edx, 0x64
        mov eax, 0xFE
        LOG_OUT 1, "KBC", "pulse reset line"
        mov ecx, SPIN_LONG
        call spin
        dec ebx
        jnz .kbd_try
        PRINT "reboot: keyboard controller reset did not happen", 10
        ; ---- BOOT_TRIPLE ----
        PRINT "reboot: triple fault", 10
        lidt [no_idt]
        int3
        jmp halt_forever

%include "lib/end.inc"
