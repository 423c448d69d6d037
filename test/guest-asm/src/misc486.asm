; 486 additions and identification: BSWAP, XADD, CMPXCHG, CMPXCHG8B, CPUID, RDTSC, RDMSR/WRMSR (APIC base).
%include "mac.inc"
%include "boot.inc"
test_main:
    mov eax, 0x11223344
    bswap eax
    CHECK eax, 0x44332211
    mov ecx, 0x80
    bswap ecx
    CHECK ecx, 0x80000000
    mov dword [mem], 10
    mov eax, 5
    xadd [mem], eax
    CHECK eax, 10
    CHECK dword [mem], 15
    mov eax, 15
    mov ecx, 99
    cmpxchg [mem], ecx                 ; equal: store ECX, ZF=1
    CHECK_FLAGS F_ZF, 0
    CHECK dword [mem], 99
    mov eax, 1
    cmpxchg [mem], ecx                 ; not equal: EAX <- memory, ZF=0
    CHECK_FLAGS 0, F_ZF
    CHECK eax, 99
    mov dword [mem], 1
    mov dword [mem + 4], 2
    mov eax, 1
    mov edx, 2
    mov ebx, 3
    mov ecx, 4
    cmpxchg8b [mem]
    CHECK_FLAGS F_ZF, 0
    CHECK dword [mem + 4], 4
    OK "BSWAP/XADD/CMPXCHG/CMPXCHG8B"

    xor eax, eax
    cpuid
    CHECK ebx, 'Genu'
    CHECK edx, 'ineI'
    CHECK ecx, 'ntel'
    mov eax, 1
    cpuid
    shr eax, 8
    and eax, 15
    CHECK eax, 6                       ; family 6 (the default 'acpidm' model: P6-class, it has CMOV)
    and edx, 0xa338                    ; CMOV PGE APIC CX8 MSR TSC PSE
    CHECK edx, 0xa338
    OK "CPUID"

    rdtsc
    mov esi, eax
    mov edi, edx
    mov ecx, 100
.spin: loop .spin
    rdtsc
    sub eax, esi
    sbb edx, edi
    CHECK edx, 0
    cmp eax, 100
    setae al
    movzx eax, al
    CHECK eax, 1                       ; at least the 100 LOOPs went by
    mov ecx, 0x1B
    rdmsr
    CHECK eax, 0xFEE00900
    CHECK edx, 0
    TRY .nomsr
    mov ecx, 0x12345
    rdmsr
.nomsr:
    EXPECT_EXC 13, 0
    OK "RDTSC and MSRs"
    ret
align 8
mem: dd 0, 0
