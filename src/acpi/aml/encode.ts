/**
 * A tiny AML builder for the tables our machine profiles give a guest: enough for Scope, Name, Package,
 * integers, strings, EisaId, Device and Method, the same shapes QEMU's hw/acpi/aml-build.c emits
 * (aml_int() picks ZeroOp/OneOp/BytePrefix/... by value, aml_name_decl(), aml_package(), aml_scope()).
 * Every helper returns bytes; compose with `cat`.
 */
import { BYTE_PREFIX, DEVICE_OP, DWORD_PREFIX, METHOD_OP, NAME_OP, ONE_OP, ONES_OP, PACKAGE_OP, QWORD_PREFIX, SCOPE_OP, STRING_PREFIX, WORD_PREFIX, ZERO_OP } from './opcodes.js';
import { DUAL_NAME_PREFIX, MULTI_NAME_PREFIX, PARENT_PREFIX, ROOT_CHAR } from './name-string.js';
import { encodePkgLength } from './pkg-length.js';

export type Aml = Uint8Array;

export function cat(...parts: Aml[]): Aml {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const NAME_SEG = /^[A-Z_][A-Z0-9_]{0,3}$/;

/** Encodes an ASL name path: `\`, `\_SB.PCI0`, `^FOO`, `_S5` (segments padded with '_' to 4 chars). */
export function nameString(path: string): Aml {
  const bytes: number[] = [];
  let rest = path;
  if (rest.startsWith('\\')) {
    bytes.push(ROOT_CHAR);
    rest = rest.slice(1);
  }
  while (rest.startsWith('^')) {
    bytes.push(PARENT_PREFIX);
    rest = rest.slice(1);
  }
  const segs = rest === '' ? [] : rest.split('.');
  for (const s of segs) if (!NAME_SEG.test(s)) throw new RangeError(`bad AML name segment '${s}' in '${path}'`);
  const padded = segs.map((s) => s.padEnd(4, '_'));
  if (padded.length === 0) bytes.push(0x00);
  else if (padded.length === 2) bytes.push(DUAL_NAME_PREFIX);
  else if (padded.length > 2) bytes.push(MULTI_NAME_PREFIX, padded.length);
  for (const s of padded) for (let i = 0; i < 4; i++) bytes.push(s.charCodeAt(i));
  return Uint8Array.from(bytes);
}

/** aml_int(): the shortest encoding of a non-negative integer. */
export function integer(v: number | bigint): Aml {
  const x = BigInt(v);
  if (x < 0n || x > 0xffff_ffff_ffff_ffffn) throw new RangeError(`AML integer out of range: ${v}`);
  if (x === 0n) return Uint8Array.of(ZERO_OP);
  if (x === 1n) return Uint8Array.of(ONE_OP);
  const le = (n: number): number[] => Array.from({ length: n }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn));
  if (x <= 0xffn) return Uint8Array.of(BYTE_PREFIX, ...le(1));
  if (x <= 0xffffn) return Uint8Array.of(WORD_PREFIX, ...le(2));
  if (x <= 0xffff_ffffn) return Uint8Array.of(DWORD_PREFIX, ...le(4));
  return Uint8Array.of(QWORD_PREFIX, ...le(8));
}

export const ones = (): Aml => Uint8Array.of(ONES_OP);

export function string(s: string): Aml {
  const out = new Uint8Array(s.length + 2);
  out[0] = STRING_PREFIX;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 1 || c > 0x7f) throw new RangeError('AML strings are 7-bit ASCII without NUL');
    out[1 + i] = c;
  }
  return out;
}

/** EisaId("PNP0A03") → the compressed 32-bit id as a DWordConst (ACPI 6.5 §19.6.35). */
export function eisaId(id: string): Aml {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new RangeError(`bad EISA id '${id}'`);
  const c = (i: number): number => id.charCodeAt(i) - 0x40;
  const hex = parseInt(id.slice(3), 16);
  const v = (c(0) << 26) | (c(1) << 21) | (c(2) << 16) | hex;
  // Byte-swapped: the 16-bit vendor part and product id are stored big-endian.
  const be = ((v >>> 24) & 0xff) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | ((v << 24) & 0xff000000);
  return cat(Uint8Array.of(DWORD_PREFIX), le32(be >>> 0));
}

const le32 = (v: number): Aml => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

/** PackageOp PkgLength NumElements elements... (NumElements defaults to the element count). */
export function pkg(elements: Aml[], numElements = elements.length): Aml {
  if (numElements > 255) throw new RangeError('Package of more than 255 elements needs VarPackage');
  const body = cat(Uint8Array.of(numElements), ...elements);
  return cat(Uint8Array.of(PACKAGE_OP), encodePkgLength(body.length), body);
}

export const name = (path: string, value: Aml): Aml => cat(Uint8Array.of(NAME_OP), nameString(path), value);

function block(op: Aml, head: Aml, children: Aml[]): Aml {
  const body = cat(head, ...children);
  return cat(op, encodePkgLength(body.length), body);
}

export const scope = (path: string, ...children: Aml[]): Aml => block(Uint8Array.of(SCOPE_OP), nameString(path), children);
export const device = (path: string, ...children: Aml[]): Aml => block(Uint8Array.of(0x5b, DEVICE_OP & 0xff), nameString(path), children);

/** Method(NAME, argCount, NotSerialized) { body } */
export const method = (path: string, argCount: number, ...body: Aml[]): Aml =>
  block(Uint8Array.of(METHOD_OP), cat(nameString(path), Uint8Array.of(argCount & 7)), body);

/** Return (value) */
export const ret = (value: Aml): Aml => cat(Uint8Array.of(0xa4), value);
