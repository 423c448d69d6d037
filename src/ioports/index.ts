export * from './region.js';
export * from './port-bus.js';
