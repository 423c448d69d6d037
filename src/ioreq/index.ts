// The isomorphic ioreq layer. Node-only pieces (the worker transport) are imported from their *-node.js files.
export * from './abi.js';
export * from './ioreq-codec.js';
export * from './buf-ioreq-codec.js';
export * from './ring-memory.js';
export * from './evtchn.js';
export * from './xen-ioreq-server.js';
export * from './dm-types.js';
export * from './dm-errors.js';
export * from './dm-dispatch.js';
export * from './device-model.js';
export * from './dm-loop.js';
export * from './dm-worker-core.js';
export * from './inline-transport.js';
export * from './guest-memory.js';
export { ioreqTrace } from './ioreq-trace.js';
