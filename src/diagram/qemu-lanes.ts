/**
 * QEMU mode: which actor sent each trace record to which (the lanes of `acpidm run` and the web page).
 * The guest's port writes go to the PIIX4 / ACPI PM function, the chipset asks the run state (QEMU's main
 * loop: `qemu_system_shutdown_request`), the run state emits QMP events to the clients, the host's QMP
 * commands come the other way (QEMU hw/acpi/core.c, softmmu/runstate.c).
 */
import type { DiagramRecord, Lane, MessageKind } from './swimlane.js';
import { CONSOLE_LINE } from './recorder.js';

export const QEMU_LANES: readonly Lane[] = [
  { id: 'firmware', title: 'firmware (SeaBIOS part)' },
  { id: 'guest', title: 'guest CPU' },
  { id: 'pm', title: 'PIIX4 / ACPI PM' },
  { id: 'runstate', title: 'run state (main loop)' },
  { id: 'qmp', title: 'QMP clients' },
  { id: 'lifecycle', title: 'lifecycle manager' },
];

export interface Classified {
  from: string;
  to: string;
  kind: MessageKind;
  label: string;
}

const h = (v: unknown, w = 0): string => `0x${(Number(v) >>> 0).toString(16).padStart(w, '0')}`;

/** The message a QEMU-mode record stands for, or null when it is not drawn. `prev` is the previous record kept. */
export function classifyQemu(r: DiagramRecord, prev: DiagramRecord | undefined): Classified | null {
  const a = r.args;
  switch (r.name) {
    case CONSOLE_LINE:
      return { from: 'guest', to: 'guest', kind: 'console', label: String(a['line']) };
    case 'seabios_piix4_pm_config_setup':
      return { from: 'firmware', to: 'pm', kind: 'port-write', label: `PCI config 00:01.3: PMBA ${h(a['pmBase'])}, PMREGMISC 1` };
    case 'seabios_acpi_tables':
      return { from: 'firmware', to: 'firmware', kind: 'note', label: `ACPI tables (${String(a['profile'])}): RSDP ${h(a['rsdp'])}` };
    case 'multiboot_load':
      return { from: 'firmware', to: 'guest', kind: 'boot', label: `Multiboot kernel: jump to ${h(a['entry'])}` };
    case 'linux_load':
      return { from: 'firmware', to: 'guest', kind: 'boot', label: `Linux bzImage: 32-bit entry, cmdline "${String(a['cmdline'])}"` };
    case 'seabios_s3_resume':
      return { from: 'firmware', to: 'guest', kind: 'boot', label: `S3 resume: FACS waking vector ${h(a['vector'])}` };
    case 'seabios_hard_reboot':
      return { from: 'firmware', to: 'firmware', kind: 'note', label: 'warm entry after POST: hard reboot through 0xCF9' };
    case 'acpi_pm1_cnt_write':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `PM1a_CNT <== ${h(a['val'], 4)}${a['slpEn'] ? ` SLP_EN: ${String(a['sleep'])}` : ` (SLP_TYP ${String(a['typ'])})`}` };
    case 'acpi_pm1_cnt_update':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: a['enable'] ? 'ACPI_ENABLE (SCI_EN)' : 'ACPI_DISABLE' };
    case 'acpi_pm1_evt_write_sts':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `PM1a_STS <== ${h(a['val'], 4)}` };
    case 'acpi_pm1_evt_write_en':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `PM1a_EN <== ${h(a['val'], 4)}` };
    case 'acpi_gpe_writeb':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `GPE0 +${String(a['addr'])} <== ${h(a['val'], 2)}` };
    case 'piix_rcr_write':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `0xCF9 <== ${h(a['val'], 2)}${a['reset'] ? ' (reset)' : ''}` };
    case 'pckbd_kbd_write_command':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `i8042 0x64 <== ${h(a['val'], 2)}` };
    case 'port92_write':
      return { from: 'guest', to: 'pm', kind: 'port-write', label: `0x92 <== ${h(a['val'], 2)}${a['reset'] ? ' (reset)' : ''}` };
    case 'debug_exit_write':
      return { from: 'guest', to: 'runstate', kind: 'port-write', label: `isa-debug-exit ${h(a['port'])} <== ${h(a['value'])}: exit ${String(a['status'])}` };
    case 'cpu_triple_fault':
      return { from: 'guest', to: 'runstate', kind: 'request', label: `triple fault at ${h(a['cs'], 4)}:${h(a['eip'], 8)}` };
    case 'machine_halted_cli':
      return { from: 'guest', to: 'guest', kind: 'note', label: `HLT with IF=0 at eip ${h(a['eip'], 8)}` };
    case 'acpi_pm1_evt_power_down':
      return a['latched']
        ? { from: 'pm', to: 'guest', kind: 'sci', label: 'PWRBTN_STS set: SCI (IRQ 9)' }
        : { from: 'pm', to: 'pm', kind: 'note', label: 'power button lost: PWRBTN_EN clear' };
    case 'acpi_notify_wakeup':
      return { from: 'pm', to: 'pm', kind: 'note', label: `wakeup (${String(a['reason'])}): WAK_STS` };
    case 'machine_guest_sleep':
      return { from: 'pm', to: 'pm', kind: 'note', label: `decoded ${String(a['state'])} (SLP_TYP ${String(a['typ'])})` };
    case 'machine_request': {
      const cause = String(a['cause']);
      const label = `${String(a['kind'])} request (${cause})`;
      if (prev?.name === 'cpu_triple_fault') return { from: 'runstate', to: 'runstate', kind: 'note', label };
      const fromGuest = cause.startsWith('guest') || /^(out|in)[bwl]? /.test(cause);
      return { from: fromGuest ? 'pm' : 'qmp', to: 'runstate', kind: 'request', label };
    }
    case 'machine_event': {
      const data = a['guest'] !== undefined ? ` {guest: ${String(a['guest'])}, reason: ${String(a['reason'])}}` : '';
      return { from: 'runstate', to: 'qmp', kind: 'qmp-event', label: `${String(a['event'])}${data}` };
    }
    case 'machine_runstate':
      return { from: 'runstate', to: 'runstate', kind: 'note', label: `${String(a['from'])} -> ${String(a['to'])}` };
    case 'machine_reset':
      return { from: 'runstate', to: 'firmware', kind: 'request', label: 'system reset: devices reset, firmware runs' };
    case 'qmp_command':
      return { from: 'qmp', to: 'runstate', kind: 'qmp-command', label: `${String(a['command'])} (session ${String(a['session'])})` };
    case 'qmp_session':
      return { from: 'qmp', to: 'qmp', kind: 'note', label: `session ${String(a['session'])}: ${String(a['what'])}` };
    default:
      return null;
  }
}
