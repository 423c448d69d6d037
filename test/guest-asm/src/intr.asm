; External interrupts: the local APIC gates the PIC's INTR (LINT0 masked at reset; unmasking it delivers a pending
; interrupt after that instruction), HLT wakes on an interrupt, STI's one-instruction shadow, and a final HLT with
; IF=0 ("halted with interrupts disabled").
; Port 0x520 asks the harness to raise INTR with the vector written.
%include "mac.inc"
%include "boot.inc"
LINT0 equ 0xFEE00350
test_main:
    IDT_GATE 0x30, irq_handler
    IDT_GATE 0x31, irq_handler
    CHECK dword [LINT0], 0x00010000    ; reset: masked
    mov al, 0x30
    mov dx, 0x520
    out dx, al               ; raise INTR, vector 0x30
    sti
    mov ecx, 5000
.w: loop .w                            ; LINT0 masked: nothing arrives
    CHECK dword [irqs], 0
    mov dword [LINT0], 0x700           ; ExtINT, unmasked: the pending interrupt is taken right after this
.after_unmask:                         ; instruction (QEMU apic_mem_write: a LINT0 write looks at the PIC's INTR again)
    CHECK dword [irqs], 1
    CHECK dword [irq_eip], .after_unmask
    OK "LAPIC LINT0 gates INTR; unmasking takes it at once"

    cli
    mov al, 0x30
    mov dx, 0x520
    out dx, al
    sti
    hlt                                ; shadow: the interrupt arrives after HLT, not before it
.after_hlt:
    CHECK dword [irqs], 2
    CHECK dword [irq_eip], .after_hlt
    OK "STI shadow"

    mov dx, 0x521
    in al, dx                          ; the read raises INTR (vector 0x31), IF=1: taken right after the IN
.after_in:                             ; (QEMU's cpu_interrupt ends the translation block), not at the slice's end
    CHECK dword [irqs], 3
    CHECK dword [irq_eip], .after_in
    OK "INTR raised by a read is taken after that instruction"

    cli
    mov dword [LINT0], 0x10700         ; masked again...
    mov ecx, 0x1B
    rdmsr
    and eax, ~0x800                    ; ...but the APIC is globally disabled: INTR goes straight through
    wrmsr
    mov al, 0x30
    mov dx, 0x520
    out dx, al
    sti
    hlt
    CHECK dword [irqs], 4
    OK "APIC globally disabled"
    cli
    mov esi, bye
    call puts
    hlt                                ; halted with interrupts disabled: the run ends here
bye: db "halting with IF=0", 10, 0
irq_handler:
    inc dword [irqs]
    push eax
    mov eax, [esp + 4]
    mov [irq_eip], eax
    pop eax
    iretd
align 4
irqs: dd 0
irq_eip: dd 0
