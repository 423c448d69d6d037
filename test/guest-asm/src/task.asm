; Hardware task switching (Intel SDM Vol. 3A ch. 7): JMP to a 32-bit TSS and back, CALL through a task gate with
; IRET back (NT, back link, busy bits), INT n and an exception with an error code through IDT task gates, a
; 16-bit TSS (upper register halves 0xFFFF, FS/GS null), LDT reload, CR0.TS, and the #GP/#TS checks.
%include "mac.inc"
%include "boot.inc"
TSS_A  equ 0x60000
TSS_B  equ 0x61000
TSS_C  equ 0x62000
TSS_D  equ 0x63000
TSS_E  equ 0x64000
TSS_F  equ 0x65000
TSS_G  equ 0x68000
TSS_H  equ 0x69000
LDT_AT equ 0x66000
LDT_DATA equ 0x67000

; make_desc: [edi] <- descriptor (eax base, ecx limit (byte granular), dl access byte, dh flags nibble << 4)
make_desc:
    mov [edi], cx
    mov [edi + 2], ax
    shr eax, 16
    mov [edi + 4], al
    mov [edi + 5], dl
    shr ecx, 16
    and cl, 0x0f
    or cl, dh
    mov [edi + 6], cl
    mov [edi + 7], ah
    ret

; init_tss32: a 32-bit TSS image at edi for a ring-0 flat task entering at eax with stack ebx
init_tss32:
    push edi
    push eax
    xor eax, eax
    mov ecx, 0x68 / 4
    rep stosd
    pop eax
    pop edi
    mov [edi + 0x20], eax                ; EIP
    mov dword [edi + 0x24], 2            ; EFLAGS
    mov [edi + 0x38], ebx                ; ESP
    mov dword [edi + 0x48], 0x10         ; ES
    mov dword [edi + 0x4c], 0x08         ; CS
    mov dword [edi + 0x50], 0x10         ; SS
    mov dword [edi + 0x54], 0x10         ; DS
    mov dword [edi + 0x58], 0x10         ; FS
    mov dword [edi + 0x5c], 0x10         ; GS
    mov word [edi + 0x66], 0x68          ; no I/O bitmap
    ret

test_main:
    ; a bigger GDT: boot.inc's entries, then ours from 0x70
    mov esi, gdt
    mov edi, mygdt
    mov ecx, gdt_end - gdt
    rep movsb
    lgdt [mygdt_desc]
    mov edi, TSS_A
    mov eax, 0
    mov ebx, 0
    call init_tss32
    mov edi, TSS_B
    mov eax, task_b
    mov ebx, 0x71000
    call init_tss32
    mov dword [TSS_B + 0x28], 0xb0b0b0b0 ; EAX
    mov dword [TSS_B + 0x54], 0x04       ; DS: LDT entry 0
    mov dword [TSS_B + 0x60], 0x50       ; LDT
    mov edi, TSS_C
    mov eax, task_c
    mov ebx, 0x72000
    call init_tss32
    mov edi, TSS_D
    mov eax, task_d
    mov ebx, 0x73000
    call init_tss32
    mov edi, TSS_E
    mov eax, task_e
    mov ebx, 0x74000
    call init_tss32
    ; 16-bit TSS F: IP, FLAGS, AX..DI, ES CS SS DS, LDT
    mov edi, TSS_F
    xor eax, eax
    mov ecx, 0x2c / 2
    rep stosw
    mov word [TSS_F + 0x0e], task_f16
    mov word [TSS_F + 0x10], 2
    mov word [TSS_F + 0x12], 0x1234      ; AX
    mov word [TSS_F + 0x1a], 0x7000      ; SP
    mov word [TSS_F + 0x22], 0x38        ; ES
    mov word [TSS_F + 0x24], 0x30        ; CS: 16-bit code
    mov word [TSS_F + 0x26], 0x38        ; SS
    mov word [TSS_F + 0x28], 0x38        ; DS
    ; LDT with one data segment at LDT_DATA
    mov edi, LDT_AT
    mov eax, LDT_DATA
    mov ecx, 0xfff
    mov dx, 0x4092
    call make_desc
    mov dword [LDT_DATA], 0x1d7da7a
    ; descriptors
    mov edi, mygdt + 0x28
    mov eax, TSS_A
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    mov edi, mygdt + 0x50
    mov eax, LDT_AT
    mov ecx, 7
    mov dx, 0x0082
    call make_desc
    mov edi, mygdt + 0x70
    mov eax, TSS_B
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    mov edi, mygdt + 0x78
    mov eax, TSS_C
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    mov edi, mygdt + 0x80
    mov eax, TSS_D
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    mov edi, mygdt + 0x88
    mov eax, TSS_E
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    mov edi, mygdt + 0x90
    mov eax, TSS_F
    mov ecx, 0x2b
    mov dx, 0x0081                       ; 16-bit TSS, available
    call make_desc
    mov dword [mygdt + 0x98], 0x00780000 ; task gate -> TSS C, DPL 0
    mov dword [mygdt + 0x9c], 0x00008500
    mov edi, mygdt + 0xa0
    mov eax, TSS_D
    mov ecx, 0x50                        ; too small for a 32-bit TSS
    mov dx, 0x0089
    call make_desc
    ; G: a virtual-8086 task (EFLAGS VM, IOPL 3), CS:IP 0:task_g_v86, SS:SP 0:0x7800
    mov edi, TSS_G
    mov eax, task_g_v86
    mov ebx, 0x7800
    call init_tss32
    mov dword [TSS_G + 0x24], 0x00023002
    mov dword [TSS_G + 0x28], 0x6a6a6a6a ; EAX
    xor eax, eax
    mov [TSS_G + 0x48], eax
    mov [TSS_G + 0x4c], eax
    mov [TSS_G + 0x50], eax
    mov [TSS_G + 0x54], eax
    mov [TSS_G + 0x58], eax
    mov [TSS_G + 0x5c], eax
    mov edi, mygdt + 0xa8
    mov eax, TSS_G
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    ; H: a task whose TSS has the T bit
    mov edi, TSS_H
    mov eax, task_h
    mov ebx, 0x75000
    call init_tss32
    mov word [TSS_H + 0x64], 1
    mov edi, mygdt + 0xb0
    mov eax, TSS_H
    mov ecx, 0x67
    mov dx, 0x0089
    call make_desc
    mov ax, 0x28
    ltr ax

    ; ---- JMP to TSS B; B jumps back to A
    jmp 0x70:0
