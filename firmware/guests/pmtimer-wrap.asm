; pmtimer-wrap.asm - a guest that sleeps until the 24-bit ACPI PM timer wraps, then powers off.
;
; ACPI mode on, TMR_EN set (PM1_EN bit 0), the SCI routed through the 8259s, then `sti; hlt`.
; QEMU raises TMR_STS when bit 23 of the 3.579545 MHz counter toggles (hw/acpi/core.c
; acpi_pm_tmr_timer: 0x7FFFFF -> 0x800000, and 0xFFFFFF -> 0, the wrap), which raises the SCI.
; The first SCI is bit 23 rising; the one after it, with the counter back below 0x800000, is the
; wrap: 2^24 ticks = 4.69 s after reset. Nothing else can wake the guest, so a machine whose
; halted CPU does not let virtual time reach the PM timer's overflow never powers off.
; Expected on QEMU: SHUTDOWN {"guest": true, "reason": "guest-shutdown"} about 4.7 s after start.
%define KERNEL_NAME "pmtimer-wrap"
%define NEED_IDT
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"
%include "lib/acpi-mode.inc"
%include "lib/irq.inc"

PM1_TMR_STS     equ 0x0001
PM1_TMR_EN      equ 0x0001

s5_typ: dw 0
wrapped: db 0

main:
        call find_tables_and_s5
        mov [s5_typ], bx
        call acpi_enable_mode
        jc .stuck
        ; acpi_clear_event + acpi_enable_event for the timer: W1C TMR_STS (it reads 1 after reset), set TMR_EN.
        mov edx, [acpi_pm1a_evt]
        mov eax, PM1_TMR_STS
        LOG_OUT 2, "PM1a_STS", "clear TMR_STS"
        mov ebx, [acpi_pm1_evt_len]
        shr ebx, 1
        add edx, ebx                    ; PM1a_EN = PM1a_EVT + PM1_EVT_LEN / 2
        LOG_IN16 "PM1a_EN"
        or eax, PM1_TMR_EN
        LOG_OUT 2, "PM1a_EN", "set TMR_EN"
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
        mov edx, [acpi_pm_tmr]
        in eax, dx
        test eax, 0x800000
        jz .low
        PRINT "PM timer: already past bit 23 at start", 10
        jmp .stuck
.low:
        PRINT "waiting for the PM timer to wrap (2^24 ticks of 3.579545 MHz)", 10
.idle:
        sti
        hlt
        cmp byte [wrapped], 0
        je .idle
        cli
        PRINT "PM timer wrapped", 10
        mov bx, [s5_typ]
        jmp acpi_power_off
.stuck:
        jmp kernel_halt

; sci_handler: TMR_STS set → clear it (W1C) and look at the counter: bit 23 set means it just
; crossed 0x800000; clear means it went 0xFFFFFF → 0.
sci_handler:
        mov edx, [acpi_pm1a_evt]
        in ax, dx
        test ax, PM1_TMR_STS
        jnz .tmr
        PRINT "SCI: no TMR_STS, ignored", 10
        ret
.tmr:
        mov eax, PM1_TMR_STS
        out dx, ax
        mov edx, [acpi_pm_tmr]
        in eax, dx
        test eax, 0x800000
        jz .wrap
        PRINT "SCI: TMR_STS, PM timer bit 23 set", 10
        ret
.wrap:
        PRINT "SCI: TMR_STS, PM timer wrapped to 0", 10
        mov byte [wrapped], 1
        ret

%include "lib/end.inc"
