/**
 * The `QmpVm` of a PC machine (src/machine/pc-machine.ts): the machine already
 * has runState/trace/clock/runSlice; this adds the domain name, PM1 readback
 * (did a power-button press latch?) and, optionally, the modelled guest agent.
 */
import { PIIX4_GPE0_BASE } from '../acpi/pm-regs.js';
import type { PcMachine } from '../machine/pc-machine.js';
import { type AgentConfig, PortGuestAgent } from './guest-agent.js';
import type { GuestAgent, QmpVm } from './vm.js';

export interface PcVmOptions {
  /** Domain name (default 'acpidm'). */
  name?: string;
  /**
   * Give the guest a modelled qemu-guest-agent. `true`: it reads the PM base the firmware
   * programmed (PMBA, as the FADT SeaBIOS builds) and QEMU's \_Sx_ values from the machine's policy.
   * A guest program with its own agent passes its own `GuestAgent`.
   */
  agent?: boolean | GuestAgent;
}

export interface PcVm extends QmpVm {
  readonly machine: PcMachine;
}

export function pcMachineVm(m: PcMachine, opts: PcVmOptions = {}): PcVm {
  let agent: GuestAgent | undefined;
  if (opts.agent === true) {
    const cfg = (): AgentConfig => ({
      pmBase: m.piix4.window.base,
      gpe0: PIIX4_GPE0_BASE,
      slpTyp: { s3: m.policy.s3, s4: m.policy.s4, s5: m.policy.s5 },
    });
    const io = {
      inw: (p: number) => m.bus.read(p, 2),
      outw: (p: number, v: number) => m.bus.write(p, v, 2),
      outb: (p: number, v: number) => m.bus.write(p, v, 1),
    };
    // The agent looks the PM block up when it runs (the guest may have been rebooted and re-programmed it).
    // Host code writing the guest's ports: the machine records what these writes cause as the agent's, answering `req`.
    agent = { execute: (c, a, req) => m.withIoOrigin('agent', req, () => new PortGuestAgent(io, () => m.runState.isRunning(), cfg()).execute(c, a)) };
  } else if (opts.agent) agent = opts.agent;
  return {
    machine: m,
    name: opts.name ?? 'acpidm',
    runState: m.runState,
    trace: m.trace,
    clock: m.clock,
    // PcMachine.runSlice runs at least one instruction; a monitor pass (n = 0) must run none.
    runSlice: (n) => (n > 0 ? m.runSlice(n) : m.runState.service() ? 'exit' : 'idle'),
    readPm1: () => ({ sts: m.pm.regs.pm1.sts, en: m.pm.regs.pm1.en, cnt: m.pm.regs.pm1.cnt }),
    ...(agent ? { agent } : {}),
  };
}
