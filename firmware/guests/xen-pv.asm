; xen-pv.asm - an HVM guest with PV drivers' shutdown watcher (Linux drivers/xen/manage.c).
;
; On Xen: find the hypervisor by CPUID, install the hypercall page, get the xenstore ring and event
; channel from HVM params, advertise control/feature-poweroff, watch control/shutdown, and on each
; watch event read the value inside a transaction: empty/missing → abort and wait again; "poweroff"
; or "halt" → write "" back in the same transaction (retry on EAGAIN), then SCHEDOP_shutdown
; (poweroff). Anything else → "Ignoring shutdown request". Not on Xen (e.g. QEMU): power off
; through ACPI like poweroff.asm.
%define KERNEL_NAME "xen-pv"
%include "lib/multiboot.inc"
%include "lib/acpi.inc"
%include "lib/pm.inc"
%include "lib/xen.inc"

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
        ; do_poweroff → orderly_poweroff → kernel_power_off; a PV-aware guest ends with
        ; SCHEDOP_shutdown(SHUTDOWN_poweroff) (struct sched_shutdown { unsigned int reason; })
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
