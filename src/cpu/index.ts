export { Cpu, type CpuExit, type CpuOptions, type IntrLine } from './cpu.js';
export { LocalApic, APIC_BASE_MSR, APIC_BASE_RESET } from './lapic.js';
export { OPS, OP_NAMES, type OpDef } from './opcode-table.js';
