/**
 * Built-in scripted guests: the port accesses and hypercalls the real kernels
 * make, in order (lifecycle.md §5, §5.1, §5.2; xen.md §9, §11).
 */
import { ScriptedGuest, type GuestCtx, type GuestOp } from './guest.js';
import { HVM_PARAM_CALLBACK_IRQ, SHUTDOWN_crash, SHUTDOWN_poweroff, SHUTDOWN_reboot } from './xen-abi.js';

const PM1A_EVT = 0xb000;
const PM1A_CNT = 0xb004;
const GPE0 = 0xafe0;

/** Linux acpi_power_off on hvmloader's tables (_S5 = 0), steps 0-8 of lifecycle.md §5. */
export function acpiPoweroffOps(slpTyp = 0): GuestOp[] {
  return [
    { op: 'print', text: 'reboot: Power down' },
    { op: 'out', port: PM1A_EVT, size: 2, value: 0x8000 }, // clear WAK_STS
    { op: 'out', port: PM1A_EVT, size: 2, value: 0x8731 }, // clear all fixed status bits
    { op: 'out', port: GPE0, size: 1, value: 0xff }, { op: 'out', port: GPE0 + 1, size: 1, value: 0xff },
    { op: 'out', port: GPE0 + 2, size: 1, value: 0 }, { op: 'out', port: GPE0 + 3, size: 1, value: 0 },
    { op: 'in', port: PM1A_CNT, size: 2, reg: 'cnt' },
    { op: 'call', fn: (_c, _v, r) => void (r.cnt = ((r.cnt ?? 0) & ~0x3c00) | (slpTyp << 10)) },
    { op: 'call', fn: () => {} }, // (WBINVD)
    { op: 'out', port: PM1A_CNT, size: 2, value: 0x0001 | (slpTyp << 10) }, // write 1: SLP_TYP only
    { op: 'out', port: PM1A_CNT, size: 2, value: 0x2001 | (slpTyp << 10) }, // write 2: SLP_TYP | SLP_EN
    { op: 'sleep', ns: 10e9 }, // still running: wait 10 s, then SLP_EN alone
    { op: 'out', port: PM1A_CNT, size: 2, value: 0x2000 },
    { op: 'hlt', if: true },
  ];
}

const boot = (name: string, uptimeNs: number): GuestOp[] => [{ op: 'print', text: `${name}: booted` }, { op: 'sleep', ns: uptimeNs }];

export interface GuestParams {
  /** Virtual time the guest runs before it acts (default 1 s). */
  uptimeNs?: number;
}

export type GuestKind = 'acpi-poweroff' | 'pwrbtn' | 'ignore-button' | 'pv' | 'pv-ignore' | 'acpi-off' | 'reboot' | 'triple-fault' | 'crash' | 'idle' | 'watchdog';
export const GUEST_KINDS: readonly GuestKind[] = ['acpi-poweroff', 'pwrbtn', 'ignore-button', 'pv', 'pv-ignore', 'acpi-off', 'reboot', 'triple-fault', 'crash', 'idle', 'watchdog'];

