; Paging: CR0.PG with a two-level table, #PF with CR2 and the error code, accessed/dirty bits, CR0.WP,
; user/supervisor, INVLPG and CR3 reload.
%include "mac.inc"
%include "boot.inc"
%include "tss.inc"
PD   equ 0x100000
PT0  equ 0x101000                  ; maps 0-4 MiB identity
PT2  equ 0x102000                  ; maps 8-12 MiB
test_main:
    ; page directory: PDE 0 -> PT0 (identity, user + writable + present), PDE 2 -> PT2, everything else not present
    IDENTITY_4M PD, PT0, 3 * 1024, 7
    mov dword [PD + 2 * 4], PT2 | 7
    mov dword [PT0 + 0x300 * 4], 0             ; 0x300000 not present
    mov dword [PT0 + 0x301 * 4], 0x301000 | 5  ; 0x301000 read-only (user, present)
    mov dword [PT0 + 0x302 * 4], 0x302000 | 3  ; 0x302000 supervisor only
    mov dword [PT2 + 0], 0x200000 | 7          ; 0x800000 -> phys 0x200000

    mov dword [0x200000], 0x12345678
    mov dword [0x210000], 0x9ABCDEF0
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    CHECK dword [0x800000], 0x12345678
    mov dword [0x800004], 0xCAFE
    CHECK dword [0x200004], 0xCAFE
    mov eax, [PT2]
    and eax, 0x60
    CHECK eax, 0x60                            ; accessed + dirty
    mov eax, [PD + 8]
    and eax, 0x20
    CHECK eax, 0x20                            ; PDE accessed
    OK "paging on: translation, A/D bits"

    TRY .f1
    mov eax, [0x300123]
.f1:
    EXPECT_EXC 14, 0                           ; not present, read, supervisor
    mov eax, cr2
    CHECK eax, 0x300123
    TRY .f2
    mov dword [0x400010], 1                    ; PDE 1 not present
.f2:
    EXPECT_EXC 14, 2                           ; not present, write
    mov eax, cr2
    CHECK eax, 0x400010
    mov dword [0x301000], 0x55                 ; supervisor write to read-only page: allowed while WP=0
    CHECK dword [0x301000], 0x55
    mov eax, cr0
    or eax, 0x10000                            ; WP
    mov cr0, eax
    TRY .f3
    mov dword [0x301004], 0x66
.f3:
    EXPECT_EXC 14, 3                           ; protection, write
    mov eax, cr0
    and eax, ~0x10000
    mov cr0, eax
    TRY .f4
    mov eax, [0x2FFFFE]                        ; a dword straddling into the missing page
.f4:
    EXPECT_EXC 14, 0
    mov eax, cr2
    CHECK eax, 0x300000
    OK "#PF error codes and CR2"

    ; the same accesses from CPL 3: error codes gain the U bit
    mov word [TSS_ADDR_W + 0], 0
    call setup_tss
    mov [ring0_esp], esp
    IDT_GATE 0x81, back
    TO_RING3 user, 0x70000
user:
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    TRY .u1
    mov eax, [0x302000]                        ; supervisor page
.u1:
    EXPECT_EXC 14, 5
    TRY .u2
    mov dword [0x301000], 1                    ; read-only page
.u2:
    EXPECT_EXC 14, 7
    CHECK dword [0x301000], 0x55               ; reading it is fine
    int 0x81
back:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov esp, [ring0_esp]
    OK "#PF from CPL 3"

    ; remap 0x800000 -> 0x210000: stale until INVLPG
    CHECK dword [0x800000], 0x12345678
    mov dword [PT2 + 0], 0x210000 | 7
    invlpg [0x800000]
    CHECK dword [0x800000], 0x9ABCDEF0
    mov dword [PT2 + 0], 0x200000 | 7
    mov eax, cr3
    mov cr3, eax
    CHECK dword [0x800000], 0x12345678
    OK "INVLPG and CR3 reload"

    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    CHECK dword [0x800000], 0                  ; paging off: linear = physical again
    ret

TSS_ADDR_W equ 0x60000
setup_tss:
    mov edi, 0x60000
    xor eax, eax
    mov ecx, 0x68 / 4
    rep stosd
    mov dword [0x60004], 0x80000
    mov dword [0x60008], 0x10
    mov word [0x60066], 0x68           ; no bitmap inside the limit: ports need IOPL 3
    mov word [gdt_tss], 0x67
    mov word [gdt_tss + 2], 0
    mov byte [gdt_tss + 4], 0x06
    mov byte [gdt_tss + 5], 0x89
    mov byte [gdt_tss + 7], 0
    mov ax, 0x28
    ltr ax
    ret
align 4
ring0_esp: dd 0
