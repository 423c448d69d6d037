/**
 * QEMU trace-event names that have an acpidm equivalent (`-trace NAME` as
 * written for qemu-system-x86_64 keeps working). Everything else is taken as
 * an acpidm event-name glob.
 */
const ALIASES: Record<string, string> = {
  qemu_system_shutdown_request: 'machine_request',
  qemu_system_reset_request: 'machine_request',
  qemu_system_powerdown_request: 'machine_request',
  qemu_system_suspend_request: 'machine_request',
  system_wakeup_request: 'machine_request',
  runstate_set: 'machine_runstate',
  qemu_system_reset: 'machine_reset',
  cpu_reset: 'machine_reset',
  // hw/isa/trace-events, hw/acpi: same names in acpidm
  apm_io_write: 'apm_io_write',
  pic_interrupt: 'pic_interrupt',
  pic_ioport_write: 'pic_ioport_write',
  pci_cfg_read: 'pci_cfg_read',
  pci_cfg_write: 'pci_cfg_write',
  // xen-hvm: QEMU hw/xen/trace-events
  cpu_ioreq_pio: 'handle_ioreq',
  handle_ioreq: 'handle_ioreq',
  xen_ioreq_server_create: 'xen_domain_create',
};

export function qemuTraceAliases(pattern: string): string {
  return ALIASES[pattern] ?? pattern;
}
