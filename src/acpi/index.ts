export * from './pm-regs.js';
export * from './sleep-decode.js';
export { PM_TIMER_FREQUENCY, nsToTicks, ticksToNs, pmTimerValue, pmTimerOps } from './pm-timer.js';
export { pm1EvtOps, pm1StsWrite, pm1EnWrite, pm1PowerButton, pm1NotifyWakeup } from './pm1-evt.js';
export { pm1CntOps, pm1CntWrite, pm1CntUpdate } from './pm1-cnt.js';
export { gpe0Ops, gpeSendEvent } from './gpe0.js';
export { updateSci } from './sci.js';
export * from './acpi-pm.js';
export * from './vmstate.js';
// Tables, AML, machine profiles and the table installer (see each folder's README).
export * from './tables/index.js';
export * from './aml/index.js';
export * from './profiles/index.js';
export * from './install/index.js';
