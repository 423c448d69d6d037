; 32-bit ALU and flags (values and flags per the Intel SDM instruction pages)
%include "mac.inc"
%include "boot.inc"
test_main:
    mov eax, 0xFFFFFFFF
    add eax, 1
    CHECK eax, 0
    CHECK_FLAGS F_CF | F_ZF | F_PF | F_AF, F_SF | F_OF
    mov eax, 0x7FFFFFFF
    add eax, 1
    CHECK eax, 0x80000000
    CHECK_FLAGS F_OF | F_SF | F_AF, F_CF | F_ZF
    mov eax, 5
    sub eax, 7
    CHECK eax, -2
    CHECK_FLAGS F_CF | F_SF, F_ZF | F_OF
    mov eax, 0x80000000
    sub eax, 1
    CHECK_FLAGS F_OF, F_CF | F_SF
    stc
    mov eax, 10
    adc eax, 5
    CHECK eax, 16
    stc
    mov eax, 10
    sbb eax, 5
    CHECK eax, 4
    mov eax, 1
    mov edx, 0
    sub eax, 2              ; 64-bit subtract: edx:eax = 1 - 2
    sbb edx, 0
    CHECK eax, 0xFFFFFFFF
    CHECK edx, 0xFFFFFFFF
    OK "add/sub/adc/sbb"

    stc
    mov eax, 0xFFFFFFFF
    inc eax
    CHECK eax, 0
    CHECK_FLAGS F_CF | F_ZF, F_SF            ; INC keeps CF
    clc
    dec eax
    CHECK eax, -1
    CHECK_FLAGS F_SF, F_CF | F_ZF
    mov eax, 0x12345678
    neg eax
    CHECK eax, 0xEDCBA988
    CHECK_FLAGS F_CF, 0
    xor eax, eax
    neg eax
    CHECK_FLAGS F_ZF, F_CF
    mov eax, 0xF0F0F0F0
    and eax, 0x0FF00FF0
    CHECK eax, 0x00F000F0
    or eax, 0x80000000
    CHECK_FLAGS F_SF, F_CF | F_OF | F_ZF
    not eax
    CHECK eax, 0x7F0FFF0F
    OK "inc/dec/neg/logic"

    mov eax, 0x10000
    mov ecx, 0x10000
    mul ecx
    CHECK eax, 0
    CHECK edx, 1
    CHECK_FLAGS F_CF | F_OF, 0
    mov eax, -3
    mov ecx, 7
    imul ecx
    CHECK eax, -21
    CHECK edx, -1
    CHECK_FLAGS 0, F_CF | F_OF
    mov ebx, 100000
    imul eax, ebx, 100000
    CHECK eax, 1410065408          ; 10^10 mod 2^32
    CHECK_FLAGS F_CF | F_OF, 0
    mov eax, -7
    imul eax, eax
    CHECK eax, 49
    mov edx, 1
    mov eax, 0
    mov ecx, 3
    div ecx                        ; 0x100000000 / 3
    CHECK eax, 0x55555555
    CHECK edx, 1
    mov edx, -1
    mov eax, -100
    mov ecx, 7
    idiv ecx
    CHECK eax, -14
    CHECK edx, -2
    OK "mul/imul/div/idiv"

    mov eax, 0x80000001
    shl eax, 1
    CHECK eax, 2
    CHECK_FLAGS F_CF | F_OF, F_ZF
    mov eax, 0x80000000
    sar eax, 4
    CHECK eax, 0xF8000000
    mov eax, 0x80000000
    shr eax, 31
    CHECK eax, 1
    mov eax, 0x12345678
    rol eax, 8
    CHECK eax, 0x34567812
    ror eax, 12
    CHECK eax, 0x81234567
    CHECK_FLAGS F_CF, 0
    stc
    mov eax, 0
    rcl eax, 1
    CHECK eax, 1
    CHECK_FLAGS 0, F_CF
    mov eax, 0x12345678
    mov edx, 0x9ABCDEF0
    shld eax, edx, 8
    CHECK eax, 0x3456789A
    shrd eax, edx, 4
    CHECK eax, 0x03456789
    mov cl, 33                     ; counts are masked to 5 bits
    mov eax, 1
    shl eax, cl
    CHECK eax, 2
    OK "shifts/rotates"

    mov eax, 0x00010000
    bsf ecx, eax
    CHECK ecx, 16
    bsr ecx, eax
    CHECK ecx, 16
    mov eax, 0x80000001
    bsr ecx, eax
    CHECK ecx, 31
    xor eax, eax
    bsf ecx, eax
    CHECK_FLAGS F_ZF, 0
    mov eax, 0x100
    bt eax, 8
    CHECK_FLAGS F_CF, 0
    bts eax, 0
    CHECK eax, 0x101
    btr eax, 8
    CHECK eax, 1
    btc eax, 31
    CHECK eax, 0x80000001
    mov dword [bitstr], 0
    mov ecx, 37
    bts [bitstr], ecx                ; bit 37 of a memory bit string: bit 5 of the next dword
    CHECK dword [bitstr + 4], 0x20
    OK "bit scan/test"

    mov eax, 0xFFFFFF80
    movzx ecx, al
    CHECK ecx, 0x80
    movsx ecx, al
    CHECK ecx, 0xFFFFFF80
    movsx ecx, ax
    CHECK ecx, 0xFFFFFF80
    xor ebx, ebx
    xor ecx, ecx
    mov eax, 3
    cmp eax, 5
    setl bl
    setb bh
    setg cl
    movzx eax, bx
    CHECK eax, 0x0101
    movzx eax, cl
    CHECK eax, 0
    mov eax, 0xFFFF8000
    cwde
    CHECK eax, 0xFFFF8000
    cdq
    CHECK edx, 0xFFFFFFFF
    mov ax, 0x0109
    aad 10
    CHECK eax, 0xFFFF0013
    mov al, 0x15
    add al, 0x27
    daa
    movzx eax, al
    CHECK eax, 0x42
    lea eax, [ebx + ecx * 4 + 0x10]
    CHECK eax, 0x0111
    mov esi, 2
    lea eax, [esi * 8]
    CHECK eax, 16
    OK "moves/setcc/bcd/lea"

    mov ax, 0x8000                  ; 16-bit ops in 32-bit code (66 prefix)
    add ax, ax
    CHECK_FLAGS F_CF | F_ZF | F_OF, 0
    mov eax, 0x12340000
    mov ax, 0xFFFF
    CHECK eax, 0x1234FFFF
    mov al, 0xFF
    inc al
    CHECK eax, 0x1234FF00
    OK "16/8-bit operands"
    ret

align 4
bitstr: dd 0, 0
