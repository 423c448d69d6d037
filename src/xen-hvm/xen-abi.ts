/**
 * Numbers from Xen's public headers (Xen 4.17, x86-64). Each group names its
 * header; test/xen/abi-headers.test.ts compiles a C program against the
 * installed /usr/include/xen headers and checks these values and offsets.
 */

// xen/include/public/xen.h: hypercall numbers
export const HYPERVISOR_sched_op = 29;
export const HYPERVISOR_event_channel_op = 32;
export const HYPERVISOR_hvm_op = 34;
export const HYPERVISOR_domctl = 36;
export const HYPERVISOR_dm_op = 41;

export const DOMID_SELF = 0x7ff0;
export const DOMID_INVALID = 0x7ff4;
/** xen.h: VIRQ_DOM_EXC, a global VIRQ bound by dom0 (xenstored). */
export const VIRQ_DOM_EXC = 3;

// xen/include/public/sched.h
export const SCHEDOP_yield = 0;
export const SCHEDOP_block = 1;
export const SCHEDOP_shutdown = 2;
export const SCHEDOP_poll = 3;
export const SCHEDOP_remote_shutdown = 4;
export const SCHEDOP_shutdown_code = 5;
export const SCHEDOP_watchdog = 6;

export const SHUTDOWN_poweroff = 0;
export const SHUTDOWN_reboot = 1;
export const SHUTDOWN_suspend = 2;
export const SHUTDOWN_crash = 3;
export const SHUTDOWN_watchdog = 4;
export const SHUTDOWN_soft_reset = 5;
/** xen/common/domain.c: `shutdown_code` before any code is recorded. */
export const SHUTDOWN_CODE_INVALID = 0xff;
export const SHUTDOWN_NAMES = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'] as const;

// xen/include/public/hvm/dm_op.h
export const XEN_DMOP_remote_shutdown = 16;
export const XEN_DMOP_set_isa_irq_level = 9;

// xen/include/public/domctl.h
export const XEN_DOMCTL_INTERFACE_VERSION = 0x15;
export const XEN_DOMCTL_createdomain = 1;
export const XEN_DOMCTL_destroydomain = 2;
export const XEN_DOMCTL_pausedomain = 3;
export const XEN_DOMCTL_unpausedomain = 4;
export const XEN_DOMCTL_getdomaininfo = 5;
export const XEN_DOMCTL_resumedomain = 27;
export const XEN_DOMCTL_sendtrigger = 28;
export const XEN_DOMCTL_SENDTRIGGER_NMI = 0;
export const XEN_DOMCTL_SENDTRIGGER_RESET = 1;
export const XEN_DOMCTL_SENDTRIGGER_INIT = 2;
export const XEN_DOMCTL_SENDTRIGGER_POWER = 3;
export const XEN_DOMCTL_SENDTRIGGER_SLEEP = 4;

export const XEN_DOMINF_dying = 1 << 0;
export const XEN_DOMINF_hvm_guest = 1 << 1;
export const XEN_DOMINF_shutdown = 1 << 2;
export const XEN_DOMINF_paused = 1 << 3;
export const XEN_DOMINF_blocked = 1 << 4;
export const XEN_DOMINF_running = 1 << 5;
export const XEN_DOMINF_shutdownshift = 16;
export const XEN_DOMINF_shutdownmask = 0xff;

// xen/include/public/hvm/hvm_op.h, hvm/params.h
export const HVMOP_set_param = 0;
export const HVMOP_get_param = 1;
export const HVM_PARAM_CALLBACK_IRQ = 0;
export const HVM_PARAM_STORE_PFN = 1;
export const HVM_PARAM_STORE_EVTCHN = 2;
export const HVM_PARAM_IOREQ_PFN = 5;
export const HVM_PARAM_BUFIOREQ_PFN = 6;
export const HVM_PARAM_ACPI_S_STATE = 14;
export const HVM_PARAM_CONSOLE_EVTCHN = 18;
export const HVM_PARAM_ACPI_IOPORTS_LOCATION = 19;
export const HVM_PARAM_BUFIOREQ_EVTCHN = 26;
export const HVM_PARAM_TRIPLE_FAULT_REASON = 31;
export const HVM_PARAM_IOREQ_SERVER_PFN = 32;
export const HVM_PARAM_NR_IOREQ_SERVER_PAGES = 33;
export const HVM_NR_PARAMS = 39;

// xen/include/public/event_channel.h
export const EVTCHNOP_send = 4;

/** Xen's errno values (xen/include/public/errno.h; the same numbers as Linux). */
export const EPERM = 1;
export const ESRCH = 3;
export const EFAULT = 14;
export const EEXIST = 17;
export const EINVAL = 22;
export const ENOSYS = 38;
export const EACCES = 13;
export const ENOTTY = 25;
/** xen/include/xen/errno.h: internal "restart this hypercall" (a continuation), never seen by the guest. */
export const ERESTART = 85;

export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM', [ESRCH]: 'ESRCH', [EFAULT]: 'EFAULT', [EEXIST]: 'EEXIST', [EINVAL]: 'EINVAL',
  [ENOSYS]: 'ENOSYS', [EACCES]: 'EACCES', [ENOTTY]: 'ENOTTY', [ERESTART]: 'ERESTART',
};

export const errnoName = (rc: number): string => (rc < 0 ? `-${ERRNO_NAMES[-rc] ?? String(-rc)}` : String(rc));

/** xen/include/public/hvm/ioreq.h: ACPI PM port layouts selected by HVM_PARAM_ACPI_IOPORTS_LOCATION. */
export const ACPI_PM1A_EVT_BLK_ADDRESS_V0 = 0x1f40;
export const ACPI_PM1A_CNT_BLK_ADDRESS_V0 = 0x1f44;
export const ACPI_PM_TMR_BLK_ADDRESS_V0 = 0x1f48;
export const ACPI_PM1A_EVT_BLK_ADDRESS_V1 = 0xb000;
export const ACPI_PM1A_CNT_BLK_ADDRESS_V1 = 0xb004;
export const ACPI_PM_TMR_BLK_ADDRESS_V1 = 0xb008;

/** strerror() of those codes (glibc), as libxl's LOGED lines print them. */
const STRERROR: Readonly<Record<number, string>> = {
  [EPERM]: 'Operation not permitted', [ESRCH]: 'No such process', [EFAULT]: 'Bad address', [EEXIST]: 'File exists',
  [EINVAL]: 'Invalid argument', [ENOSYS]: 'Function not implemented', [EACCES]: 'Permission denied',
  [ENOTTY]: 'Inappropriate ioctl for device',
};
export const strerror = (rc: number): string => STRERROR[Math.abs(rc)] ?? `Unknown error ${Math.abs(rc)}`;
