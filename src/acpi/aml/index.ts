export { AmlError } from './aml-error.js';
export { encodePkgLength, decodePkgLength, PKG_LENGTH_MAX } from './pkg-length.js';
export { readNameString, formatNameString, resolvePath, pathString, type NameString } from './name-string.js';
export { AML_OPS, HAS_PKG_LENGTH, type AmlOp } from './opcodes.js';
export { AmlWalker, type AmlContext, type AmlContextKind, type AmlWarning, type NameVisit, type WalkOptions } from './aml-walker.js';
export {
  findSleepPackages, findSleepPackagesInAml, readPackage, SLEEP_STATES,
  type SleepPackage, type SleepScan, type SleepScanOptions, type SleepStateName, type SleepValue,
} from './sleep-states.js';
export { summarizeSleepTypes, slpTyp, jsonValue, type SleepTypeSummary } from './sleep-types.js';
export * as aml from './encode.js';