export function makeGuest(kind: string, p: GuestParams = {}): ScriptedGuest {
  const up = p.uptimeNs ?? 1e9;
  switch (kind) {
    case 'acpi-poweroff':
      return new ScriptedGuest(kind, [...boot(kind, up), ...acpiPoweroffOps()]);
    case 'pwrbtn': {
      // Enable the power button, idle in hlt until the SCI, check PWRBTN_STS, clear it, power off.
      const ops: GuestOp[] = [
        { op: 'print', text: 'pwrbtn: booted' },
        { op: 'out', port: PM1A_EVT + 2, size: 2, value: 0x0100 }, // PWRBTN_EN
        { op: 'print', text: 'pwrbtn: waiting for the power button' },
        { op: 'hlt', if: true }, // 3
        { op: 'in', port: PM1A_EVT, size: 2, reg: 'sts' },
        { op: 'jz', reg: 'sts', mask: 0x0100, to: 3 },
        { op: 'out', port: PM1A_EVT, size: 2, value: 0x0100 }, // clear PWRBTN_STS
        { op: 'print', text: 'pwrbtn: power button pressed' },
        ...acpiPoweroffOps(),
      ];
      return new ScriptedGuest(kind, ops);
    }
    case 'ignore-button':
      // PWRBTN_EN never set: the press is latched in PM1a_STS but raises no SCI.
      return new ScriptedGuest(kind, [{ op: 'print', text: 'ignore-button: booted (no ACPI button handling)' }, { op: 'hlt', if: true }]);
    case 'idle':
      return new ScriptedGuest(kind, [{ op: 'print', text: 'idle: booted' }, { op: 'hlt', if: true }]);
    case 'acpi-off':
      // Linux acpi=off: kernel_halt() prints, stops the other CPUs, each parks in cli; hlt. No port I/O.
      return new ScriptedGuest(kind, [...boot(kind, up), { op: 'print', text: 'reboot: System halted' }, { op: 'hlt', if: false }],
        [{ op: 'sleep', ns: up }, { op: 'hlt', if: false }]);
    case 'reboot':
      // Linux reboot=pci / the FADT reset register on hvmloader: 0x02 then 0x06 to 0xCF9.
      return new ScriptedGuest(kind, [...boot(kind, up), { op: 'print', text: 'reboot: Restarting system' },
        { op: 'out', port: 0xcf9, size: 1, value: 0x02 }, { op: 'out', port: 0xcf9, size: 1, value: 0x06 }, { op: 'hlt', if: true }]);
    case 'triple-fault':
      return new ScriptedGuest(kind, [...boot(kind, up), { op: 'triple-fault' }]);
    case 'crash':
      return new ScriptedGuest(kind, [...boot(kind, up), { op: 'print', text: 'Kernel panic - not syncing: acpidm crash guest' },
        { op: 'schedop-shutdown', reason: SHUTDOWN_crash }, { op: 'hlt', if: true }]);
    case 'watchdog':
      // Linux xen_wdt: arm a 10 s watchdog, pet it every 5 s twice, then hang without petting it.
      return new ScriptedGuest(kind, [
        { op: 'print', text: 'watchdog: booted' },
        { op: 'watchdog', id: 0, timeout: 10 },
        { op: 'sleep', ns: 5e9 }, { op: 'watchdog', id: 'wd', timeout: 10 },
        { op: 'sleep', ns: 5e9 }, { op: 'watchdog', id: 'wd', timeout: 10 },
        { op: 'print', text: 'watchdog: hung (no more keepalives)' },
        { op: 'hlt', if: true },
      ]);
    case 'pv':
    case 'pv-ignore':
      return pvGuest(kind);
    default:
      throw new Error(`unknown guest kind '${kind}' (one of: ${GUEST_KINDS.join(', ')})`);
  }
}

/**
 * An HVM guest with PV drivers (Linux drivers/xen/manage.c): registers the
 * callback IRQ, advertises feature-poweroff/reboot, watches control/shutdown;
 * on a request it acks by writing "" in a transaction, then powers off with
 * SCHEDOP_shutdown. `pv-ignore` registers everything but never answers.
 */
function pvGuest(kind: 'pv' | 'pv-ignore'): ScriptedGuest {
  const g = new ScriptedGuest(kind, [
    { op: 'set-param', index: HVM_PARAM_CALLBACK_IRQ, value: 28 }, // GSI 28: PV drivers present
    { op: 'print', text: `${kind}: booted, xenbus ready` },
    { op: 'hlt', if: true },
  ]);
  let inProgress = false;
  g.onBoot = (ctx: GuestCtx) => {
    ctx.xs.write('control/feature-poweroff', '1');
    ctx.xs.write('control/feature-reboot', '1');
    ctx.xs.write('control/feature-suspend', '1');
    if (kind === 'pv-ignore') return;
    ctx.xs.watch('control/shutdown', 'shutdown', () => {
      const cmd = ctx.xs.transaction((tx) => {
        const v = tx.read('control/shutdown');
        if (!v || inProgress) return null; // empty value, or a shutdown already under way: ignored
        if (!['poweroff', 'halt', 'reboot', 'suspend'].includes(v)) return `ignore:${v}`;
        tx.write('control/shutdown', ''); // the ack, inside the transaction
        return v;
      });
      if (cmd === null) return;
      if (cmd.startsWith('ignore:')) {
        g.inject(ctx, [{ op: 'print', text: `xen:manage: Ignoring shutdown request: ${cmd.slice(7)}` }, { op: 'hlt', if: true }]);
        return;
      }
      inProgress = true;
      const reboot = cmd === 'reboot';
      g.inject(ctx, [
        { op: 'print', text: reboot ? 'reboot: Restarting system' : 'reboot: Power down' },
        { op: 'schedop-shutdown', reason: reboot ? SHUTDOWN_reboot : SHUTDOWN_poweroff },
        { op: 'hlt', if: true },
      ]);
    });
  };
  return g;
}
