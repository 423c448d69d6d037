; A read-modify-write into a read-only page (CR0.WP = 1: what a copy-on-write page is) faults before it changes
; anything: the EFLAGS the #PF frame saved (restored by the handler's IRET) are those from before the instruction,
; the memory is unchanged, the error code is write + protection. ADC/RCL then restart with the carry they began with.
; Into a not-present page the error code is a write's too (W = 1): the operand is read with write intent, as in
; Bochs 2.7 (cpu/paging.cc: a BX_RW access reports bit 1); QEMU 7.2 reports the load (W = 0).
%include "mac.inc"
%include "boot.inc"
PD  equ 0x100000
PT0 equ 0x101000
RO  equ 0x300000
NP  equ 0x301000                                ; not present
%macro RMW_CASE 2                       ; instruction (operand [RO]), name
    stc
    mov eax, 5
    pushfd
    pop ebx                             ; EFLAGS before
    TRY %%back
    %1
%%back:
    pushfd
    pop ecx
    EXPECT_EXC 14, 3
    CHECK ecx, ebx
    CHECK dword [RO], 0x80000001
    OK %2
%endmacro
test_main:
    IDENTITY_4M PD, PT0, 2 * 1024, 3
    mov dword [RO], 0x80000001
    mov dword [PT0 + (RO >> 12) * 4], RO | 1    ; present, read-only
    mov dword [PT0 + (NP >> 12) * 4], 0         ; not present
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000                          ; PG | WP
    mov cr0, eax
    RMW_CASE {adc dword [RO], eax}, "adc [ro], eax: no effect"
    RMW_CASE {add dword [RO], 0x7f}, "add [ro], imm8: no effect"
    RMW_CASE {sbb byte [RO], al}, "sbb byte [ro], al: no effect"
    RMW_CASE {inc dword [RO]}, "inc [ro]: no effect"
    RMW_CASE {neg dword [RO]}, "neg [ro]: no effect"
    RMW_CASE {rcl dword [RO], 1}, "rcl [ro], 1: no effect"
    RMW_CASE {shl dword [RO], 3}, "shl [ro], 3: no effect"
    RMW_CASE {bts dword [RO], 1}, "bts [ro], 1: no effect"
    ; into a not-present page: the error code of the read-modify-write's first access
    TRY .np
    add dword [NP], eax
.np:
    EXPECT_EXC 14, 2
    mov eax, cr2
    CHECK eax, NP
    OK "add [not present], eax: #PF with the write error code"
    TRY .npx
    xchg [NP], eax
.npx:
    EXPECT_EXC 14, 2
    OK "xchg [not present], eax: #PF with the write error code"
    mov eax, cr0
    and eax, 0x7FFEFFFF
    mov cr0, eax
    ret
