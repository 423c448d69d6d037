; Triple fault: with an empty IDT every exception faults again -> #DF -> shutdown (QEMU: reset, guest-reset).
%include "mac.inc"
%include "boot.inc"
test_main:
    OK "about to triple fault"
    lidt [empty_idt]
    int3
    OK "still running (wrong)"
    ret
empty_idt:
    dw 0
    dd 0
