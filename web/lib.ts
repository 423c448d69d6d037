/**
 * The importable browser module (web/dist/acpidm.js): boot acpidm guests from
 * your own page. `new WebSession({ name, kernel })`, then `step(insns)` until
 * the phase is not 'running'; `pressPowerButton()`, `wakeUp()`, `snapshot()`.
 */
export { WebSession, describeCauses, eventText, type Phase, type SessionOptions, type Snapshot, type EventView, type LinkView } from './session.js';
export { Timeline as WebTimeline, TIMELINE_EVENTS } from '../src/machine/timeline.js';
export { PcSystem, type PcSystemOptions, type RunOutcome } from '../src/machine/pc-system.js';
export { parseMultiboot, MultibootError } from '../src/machine/multiboot.js';
