; Protected mode: TSS stack switch on INT from ring 3, call gate, IRET to ring 3, I/O permission bitmap,
; IOPL-sensitive instructions, segment limit and presence checks, LDT.
%include "mac.inc"
%include "boot.inc"
%include "tss.inc"
TSS_ADDR equ 0x60000
RING0_STACK equ 0x80000
RING3_STACK equ 0x70000

test_main:
    ; ---- segment checks in ring 0 ----
    TRY .f1
    mov ax, 0x1230                 ; beyond the GDT limit
    mov ds, ax
.f1:
    EXPECT_EXC 13, 0x1230
    TRY .f2
    mov ax, 0x58                   ; not present
    mov es, ax
.f2:
    EXPECT_EXC 11, 0x58
    TRY .f3
    xor eax, eax
    mov ss, ax                     ; null SS
.f3:
    EXPECT_EXC 13, 0
    mov ax, 0x40                   ; base 0x200000, limit 0xFFF
    mov fs, ax
    mov dword [fs:0xFFC], 0xA5A5A5A5
    CHECK dword [0x200FFC], 0xA5A5A5A5
    TRY .f4
    mov eax, [fs:0xFFE]            ; crosses the limit
.f4:
    EXPECT_EXC 13, 0
    TRY .f5
    mov eax, [ss:0xFFFFFFFE]       ; flat SS: limit 0xFFFFFFFF, a dword at -2 crosses it -> #SS
.f5:
    EXPECT_EXC 12, 0
    xor eax, eax
    mov fs, ax                     ; null selector in FS is fine until used
    TRY .f6
    mov eax, [fs:0]
.f6:
    EXPECT_EXC 13, 0
    mov ax, 0x60                   ; expand-down, limit 0xFFFFEFFF: offsets above it are valid
    mov gs, ax
    mov dword [gs:0xFFFFF100], 0x11223344
    TRY .f7
    mov eax, [gs:0x1000]
.f7:
    EXPECT_EXC 13, 0
    OK "segment loads and limits"

    ; ---- LDT ----
    mov eax, ldt
    mov word [gdt_ldt], 15         ; limit: two descriptors
    mov [gdt_ldt + 2], ax
    shr eax, 16
    mov [gdt_ldt + 4], al
    mov byte [gdt_ldt + 5], 0x82   ; LDT, present
    mov [gdt_ldt + 7], ah
    mov ax, 0x50
    lldt ax
    mov ax, 0x0C                   ; LDT entry 1, RPL 0
    mov ds, ax
    mov dword [0x10], 0xBEEF       ; base 0x210000
    mov ax, 0x10
    mov ds, ax
    CHECK dword [0x210010], 0xBEEF
    sldt ax
    movzx eax, ax
    CHECK eax, 0x50
    OK "LDT"

    ; ---- TSS with I/O bitmap: ports 0xE9, 0xF4, 0x500 allowed at CPL 3 ----
    TSS32 TSS_ADDR, RING0_STACK, 0x201
    IO_ALLOW TSS_ADDR, 0xE9
    IO_ALLOW TSS_ADDR, 0xF4
    IO_ALLOW TSS_ADDR, 0x500            ; 0x500-0x503: a dword access checks all four bits
    IO_ALLOW TSS_ADDR, 0x501
    IO_ALLOW TSS_ADDR, 0x502
    IO_ALLOW TSS_ADDR, 0x503
    LOAD_TR TSS_ADDR, 0x200
    str ax
    movzx eax, ax
    CHECK eax, 0x28
    CHECK dword [gdt_tss + 4], 0x00008B06   ; LTR marked it busy (base 0x060000)

    ; call gate 0x48: DPL 3 -> 0x08:gate_target, no parameters
    mov eax, gate_target
    mov [gdt_gate], ax
    mov word [gdt_gate + 2], 0x08
    mov word [gdt_gate + 4], 0xEC00
    shr eax, 16
    mov [gdt_gate + 6], ax
    ; call gate 0x68: DPL 3 -> 0x08:gate_target2, two dword parameters copied to the ring-0 stack
    mov eax, gate_target2
    mov [gdt_gate2], ax
    mov word [gdt_gate2 + 2], 0x08
    mov word [gdt_gate2 + 4], 0xEC02
    shr eax, 16
    mov [gdt_gate2 + 6], ax
    ; vector 0x81 returns to ring 0 for good
    IDT_GATE 0x81, back_to_ring0
    IDT_GATE 0x80, int80_handler

    mov [ring0_esp], esp
    TO_RING3 ring3, RING3_STACK

