; x87 FPU: every instruction class, printed as raw results (80-bit register images, status/control/tag words,
; memory images) through port 0xE9. expected/fpu.txt is what real QEMU (qemu-system-i386 7.2, TCG) printed for
; this binary (test/guest-asm/record-qemu.sh); test/guest-asm/fpu.test.ts compares acpidm with it line by line and
; lists where the two differ and why. Also self-checking against SDM values where one is documented.
%include "mac.inc"
%include "boot.inc"

; PR "text": print a literal
%macro PR 1
    jmp %%s
%%m: db %1, 0
%%s:
    push esi
    mov esi, %%m
    call puts
    pop esi
%endmacro
; D "label": pop ST0 to memory and print "label: SSSS HHHHHHHH LLLLLLLL sw XXXX"
%macro D 1
    PR %1
    call dump_st0
%endmacro
; RC n: set the rounding control (0 near, 1 down, 2 up, 3 chop), PC 64 bits, all masked
%macro RC 1
    mov word [cw], 0x037f | (%1 << 10)
    fldcw [cw]
%endmacro
%macro PCRC 2
    mov word [cw], 0x007f | (%1 << 8) | (%2 << 10)
    fldcw [cw]
%endmacro

test_main:
    mov eax, cr0
    and eax, ~0x0c                    ; EM=0 TS=0
    or eax, 0x22                      ; MP=1 NE=1
    mov cr0, eax

    ; ---- init state ----
    fninit
    fnstcw [cw]
    movzx eax, word [cw]
    CHECK eax, 0x037f
    fnstsw ax
    and eax, 0xffff
    CHECK eax, 0
    fnstenv [env]
    movzx eax, word [env + 8]
    CHECK eax, 0xffff                 ; all empty
    OK "FNINIT: CW 037F, SW 0, TW FFFF"

    ; ---- constants in every rounding mode ----
%assign r 0
%rep 4
    RC r
    fld1
    D "fld1"
    fldl2t
    D "fldl2t"
    fldl2e
    D "fldl2e"
    fldpi
    D "fldpi"
    fldlg2
    D "fldlg2"
    fldln2
    D "fldln2"
    fldz
    D "fldz"
%assign r r + 1
%endrep
    RC 0
    fldpi
    fstp tword [t80]
    CHECK dword [t80], 0x2168c235     ; SDM: FLDPI = C90FDAA2 2168C235 (round to nearest)
    CHECK dword [t80 + 4], 0xc90fdaa2
    OK "FLDPI"

    ; ---- arithmetic: every precision and rounding mode ----
%assign p 0
%rep 4
%assign r 0
%rep 4
    PCRC p, r
    fld1
    fidiv dword [three]
    D "1/3"
    fild dword [two]
    fsqrt
    D "sqrt2"
    fldpi
    fmul qword [big]
    D "pi*1e10"
    fild dword [ten]
    fdiv dword [sevenf]
    D "10/7"
    fld qword [dbl_a]
    fadd qword [dbl_b]
    D "a+b"
    fld qword [dbl_a]
    fsub qword [dbl_a]
    D "a-a"
    fld qword [dbl_a]
    fld qword [dbl_b]
    fsubp st1, st0
    D "a-b"
    fld qword [dbl_b]
    fld qword [dbl_a]
    fdivrp st1, st0
    D "a/b r"
