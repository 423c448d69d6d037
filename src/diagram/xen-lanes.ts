/**
 * Xen mode: which actor sent each trace record to which. The guest's port access becomes an ioreq on the
 * shared page, qemu-dm handles it and calls the hypervisor, which sends VIRQ_DOM_EXC to xenstored, which fires
 * @releaseDomain at libxl, whose xl acts and calls the hypervisor again (xen.md §8; Xen xen/common/domain.c,
 * tools/xenstore xenstored_domain.c, tools/libs/light libxl_domain.c).
 */
import type { DiagramRecord, Lane } from './swimlane.js';
import type { Classified } from './qemu-lanes.js';

export const XEN_LANES: readonly Lane[] = [
  { id: 'guest', title: 'guest CPU (HVM domain)' },
  { id: 'ring', title: 'ioreq ring' },
  { id: 'qemu-dm', title: 'qemu-dm (dom0)' },
  { id: 'xen', title: 'hypervisor' },
  { id: 'xenstored', title: 'xenstored' },
  { id: 'xl', title: 'libxl / xl' },
  { id: 'xend', title: 'xend' },
  { id: 'backend', title: 'dom0 backend' },
];

const h = (v: unknown, w = 0): string => `0x${(Number(v) >>> 0).toString(16).padStart(w, '0')}`;

/** A dom0 hypercall's caller: qemu-dm issues the shutdown and DM ops, libxl the domctls and the rest. */
function hypercallCaller(op: string): string {
  return /^(SCHEDOP_remote_shutdown|XEN_DMOP|DMOP|HVMOP_set_param.*ACPI_S_STATE)/.test(op) ? 'qemu-dm' : 'xl';
}

/** Host notes (`xen_host_note`): layer → lane. `cause` notes are the chain itself, drawn as link badges instead. */
const NOTE_LANES: Record<string, string> = { 'xl-cli': 'xl', xl: 'xl', libxl: 'xl', xend: 'xend', 'qemu-dm': 'qemu-dm', backend: 'backend', xenstore: 'xenstored', xen: 'xen' };

