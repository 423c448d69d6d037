; Virtual-8086 mode without VME (Intel SDM Vol. 3A ch. 20): entry by IRETD from ring 0 with VM=1; real-mode
; segment loads; CLI/STI/PUSHF/POPF/INT n fault with #GP(0) to the monitor when IOPL < 3; IN/OUT follow the TSS
; I/O permission bitmap whatever IOPL is; an interrupt leaves for a ring-0 handler through a 32-bit gate with GS,
; FS, DS, ES pushed above SS:ESP and the data segment registers cleared; with IOPL = 3 those instructions run,
; POPF/IRET cannot change IOPL, and INT n goes straight to the IDT gate.
%include "mac.inc"
%include "boot.inc"
%include "tss.inc"
TSS_ADDR equ 0x60000
RING0_STACK equ 0x80000
test_main:
    ; TSS: ring-0 stack for the exits from V86, I/O bitmap denying everything but 0xE9 and 0xF4
    TSS32 TSS_ADDR, RING0_STACK, 0x2001
    IO_ALLOW TSS_ADDR, 0xe9
    IO_ALLOW TSS_ADDR, 0xf4
    LOAD_TR TSS_ADDR, 0x2000
    ; vector 13: the V86 monitor; vector 0x82 (DPL 3): the way out of V86
    IDT_GATE 13, gp_monitor
    IDT_GATE 0x82, v86_exit

    ; ---- phase 1: IOPL 0
    mov dword [cont], .after1
    mov [saved_esp], esp
    push dword 0x3333                    ; GS
    push dword 0x2222                    ; FS
    push dword 0                         ; DS
    push dword 0                         ; ES
    push dword 0                         ; SS
    push dword 0x7000                    ; ESP
    push dword 0x00020002                ; EFLAGS: VM, IOPL 0, IF 0
    push dword 0                         ; CS
    push dword v86_phase1                ; EIP
    iretd