%assign r r + 1
%endrep
%assign p p + 1
%endrep
    RC 0
    fld1
    fidiv dword [three]
    fstp tword [t80]
    CHECK dword [t80], 0xaaaaaaab
    CHECK dword [t80 + 4], 0xaaaaaaaa
    movzx eax, word [t80 + 8]
    CHECK eax, 0x3ffd
    OK "1/3 = 3FFD AAAAAAAA AAAAAAAB"

    ; PC applies to arithmetic only, not to loads (SDM vol. 1 8.1.5.2)
    PCRC 0, 0
    fld qword [dbl_a]
    D "fld m64 at PC=24"
    RC 0

    ; all register forms of the basic operations
    fild dword [seven]
    fild dword [three]                ; st0 = 3, st1 = 7
    fsub st0, st1
    D "D8 fsub st,st1"
    fild dword [seven]
    fild dword [three]
    fsubr st0, st1
    D "D8 fsubr"
    fstp st0
    fild dword [seven]
    fild dword [three]
    fsub st1, st0                     ; DC E9: st1 = st1 - st0
    fstp st0
    D "DC fsub st1,st0"
    fild dword [seven]
    fild dword [three]
    fsubr st1, st0                    ; DC E1: st1 = st0 - st1
    fstp st0
    D "DC fsubr st1,st0"
    fild dword [seven]
    fild dword [three]
    fdiv st1, st0
    fstp st0
    D "DC fdiv"
    fild dword [seven]
    fild dword [three]
    fdivr st1, st0
    fstp st0
    D "DC fdivr"
    fild dword [seven]
    fild dword [three]
    fsubrp st1, st0
    D "DE fsubrp"
    fild dword [seven]
    fild dword [three]
    fdivp st1, st0
    D "DE fdivp"
    fild dword [seven]
    fild dword [three]
    faddp st1, st0
    D "DE faddp"
    fild dword [seven]
    fild dword [three]
    fmulp st1, st0
    D "DE fmulp"
    fild dword [seven]
    fimul word [i16v]
    D "fimul m16"
    fild dword [seven]
    fisubr dword [three]
    D "fisubr m32"
    fild dword [seven]
    fsub dword [f32one]
    D "fsub m32"
    fild dword [seven]
    fdivr qword [dbl_a]
    D "fdivr m64"

    ; ---- conversions ----
%assign r 0
%rep 4
    RC r
    fld qword [m2_5]
    fistp word [t16]
    movzx eax, word [t16]
    call dump_eax
    fld qword [m2_5]
    fchs
    fistp dword [t32]
    mov eax, [t32]
    call dump_eax
    fld qword [m3_5]
    fistp qword [t64]
    mov eax, [t64]
    call dump_eax
    fld qword [m3_5]
    frndint
    D "frndint 3.5"
    fld1
    fidiv dword [three]
    fst dword [t32]
    mov eax, [t32]
    call dump_eax
    fstp qword [t64]
    mov eax, [t64 + 4]
    call dump_eax
    mov eax, [t64]
    call dump_eax
    PR 10
%assign r r + 1
%endrep
    RC 0
    fnclex
    fild dword [big_i]
    fistp word [t16]                  ; out of range: IE, integer indefinite
    movzx eax, word [t16]
    CHECK eax, 0x8000
    fnstsw ax
    and eax, 0x3f
    CHECK eax, 0x01                   ; IE
    OK "FIST out of range: integer indefinite, IE"
    fnclex
    fild qword [i64v]
    D "fild m64"
    fbld [bcd]
    D "fbld"
    fbld [bcd]
    fbstp [t80]
    mov eax, [t80 + 6]
    call dump_eax
    mov eax, [t80]
    call dump_eax
    PR 10
    fld tword [denorm80]
    D "fld m80 denormal"
    fld dword [denorm32]
    D "fld m32 denormal"
    fld qword [dbl_snan]
    D "fld m64 snan"
    fld tword [t80_tiny]
    fst dword [t32]
    mov eax, [t32]
    call dump_eax
    fstp qword [t64]
    mov eax, [t64 + 4]
    call dump_eax
    mov eax, [t64]
    call dump_eax
    fnstsw ax
    call dump_eax
    PR 10
    fnclex
    fld tword [t80_huge]
    fst dword [t32]
    mov eax, [t32]
    call dump_eax
    fstp qword [t64]
    mov eax, [t64 + 4]
    call dump_eax
    fnstsw ax
    call dump_eax
    PR 10
    fnclex

    ; ---- compares ----
    fild dword [three]
    fild dword [seven]
    fcom st1                          ; 7 > 3
    call dump_sw
    fcomp st1
    call dump_sw
    fild dword [three]
    fcompp
    call dump_sw
    fld dword [f32one]
    fcom dword [f32one]
    call dump_sw
    ficomp dword [three]
    call dump_sw
    fld qword [dbl_qnan]
    fld1
    fucom st1
    call dump_sw
    fcom st1                          ; IE on a QNaN
    call dump_sw
    fnclex
    fucomi st0, st1
    call dump_eflags
    fcomi st0, st1
    call dump_eflags
    fnclex
    fld1
    fcomip st0, st1                   ; 1 vs 1
    call dump_eflags
    fucomip st0, st1
    call dump_eflags
    fstp st0
    fldz
    ftst
    call dump_sw
    fchs
    fxam
    call dump_sw
    fstp st0
    fld1
    fxam
    call dump_sw
    fstp st0
    fld qword [dbl_qnan]
    fxam
    call dump_sw
    fstp st0
    fld tword [denorm80]
    fxam
    call dump_sw
    fstp st0
    fld dword [f32inf]
    fxam
    call dump_sw
    fstp st0
    ffree st7
    fxam
    call dump_sw
    fld1                              ; FCMOVcc
    fldz
    mov eax, 1
    cmp eax, 2                        ; CF=1
    fcmovb st0, st1
    D "fcmovb taken"
    fldz
    fcmovnb st0, st1
    D "fcmovnb not taken"
    fstp st0
    PR 10

    ; ---- masked exceptions ----
    fnclex
    fld1
    fldz
    fdivp st1, st0
    D "1/0"
    fldz
    fldz
    fdivp st1, st0
    D "0/0"
    fld1
    fchs
    fsqrt
    D "sqrt(-1)"
    fnclex
