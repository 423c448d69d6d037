export * from './trace.js';
export { attachDebug } from './debug-sink.js';
