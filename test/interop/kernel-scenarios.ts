/**
 * Runs firmware/tools/scenarios.mjs scenarios (what the host does with each
 * guest kernel) on acpidm's PcSystem: the product path of `acpidm run -kernel`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcSystem } from '../../src/machine/pc-system.js';
import { pcOptionsFromGlobals } from '../../src/acpi/profiles/qemu-pc.js';
// @ts-expect-error plain .mjs shared with the QEMU recorder
import { SCENARIOS, scenarioKernel } from '../../firmware/tools/scenarios.mjs';

export const ROOT = join(__dirname, '../..');
type Step = { waitOutput?: string; waitEvent?: string; execute?: string; waitExit?: boolean };
export const scenarios = SCENARIOS as Record<string, { kernel?: string; machine?: string; args?: string[]; reboot?: boolean; steps: Step[] }>;

export interface ScenarioRun {
  output: string;
  events: { event: string; data?: unknown }[];
  sys: PcSystem;
}

const BUDGET = 400_000_000;

export function runScenario(name: string): ScenarioRun {
  const sc = scenarios[name]!;
  const globals = (sc.args ?? []).filter((_, i, all) => all[i - 1] === '-global');
  const po = pcOptionsFromGlobals(globals);
  const sys = new PcSystem({
    memoryMiB: 64, noReboot: !sc.reboot, debugcon: [{ iobase: 0xe9 }],
    s4Val: po.s4_val ?? 2, disableS3: po.disable_s3 ?? false, disableS4: po.disable_s4 ?? false,
    kernel: new Uint8Array(readFileSync(join(ROOT, 'firmware/guests', `${scenarioKernel(name)}.bin`))),
  });
  const m = sys.machine;
  sys.powerOn();
  m.start(); // the recorder's `cont`
  const until = (done: () => boolean, what: string) => {
    const start = m.clock.instructions;
    while (!done()) {
      if (m.runState.exitStatus !== null) return;
      const out = sys.run(1_000_000);
      if (out.kind === 'exit') return;
      if (out.kind !== 'budget' && !done()) {
        // Nothing more will happen on its own: the step's condition must hold now.
        if (!done()) throw new Error(`${name}: waiting for ${what}, but the machine is ${out.kind}${'state' in out ? ` (${out.state})` : ''}`);
      }
      if (m.clock.instructions - start > BUDGET) throw new Error(`${name}: ${what} did not happen within ${BUDGET} instructions`);
    }
  };
  for (const st of sc.steps) {
    if (st.waitOutput) until(() => m.debugconOutput.includes(st.waitOutput!), `output '${st.waitOutput}'`);
    else if (st.waitEvent) until(() => m.runState.log.some((e) => e.event === st.waitEvent), `event ${st.waitEvent}`);
    else if (st.waitExit) until(() => m.runState.exitStatus !== null, 'exit');
    else if (st.execute === 'system_powerdown') m.runState.requestPowerdown({ requester: 'host', mechanism: 'qmp', what: 'system_powerdown' });
    else if (st.execute === 'system_wakeup') m.runState.requestWakeup('other');
    else if (st.execute === 'quit') m.runState.quit({ requester: 'host', mechanism: 'qmp', what: 'quit' });
    else throw new Error(`${name}: unknown step ${JSON.stringify(st)}`);
    if (st.execute) m.runState.service(); // QMP commands are followed by a main-loop pass
  }
  return {
    output: m.debugconOutput,
    events: m.runState.log.map((e) => (e.data ? { event: e.event, data: e.data } : { event: e.event })),
    sys,
  };
}
