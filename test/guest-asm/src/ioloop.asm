; Port I/O in hot loops at CPL 3 under the TSS I/O permission bitmap, long enough (11,001 and 10,001 passes) that
; acpidm compiles the loops into blocks that run IN/OUT themselves (src/cpu/jit/emit-io.ts). Each loop moves its
; port by one when ECX reaches a set value; the bitmap denies that port, so the #GP(0) must come at that exact
; IN or OUT with ECX one below the set value (Intel SDM Vol. 1 19.5.2: the check precedes the access).
; Ports: 0xE9 reads back 0xE9 (QEMU isa-debugcon, the acpidm harness), 0x80 drops writes on both; 0xEA and 0x81
; are denied by the bitmap.
%include "mac.inc"
%include "boot.inc"
%include "tss.inc"
TSS_ADDR equ 0x60000
RING0_STACK equ 0x80000
RING3_STACK equ 0x70000

test_main:
    ; ---- TSS with an I/O bitmap allowing 0xE9, 0xF4 and 0x80 at CPL 3 (ports 0-0xFF in the bitmap) ----
    TSS32 TSS_ADDR, RING0_STACK, 0x21
    IO_ALLOW TSS_ADDR, 0xE9
    IO_ALLOW TSS_ADDR, 0xF4
    IO_ALLOW TSS_ADDR, 0x80
    LOAD_TR TSS_ADDR, 0x20
    ; vector 0x81 returns to ring 0 for good
    IDT_GATE 0x81, back_to_ring0

    mov [ring0_esp], esp
    TO_RING3 ring3, RING3_STACK

bits 32
ring3:
    mov ax, 0x23
    mov ds, ax
    mov es, ax

    ; ---- IN from DX: 0xE9 for 11,001 passes, then 0xEA ----
    xor ebx, ebx
    xor edx, edx
    mov ecx, 12000
    mov dx, 0xE9
    TRY .in_fault
.in_loop:
    in al, dx
    out 0x80, al
    movzx eax, al
    add ebx, eax
    cmp ecx, 1000
    sete al
    add dx, ax                     ; DX = 0xEA once ECX reaches 1000
    dec ecx
    jnz .in_loop
    mov ecx, -1                    ; not reached
.in_fault:
    EXPECT_EXC 13, 0
    CHECK dword [last_eip], .in_loop
    CHECK ecx, 999
    CHECK edx, 0xEA
    CHECK ebx, 11001 * 0xE9
    OK "IN in a hot CPL 3 loop: #GP at the IN once the bitmap denies its port"

    ; ---- OUT to DX: 0x80 for 10,001 passes, then 0x81 ----
    xor ebx, ebx
    xor edx, edx
    mov ecx, 12000
    mov dx, 0x80
    TRY .out_fault
.out_loop:
    out dx, al
    in al, 0xE9
    movzx eax, al
    add ebx, eax
    xor eax, eax
    cmp ecx, 2000
    sete al
    add dx, ax                     ; DX = 0x81 once ECX reaches 2000
    dec ecx
    jnz .out_loop
    mov ecx, -1                    ; not reached
.out_fault:
    EXPECT_EXC 13, 0
    CHECK dword [last_eip], .out_loop
    CHECK ecx, 1999
    CHECK edx, 0x81
    CHECK ebx, 10001 * 0xE9
    OK "OUT in a hot CPL 3 loop: #GP at the OUT once the bitmap denies its port"
    int 0x81

back_to_ring0:
    mov esp, [ring0_esp]
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    ret

align 4
ring0_esp: dd 0