%rep 9
    fld1
%endrep
    D "9th push"
    fninit
    fadd st0, st1
    D "underflow"
    fninit
    fld tword [t80_huge]
    fmul st0, st0
    D "overflow"
    fninit
    fld tword [t80_tiny]
    fmul st0, st0
    D "underflow denormal"
    fninit

    ; ---- FPREM / FPREM1 / FSCALE / FXTRACT ----
    fild dword [three]
    fild dword [ten]
    fprem
    call dump_sw
    D "10 fprem 3"
    fstp st0
    fild dword [three]
    fild dword [ten]
    fprem1
    call dump_sw
    D "10 fprem1 3"
    fstp st0
    fild dword [seven]
    fld qword [big]
    fprem
    call dump_sw
    D "1e10 fprem 7"
    fstp st0
    fild dword [three]
    fld tword [t80_huge]
    fprem
    call dump_sw
    D "huge fprem 3 (partial)"
    fstp st0
    fild dword [three]
    fld qword [m3_5]
    fscale
    D "fscale 3.5*2^3"
    fstp st0
    fld qword [m3_5]
    fxtract
    D "fxtract sig"
    D "fxtract exp"
    fld tword [denorm80]
    fxtract
    D "fxtract den sig"
    D "fxtract den exp"
    fnclex

    ; ---- environment and state ----
    fninit
    mov word [cw], 0x0b72
    fldcw [cw]
    fld1
    fldpi
    fld1
    fdiv dword [zero32]              ; masked ZE? ZM is set in 0x0b72 (bits 0-5 = 32|16|2): ZE unmasked
    PR "after unmasked ZE: "
    fnstsw ax
    call dump_eax
    PR 10
    fnstenv [env]
    mov esi, env
    mov ecx, 7
    call dump_dwords
    fnsave [sav]
    mov esi, sav
    mov ecx, 27
    call dump_dwords
    fnstsw ax
    call dump_eax
    PR 10
    frstor [sav]
    fnstcw [cw]
    movzx eax, word [cw]
    call dump_eax
    fnclex
    D "frstor st0"
    o16 fnstenv [env]
    mov esi, env
    mov ecx, 4
    call dump_dwords
    o16 fnsave [sav]
    mov esi, sav
    mov ecx, 24
    call dump_dwords
    o16 frstor [sav]
    D "16-bit frstor st0"
    fninit
    fld1
    fld1
    fdecstp
    fincstp
    fincstp
    fnstsw ax
    call dump_eax
    ffree st0
    fnstenv [env]
    mov eax, [env + 8]
    call dump_eax
    PR 10
    fninit

    ; ---- unmasked exception: #MF at the next waiting instruction (CR0.NE=1) ----
    mov word [cw], 0x037b             ; ZE unmasked
    fldcw [cw]
    fld1
    fldz
    fdivp st1, st0                    ; sets ES, no #MF yet
    fnstsw ax
    mov [t32], eax
    TRY .mf
    fld1                              ; waiting: #MF here
    mov dword [last_vec], 0x99
