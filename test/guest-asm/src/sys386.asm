; 386 stack and prefix corner cases, each checked against the SDM and Bochs (values below):
; o32 POP SS between 16- and 32-bit stacks, o32 ENTER on a 16-bit stack, ENTER whose final stack slot
; is not writable, LOCK before a non-lockable instruction or a register destination (#UD).
%include "mac.inc"
%include "boot.inc"
test_main:
    mov [saved_esp], esp

    ; ---- o32 POP SS from a 16-bit stack (SS 0x38, B=0) into a 32-bit one (0x10): ESP moves by the OLD
    ; stack's size, so only SP wraps (Bochs stack.cc POP32_SS: pop_32() before load_seg_reg).
    mov word [0xfffc], 0x10
    mov ax, 0x38
    mov ss, ax
    mov esp, 0x1234fffc
    pop ss                              ; o32 in 32-bit code
    mov ebx, esp
    mov ss, [cs:flat_ss]
    mov esp, [saved_esp]
    CHECK ebx, 0x12340000
    ; and from a 32-bit stack into a 16-bit one: all of ESP moves
    mov word [0x1fffc], 0x38
    mov esp, 0x1fffc
    pop ss
    mov ebx, esp
    mov ss, [cs:flat_ss]
    mov esp, [saved_esp]
    CHECK ebx, 0x20000
    OK "o32 POP SS adjusts ESP by the old stack's size"

    ; ---- o32 ENTER on a 16-bit stack: the frame pointer is ESP after the push of EBP (Bochs stack.cc
    ; ENTER32_IwIb: frame_ptr32 = ESP). EBP and ESP share their top half here, so QEMU (which writes only BP)
    ; gives the same values.
    mov ax, 0x38
    mov ss, ax
    mov esp, 0xabcd8000
    mov ebp, 0xabcd1110
    mov word [0x1110 - 4], 0x5555       ; the level-2 display entry ENTER copies from [BP-4]
    mov word [0x1110 - 2], 0x6666
    enter 8, 2
    mov ebx, esp
    mov ecx, ebp
    mov ss, [cs:flat_ss]
    mov esp, [saved_esp]
    CHECK ecx, 0xabcd7ffc               ; EBP = ESP after the push of EBP
    CHECK ebx, 0xabcd7fec               ; 7FFC - 4 (display entry) - 4 (frame pointer) - 8
    CHECK dword [0x7ffc], 0xabcd1110    ; old EBP
    CHECK dword [0x7ff8], 0x66665555    ; the copied display entry
    CHECK dword [0x7ff4], 0xabcd7ffc    ; the frame pointer, all 32 bits
    OK "o32 ENTER on a 16-bit stack uses ESP"

    ; ---- ENTER whose final stack slot is outside the stack segment: #SS(0) and ESP/EBP unchanged
    ; (Bochs stack.cc ENTER32_IwIb: read_RMW_virtual_dword_32(SS, ESP) after ESP -= imm16, with
    ; RSP_SPECULATIVE restoring ESP on the fault). Segment 0x40: 32-bit, base 0x200000, limit 0xFFF.
    mov ax, 0x40
    mov ss, ax
    mov esp, 0x80
    mov ebp, 0x12345678
    TRY .enter_faulted
    enter 0x100, 0
    jmp .enter_no_fault
.enter_faulted:
.enter_no_fault:
    mov ebx, esp
    mov ecx, ebp
    mov ss, [cs:flat_ss]
    mov esp, [saved_esp]
    EXPECT_EXC 12, 0
    CHECK ebx, 0x80
    CHECK ecx, 0x12345678
    OK "ENTER faults before it changes ESP when the final slot is not writable"

    ; ---- LOCK (Intel SDM LOCK: #UD unless the instruction is a lockable read-modify-write on memory)
    mov dword [mem], 5
    mov eax, 3
    lock add [mem], eax
    CHECK dword [mem], 8
    lock bts dword [mem], 0
    CHECK dword [mem], 9
    TRY .l1
    db 0xf0, 0x89, 0x05                 ; lock mov [mem], eax
    dd mem
.l1:
    EXPECT_EXC 6, 0
    TRY .l2
    db 0xf0, 0x01, 0xd8                 ; lock add eax, ebx (register destination)
.l2:
    EXPECT_EXC 6, 0
    TRY .l3
    db 0xf0, 0x39, 0x05                 ; lock cmp [mem], eax (CMP does not write)
    dd mem
.l3:
    EXPECT_EXC 6, 0
    TRY .l4
    db 0xf0, 0x90                       ; lock nop
.l4:
    EXPECT_EXC 6, 0
    CHECK dword [mem], 9
    OK "LOCK: #UD unless a lockable instruction writes memory"
    ret

flat_ss: dw 0x10
saved_esp: dd 0
mem: dd 0
