; String instructions and port I/O: REP OUTSB to the console, REP INS of every size from the counter port,
; REP MOVS/STOS/CMPS/SCAS in both directions, IN/OUT of every size.
%include "mac.inc"
%include "boot.inc"
test_main:
    mov esi, hello
    mov ecx, hello_end - hello
    mov dx, 0xE9
    cld
    rep outsb
    CHECK ecx, 0
    CHECK esi, hello_end

    mov edi, buf                       ; counter port: each access returns 0, 1, 2, ...
    mov dx, 0x510
    mov ecx, 4
    rep insb
    CHECK dword [buf], 0x03020100
    mov ecx, 2
    rep insw
    CHECK dword [buf + 4], 0x00050004
    mov ecx, 2
    rep insd
    CHECK dword [buf + 8], 6
    CHECK dword [buf + 12], 7
    CHECK edi, buf + 16
    in al, dx
    movzx eax, al
    CHECK eax, 8
    mov dx, 0x500                      ; dword latch
    mov eax, 0xA1B2C3D4
    out dx, eax
    in ax, dx
    CHECK eax, 0xA1B2C3D4              ; 16-bit IN replaced only AX
    mov al, 0x11
    out dx, al
    in eax, dx
    CHECK eax, 0x11
    OK "REP OUTS/INS and IN/OUT sizes"

    mov esi, src
    mov edi, buf
    mov ecx, 4
    rep movsd
    CHECK dword [buf + 12], 0x44444444
    std                                ; backwards byte copy
    mov esi, src + 3
    mov edi, buf + 103
    mov ecx, 4
    rep movsb
    cld
    CHECK dword [buf + 100], 0x11111111
    CHECK edi, buf + 99
    mov edi, buf
    mov al, 0x5A
    mov ecx, 10
    rep stosb
    CHECK dword [buf + 8], 0x33335A5A
    mov esi, str1
    mov edi, str2
    mov ecx, 8
    repe cmpsb                         ; stops after the first difference (index 5)
    CHECK ecx, 2
    CHECK esi, str1 + 6
    CHECK_FLAGS 0, F_ZF
    mov edi, str1
    mov al, 'z'
    mov ecx, 8
    repne scasb
    CHECK edi, str1 + 8
    CHECK ecx, 0
    CHECK_FLAGS F_ZF, 0
    mov ecx, 0
    rep movsb                          ; count 0: nothing happens
    CHECK edi, str1 + 8
    OK "REP MOVS/STOS/CMPS/SCAS"

    mov esi, src                       ; 16-bit address size: SI/DI/CX only
    mov edi, 0x12340000 + buf
    db 0x67                            ; a16
    lodsd
    CHECK eax, 0x11111111
    OK "LODS"
    ret

hello: db "hello from rep outsb", 10
hello_end:
str1: db "abcdefgz"
str2: db "abcdeXgz"
align 4
src: dd 0x11111111, 0x22222222, 0x33333333, 0x44444444
buf: times 128 db 0
