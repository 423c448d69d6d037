/**
 * Pluggable guests for Xen mode. A guest gets one scheduling slice per
 * runnable vCPU (`step`); it performs port I/O through the domain's HvmIo and
 * hypercalls through its own XenCtrl (the vCPU is the caller), so every access
 * takes the path a real instruction would. `ScriptedGuest` runs a list of
 * operations (the port writes a kernel would make); cpu-guest.ts plugs in the
 * interpreter with a real kernel.
 */
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { AccessSize } from '../ioports/region.js';
import type { Domain, Vcpu } from './domain.js';
import type { HvmIo } from './hvm-io.js';
import type { Hypervisor } from './hypervisor.js';
import type { XsClient } from './xs-port.js';
import type { XenCtrl } from './xenctrl.js';

export interface GuestCtx {
  readonly hv: Hypervisor;
  readonly d: Domain;
  readonly io: HvmIo;
  /** The guest's own xenstore connection (as its PV drivers would have through the ring). */
  readonly xs: XsClient;
  /** Hypercalls issued by the guest's vCPU 0. */
  readonly xc: XenCtrl;
  now(): number;
  /**
   * The host's one virtual clock: a CPU guest's instructions advance it (1 ns each), so the hypervisor's
   * timers, xenstored, libxl/xl and xend timeouts all see the time the guest's code took.
   */
  readonly clock: VirtualClock;
  /** The domain's device clock (host time, timers that die with the domain) for Xen's vPIT and vRTC. */
  readonly devClock?: VirtualClock;
  /**
   * The firmware's view of the CMOS shutdown-status byte (0x0F) when the vCPU restarts at the reset vector:
   * 0xFE = S3 resume (qemu-trad cmos_set_s3_resume). Reading it clears it, as the BIOS does.
   */
  takeCmosShutdownStatus?(): number;
  /** Block `v` until `ns` from now (a timer interrupt wakes it). */
  sleep(v: Vcpu, ns: number): void;
}

export interface XenGuest {
  readonly kind: string;
  /** The guest's RAM when it has real memory (a CPU guest): hypercall arguments and the xenstore ring live there. */
  readonly ram?: Uint8Array;
  /** Page number of the xenstore ring inside `ram` (HVM_PARAM_STORE_PFN). */
  readonly storePfn?: number;
  /** Called once when the domain is unpaused for the first time. */
  boot(ctx: GuestCtx): void;
  /** One slice for a runnable vCPU. */
  step(ctx: GuestCtx, v: Vcpu): void;
  /** An event channel of the domain fired (e.g. xenstored answered on the store port): deliver the upcall. */
  onEvtchnUpcall?(ctx: GuestCtx): void;
  /** The SCI line changed (IRQ 9): a guest blocked in hlt with IF=1 wakes. */
  onSci?(ctx: GuestCtx, level: boolean): void;
}

export type GuestOp =
  | { op: 'out'; port: number; size: AccessSize; value: number }
  | { op: 'in'; port: number; size: AccessSize; reg?: string }
  | { op: 'print'; text: string }
  | { op: 'sleep'; ns: number }
  /** `hlt`: with IF=0 the vCPU goes down (hvm_vcpu_down); with IF=1 it blocks until an interrupt. */
  | { op: 'hlt'; if: boolean }
  | { op: 'schedop-shutdown'; reason: number }
  | { op: 'set-param'; index: number; value: number }
  /** SCHEDOP_watchdog(id, timeout seconds); an allocation's id goes to register `wd`, `'wd'` re-arms that one. */
  | { op: 'watchdog'; id: number | 'wd'; timeout: number }
  | { op: 'triple-fault' }
  /** Jump to `to` when register `reg` & mask is zero (tiny control flow for polling loops). */
  | { op: 'jz'; reg: string; mask: number; to: number }
  | { op: 'jmp'; to: number }
  | { op: 'call'; fn: (ctx: GuestCtx, v: Vcpu, regs: Record<string, number>) => void };

interface VcpuProgram { ops: GuestOp[]; pc: number; regs: Record<string, number>; printIdx: number }

/** Runs `ops` on vCPU 0 (and `apOps` on the others). Ops may be appended at run time (`inject`). */
export class ScriptedGuest implements XenGuest {
  private readonly progs: VcpuProgram[] = [];
  constructor(readonly kind: string, ops: GuestOp[], private readonly apOps: GuestOp[] = [{ op: 'hlt', if: true }]) {
    this.progs[0] = { ops: [...ops], pc: 0, regs: {}, printIdx: 0 };
  }

