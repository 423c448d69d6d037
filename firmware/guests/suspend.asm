; suspend.asm - S3 suspend-to-RAM and resume detection.
;
; On every boot it reads PM1a_STS.WAK_STS (ACPI 6.5 §4.8.3.1.1: set by hardware on wake) to tell a
; resume from a cold boot, and clears it. Cold boot: save the PIIX4 PM PCI config, set the FACS
; waking vector to a real-mode trampoline (lib/s3-resume.inc), enter S3 with \_S3_'s SLP_TYP
; using ACPICA's acpi_hw_legacy_sleep order (lib/pm.inc). On wake the firmware jumps to the vector;
; the kernel restores the PCI config, finds WAK_STS set and powers off (so the scenario ends).
; A firmware that reboots the kernel instead (vector ignored) gets the same verdict through the
; boot path, as long as it leaves the PM block mapped and WAK_STS set.
; Expected on QEMU: SUSPEND, (system_wakeup) WAKEUP, SHUTDOWN {"guest": true, "reason": "guest-shutdown"}.
%define KERNEL_NAME "suspend"
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"
%include "lib/s3-resume.inc"

s5_typ: dw 0

main:
        call find_tables_and_s5
        mov [s5_typ], bx
.check_wake:
        ; WAK_STS first: nothing else may clear it before we look.
        mov edx, [acpi_pm1a_evt]
        in ax, dx
        test ax, PM1_WAK_STS
        jz .cold
        PRINT "resumed from S3 (WAK_STS set)", 10
        mov eax, PM1_WAK_STS
        LOG_OUT 2, "PM1a_STS", "clear WAK_STS"
        mov bx, [s5_typ]
        jmp acpi_power_off
.cold:
        PRINT "cold boot (WAK_STS clear)", 10
        mov eax, PM1_WAK_STS
        LOG_OUT 2, "PM1a_STS", "clear WAK_STS"
        mov eax, "_S3_"
        call acpi_sleep_type
        jnc .have_s3
        PRINT "ACPI: S3 not supported, powering off instead", 10
        mov bx, [s5_typ]
        jmp acpi_power_off
.have_s3:
        ; Linux acpi_suspend_enter → acpi_enter_sleep_state(ACPI_STATE_S3)
        PRINT "ACPI: PM: Preparing to enter system sleep state S3", 10
        cli
        call s3_prepare_resume
        mov cl, 3
        call acpi_enter_sleep           ; returns only if the machine kept running
        PRINT "suspend: S3 did not happen, halting", 10
        jmp halt_forever

; Entered from the real-mode trampoline in protected mode with CS reloaded; nothing else is set up.
s3_resume_target:
        mov ax, DATA_SEL
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, stack_top
        PRINT "ACPI: back from S3 at the FACS waking vector", 10
        call s3_restore_pci
        jmp main.check_wake

%include "lib/end.inc"
