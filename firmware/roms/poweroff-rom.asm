; poweroff-rom: a 64 KiB BIOS image (acpidm run -bios / qemu-system-x86_64 -bios) that does
; the least a firmware must do to power a PIIX4 machine off, in real mode from the reset vector:
;   1. program the PIIX4 PM function 00:01.3 through PCI configuration mechanism #1
;      (PMBA = 0xB000|1 at 0x40, PMREGMISC bit 0 at 0x80) — until then no PM block exists
;      (QEMU hw/acpi/piix4.c pm_io_space_update);
;   2. print what it does on the debug console (port 0xE9, QEMU -debugcon);
;   3. write SLP_TYP=0 | SLP_EN (0x2000) to PM1a_CNT = PMBA + 4: S5 on QEMU's PIIX4.
; If the machine is still running afterwards it prints a failure line and halts.
        bits 16
        org 0                         ; the image is mapped at 0xF0000 (segment F000)

PM_BASE         equ 0xB000
PCI_ADDR        equ 0x0CF8
PCI_DATA        equ 0x0CFC
PIIX4_PM_CFG    equ 0x80000000 | (1 << 11) | (3 << 8)   ; bus 0, device 1, function 3
DEBUGCON        equ 0xE9

%macro PUTS 1
        mov si, %1
        call puts
%endmacro

start:
        cli
        mov ax, cs
        mov ds, ax
        PUTS msg_hello
        ; PMBA (0x40) = PM_BASE | 1
        mov eax, PIIX4_PM_CFG | 0x40
        mov dx, PCI_ADDR
        out dx, eax
        mov eax, PM_BASE | 1
        mov dx, PCI_DATA
        out dx, eax
        ; PMREGMISC (0x80) bit 0 = PM I/O enable
        mov eax, PIIX4_PM_CFG | 0x80
        mov dx, PCI_ADDR
        out dx, eax
        mov al, 1
        mov dx, PCI_DATA
        out dx, al
        PUTS msg_pm
        ; S5: SLP_TYP 0 | SLP_EN
        mov ax, 0x2000
        mov dx, PM_BASE + 4
        out dx, ax
        ; Still here? QEMU services the request from its main loop while the vCPU runs on (qemu-pm.md §10),
        ; so wait 3 s of PM timer (24-bit, 3.579545 MHz at PMBA + 8) before saying so; at most 100 M reads,
        ; in case there is no timer.
        mov dx, PM_BASE + 8
        in eax, dx
        and eax, 0xFFFFFF
        mov ebx, eax                  ; previous reading
        xor esi, esi                  ; ticks elapsed
        mov edi, 100000000
.wait:  in eax, dx
        and eax, 0xFFFFFF
        mov ecx, eax
        sub eax, ebx
        and eax, 0xFFFFFF             ; delta modulo 2^24 (the counter wraps)
        add esi, eax
        mov ebx, ecx
        cmp esi, 3 * 3579545
        jae .late
        dec edi
        jnz .wait
.late:  PUTS msg_fail
.halt:  hlt
        jmp .halt

puts:   mov dx, DEBUGCON
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  ret

msg_hello: db "poweroff-rom: programming PIIX4 PM (PMBA 0xB000, PMREGMISC 1)", 10, 0
msg_pm:    db "poweroff-rom: outw 0xB004 <- 0x2000 (SLP_TYP 0 | SLP_EN)", 10, 0
msg_fail:  db "poweroff-rom: still running after the S5 write", 10, 0

        times 0xFFF0 - ($ - $$) db 0xFF
reset_vector:                          ; F000:FFF0
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0xFF
