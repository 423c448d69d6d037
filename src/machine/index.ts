export * from './shutdown-cause.js';
export * from './cause-chain.js';
export * from './emitter.js';
export * from './run-state.js';
export * from './cpu-port.js';
export { PcMachine, type PcMachineOptions, type SliceResult } from './pc-machine.js';
export * from './qtest.js';
