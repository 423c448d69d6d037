export * from './phys-memory.js';
