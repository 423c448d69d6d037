export * from './shutdown-cause.js';
export * from './cause-chain.js';
export * from './emitter.js';
export * from './run-state.js';
