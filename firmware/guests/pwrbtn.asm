; pwrbtn.asm - an ACPI guest waiting for the power button, as a Linux guest with the ACPI button
; driver does: ACPI mode on, PWRBTN_EN set, the SCI routed through the 8259 PICs (and the local
; APIC's LINT0), then idle in `sti; hlt`. On the SCI with PWRBTN_STS set it clears the status
; (W1C), EOIs and runs acpi_power_off.
; Expected on QEMU after system_powerdown: POWERDOWN, SHUTDOWN {"guest": true, "reason": "guest-shutdown"}.
%define KERNEL_NAME "pwrbtn"
%define NEED_IDT
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"
%include "lib/acpi-mode.inc"
%include "lib/irq.inc"

s5_typ: dw 0

main:
        call find_tables_and_s5
        mov [s5_typ], bx
        call acpi_enable_mode
        jc .stuck
        call pwrbtn_enable
        call idt_init
        call pic_init
        mov eax, [acpi_sci_int]
        cmp eax, 16
        jb .sci_ok
        PRINT "ACPI: SCI_INT is not an ISA IRQ; cannot route it through the PIC", 10
        jmp .stuck
.sci_ok:
        mov dword [irq_handler_table + eax * 4], sci_handler
        call irq_route
        call lapic_extint
        PRINT "waiting for the power button", 10
.idle:
        sti                             ; the SCI may already be pending: STI's shadow lets HLT start
        hlt
        jmp .idle
.stuck:
        jmp kernel_halt

; sci_handler: EAX = IRQ. ACPICA evevent.c acpi_ev_fixed_event_detect: STS & EN, then the fixed
; event dispatch clears the status bit and calls the button driver (→ orderly_poweroff).
sci_handler:
        mov edx, [acpi_pm1a_evt]
        push eax
        in ax, dx
        test ax, PM1_PWRBTN_STS
        pop eax
        jnz .pressed
        PRINT "SCI: no PWRBTN_STS, ignored", 10
        ret
.pressed:
        PRINT "SCI: PWRBTN_STS set", 10
        push eax
        mov eax, PM1_PWRBTN_STS
        LOG_OUT 2, "PM1a_STS", "clear PWRBTN_STS"
        pop eax
        call pic_eoi                    ; the level SCI is already low again: STS was cleared first
        PRINT "power button pressed", 10
        mov bx, [s5_typ]
        jmp acpi_power_off

%include "lib/end.inc"
