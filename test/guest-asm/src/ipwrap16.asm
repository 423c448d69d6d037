; IP at the 64 KiB edge in real mode (CS limit 0xFFFF): a one-byte instruction at CS:FFFF, and a three-byte one
; that starts at CS:FFFE. Each case records the exception vector (or none) and AX; test_main prints them.
; A fetch past the limit is #GP (vector 13) before the instruction runs (SDM Vol. 3, chapter 20, the real-address
; mode exception table: interrupt 13 when an instruction runs past offset 0FFFFH), as Bochs 2.7 does (it prints
; expected/ipwrap16.txt too); QEMU 7.2 TCG checks no CS limit on fetches (expected/ipwrap16.qemu.txt).
%define REAL_MODE_PROLOGUE
%include "mac.inc"
%include "boot.inc"
SEG1 equ 0x1000                     ; code at 1000:FFFE..FFFF (phys 0x1FFFE) and 1000:0000 (phys 0x10000)
bits 16
real_mode_prologue:
    mov word [13 * 4], rm_gp        ; IVT 13 (#GP / segment overrun) -> rm_gp
    mov word [13 * 4 + 2], 0
    ; case 1: INC AX at 1000:FFFF, then 1000:0000 holds JMP 0000:back1
    mov ax, SEG1
    mov es, ax
    mov byte [es:0xFFFF], 0x40      ; inc ax
    mov byte [es:0], 0xEA
    mov word [es:1], back1
    mov word [es:3], 0
    mov word [rm_vec], 0xFFFF
    mov word [rm_resume], back1
    mov ax, 5
    jmp SEG1:0xFFFF
back1:
    mov [res1_ax], ax
    mov dx, [rm_vec]
    mov [res1_vec], dx
    ; case 2: MOV AX, 0x1234 as B8 at FFFE, 34 at FFFF, 12 at 1000:0000; then JMP 0000:back2 at 1000:0001
    mov byte [es:0xFFFE], 0xB8
    mov byte [es:0xFFFF], 0x34
    mov byte [es:0], 0x12
    mov byte [es:1], 0xEA
    mov word [es:2], back2
    mov word [es:4], 0
    mov word [rm_vec], 0xFFFF
    mov word [rm_resume], back2
    xor ax, ax
    jmp SEG1:0xFFFE
back2:
    mov [res2_ax], ax
    mov dx, [rm_vec]
    mov [res2_vec], dx
    xor ax, ax
    mov es, ax
    ret
rm_gp:                              ; record, then resume at [rm_resume] in segment 0
    mov word [cs:rm_vec], 13
    pop dx                          ; IP
    mov [cs:rm_ip], dx
    pop dx                          ; CS
    mov [cs:rm_cs], dx
    pop dx                          ; FLAGS
    push dx
    push word 0
    push word [cs:rm_resume]
    iret
rm_vec: dw 0
rm_ip: dw 0
rm_cs: dw 0
rm_resume: dw 0
res1_ax: dw 0
res1_vec: dw 0
res2_ax: dw 0
res2_vec: dw 0
bits 32
test_main:
    movzx eax, word [res1_vec]
    call puthex
    mov al, ' '
    out 0xe9, al
    movzx eax, word [res1_ax]
    call puthex
    mov al, 10
    out 0xe9, al
    OK "real mode: a one-byte instruction at CS:FFFF"
    movzx eax, word [res2_vec]
    call puthex
    mov al, ' '
    out 0xe9, al
    movzx eax, word [res2_ax]
    call puthex
    mov al, ' '
    out 0xe9, al
    movzx eax, word [rm_cs]
    call puthex
    mov al, ':'
    out 0xe9, al
    movzx eax, word [rm_ip]
    call puthex
    mov al, 10
    out 0xe9, al
    OK "real mode: an instruction whose bytes run past CS:FFFF"
    ret