  boot(ctx: GuestCtx): void {
    for (const v of ctx.d.vcpus) if (v.id > 0) this.progs[v.id] = { ops: [...this.apOps], pc: 0, regs: {}, printIdx: 0 };
    this.onBoot?.(ctx);
  }

  /** Extra boot behaviour (PV drivers registering their watch). */
  onBoot?: (ctx: GuestCtx) => void;

  /** Append operations to vCPU `vcpu` and wake it (an interrupt handler queued work). */
  inject(ctx: GuestCtx, ops: GuestOp[], vcpu = 0): void {
    const p = this.progs[vcpu];
    if (!p) return;
    p.ops.push(...ops);
    const v = ctx.d.vcpus[vcpu];
    if (v && !v.ioPending && !v.down) v.blocked = false;
  }

  regs(vcpu = 0): Readonly<Record<string, number>> {
    return this.progs[vcpu]?.regs ?? {};
  }

  onSci(ctx: GuestCtx, level: boolean): void {
    if (!level) return;
    const v = ctx.d.vcpus[0]!;
    if (!v.ioPending && !v.down) v.blocked = false; // interrupt delivery ends hlt
  }

  step(ctx: GuestCtx, v: Vcpu): void {
    const p = this.progs[v.id];
    if (!p || p.pc >= p.ops.length) {
      v.blocked = true; // ran off the end: idle in hlt with IF=1
      return;
    }
    const op = p.ops[p.pc]!;
    switch (op.op) {
      case 'out': {
        const st = ctx.io.out(v, op.port, op.size, op.value);
        if (st !== 'retry') p.pc++; // a retried access is re-executed when the vCPU runs again
        return;
      }
      case 'in': {
        const st = ctx.io.in(v, op.port, op.size);
        if (st === 'retry') return;
        if (st === 'done') p.regs[op.reg ?? 'ax'] = ctx.io.readValue[v.id]!;
        else p.regs[op.reg ?? 'ax'] = -1; // completes later; the value is taken on the next slice
        p.pc++;
        if (st === 'pending') p.ops.splice(p.pc, 0, { op: 'call', fn: (_c, vv, regs) => void (regs[op.reg ?? 'ax'] = ctx.io.readValue[vv.id]!) });
        return;
      }
      case 'print': {
        // One byte per slice to port 0xE9, as `out dx, al` in a loop.
        const ch = p.printIdx < op.text.length ? op.text.charCodeAt(p.printIdx) : 10;
        ctx.io.out(v, 0xe9, 1, ch);
        if (p.printIdx++ >= op.text.length) {
          p.printIdx = 0;
          p.pc++;
        }
        return;
      }
      case 'sleep':
        p.pc++;
        ctx.sleep(v, op.ns);
        return;
      case 'hlt':
        if (!op.if) {
          p.pc++;
          ctx.hv.vcpuDown(v); // hvm_hlt with IF=0
        } else {
          p.pc++;
          v.blocked = true; // the next op runs once an interrupt (SCI, timer, xenbus event) wakes the vCPU
        }
        return;
      case 'schedop-shutdown':
        p.pc++;
        vcpuXc(ctx, v).schedShutdown(op.reason);
        return;
      case 'set-param':
        p.pc++;
        vcpuXc(ctx, v).setParamSelf(op.index, op.value);
        return;
      case 'watchdog':
        p.pc++;
        if (op.id === 'wd') p.regs.wdrc = ctx.xc.watchdogFrom(v, p.regs.wd ?? 0, op.timeout); // re-arm: 0 or -errno
        else p.regs.wd = ctx.xc.watchdogFrom(v, op.id, op.timeout); // id 0 allocates: the new id
        return;
      case 'triple-fault':
        p.pc++;
        ctx.hv.tripleFault(v);
        return;
      case 'jz':
        p.pc = ((p.regs[op.reg] ?? 0) & op.mask) === 0 ? op.to : p.pc + 1;
        return;
      case 'jmp':
        p.pc = op.to;
        return;
      case 'call':
        p.pc++;
        op.fn(ctx, v, p.regs);
        return;
    }
  }
}

/** Hypercalls a guest vCPU makes on itself. */
function vcpuXc(ctx: GuestCtx, v: Vcpu): { schedShutdown(reason: number): number; setParamSelf(index: number, value: number): number } {
  const xc = ctx.xc;
  return {
    schedShutdown: (reason) => xc.schedShutdownFrom(v, reason),
    setParamSelf: (index, value) => xc.setParamFrom(v, index, BigInt(value)),
  };
}
