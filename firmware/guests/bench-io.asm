; bench-io.asm - a loop of port I/O for port-dispatch benchmarks, then an ACPI poweroff.
; Each iteration writes the counter's low byte to port 0x80 (the POST/delay port Linux uses for
; io_delay) and reads it back; QEMU hw/i386/pc.c ioport80_read returns 0xFF, so the sum of the
; reads is 0xFF * count. The iteration count is the u32 at file offset 0x28.
%define KERNEL_NAME "bench-io"
%define BENCH_ITERATIONS_DEFAULT 100000
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"

IO_PORT         equ 0x80

main:
        PRINT "bench-io: "
        mov eax, [param_iterations]
        call putdec
        PRINT " iterations of out/in port 0x80", 10
        mov ecx, [param_iterations]
        xor ebx, ebx                    ; sum of the bytes read
        test ecx, ecx
        jz .done
.loop:
        mov al, cl
        out IO_PORT, al
        in al, IO_PORT
        movzx eax, al
        add ebx, eax
        dec ecx
        jnz .loop
.done:
        PRINT "bench-io: done, sum of reads "
        mov eax, ebx
        call puthex32
        PRINT 10
        call find_tables_and_s5
        jmp acpi_power_off

%include "lib/end.inc"
