import type { ScenarioStep } from './qemu-run.mjs';
export const SCENARIOS: Record<string, readonly ScenarioStep[]>;