export function classifyXen(r: DiagramRecord): Classified | null {
  const a = r.args;
  switch (r.name) {
    case 'xen_console':
      return { from: 'guest', to: 'guest', kind: 'console', label: String(a['line']) };
    case 'xen_ioreq_send':
      return { from: 'guest', to: 'ring', kind: 'ioreq', label: `ioreq d${String(a['domid'])}v${String(a['vcpu'])} PIO ${String(a['dir'])} ${h(a['port'], 4)}${a['dir'] === 'write' ? ` <== ${h(a['data'])}` : ''}` };
    case 'cpu_handle_ioreq':
      return { from: 'ring', to: 'qemu-dm', kind: 'ioreq', label: `cpu_handle_ioreq ${String(a['dir'])} ${h(a['addr'], 4)}${a['dir'] === 'write' ? ` <== ${h(a['data'])}` : ''}` };
    case 'acpi_pm1_cnt_write': // qemu-dm's PM1a_CNT is src/acpi's, as in QEMU mode
      return { from: 'qemu-dm', to: 'qemu-dm', kind: 'note', label: `PIIX4 PM1a_CNT <== ${h(a['val'], 4)}${a['sleep'] && a['sleep'] !== 'none' ? ` -> ${String(a['sleep'])}` : ''}` };
    case 'cpu_ioreq_respond':
      return { from: 'qemu-dm', to: 'ring', kind: 'ioresp', label: `IORESP_READY data ${h(a['data'])}` };
    case 'xen_ioreq_complete':
      return { from: 'ring', to: 'guest', kind: 'ioresp', label: `I/O complete, data ${h(a['data'])}` };
    case 'xen_hvm_intercept':
      if (/console|debugcon/.test(String(a['handler']))) return null; // its bytes are the console lines (xen_console)
      return { from: 'guest', to: 'xen', kind: a['dir'] === 'write' ? 'port-write' : 'port-read', label: `${String(a['handler'])} ${String(a['dir'])} ${h(a['port'], 4)}${a['dir'] === 'write' ? ` <== ${h(a['value'])}` : ''}` };
    case 'xen_hypercall': {
      const from = Number(a['domid']) === 0 ? hypercallCaller(String(a['op'])) : 'guest';
      return { from, to: 'xen', kind: 'hypercall', label: `${String(a['op'])}${a['detail'] ? ` ${String(a['detail'])}` : ''} = ${String(a['rc'])}` };
    }
    case 'destroy_hvm_domain':
      return { from: 'qemu-dm', to: 'qemu-dm', kind: 'note', label: `destroy_hvm_domain d${String(a['domid'])} ${a['reboot'] ? 'reboot' : 'poweroff'} via ${String(a['via'])}` };
    case 'xen_domain_create':
      if (a['domid'] === 0) return null;
      return { from: 'xen', to: 'xen', kind: 'note', label: `domain d${String(a['domid'])} created` };
    case 'xen_domain_shutdown':
      return { from: 'xen', to: 'xen', kind: 'note', label: `domain_shutdown d${String(a['domid'])} reason ${String(a['reason'])}` };
    case 'xen_vcpu_shutdown_deferred':
      return { from: 'xen', to: 'xen', kind: 'note', label: `d${String(a['domid'])}v${String(a['vcpu'])} shutdown deferred (mid-I/O)` };
    case 'xen_domain_shut_down':
      return { from: 'xen', to: 'xen', kind: 'note', label: `d${String(a['domid'])} is_shut_down (code ${String(a['code'])})` };
    case 'xen_send_global_virq':
      return { from: 'xen', to: 'xenstored', kind: 'virq', label: `VIRQ_DOM_EXC #${String(a['n'])} (d${String(a['domid'])})` };
    case 'xen_domain_kill':
      return { from: 'xen', to: 'xen', kind: 'note', label: `domain_kill d${String(a['domid'])} ${String(a['state'])} rc ${String(a['rc'])}` };
    case 'xen_domain_destroy':
      return { from: 'xen', to: 'xen', kind: 'note', label: `domain_destroy d${String(a['domid'])}` };
    case 'xen_complete_domain_destroy':
      return { from: 'xen', to: 'xen', kind: 'note', label: `d${String(a['domid'])} freed (complete_domain_destroy)` };
    case 'xen_acpi_button':
      return { from: 'xen', to: 'guest', kind: 'sci', label: `${String(a['button'])} button: PM1a_STS ${h(a['sts'], 4)}, SCI` };
    case 'xen_hvm_s3':
      return { from: 'xen', to: 'xen', kind: 'note', label: `d${String(a['domid'])} ${String(a['what'])}` };
    case 'xenstored_domain_cleanup':
      return { from: 'xenstored', to: 'xenstored', kind: 'note', label: `rescan: ${String(a['changed']) || 'nothing changed'}` };
    case 'xenstored_watch_event':
      return { from: 'xenstored', to: Number(a['domid']) === 0 ? 'xl' : 'guest', kind: 'watch', label: `watch ${String(a['path'])} (${String(a['token'])})` };
    case 'libxl_death_watch':
      return { from: 'xl', to: 'xen', kind: 'hypercall', label: `getdomaininfo d${String(a['domid'])} -> ${String(a['info'])}` };
    case 'libxl_event':
      return { from: 'xl', to: 'xl', kind: 'note', label: `${String(a['type'])}${a['reason'] !== undefined ? `(${String(a['reason'])})` : ''} domid ${String(a['domid'])}` };
    case 'xen_host_note': {
      const lane = NOTE_LANES[String(a['layer'])];
      if (!lane) return null;
      const text = String(a['text']);
      // Drawn from their own trace records: libxl's events (libxl_event), the hypervisor's lines (xen_* events).
      if (a['layer'] === 'xen' || (a['layer'] === 'libxl' && /^DOMAIN_/.test(text))) return null;
      return { from: lane, to: lane, kind: a['layer'] === 'xl-cli' && text.startsWith('xl ') ? 'command' : 'note', label: text };
    }
    default:
      return null;
  }
}

/** The domain a Xen record concerns, when it names one. */
export function domidOf(r: DiagramRecord): number | undefined {
  const d = r.args['domid'];
  if (typeof d === 'number' && d !== 0) return d;
  if (r.name === 'xen_hypercall') {
    const m = /\bd(\d+)\b/.exec(String(r.args['detail'] ?? ''));
    if (m) return Number(m[1]);
  }
  return undefined;
}
