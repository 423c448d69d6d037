; poweroff.asm - what Linux does for `poweroff` on an ACPI machine.
;
; Finds RSDP → RSDT/XSDT → FACP → DSDT itself, reads \_S5_ from the DSDT's AML and runs
; Linux's acpi_power_off sequence (lib/pm.inc). It does not switch the chipset to ACPI mode
; first (SCI_EN stays as firmware left it), so on QEMU TCG the writes are 0x0000 then 0x2000.
; Expected: SHUTDOWN {"guest": true, "reason": "guest-shutdown"}.
%define KERNEL_NAME "poweroff"
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"

main:
        call find_tables_and_s5         ; BL/BH = SLP_TYPa/b, or halts like acpi=off
        jmp acpi_power_off

%include "lib/end.inc"
