; hibernate.asm - S4 (the platform part of Linux hibernation: after the image is written,
; hibernation_platform_enter → acpi_hibernation_enter → acpi_enter_sleep_state(ACPI_STATE_S4)).
; SLP_TYP comes from \_S4_ (QEMU: s4_val, default 2; Xen hvmloader: 0). Without \_S4_ it does
; what Linux does without platform S4 support: it powers off through \_S5_.
; Expected on QEMU: SUSPEND_DISK, SHUTDOWN {"guest": true, "reason": "guest-shutdown"}.
%define KERNEL_NAME "hibernate"
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"

s5_typ: dw 0

main:
        call find_tables_and_s5
        mov [s5_typ], bx
        mov eax, "_S4_"
        call acpi_sleep_type
        jnc .have_s4
        PRINT "ACPI: S4 not supported, powering off instead", 10
        mov bx, [s5_typ]
        jmp acpi_power_off
.have_s4:
        PRINT "PM: hibernation: image written, entering platform S4", 10
        PRINT "ACPI: PM: Preparing to enter system sleep state S4", 10
        cli
        mov cl, 4
        call acpi_enter_sleep           ; returns only if the machine kept running
        PRINT "hibernate: S4 did not happen, halting", 10
        jmp halt_forever

%include "lib/end.inc"
