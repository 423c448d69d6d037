; Exceptions: vectors, error codes and saved EIP for faults and traps, INT/IRET, double fault.
%include "mac.inc"
%include "boot.inc"
test_main:
    TRY .e0
    xor edx, edx
    xor ecx, ecx
    mov eax, 1
.div:
    div ecx
.e0:
    EXPECT_EXC 0, 0
    CHECK dword [last_eip], .div               ; a fault saves the faulting EIP
    TRY .e1
    mov eax, 0x80000000
    cdq
    mov ecx, -1
    idiv ecx                                   ; quotient overflow is #DE too
.e1:
    EXPECT_EXC 0, 0
    TRY .e2
.ud:
    ud2
.e2:
    EXPECT_EXC 6, 0
    CHECK dword [last_eip], .ud
    TRY .e4
    int3
.after3:
.e4:
    EXPECT_EXC 3, 0
    CHECK dword [last_eip], .after3            ; a trap saves the next EIP
    TRY .e5
    mov al, 0x7F
    add al, 1
    into
.after4:
.e5:
    EXPECT_EXC 4, 0
    CHECK dword [last_eip], .after4
    TRY .e6
    mov eax, 10
    bound eax, [bounds]
.e6:
    EXPECT_EXC 5, 0
    TRY .e7
    db 0x0F, 0xFF                              ; undefined two-byte opcode
.e7:
    EXPECT_EXC 6, 0
    TRY .e8
    db 0x8F, 0xC8                              ; 8F /1 is undefined
.e8:
    EXPECT_EXC 6, 0
    TRY .e9
    lea eax, [eax]
    db 0x8D, 0xC0                              ; LEA with a register operand
.e9:
    EXPECT_EXC 6, 0
    TRY .e10
    times 15 db 0x66
    nop                                        ; 16 bytes: over the 15-byte limit
.e10:
    EXPECT_EXC 13, 0
    mov eax, cr0
    or eax, 8                                  ; TS: ESC opcodes raise #NM
    mov cr0, eax
    TRY .e11
    fld dword [bounds]
.e11:
    EXPECT_EXC 7, 0
    clts
    OK "fault and trap vectors"

    mov dword [counter], 0
    IDT_GATE 0x90, int90
    int 0x90
    int 0x90
    CHECK dword [counter], 2
    CHECK dword [last_vec], 0x90
    pushfd
    pop eax
    and eax, F_IF
    CHECK eax, 0                               ; IRET restored IF=0
    OK "INT n / IRET"

    ; double fault: #NP's own gate is not present, so #NP during #NP delivery -> #DF (error code 0)
    mov byte [idt + 11 * 8 + 5], 0x0E          ; P=0
    TRY .df
    mov ax, 0x58                               ; not-present data segment -> #NP(0x58)
    mov ds, ax
.df:
    EXPECT_EXC 8, 0
    mov ax, 0x10
    mov ds, ax
    mov byte [idt + 11 * 8 + 5], 0x8E
    ; a benign exception during delivery is handled serially: #PF? no paging here; use #GP then #GP -> #DF
    mov word [idt + 13 * 8 + 2], 0x1230        ; #GP gate points at a selector beyond the GDT
    TRY .df2
    mov ax, 0x1230
    mov es, ax
.df2:
    mov word [idt + 13 * 8 + 2], 0x08
    EXPECT_EXC 8, 0
    OK "double fault"
    ret

; counting handler for vector 0x90 (installed by patching the stub's gate)
align 4
bounds: dd 0, 5
counter: dd 0
int90:
    inc dword [counter]
    mov dword [last_vec], 0x90
    iretd
