; xen-pv.asm - an HVM guest with PV drivers' shutdown watcher (Linux drivers/xen/manage.c).
;
; On Xen: find the hypervisor by CPUID, install the hypercall page, get the xenstore ring and event
; channel from HVM params, advertise control/feature-poweroff, watch control/shutdown, and on each
; watch event read the value inside a transaction: empty/missing → abort and wait again; "poweroff"
; or "halt" → write "" back in the same transaction (retry on EAGAIN), then SCHEDOP_shutdown
; (poweroff). Anything else → "Ignoring shutdown request". Not on Xen (e.g. QEMU): power off
; through ACPI like poweroff.asm.
%define KERNEL_NAME "xen-pv"
%define NEED_IDT
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"
%include "lib/xen.inc"
%include "lib/irq.inc"

; The ISA IRQ the event-channel upcall arrives on (HVM_PARAM_CALLBACK_IRQ type 0 = GSI, xen/include/public/hvm/params.h;
; Linux's platform-pci driver asks for its INTx GSI the same way). 10 is free on the hvmloader PC.
XEN_UPCALL_IRQ  equ 10
s5_typ: dw 0
have_s5: db 0

cmd_buf: times 64 db 0

main:
        call xen_detect
        jnc .xen
        PRINT "Xen: no XenVMMXenVMM signature at CPUID 0x40000000-0x4000FF00; powering off through ACPI", 10
        call find_tables_and_s5
        jmp acpi_power_off
.xen:
        PRINT "Xen: XenVMMXenVMM at CPUID "
        call puthex32
        PRINT ", version "
        add eax, 1
        cpuid                           ; leaf base+1: EAX = major << 16 | minor
        push eax
        shr eax, 16
        call putdec
        PRINT "."
        pop eax
        and eax, 0xFFFF
        call putdec
        PRINT 10
        call xen_init_hypercalls
        mov eax, HVM_PARAM_STORE_PFN
        call xen_get_param
        jc .param_failed
        shl eax, 12
        mov [xen_ring], eax
        mov eax, HVM_PARAM_STORE_EVTCHN
        call xen_get_param
        jc .param_failed
        mov [xen_port], eax
        PRINT "xenstore: ring at pfn "
        mov eax, [xen_ring]
        shr eax, 12
        call puthex32
        PRINT ", event channel "
        mov eax, [xen_port]
        call putdec
        PRINT 10
        ; An HVM guest's poweroff is ACPI S5 (Linux kernel_power_off → acpi_power_off); keep \_S5_ if the tables have it.
        call acpi_find_tables
        jc .no_acpi
        mov eax, "_S5_"
        call acpi_sleep_type
        jc .no_acpi
        mov [s5_typ], bx
        mov byte [have_s5], 1
.no_acpi:
        ; Linux xen_set_callback_via: event-channel upcalls as an interrupt (IDT, 8259s, LINT0 ExtINT)
        call idt_init
        call pic_init
        mov dword [irq_handler_table + XEN_UPCALL_IRQ * 4], xen_upcall
        mov eax, XEN_UPCALL_IRQ
        call irq_route
        call lapic_extint
        mov eax, HVM_PARAM_CALLBACK_IRQ
        mov ebx, XEN_UPCALL_IRQ
        call xen_set_param
        jc .no_callback
        mov dword [xen_upcalls], 1
        PRINT "Xen: HVM_PARAM_CALLBACK_IRQ <- GSI 10: event-channel upcalls on IRQ 10", 10
        jmp .watch
.no_callback:
        PRINT "Xen: HVMOP_set_param(CALLBACK_IRQ) failed, rc "
        call puthex32
        PRINT "; polling xenstore", 10
.watch:
        ; Linux setup_shutdown_watcher: advertise what we handle, then register the watch
        PRINT 'xenstore: write control/feature-poweroff "1"'
        XS_REQUEST XS_WRITE, "control/feature-poweroff", 0, "1"
        call xs_print_reply
        PRINT 'xenstore: watch control/shutdown token "shutdown"'
        XS_REQUEST XS_WATCH, "control/shutdown", 0, "shutdown", 0
        call xs_print_reply
.wait_event:
        call xs_wait_watch              ; registering fires the watch once (xenstored semantics)
        PRINT "xenstore: watch event control/shutdown", 10
.transaction:
        mov dword [xs_tx], 0
        PRINT "xenstore: transaction start"
        XS_REQUEST XS_TRANSACTION_START, 0
        call xs_print_reply
        cmp dword [xs_reply_type], XS_ERROR
        je .wait_event
        call parse_tx_id
        PRINT "xenstore: read control/shutdown"
        XS_REQUEST XS_READ, "control/shutdown", 0
        call xs_print_reply
        cmp dword [xs_reply_type], XS_ERROR
        je .abort                       ; XENBUS_IS_ERR_READ: a read error…
        cmp byte [xs_reply], 0
        je .abort                       ; …or an empty value: end the transaction, ignore
        ; keep the command: the next replies overwrite xs_reply
        mov esi, xs_reply
        mov edi, cmd_buf
        mov ecx, 63
.copy:
        lodsb
        stosb
        test al, al
        jz .copied
        dec ecx
        jnz .copy
        mov byte [edi], 0
.copied:
        call known_command              ; CF clear for poweroff/halt
        jc .end_only
        ; only acknowledge commands we are prepared to handle
        PRINT 'xenstore: write control/shutdown ""'
        XS_REQUEST XS_WRITE, "control/shutdown", 0
        call xs_print_reply
.end_only:
        PRINT "xenstore: transaction end T"
        XS_REQUEST XS_TRANSACTION_END, "T", 0
        mov dword [xs_tx], 0
        call xs_print_reply
        cmp dword [xs_reply_type], XS_ERROR
        jne .ended
        cmp dword [xs_reply], "EAGA"    ; EAGAIN: someone changed the node; redo it all
        je .transaction
.ended:
        call known_command
        jnc .poweroff
        PRINT "xen:manage: Ignoring shutdown request: "
        mov esi, cmd_buf
        call puts
        PRINT 10
        jmp .wait_event
.abort:
        PRINT "xenstore: transaction end F"
        XS_REQUEST XS_TRANSACTION_END, "F", 0
        mov dword [xs_tx], 0
        call xs_print_reply
        jmp .wait_event
.poweroff:
        ; do_poweroff → orderly_poweroff → kernel_power_off: on HVM that is acpi_power_off (S5 through
        ; the device model); without ACPI tables, SCHEDOP_shutdown(SHUTDOWN_poweroff) as a PV kernel does.
        cmp byte [have_s5], 0
        je .pv_poweroff
        mov bx, [s5_typ]
        jmp acpi_power_off
.pv_poweroff:
        PRINT "reboot: Power down", 10
        PRINT "Xen: SCHEDOP_shutdown(SHUTDOWN_poweroff)", 10
        cli
        mov dword [xen_arg], SHUTDOWN_poweroff
        mov ebx, SCHEDOP_shutdown
        mov ecx, xen_arg
        HYPERCALL __HYPERVISOR_sched_op
        mov ecx, 2000000
.spin:
        pause
        dec ecx
        jnz .spin
        PRINT "Xen: still running after SCHEDOP_shutdown, halting", 10
        jmp halt_forever
.param_failed:
        PRINT "Xen: HVMOP_get_param failed, rc "
        call puthex32
        PRINT 10
        jmp kernel_halt

; xen_upcall: EAX = IRQ. The upcall only wakes the waiting loop (xen_yield), which reads the ring; the stub EOIs.
xen_upcall:
        ret

; parse_tx_id: xs_reply holds the decimal transaction id; store it in xs_tx.
parse_tx_id:
        pushad
        xor eax, eax
        mov esi, xs_reply
.d:
        movzx ebx, byte [esi]
        sub ebx, '0'
        cmp ebx, 9
        ja .done
        imul eax, eax, 10
        add eax, ebx
        inc esi
        jmp .d
.done:
        mov [xs_tx], eax
        popad
        ret

; known_command: CF clear if cmd_buf is "poweroff" or "halt" (Linux shutdown_handlers: both
; call do_poweroff; reboot/suspend are not handled by this guest).
known_command:
        push esi
        push edi
        push ecx
        mov esi, cmd_buf
        mov edi, str_poweroff
        mov ecx, str_poweroff_len
        repe cmpsb
        je .yes
        mov esi, cmd_buf
        mov edi, str_halt
        mov ecx, str_halt_len
        repe cmpsb
        je .yes
        stc
        jmp .out
.yes:
        clc
.out:
        pop ecx
        pop edi
        pop esi
        ret

str_poweroff: db "poweroff", 0
str_poweroff_len equ $ - str_poweroff
str_halt: db "halt", 0
str_halt_len equ $ - str_halt

        align 4096, db 0
hypercall_page: times 4096 db 0xCC      ; filled by Xen through the MSR from CPUID leaf base+2

%include "lib/end.inc"
