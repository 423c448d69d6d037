import type { ScenarioStep } from './qemu-run.mjs';
export interface Scenario {
  /** kernel binary (firmware/guests/<kernel>.bin); defaults to the scenario name */
  kernel?: string;
  /** QEMU machine type; default 'pc' */
  machine?: string;
  /** extra QEMU options */
  args?: readonly string[];
  /** a guest reset resets the machine (QEMU without -no-reboot) */
  reboot?: boolean;
  steps: readonly ScenarioStep[];
}
export const SCENARIOS: Record<string, Scenario>;
export function scenarioKernel(name: string): string;