bits 32
ring3:
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    mov eax, cs
    and eax, 3
    CHECK eax, 3
    mov ebx, esp
    CHECK ebx, RING3_STACK
    OK "IRET to ring 3"

    mov dx, 0x500
    mov eax, 0x600DF00D
    out dx, eax                    ; allowed by the bitmap
    in eax, dx
    CHECK eax, 0x600DF00D
    TRY .g1
    mov dx, 0x4FF
    out dx, ax                     ; denied: 0x4FF bit set (0x500 is allowed)
.g1:
    EXPECT_EXC 13, 0
    TRY .g2
    in al, 0x60
.g2:
    EXPECT_EXC 13, 0
    TRY .g3
    mov dx, 0x2000                 ; beyond the bitmap (TSS limit): denied
    in al, dx
.g3:
    EXPECT_EXC 13, 0
    TRY .g4
    cli                            ; CPL 3 > IOPL 0
.g4:
    EXPECT_EXC 13, 0
    TRY .g5
    hlt
.g5:
    EXPECT_EXC 13, 0
    TRY .g6
    mov eax, cr0
.g6:
    EXPECT_EXC 13, 0
    TRY .g7
    mov ax, 0x10                   ; DPL 0 data from CPL 3
    mov ds, ax
.g7:
    EXPECT_EXC 13, 0x10
    TRY .g8
    int 0x30                       ; DPL 0 gate from CPL 3
.g8:
    EXPECT_EXC 13, 0x30 * 8 + 2
    OK "CPL 3 protection and the I/O bitmap"

    int 0x80                       ; DPL 3 gate -> ring 0 on the TSS stack
    CHECK dword [seen_cs], 0x08
    CHECK dword [seen_esp], RING0_STACK - 20
    CHECK dword [seen_old_ss], 0x23
    CHECK dword [seen_old_esp], RING3_STACK
    mov eax, cs
    CHECK eax, 0x1B
    OK "INT from ring 3: TSS stack switch and IRET back"

    call 0x4B:0                    ; call gate, RPL 3
    CHECK dword [seen_cs], 0x08
    CHECK dword [seen_esp], RING0_STACK - 16
    CHECK dword [seen_old_ss], 0x23
    mov eax, cs
    CHECK eax, 0x1B
    mov eax, ds                    ; DS was a DPL 3 selector: kept
    CHECK eax, 0x23
    OK "call gate to ring 0 and RETF to ring 3"

    mov edi, esp
    push dword 0x1111
    push dword 0x2222
    call 0x6B:0                    ; gate with 2 parameters; RETF 8 releases them on both stacks
    CHECK dword [seen_p1], 0x2222  ; the last parameter pushed is nearest the top of the new stack
    CHECK dword [seen_p2], 0x1111
    CHECK dword [seen_old_esp], RING3_STACK - 8
    CHECK dword [seen_esp], RING0_STACK - 24
    mov ebx, esp
    CHECK ebx, edi
    OK "call gate with parameters"
    int 0x81

back_to_ring0:
    mov esp, [ring0_esp]
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov eax, cs
    CHECK eax, 0x08
    ret

int80_handler:
    push eax
    mov eax, cs
    mov [ss:seen_cs], eax
    lea eax, [esp + 4]
    mov [ss:seen_esp], eax
    mov eax, [esp + 4 + 16]
    mov [ss:seen_old_ss], eax
    mov eax, [esp + 4 + 12]
    mov [ss:seen_old_esp], eax
    pop eax
    iretd

gate_target:
    mov eax, cs
    mov [ss:seen_cs], eax
    mov [ss:seen_esp], esp
    mov eax, [esp + 12]
    mov [ss:seen_old_ss], eax
    retf

gate_target2:
    mov [ss:seen_esp], esp
    mov eax, [esp + 8]
    mov [ss:seen_p1], eax
    mov eax, [esp + 12]
    mov [ss:seen_p2], eax
    mov eax, [esp + 16]
    mov [ss:seen_old_esp], eax
    retf 8

align 8
ldt:
    dq 0
    dq 0x00CF92210000FFFF          ; data, base 0x210000
align 4
ring0_esp: dd 0
seen_cs: dd 0
seen_esp: dd 0
seen_old_ss: dd 0
seen_old_esp: dd 0
seen_p1: dd 0
seen_p2: dd 0
