/**
 * acpidm's public API (isomorphic: runs in Node and in a browser). Each layer
 * is also importable on its own as `acpidm/<folder>/index`.
 */
export { PcSystem, type PcSystemOptions, type RunOutcome } from './machine/pc-system.js';
export { PcMachine } from './machine/pc-machine.js';
export { qtestMachine } from './machine/qtest.js';
export { decodeSleep, qemuPcPolicy } from './acpi/sleep-decode.js';
export { findSleepPackages } from './acpi/aml/index.js';
export { qemuPcProfile, xenHvmloaderProfile } from './acpi/profiles/index.js';
export { runXenDomain, formatTimeline } from './xen-hvm/run-xen-domain.js';
export * as trace from './trace/index.js';
export * as clock from './clock/index.js';
export * as ioports from './ioports/index.js';
export * as memory from './memory/index.js';
export * as acpi from './acpi/index.js';
export * as cpu from './cpu/index.js';
export * as piix4 from './piix4/index.js';
export * as machine from './machine/index.js';
export * as ioreq from './ioreq/index.js';
