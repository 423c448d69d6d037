; bench-alu32.asm - a tight 32-bit ALU loop for interpreter benchmarks, then an ACPI poweroff.
; The iteration count is the u32 at file offset 0x28 (firmware/README.md: parameter block); patch
; it in a copy of the binary to change the run length. The checksum printed at the end depends
; only on the count, so it also checks the interpreter's arithmetic.
%define KERNEL_NAME "bench-alu32"
%define BENCH_ITERATIONS_DEFAULT 1000000
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"

main:
        PRINT "bench-alu32: "
        mov eax, [param_iterations]
        call putdec
        PRINT " iterations", 10
        mov ecx, [param_iterations]
        mov eax, 0x12345678
        mov ebx, 0x9ABCDEF0
        mov edx, 0x0F1E2D3C
        test ecx, ecx
        jz .done
.loop:                                  ; 8 instructions per iteration
        add eax, ecx
        xor ebx, eax
        sub edx, ebx
        or eax, 0x100
        and ebx, 0x7FFFFFFF
        shr edx, 1
        dec ecx
        jnz .loop
.done:
        PRINT "bench-alu32: done, eax "
        call puthex32
        PRINT " ebx "
        mov eax, ebx
        call puthex32
        PRINT " edx "
        mov eax, edx
        call puthex32
        PRINT 10
        call find_tables_and_s5
        jmp acpi_power_off

%include "lib/end.inc"