.back_from_b:
    CHECK dword [b_eax], 0xb0b0b0b0      ; registers from B's TSS
    CHECK dword [b_ldtr], 0x50           ; LDTR from B's TSS
    CHECK dword [b_ds], 0x04             ; DS through the new LDT
    CHECK dword [b_ldtdata], 0x1d7da7a
    mov eax, [b_cr0]
    and eax, 8
    CHECK eax, 8                         ; CR0.TS set by the switch
    mov eax, [b_flags]
    and eax, 0x4000
    CHECK eax, 0                         ; JMP does not nest: NT clear
    CHECK dword [TSS_A + 0x20], test_main.back_from_b ; A's EIP saved in its TSS
    movzx eax, byte [mygdt + 0x70 + 5]
    CHECK eax, 0x89                      ; B no longer busy after it jumped away
    movzx eax, byte [mygdt + 0x28 + 5]
    CHECK eax, 0x8b                      ; A busy again
    clts
    OK "JMP to a TSS and back: registers, LDT, busy bits, CR0.TS"

    ; ---- CALL through the task gate to C; C returns with IRET (NT)
    call 0x98:0
    CHECK dword [c_link], 0x28           ; back link = A
    CHECK dword [c_tr], 0x78
    mov eax, [c_flags]
    and eax, 0x4000
    CHECK eax, 0x4000                    ; NT set in the called task
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, 0                         ; and clear again in A
    movzx eax, byte [mygdt + 0x78 + 5]
    CHECK eax, 0x89                      ; IRET cleared C's busy bit
    movzx eax, byte [mygdt + 0x28 + 5]
    CHECK eax, 0x8b
    OK "CALL through a task gate, IRET back: NT, back link, busy"

    ; ---- INT 0x40 through an IDT task gate -> D
    mov dword [idt + 0x40 * 8], 0x00800000
    mov dword [idt + 0x40 * 8 + 4], 0x00008500
    mov dword [d_ran], 0
    int 0x40
    CHECK dword [d_ran], 1
    CHECK dword [d_link], 0x28
    OK "INT n through a task gate"

    ; ---- #GP through an IDT task gate -> E: the error code is on E's stack
    mov eax, [idt + 13 * 8]
    mov [saved_gate], eax
    mov eax, [idt + 13 * 8 + 4]
    mov [saved_gate + 4], eax
    mov dword [idt + 13 * 8], 0x00880000
    mov dword [idt + 13 * 8 + 4], 0x00008500
    mov ax, 0xf8                         ; beyond the GDT limit
    mov ds, ax                           ; #GP(0xF8)
