; warm-reset.asm - the 286-era way back to real mode, and why it does not work on QEMU's pc machine.
; A DOS extender (or Linux for its APs' warm-reset vector) writes a shutdown status to CMOS 0x0F, a real-mode
; address to 40:67 in the BIOS data area, and resets the CPU; SeaBIOS (src/resume.c handle_resume) then jumps
; through 40:67 for status 0x05 or 0x0A (0x0B: IRET, 0x0C: RETF on the stack 40:67 points to).
; But QEMU clears CMOS 0x0F on every machine reset unless it holds 0xFE, the S3 marker (hw/rtc/mc146818rtc.c
; rtc_reset_enter), so SeaBIOS reads status 0 and hard-reboots: the kernel is loaded and started again.
; This kernel sets status 0x0A and 40:67, resets through the keyboard controller (command 0xFE), and reports
; which of the two happened: "back through 40:67" (the stub below ran) or "booted again" (a marker in low RAM,
; which neither reset nor POST clears, says this machine was here before). It then parks in cli;hlt.
; Expected on QEMU 7.2 (without -no-reboot): booted again with status 0x00; RESET {guest: true,
; reason: guest-reset} for our reset and one for SeaBIOS's hard reboot.
%define KERNEL_NAME "warm-reset"
%include "lib/multiboot.inc"

CMOS_INDEX      equ 0x70
CMOS_DATA       equ 0x71
CMOS_SHUTDOWN   equ 0x0F
STATUS_JMP      equ 0x0A                ; "jump through 40:67 without EOI"
BDA_JUMP        equ 0x467               ; 40:67 offset word, 40:69 segment word
WARM_SEG        equ 0x0300              ; the real-mode stub runs at 0300:0000 (0x3000)
MARKER_AT       equ 0x2FF0
MARKER          equ 0x4D524157          ; "WARM"

main:
        cmp dword [MARKER_AT], MARKER
        jne .first
        mov dword [MARKER_AT], 0
        PRINT "warm reset: the kernel was booted again; CMOS shutdown status "
        call print_status
        jmp halt_forever
.first:
        mov dword [MARKER_AT], MARKER
        mov esi, warm_stub                      ; the stub, below 1 MiB
        mov edi, WARM_SEG << 4
        mov ecx, warm_stub_end - warm_stub
        rep movsb
        mov word [BDA_JUMP], 0                  ; offset, segment of the stub
        mov word [BDA_JUMP + 2], WARM_SEG
        mov al, CMOS_SHUTDOWN
        out CMOS_INDEX, al
        mov al, STATUS_JMP
        out CMOS_DATA, al
        PRINT "warm reset: CMOS shutdown status "
        call print_status
        PRINT "warm reset: 40:67 = 0x0300:0x0000, keyboard controller reset", 10
        mov al, 0xFE                            ; i8042: pulse the reset line
        out 0x64, al
        PRINT "warm reset: the reset did not happen", 10
        jmp halt_forever

; print_status: CMOS 0x0F in hex, then a newline
print_status:
        mov al, CMOS_SHUTDOWN
        out CMOS_INDEX, al
        in al, CMOS_DATA
        movzx eax, al
        call puthex8
        PRINT 10
        ret

; back from the stub in protected mode, flat segments not loaded yet
warm_pm:
        mov ax, DATA_SEL
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, stack_top
        mov dword [MARKER_AT], 0
        PRINT "warm reset: back through 40:67 in real mode, DS "
        movzx eax, word [(WARM_SEG << 4) + w_ds - warm_stub]
        call puthex16
        PRINT 10
        jmp halt_forever

; Real mode at WARM_SEG:0: note DS (SeaBIOS jumps with DS = 0x40), enable A20 (a reset turns it off), and go
; back to the kernel at 1 MiB in protected mode.
        bits 16
warm_stub:
        mov [cs:w_ds - warm_stub], ds
        cli
        cld
        in al, 0x92
        or al, 0x02                     ; A20 on
        and al, 0xFE                    ; bit 0 would reset the machine
        out 0x92, al
        o32 lgdt [cs:w_gdtr - warm_stub]
        mov eax, cr0
        or al, 1                        ; CR0.PE
        mov cr0, eax
        jmp dword CODE_SEL:warm_pm
w_ds:   dw 0
w_gdtr: dw gdt_end - gdt - 1
        dd gdt
warm_stub_end:
        bits 32

%include "lib/end.inc"
