; PSE (4 MiB pages, CR4.PSE + PDE.PS) and PGE, values from the Intel SDM Vol. 3A §4.3 (32-bit paging):
; a PDE with PS=1 maps 4 MiB at PDE[31:22]; A/D are set in the PDE; INVLPG of any address in a 4 MiB page
; drops its translation; a CR3 load drops non-global translations; clearing CR4.PGE drops global ones.
%include "mac.inc"
%include "boot.inc"
PD equ 0x100000                          ; page directory (4 KiB aligned)
test_main:
    ; data in physical memory, written with paging off
    mov dword [0x801234], 0xcafebabe
    mov dword [0xc01234], 0x12345678
    ; PD: 0-4 MiB identity (4 MiB page), 4-8 MiB -> physical 8 MiB (4 MiB page, writable)
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PD + 0], 0x00000083       ; PS | RW | P, base 0
    mov dword [PD + 4], 0x00800083       ; PS | RW | P, base 8 MiB
    mov eax, cr4
    or eax, 0x10                         ; CR4.PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000                   ; PG | WP
    mov cr0, eax

    CHECK dword [0x401234], 0xcafebabe   ; linear 4 MiB + 0x1234 -> physical 8 MiB + 0x1234
    mov eax, [PD + 4]
    and eax, 0x60
    CHECK eax, 0x20                      ; accessed set in the PDE, not dirty
    mov dword [0x7ffffc], 0x55aa55aa     ; the last dword of the 4 MiB page
    mov eax, [PD + 4]
    and eax, 0x60
    CHECK eax, 0x60                      ; dirty after a write
    OK "4 MiB page: translation, A and D in the PDE"

    ; remap 4-8 MiB to physical 12 MiB; INVLPG at another address inside the same 4 MiB page
    mov dword [PD + 4], 0x00c00083
    invlpg [0x7ff000]
    CHECK dword [0x401234], 0x12345678
    ; and back, this time dropped by a CR3 load (not global)
    mov dword [PD + 4], 0x00800083
    mov eax, cr3
    mov cr3, eax
    CHECK dword [0x401234], 0xcafebabe
    OK "INVLPG anywhere in a 4 MiB page, and CR3 loads, drop it"

    ; write-protect: a read-only 4 MiB page with CR0.WP=1 faults a ring-0 write: #PF, error P|W = 3, CR2
    mov dword [PD + 4], 0x00800081       ; PS | P, read-only
    mov eax, cr3
    mov cr3, eax
    TRY .pf
    mov dword [0x400010], 1
.pf:
    EXPECT_EXC 14, 3
    mov eax, cr2
    CHECK eax, 0x400010
    OK "read-only 4 MiB page with WP: #PF(3), CR2"

    ; PGE: a global 4 MiB page (G, bit 8) is usable; turning CR4.PGE off drops global pages too
    mov eax, cr4
    or eax, 0x80                         ; CR4.PGE
    mov cr4, eax
    mov dword [PD + 4], 0x00800183       ; G | PS | RW | P
    mov eax, cr3
    mov cr3, eax
    CHECK dword [0x401234], 0xcafebabe
    mov dword [PD + 4], 0x00c00183
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax
    CHECK dword [0x401234], 0x12345678
    OK "global pages; CR4.PGE off flushes them"

    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    ret
