/**
 * Argument checking as QEMU's QAPI input visitor does it
 * (qapi/qobject-input-visitor.c): members are visited in schema order
 * (missing / wrong type stop at the first problem), then any member left
 * over is "unexpected" (qobject_input_check_struct).
 */
import { genericError } from './errors.js';
import type { JsonValue } from './json-stream.js';

export type ArgType = 'str' | 'bool' | 'int' | 'number' | 'dict' | 'list' | 'any';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  readonly optional?: boolean;
  /** For enum-valued strings. */
  readonly values?: readonly string[];
}

/** QAPI's names for the expected JSON type in "Invalid parameter type" errors. */
const EXPECTED: Record<ArgType, string> = {
  str: 'string', bool: 'boolean', int: 'integer', number: 'number', dict: 'object', list: 'array', any: 'any',
};

function typeOk(t: ArgType, v: JsonValue): boolean {
  switch (t) {
    case 'str': return typeof v === 'string';
    case 'bool': return typeof v === 'boolean';
    case 'int': return typeof v === 'number' && Number.isSafeInteger(v);
    case 'number': return typeof v === 'number';
    case 'dict': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'list': return Array.isArray(v);
    case 'any': return true;
  }
}

/** Check `args` against the schema; throws GenericError with QEMU's wording. */
export function checkArgs(specs: readonly ArgSpec[], args: { [k: string]: JsonValue }): void {
  for (const s of specs) {
    if (!Object.prototype.hasOwnProperty.call(args, s.name)) {
      if (s.optional) continue;
      throw genericError(`Parameter '${s.name}' is missing`);
    }
    const v = args[s.name]!;
    if (!typeOk(s.type, v)) throw genericError(`Invalid parameter type for '${s.name}', expected: ${EXPECTED[s.type]}`);
    // qapi-visit-core.c input_type_enum
    if (s.values && !s.values.includes(v as string)) throw genericError(`Parameter '${s.name}' does not accept value '${String(v)}'`);
  }
  for (const k of Object.keys(args)) {
    if (!specs.some((s) => s.name === k)) throw genericError(`Parameter '${k}' is unexpected`);
  }
}
