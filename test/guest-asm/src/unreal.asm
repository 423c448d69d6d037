; Real and unreal mode: the hidden descriptor cache keeps a 4 GiB DS limit after returning to real mode,
; so 32-bit addresses above 1 MiB work in real mode (what firmware relies on). Also checks real-mode IVT INT.
%define REAL_MODE_PROLOGUE
%include "mac.inc"
%include "boot.inc"
bits 16
real_mode_prologue:
    ; IVT vector 0x40 -> rm_int40
    mov word [0x40 * 4], rm_int40
    mov word [0x40 * 4 + 2], 0
    mov byte [rm_flag], 0
    int 0x40
    ; enter protected mode only to load DS with a 4 GiB data segment, then come straight back
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov bx, 0x10
    mov ds, bx
    and al, 0xFE
    mov cr0, eax
    xor bx, bx
    mov ds, bx                         ; real-mode load: base 0, limit stays 4 GiB
    mov dword [dword 0x300000], 0xFACEB00C
    mov eax, [dword 0x300000]
    mov [rm_read], eax
    ret
rm_int40:
    mov byte [rm_flag], 1
    iret
bits 32
test_main:
    CHECK dword [0x300000], 0xFACEB00C
    CHECK dword [rm_read], 0xFACEB00C
    movzx eax, byte [rm_flag]
    CHECK eax, 1
    OK "unreal mode and real-mode INT"
    ret
align 4
rm_read: dd 0
rm_flag: db 0
