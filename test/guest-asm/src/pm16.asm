; 16-bit protected mode: a code segment with D=0 (selector 0x30) and a 16-bit stack (0x38): default 16-bit
; operands and addresses, far transfers between 32- and 16-bit code, an interrupt taken in 16-bit code through
; a 32-bit gate and IRETD back, and a 16-bit call gate frame.
%include "mac.inc"
%include "boot.inc"
test_main:
    IDT_GATE 0x90, int90_handler
    mov [saved_esp], esp
    jmp 0x30:code16                    ; into the 16-bit segment (base 0)
back32:
    mov ax, 0x10
    mov ss, ax
    mov esp, [saved_esp]
    CHECK dword [r_ax], 0x1234
    CHECK dword [r_call], 0x55
    CHECK dword [r_sp], 0x7FFE
    CHECK dword [r_int], 0x90
    CHECK dword [r_prefix], 0x12345678
    OK "16-bit code segment: operands, stack, calls"
    ret

bits 16
code16:
    mov ax, 0x38                       ; 16-bit data segment for the stack (B=0)
    mov ss, ax
    mov sp, 0x8000
    mov ax, 0x1234
    push ax                            ; 16-bit push
    pop bx
    mov [r_ax], bx
    call near sub16                    ; 16-bit return address
    mov [r_call], cx
    push ax
    mov [r_sp], sp                     ; SP moved by 2
    pop ax
    mov eax, 0x12345678                ; 66 prefix in 16-bit code
    mov [r_prefix], eax
    int 0x90                           ; 32-bit gate from 16-bit code, IRETD back here
    mov [r_int], dx
    jmp dword 0x08:back32
sub16:
    mov cx, 0x55
    ret
bits 32
int90_handler:
    mov dx, 0x90
    iretd

align 4
saved_esp: dd 0
r_ax: dd 0
r_call: dd 0
r_sp: dd 0
r_int: dd 0
r_prefix: dd 0
