; EIP at the 4 GiB edge with a flat 4 GiB CS: an instruction that ends at 0xFFFFFFFF, and instructions whose
; bytes run past it. With paging, linear 0xFFFFF000 maps to RAM (phys 0x180000) and linear 0 to phys 0.
; Each case prints what happened: the registers it set, or the exception it took and where. expected/eipwrap.txt is
; what QEMU 7.2 TCG prints (test/guest-asm/guest.test.ts runs it there too). Bochs 2.7 agrees on cases 1 and 2; in
; case 3 it runs the MOV from the page it fetched before the INVLPG and faults at EIP 2 (CR2 2), where QEMU faults
; at the instruction's start with CR2 0, the missing byte's address (SDM Vol. 3 §4.7: CR2 holds the linear address
; that caused the fault).
%include "mac.inc"
%include "boot.inc"
PD     equ 0x100000
PT0    equ 0x101000                ; maps 0-4 MiB identity
PTTOP  equ 0x102000                ; maps the last 4 MiB; its last entry: 0xFFFFF000 -> phys 0x180000
TOP    equ 0x180000                ; phys of linear 0xFFFFF000
test_main:
    IDENTITY_4M PD, PT0, 3 * 1024, 3
    mov dword [PD + 1023 * 4], PTTOP | 3
    mov dword [PTTOP + 1023 * 4], TOP | 3
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; 1: INC EAX as the last byte below 4 GiB; the next instruction is at EIP 0
    mov byte [TOP + 0xFFF], 0x40               ; inc eax
    call put_return_stub_at_0                  ; linear 0: mov ecx, back1; jmp ecx
    mov dword [1], back1
    TRY back1
    mov eax, 5
    mov ecx, 0xFFFFFFFF
    jmp ecx
back1:
    call report
    OK "an instruction ending at 0xFFFFFFFF: the next one is at EIP 0"

    ; 2: MOV EAX, imm32 starting at 0xFFFFFFFD: its last two bytes are at linear 0 and 1
    mov dword [TOP + 0xFFC], 0x5678B890        ; FFC: nop; FFD: B8 78 56 (mov eax, 0x12345678, first three bytes)
    mov word [0], 0x1234                       ; imm bytes 34 12 at linear 0, 1
    mov byte [2], 0xB9                         ; linear 2: mov ecx, back2; jmp ecx
    mov dword [3], back2
    mov word [7], 0xE1FF
    TRY back2
    xor eax, eax
    mov ecx, 0xFFFFFFFD
    jmp ecx
back2:
    call report
    OK "an instruction whose bytes wrap past 4 GiB"

    ; 3: the same with the page at linear 0 not present: where does the fetch fault, and with what CR2?
    mov dword [PT0], 0
    invlpg [0]
    TRY back3
    xor eax, eax
    mov ecx, 0xFFFFFFFD
    jmp ecx
back3:
    call report
    mov eax, cr2
    call puthex
    mov al, 10
    out 0xe9, al
    mov dword [PT0], 3
    invlpg [0]
    OK "an instruction wrapping into a not-present page"
    ret

; linear 0: mov ecx, imm32 (patched); jmp ecx
put_return_stub_at_0:
    mov byte [0], 0xB9
    mov word [5], 0xE1FF
    ret

; prints "vec err eip eax": vec/err -1 when no exception was taken
report:
    push eax
    mov eax, [last_vec]
    call puthex
    mov al, ' '
    out 0xe9, al
    mov eax, [last_err]
    call puthex
    mov al, ' '
    out 0xe9, al
    mov eax, [last_vec]
    cmp eax, -1
    mov eax, 0
    je .noeip
    mov eax, [last_eip]
.noeip:
    call puthex
    mov al, ' '
    out 0xe9, al
    pop eax
    call puthex
    mov al, 10
    out 0xe9, al
    mov dword [recover_eip], 0
    ret
