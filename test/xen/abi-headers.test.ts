// Every hypercall number, constant and argument-struct offset acpidm uses, checked against the installed Xen
// public headers (Debian libxen-dev, /usr/include/xen) by compiling a C program that prints them.
// Skipped with a message locally when gcc or the headers are missing; required on CI.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as C from '../../src/xen-hvm/hypercall-codec.js';
import * as X from '../../src/xen-hvm/xen-abi.js';
import { tempDir } from '../tmp-dir.js';

const CI = process.env.CI === 'true';
const have = existsSync('/usr/include/xen/domctl.h') && (() => {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!have && !CI) console.warn('SKIP Xen header checks: need gcc and libxen-dev (/usr/include/xen)');

const CONSTS: [string, number][] = [
  ['__HYPERVISOR_sched_op', X.HYPERVISOR_sched_op], ['__HYPERVISOR_event_channel_op', X.HYPERVISOR_event_channel_op],
  ['__HYPERVISOR_hvm_op', X.HYPERVISOR_hvm_op], ['__HYPERVISOR_domctl', X.HYPERVISOR_domctl], ['__HYPERVISOR_dm_op', X.HYPERVISOR_dm_op],
  ['DOMID_SELF', X.DOMID_SELF], ['VIRQ_DOM_EXC', X.VIRQ_DOM_EXC],
  ['SCHEDOP_yield', X.SCHEDOP_yield], ['SCHEDOP_block', X.SCHEDOP_block], ['SCHEDOP_shutdown', X.SCHEDOP_shutdown],
  ['SCHEDOP_poll', X.SCHEDOP_poll], ['SCHEDOP_remote_shutdown', X.SCHEDOP_remote_shutdown], ['SCHEDOP_shutdown_code', X.SCHEDOP_shutdown_code],
  ['SCHEDOP_watchdog', X.SCHEDOP_watchdog],
  ['SHUTDOWN_poweroff', X.SHUTDOWN_poweroff], ['SHUTDOWN_reboot', X.SHUTDOWN_reboot], ['SHUTDOWN_suspend', X.SHUTDOWN_suspend],
  ['SHUTDOWN_crash', X.SHUTDOWN_crash], ['SHUTDOWN_watchdog', X.SHUTDOWN_watchdog], ['SHUTDOWN_soft_reset', X.SHUTDOWN_soft_reset],
  ['XEN_DMOP_remote_shutdown', X.XEN_DMOP_remote_shutdown],
  ['XEN_DMOP_set_isa_irq_level', X.XEN_DMOP_set_isa_irq_level],
  ['XEN_DOMCTL_INTERFACE_VERSION', X.XEN_DOMCTL_INTERFACE_VERSION], ['XEN_DOMCTL_createdomain', X.XEN_DOMCTL_createdomain],
  ['XEN_DOMCTL_destroydomain', X.XEN_DOMCTL_destroydomain], ['XEN_DOMCTL_pausedomain', X.XEN_DOMCTL_pausedomain],
  ['XEN_DOMCTL_unpausedomain', X.XEN_DOMCTL_unpausedomain], ['XEN_DOMCTL_getdomaininfo', X.XEN_DOMCTL_getdomaininfo],
  ['XEN_DOMCTL_resumedomain', X.XEN_DOMCTL_resumedomain], ['XEN_DOMCTL_sendtrigger', X.XEN_DOMCTL_sendtrigger],
  ['XEN_DOMCTL_SENDTRIGGER_NMI', X.XEN_DOMCTL_SENDTRIGGER_NMI], ['XEN_DOMCTL_SENDTRIGGER_RESET', X.XEN_DOMCTL_SENDTRIGGER_RESET],
  ['XEN_DOMCTL_SENDTRIGGER_INIT', X.XEN_DOMCTL_SENDTRIGGER_INIT], ['XEN_DOMCTL_SENDTRIGGER_POWER', X.XEN_DOMCTL_SENDTRIGGER_POWER],
  ['XEN_DOMCTL_SENDTRIGGER_SLEEP', X.XEN_DOMCTL_SENDTRIGGER_SLEEP],
  ['XEN_DOMINF_dying', X.XEN_DOMINF_dying], ['XEN_DOMINF_hvm_guest', X.XEN_DOMINF_hvm_guest], ['XEN_DOMINF_shutdown', X.XEN_DOMINF_shutdown],
  ['XEN_DOMINF_paused', X.XEN_DOMINF_paused], ['XEN_DOMINF_blocked', X.XEN_DOMINF_blocked], ['XEN_DOMINF_running', X.XEN_DOMINF_running],
  ['XEN_DOMINF_shutdownshift', X.XEN_DOMINF_shutdownshift], ['XEN_DOMINF_shutdownmask', X.XEN_DOMINF_shutdownmask],
  ['HVMOP_set_param', X.HVMOP_set_param], ['HVMOP_get_param', X.HVMOP_get_param],
  ['HVM_PARAM_CALLBACK_IRQ', X.HVM_PARAM_CALLBACK_IRQ], ['HVM_PARAM_STORE_PFN', X.HVM_PARAM_STORE_PFN],
  ['HVM_PARAM_STORE_EVTCHN', X.HVM_PARAM_STORE_EVTCHN], ['HVM_PARAM_IOREQ_PFN', X.HVM_PARAM_IOREQ_PFN],
  ['HVM_PARAM_BUFIOREQ_PFN', X.HVM_PARAM_BUFIOREQ_PFN], ['HVM_PARAM_ACPI_S_STATE', X.HVM_PARAM_ACPI_S_STATE],
  ['HVM_PARAM_CONSOLE_EVTCHN', X.HVM_PARAM_CONSOLE_EVTCHN], ['HVM_PARAM_ACPI_IOPORTS_LOCATION', X.HVM_PARAM_ACPI_IOPORTS_LOCATION],
  ['HVM_PARAM_BUFIOREQ_EVTCHN', X.HVM_PARAM_BUFIOREQ_EVTCHN], ['HVM_PARAM_TRIPLE_FAULT_REASON', X.HVM_PARAM_TRIPLE_FAULT_REASON],
  ['HVM_PARAM_IOREQ_SERVER_PFN', X.HVM_PARAM_IOREQ_SERVER_PFN], ['HVM_PARAM_NR_IOREQ_SERVER_PAGES', X.HVM_PARAM_NR_IOREQ_SERVER_PAGES],
  ['HVM_NR_PARAMS', X.HVM_NR_PARAMS], ['EVTCHNOP_send', X.EVTCHNOP_send],
  ['ACPI_PM1A_EVT_BLK_ADDRESS_V0', X.ACPI_PM1A_EVT_BLK_ADDRESS_V0], ['ACPI_PM1A_CNT_BLK_ADDRESS_V0', X.ACPI_PM1A_CNT_BLK_ADDRESS_V0],
  ['ACPI_PM_TMR_BLK_ADDRESS_V0', X.ACPI_PM_TMR_BLK_ADDRESS_V0], ['ACPI_PM1A_EVT_BLK_ADDRESS_V1', X.ACPI_PM1A_EVT_BLK_ADDRESS_V1],
  ['ACPI_PM1A_CNT_BLK_ADDRESS_V1', X.ACPI_PM1A_CNT_BLK_ADDRESS_V1], ['ACPI_PM_TMR_BLK_ADDRESS_V1', X.ACPI_PM_TMR_BLK_ADDRESS_V1],
];

const U = C.DOMCTL_U;
const SIZES: [string, number][] = [
  ['struct sched_shutdown', C.SCHED_SHUTDOWN_SIZE], ['struct sched_remote_shutdown', C.SCHED_REMOTE_SHUTDOWN_SIZE],
  ['struct xen_dm_op_buf', C.DM_OP_BUF_SIZE], ['struct xen_dm_op_remote_shutdown', C.DM_OP_REMOTE_SHUTDOWN_SIZE],
  ['struct xen_domctl', C.DOMCTL_SIZE], ['struct xen_hvm_param', C.HVM_PARAM_SIZE], ['struct evtchn_send', C.EVTCHN_SEND_SIZE],
];
const OFFSETS: [string, string, number][] = [
  ['struct sched_remote_shutdown', 'domain_id', 0], ['struct sched_remote_shutdown', 'reason', 4],
  ['struct xen_dm_op_buf', 'size', 8], ['struct xen_dm_op', 'pad', 4], ['struct xen_dm_op', 'u', C.DM_OP_HEADER_SIZE],
  ['struct xen_domctl', 'cmd', 0], ['struct xen_domctl', 'interface_version', 4], ['struct xen_domctl', 'domain', 8], ['struct xen_domctl', 'u', U],
  ['struct xen_domctl', 'u.sendtrigger.trigger', U], ['struct xen_domctl', 'u.sendtrigger.vcpu', U + 4],
  ['struct xen_domctl', 'u.getdomaininfo.flags', U + C.GDI.flags], ['struct xen_domctl', 'u.getdomaininfo.tot_pages', U + C.GDI.tot_pages],
  ['struct xen_domctl', 'u.getdomaininfo.max_pages', U + C.GDI.max_pages], ['struct xen_domctl', 'u.getdomaininfo.shared_info_frame', U + C.GDI.shared_info_frame],
  ['struct xen_domctl', 'u.getdomaininfo.cpu_time', U + C.GDI.cpu_time], ['struct xen_domctl', 'u.getdomaininfo.nr_online_vcpus', U + C.GDI.nr_online_vcpus],
  ['struct xen_domctl', 'u.getdomaininfo.max_vcpu_id', U + C.GDI.max_vcpu_id], ['struct xen_domctl', 'u.getdomaininfo.ssidref', U + C.GDI.ssidref],
  ['struct xen_domctl', 'u.getdomaininfo.handle', U + C.GDI.handle], ['struct xen_domctl', 'u.getdomaininfo.cpupool', U + C.GDI.cpupool],
  ['struct xen_hvm_param', 'domid', 0], ['struct xen_hvm_param', 'index', 4], ['struct xen_hvm_param', 'value', 8],
];

function compile(): Map<string, number> {
  const d = tempDir('acpidm-xenabi-');
  const lines = [
    '#define __XEN_TOOLS__ 1', '#include <stdio.h>', '#include <stddef.h>', '#include <stdint.h>', '#include <xen/xen.h>',
    '#include <xen/sched.h>', '#include <xen/domctl.h>', '#include <xen/hvm/hvm_op.h>', '#include <xen/hvm/params.h>',
    '#include <xen/hvm/dm_op.h>', '#include <xen/hvm/ioreq.h>', '#include <xen/event_channel.h>', 'int main(void) {',
    ...CONSTS.map(([n]) => `  printf("${n} %lld\\n", (long long)(${n}));`),
    ...SIZES.map(([s]) => `  printf("sizeof(${s}) %zu\\n", sizeof(${s}));`),
    ...OFFSETS.map(([s, f]) => `  printf("${s}.${f} %zu\\n", offsetof(${s}, ${f}));`),
    '  return 0;', '}',
  ];
  writeFileSync(join(d, 'abi.c'), lines.join('\n'));
  execFileSync('gcc', ['-o', join(d, 'abi'), join(d, 'abi.c')]);
  const out = execFileSync(join(d, 'abi'), { encoding: 'utf8' });
  const m = new Map<string, number>();
  for (const l of out.trim().split('\n')) {
    const i = l.lastIndexOf(' ');
    m.set(l.slice(0, i), Number(l.slice(i + 1)));
  }
  return m;
}

describe.runIf(have || CI)('Xen public headers (gcc + libxen-dev)', () => {
  const got = compile();
  it.each(CONSTS)('%s = %i', (n, v) => expect(got.get(n)).toBe(v));
  it.each(SIZES)('sizeof(%s) = %i', (s, v) => expect(got.get(`sizeof(${s})`)).toBe(v));
  it.each(OFFSETS)('offsetof(%s, %s) = %i', (s, f, v) => expect(got.get(`${s}.${f}`)).toBe(v));
});