.gp_recover:
    mov ax, 0x10
    mov ds, ax
    mov eax, [saved_gate]
    mov [idt + 13 * 8], eax
    mov eax, [saved_gate + 4]
    mov [idt + 13 * 8 + 4], eax
    CHECK dword [e_err], 0xf8
    CHECK dword [e_esp], 0x74000 - 4     ; one dword pushed on the new task's stack
    OK "an exception through a task gate pushes its error code on the new task's stack"

    ; ---- CALL a 16-bit TSS
    call 0x90:0
    CHECK dword [f_eax], 0xffff1234      ; upper halves 0xFFFF
    CHECK dword [f_fs], 0                ; FS null
    OK "16-bit TSS"

    ; ---- faults
    TRY .f1
    jmp 0x28:0                           ; A itself: busy
.f1:
    EXPECT_EXC 13, 0x28
    TRY .f2
    jmp 0xa0:0                           ; limit 0x50 < 0x67
.f2:
    EXPECT_EXC 10, 0xa0
    OK "JMP to a busy TSS #GP(sel); a too small TSS #TS(sel)"

    ; ---- a task switch into virtual-8086 mode: JMP to G; G calls D through an IDT task gate (INT 0x40, IOPL 3),
    ; D returns to G with IRET (a task return into V86), and G comes back to A through the task gate at 0x43
    mov dword [idt + 0x43 * 8], 0x00280000
    mov dword [idt + 0x43 * 8 + 4], 0x0000e500 ; DPL 3: INT n from V86 (CPL 3)
    mov dword [idt + 0x40 * 8 + 4], 0x0000e500
    mov dword [d_ran], 0
    jmp 0xa8:0
.back_from_g:
    pushfd                               ; A was entered by INT through a task gate: it is nested now
    pop eax
    mov [a_flags], eax
    and dword [esp - 4], ~0x4000
    push dword [esp - 4]
    popfd
    and byte [mygdt + 0xa8 + 5], ~2      ; G is left busy by the nesting: free it
    CHECK dword [g_mem], 0x6a6a6a6a      ; G ran in V86 with its TSS registers: DS 0x0610 -> linear 0x6100
    CHECK dword [d_ran], 1
    CHECK dword [d_link], 0xa8           ; D was called from G
    mov eax, [TSS_G + 0x24]
    and eax, 0x20000
    CHECK eax, 0x20000                   ; G's saved EFLAGS has VM
    mov eax, [a_flags]
    and eax, 0x4000
    CHECK eax, 0x4000
    OK "task switches into and out of virtual-8086 mode"

    ; ---- T bit: #DB before the first instruction of H
    TRY task_h.body
    call 0xb0:0
    EXPECT_EXC 1, 0
    CHECK dword [last_eip], task_h
    CHECK dword [h_ran], 1
    OK "T bit: #DB in the new task before its first instruction"
    ret

task_b:
    mov [es:b_eax], eax
    mov eax, cr0
    mov [es:b_cr0], eax
    sldt ax
    movzx eax, ax
    mov [es:b_ldtr], eax
    mov ax, ds
    movzx eax, ax
    mov [es:b_ds], eax
    mov eax, [0]
    mov [es:b_ldtdata], eax
    pushfd
    pop eax
    mov [es:b_flags], eax
    jmp 0x28:0
    jmp task_b

task_c:
    pushfd
    pop eax
    mov [c_flags], eax
    movzx eax, word [TSS_C]
    mov [c_link], eax
    str ax
    movzx eax, ax
    mov [c_tr], eax
    iretd
    jmp task_c

task_d:
    mov dword [d_ran], 1
    movzx eax, word [TSS_D]
    mov [d_link], eax
    iretd
    jmp task_d

task_e:
    mov [e_esp], esp
    pop eax
    mov [e_err], eax
    mov dword [TSS_A + 0x20], test_main.gp_recover
    iretd
    jmp task_e

task_h:
    nop
.body:
    mov dword [h_ran], 1
    iretd
    jmp task_h

bits 16
task_g_v86:
    mov bx, 0x0610
    mov ds, bx
    mov [0], eax                         ; EAX from the TSS
    int 0x40                             ; task gate -> D, and back
    int 0x43                             ; task gate -> A
    jmp $
task_f16:
    mov [f_eax], eax
    mov ax, fs
    movzx eax, ax
    mov [f_fs], eax
    iret
    jmp task_f16
bits 32

align 8
mygdt: times 0xb8 db 0
mygdt_desc:
    dw 0xb8 - 1
    dd mygdt
saved_gate: dd 0, 0
b_eax: dd 0
b_cr0: dd 0
b_ldtr: dd 0
b_ds: dd 0
b_ldtdata: dd 0
b_flags: dd 0
c_flags: dd 0
c_link: dd 0
c_tr: dd 0
d_ran: dd 0
d_link: dd 0
e_err: dd 0
e_esp: dd 0
f_eax: dd 0
f_fs: dd -1
a_flags: dd 0
h_ran: dd 0
g_mem equ 0x6100