.after1:
    CHECK dword [log_n], 6
    CHECK dword [log], 0x9d9cfbfa        ; CLI STI PUSHF POPF trapped, in order
    movzx eax, word [log + 4]
    CHECK eax, 0xcde6                    ; OUT 0x71 (denied by the bitmap), then INT 0x82
    CHECK dword [0x12350], 0x5678        ; MOV DS,AX in V86 is a real-mode load: 0x1234:0x10
    CHECK dword [first_frame + 0], 0     ; the #GP error code
    CHECK dword [first_frame + 8], 0     ; CS
    CHECK dword [first_frame + 20], 0    ; SS
    CHECK dword [first_frame + 32], 0x2222 ; FS pushed above SS:ESP
    CHECK dword [first_frame + 36], 0x3333 ; GS
    mov eax, [first_frame + 12]
    and eax, ~0x108d5                    ; arithmetic flags as the guest left them; RF (SDM 17.3.1.1: set in a
                                         ; fault's image; QEMU 7.2 leaves it clear)
    CHECK eax, 0x00020002                ; EFLAGS with VM, IOPL 0
    CHECK dword [monitor_segs], 0        ; DS, ES, FS, GS are null in the monitor
    OK "IOPL 0: CLI/STI/PUSHF/POPF/INT n and a denied port trap to the monitor with #GP(0)"

    ; ---- phase 2: IOPL 3
    mov dword [cont], .after2
    mov [saved_esp], esp
    push dword 0x3333
    push dword 0x2222
    push dword 0
    push dword 0
    push dword 0
    push dword 0x7000
    push dword 0x00023002                ; EFLAGS: VM, IOPL 3
    push dword 0
    push dword v86_phase2
    iretd
.after2:
    CHECK dword [log_n], 6               ; no new traps
    movzx eax, word [0x6000]
    and eax, ~0x8d5
    CHECK eax, 0x3002                    ; PUSHF after CLI in V86 with IOPL 3: IOPL 3, IF 0
    movzx eax, word [0x6002]
    and eax, 0x3000
    CHECK eax, 0x3000                    ; POPF of IOPL 0 left IOPL 3
    CHECK dword [exit_frame + 0], v86_phase2.int_ret ; EIP after INT 0x82
    mov eax, [exit_frame + 8]
    and eax, ~0x8d5
    CHECK eax, 0x00023202                ; EFLAGS: VM, IOPL 3, IF (STI ran)
    CHECK dword [exit_frame + 12], 0x7000 ; ESP
    CHECK dword [exit_frame + 20], 0x1111 ; ES
    CHECK dword [exit_frame + 24], 0x0600 ; DS
    CHECK dword [exit_frame + 28], 0x2222 ; FS
    CHECK dword [exit_frame + 32], 0x3333 ; GS
    CHECK dword [iret_ok], 1
    OK "IOPL 3: they run; POPF keeps IOPL; INT n goes to the gate with the V86 segments saved"
    ret

; ---- the monitor: #GP from V86 -> log the opcode, step over it; INT 0x82 leaves V86
gp_monitor:
    push eax
    push ebx
    push ds
    mov ax, 0x10
    mov ds, ax
    cmp dword [log_n], 0
    jne .logged
    movzx eax, word [esp]                ; the DS this handler found (the CPU cleared it)
    mov bx, es
    or ax, bx
    mov bx, fs
    or ax, bx
    mov bx, gs
    or ax, bx
    mov [monitor_segs], eax
    push ecx
    push esi
    push edi
    mov cx, 0x10                         ; ES is null here: give MOVSD a destination
    mov es, cx
    lea esi, [esp + 24]
    mov edi, first_frame
    mov ecx, 10
    cld
    rep movsd
    pop edi
    pop esi
    pop ecx
.logged:
    test dword [esp + 12 + 12], 0x20000
    jz .not_v86
    movzx ebx, word [esp + 12 + 8]
    shl ebx, 4
    add ebx, [esp + 12 + 4]
    movzx eax, byte [ebx]
    push ecx
    mov ecx, [log_n]
    mov [log + ecx], al
    inc dword [log_n]
    pop ecx
    cmp al, 0xcd
    jne .one
    cmp byte [ebx + 1], 0x82
    je leave_v86
    add dword [esp + 12 + 4], 1
.one:
    cmp al, 0xe6
    jne .step
    add dword [esp + 12 + 4], 1
.step:
    add dword [esp + 12 + 4], 1
    pop ds
    pop ebx
    pop eax
    add esp, 4                           ; error code
    iretd
.not_v86:
    mov esi, msg_gp
    call puts
    mov al, 2
    out 0xf4, al
    hlt
msg_gp: db "#GP outside V86", 10, 0

; INT 0x82 through its gate (IOPL 3): record the frame, then back to 32-bit code
v86_exit:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov esi, esp
    mov edi, exit_frame
    mov ecx, 9
    cld
    rep movsd
leave_v86:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [saved_esp]
    jmp [cont]

bits 16
v86_phase1:
    mov ax, 0x1234
    mov ds, ax
    mov word [0x10], 0x5678
    xor ax, ax
    mov ds, ax
    mov si, v86_msg
.p: lodsb
    test al, al
    jz .e
    out 0xe9, al                         ; allowed by the bitmap
    jmp .p
.e: cli
    sti
    pushf
    popf
    out 0x71, al                         ; denied
    int 0x82
    jmp $

v86_phase2:
    cli
    pushf
    pop ax
    mov [0x6000], ax
    push word 0x0002                     ; try to clear IOPL
    popf
    pushf
    pop ax
    mov [0x6002], ax
    sti
    pushf                                ; IRET as in real mode
    push cs
    push word .after_iret
    iret
    jmp $
.after_iret:
    mov byte [iret_ok], 1
    mov ax, 0x1111
    mov es, ax
    mov ax, 0x0600
    mov ds, ax
    int 0x82
.int_ret:
    jmp $
v86_msg: db "hello from v86", 10, 0
bits 32

align 4
cont: dd 0
saved_esp: dd 0
log_n: dd 0
log: times 16 db 0
first_frame: times 10 dd 0
exit_frame: times 9 dd 0
monitor_segs: dd -1
iret_ok: dd 0