.mf:
    CHECK dword [last_vec], 16
    mov eax, [t32]
    and eax, 0x80ff
    CHECK eax, 0x8084                 ; B, ES, ZE
    TRY .mf2
    fwait
    mov dword [last_vec], 0x99
.mf2:
    CHECK dword [last_vec], 16
    fnclex
    fwait                             ; nothing pending now
    OK "#MF at the next waiting instruction"
    fninit

    ; ---- transcendental ----
    fld1
    fsin
    D "fsin 1"
    fld1
    fcos
    D "fcos 1"
    fld qword [half]
    fptan
    D "fptan 1.0"
    D "fptan 0.5"
    fld qword [half]
    fsincos
    D "fsincos cos"
    D "fsincos sin"
    fld1
    fild dword [two]
    fpatan
    D "fpatan 1/2"
    fld qword [half]
    f2xm1
    D "f2xm1 0.5"
    fild dword [three]
    fild dword [ten]
    fyl2x
    D "fyl2x 3*log2 10"
    fld1
    fld qword [quarter]
    fyl2xp1
    D "fyl2xp1 log2 1.25"
    fld qword [big]
    fsin
    D "fsin 1e10"
    fld tword [t80_huge]
    fsin
    call dump_sw
    D "fsin huge"
    ret

; ---- output helpers ----
dump_st0:
    push eax
    fnstsw ax
    mov [swsave], ax
    fstp tword [t80]
    PR ": "
    movzx eax, word [t80 + 8]
    call put4
    PR " "
    mov eax, [t80 + 4]
    call puthex
    PR " "
    mov eax, [t80]
    call puthex
    PR " sw "
    movzx eax, word [swsave]
    call put4
    PR 10
    pop eax
    ret
dump_sw:
    push eax
    fnstsw ax
    PR "sw "
    call put4
    PR 10
    pop eax
    ret
dump_eflags:
    push eax
    pushfd
    pop eax
    and eax, 0x8d5
    PR "fl "
    call put4
    PR 10
    pop eax
    ret
dump_eax:
    call puthex
    PR " "
    ret
; esi = address, ecx = dword count
dump_dwords:
    push eax
.l: lodsd
    call puthex
    PR " "
    loop .l
    PR 10
    pop eax
    ret
put4:
    push eax
    push ecx
    shl eax, 16
    mov ecx, 4
.l: rol eax, 4
    push eax
    and eax, 15
    mov al, [hexdigits + eax]
    out 0xe9, al
    pop eax
    loop .l
    pop ecx
    pop eax
    ret

align 16
t80: times 16 db 0
t64: dq 0
t32: dd 0
t16: dw 0
cw: dw 0
swsave: dw 0
align 4
env: times 32 db 0
sav: times 112 db 0
three: dd 3
two: dd 2
ten: dd 10
seven: dd 7
sevenf: dd 7.0
zero32: dd 0
f32one: dd 0x3f800000
f32inf: dd 0x7f800000
denorm32: dd 0x00000003
big_i: dd 100000
i16v: dw -3
align 8
big: dq 1.0e10
dbl_a: dq 1.2345678901234567
dbl_b: dq 3.0e-7
m2_5: dq 2.5
m3_5: dq 3.5
half: dq 0.5
quarter: dq 0.25
dbl_qnan: dq 0x7ff8000000000123
dbl_snan: dq 0x7ff0000000000456
i64v: dq -1234567890123456789
bcd: dq 0x0034567890123456
     dw 0x8012
denorm80: dq 0x0000000012345678
          dw 0
t80_tiny: dq 0x8000000000000001
          dw 0x0001
t80_huge: dq 0xffffffffffffffff
          dw 0x7ffe
