/**
 * One declarative table of AML opcodes (ACPI 6.5 §20.2.5, §20.3), used by the walker to find every
 * opcode's extent. Extended opcodes (0x5B prefix) are keyed 0x5B00 | second byte.
 *
 * Argument legend:
 *   P  PkgLength: the opcode's extent ends where the PkgLength says (everything after it is skipped
 *      unless the walker handles the opcode itself: Scope, Device, If, ...)
 *   n  NameString      b/w/d/q  Byte/Word/DWord/QWord data    a  NUL-terminated string
 *   t  TermArg         s  SuperName or Target (NullName allowed)
 *   o  DataRefObject (Name's value)
 */
export interface AmlOp {
  readonly name: string;
  readonly args: string;
}

export const EXT_PREFIX = 0x5b;
export const ZERO_OP = 0x00;
export const ONE_OP = 0x01;
export const ONES_OP = 0xff;
export const BYTE_PREFIX = 0x0a;
export const WORD_PREFIX = 0x0b;
export const DWORD_PREFIX = 0x0c;
export const STRING_PREFIX = 0x0d;
export const QWORD_PREFIX = 0x0e;
export const NAME_OP = 0x08;
export const SCOPE_OP = 0x10;
export const BUFFER_OP = 0x11;
export const PACKAGE_OP = 0x12;
export const VAR_PACKAGE_OP = 0x13;
export const METHOD_OP = 0x14;
export const EXTERNAL_OP = 0x15;
export const IF_OP = 0xa0;
export const ELSE_OP = 0xa1;
export const WHILE_OP = 0xa2;
export const DEVICE_OP = 0x5b82;
export const PROCESSOR_OP = 0x5b83;
export const POWER_RES_OP = 0x5b84;
export const THERMAL_ZONE_OP = 0x5b85;
export const LOCAL0 = 0x60;
export const ARG6 = 0x6e;

const table: [number, string, string][] = [
  [0x00, 'Zero', ''], [0x01, 'One', ''], [0xff, 'Ones', ''],
  [0x06, 'Alias', 'nn'], [0x08, 'Name', 'no'],
  [0x0a, 'BytePrefix', 'b'], [0x0b, 'WordPrefix', 'w'], [0x0c, 'DWordPrefix', 'd'], [0x0d, 'StringPrefix', 'a'], [0x0e, 'QWordPrefix', 'q'],
  [0x10, 'Scope', 'P'], [0x11, 'Buffer', 'P'], [0x12, 'Package', 'P'], [0x13, 'VarPackage', 'P'], [0x14, 'Method', 'P'],
  [0x15, 'External', 'nbb'],
  [0x70, 'Store', 'ts'], [0x71, 'RefOf', 's'], [0x72, 'Add', 'tts'], [0x73, 'Concat', 'tts'], [0x74, 'Subtract', 'tts'],
  [0x75, 'Increment', 's'], [0x76, 'Decrement', 's'], [0x77, 'Multiply', 'tts'], [0x78, 'Divide', 'ttss'],
  [0x79, 'ShiftLeft', 'tts'], [0x7a, 'ShiftRight', 'tts'], [0x7b, 'And', 'tts'], [0x7c, 'Nand', 'tts'], [0x7d, 'Or', 'tts'],
  [0x7e, 'Nor', 'tts'], [0x7f, 'Xor', 'tts'], [0x80, 'Not', 'ts'], [0x81, 'FindSetLeftBit', 'ts'], [0x82, 'FindSetRightBit', 'ts'],
  [0x83, 'DerefOf', 't'], [0x84, 'ConcatRes', 'tts'], [0x85, 'Mod', 'tts'], [0x86, 'Notify', 'st'], [0x87, 'SizeOf', 's'],
  [0x88, 'Index', 'tts'], [0x89, 'Match', 'tbtbtt'], [0x8a, 'CreateDWordField', 'ttn'], [0x8b, 'CreateWordField', 'ttn'],
  [0x8c, 'CreateByteField', 'ttn'], [0x8d, 'CreateBitField', 'ttn'], [0x8e, 'ObjectType', 's'], [0x8f, 'CreateQWordField', 'ttn'],
  [0x90, 'LAnd', 'tt'], [0x91, 'LOr', 'tt'], [0x92, 'LNot', 't'], [0x93, 'LEqual', 'tt'], [0x94, 'LGreater', 'tt'], [0x95, 'LLess', 'tt'],
  [0x96, 'ToBuffer', 'ts'], [0x97, 'ToDecimalString', 'ts'], [0x98, 'ToHexString', 'ts'], [0x99, 'ToInteger', 'ts'],
  [0x9c, 'ToString', 'tts'], [0x9d, 'CopyObject', 'ts'], [0x9e, 'Mid', 'ttts'], [0x9f, 'Continue', ''],
  [0xa0, 'If', 'P'], [0xa1, 'Else', 'P'], [0xa2, 'While', 'P'], [0xa3, 'Noop', ''], [0xa4, 'Return', 't'], [0xa5, 'Break', ''],
  [0xcc, 'BreakPoint', ''],
  [0x5b01, 'Mutex', 'nb'], [0x5b02, 'Event', 'n'], [0x5b12, 'CondRefOf', 'ss'], [0x5b13, 'CreateField', 'tttn'],
  [0x5b1f, 'LoadTable', 'tttttt'], [0x5b20, 'Load', 'ns'], [0x5b21, 'Stall', 't'], [0x5b22, 'Sleep', 't'],
  [0x5b23, 'Acquire', 'sw'], [0x5b24, 'Signal', 's'], [0x5b25, 'Wait', 'st'], [0x5b26, 'Reset', 's'], [0x5b27, 'Release', 's'],
  [0x5b28, 'FromBCD', 'ts'], [0x5b29, 'ToBCD', 'ts'], [0x5b2a, 'Unload', 's'], [0x5b30, 'Revision', ''], [0x5b31, 'Debug', ''],
  [0x5b32, 'Fatal', 'bdt'], [0x5b33, 'Timer', ''],
  [0x5b80, 'OperationRegion', 'nbtt'], [0x5b81, 'Field', 'P'], [0x5b82, 'Device', 'P'], [0x5b83, 'Processor', 'P'],
  [0x5b84, 'PowerResource', 'P'], [0x5b85, 'ThermalZone', 'P'], [0x5b86, 'IndexField', 'P'], [0x5b87, 'BankField', 'P'],
  [0x5b88, 'DataRegion', 'nttt'],
];

/** Lookup by opcode (extended ones as 0x5B00 | byte). Locals 0x60-0x67 and Args 0x68-0x6E are 1-byte operands. */
export const AML_OPS: ReadonlyMap<number, AmlOp> = new Map(table.map(([op, name, args]) => [op, { name, args }]));

/** Opcodes that carry a PkgLength (so they can always be skipped whole). */
export const HAS_PKG_LENGTH: ReadonlySet<number> = new Set(table.filter(([, , a]) => a.startsWith('P')).map(([op]) => op));
