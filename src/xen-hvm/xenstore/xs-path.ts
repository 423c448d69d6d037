/** Path rules of xenstored (xenstored_core.c canonicalize / valid_chars, xenstored_watch.c is_child). */
import { XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX, type XsErrno } from './xs-wire.js';

/** A request failed with this xenstore errno (sent as an XS_ERROR reply). */
export class XsFail {
  constructor(readonly errno: XsErrno) {}
}
export const fail = (errno: XsErrno): never => {
  throw new XsFail(errno);
};

const VALID = /^[A-Za-z0-9\-/_@]*$/;

/**
 * Resolve a request path: relative names live under the connection's home
 * ("/local/domain/N"); '@' names only where the operation allows special nodes.
 * Invalid characters, a trailing or double slash, or an over-long path: EINVAL.
 */
export function canonicalize(home: string, node: string | undefined, allowSpecial: boolean): string {
  if (node === undefined || !VALID.test(node) || (node.startsWith('@') && !allowSpecial)) fail('EINVAL');
  const name = node!.startsWith('/') || node!.startsWith('@') ? node! : `${home}/${node}`;
  if ((name.endsWith('/') && name !== '/') || name.includes('//') || name === '') fail('EINVAL');
  if (name.length > XENSTORE_ABS_PATH_MAX) fail('EINVAL');
  const local = /^\/local\/domain\/\d{1,5}\//.exec(name);
  if (local && name.length - local[0].length > XENSTORE_REL_PATH_MAX) fail('EINVAL');
  return name;
}

/** Parent path ("/" for top-level nodes and for special names, as get_parent does). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export const childPath = (parent: string, base: string): string => (parent === '/' ? `/${base}` : `${parent}/${base}`);

/** Is `child` `parent` or below it? ("/" is everyone's parent.) */
export function isChild(child: string, parent: string): boolean {
  if (parent === '/') return child.startsWith('/');
  if (!child.startsWith(parent)) return false;
  const c = child.charCodeAt(parent.length);
  return Number.isNaN(c) || c === 0x2f;
}

/** Directory levels of `child` below `parent` (0 for the node itself). */
export function levelsBelow(child: string, parent: string): number {
  if (child === parent) return 0;
  const rest = parent === '/' ? child.slice(1) : child.slice(parent.length + 1);
  return rest.split('/').length;
}

/** C atoi: leading whitespace, optional sign, digits; anything else stops the scan. */
export function atoi(s: string | undefined): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s ?? '');
  return m ? Number.parseInt(m[1]!, 10) | 0 : 0;
}

/** A domain id argument: strictly decimal 0..65535, else undefined. */
export function parseDomid(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const v = Number(s);
  return v <= 0xffff ? v : undefined;
}
