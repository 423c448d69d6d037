/**
 * Node permissions. Flag values from Xen `tools/xenstore/include/xenstore_lib.h`; string form
 * ("n0", "r5", "b7", "w3") from `xenstore_perm_to_string` / `xenstore_strings_to_perms`.
 * Entry 0 names the owner and the default for everyone else; later entries are per-domain overrides.
 */
export const XS_PERM_NONE = 0;
export const XS_PERM_READ = 1;
export const XS_PERM_WRITE = 2;
export const XS_PERM_ENOENT_OK = 4;
export const XS_PERM_OWNER = 8;
export const XS_PERM_IGNORE = 16;

export interface XsPerm { readonly id: number; readonly perms: number }
export type XsPerms = readonly XsPerm[];

export function permToString(p: XsPerm): string | undefined {
  switch (p.perms & ~XS_PERM_IGNORE) {
    case XS_PERM_WRITE: return `w${p.id}`;
    case XS_PERM_READ: return `r${p.id}`;
    case XS_PERM_READ | XS_PERM_WRITE: return `b${p.id}`;
    case XS_PERM_NONE: return `n${p.id}`;
    default: return undefined;
  }
}

/** C `strtol(s, NULL, 0)` truncated to unsigned int, as xenstore_strings_to_perms uses it. */
function cStrtol0(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(s)!;
  if (m[2] === undefined) return 0;
  const body = m[2];
  let v = body.length > 1 && (body[1] === 'x' || body[1] === 'X') ? parseInt(body.slice(2), 16)
    : body.startsWith('0') ? parseInt(body, 8) || 0 : parseInt(body, 10);
  if (m[1] === '-') v = -v;
  return v >>> 0;
}

/** Parse one permission string; undefined for a bad letter (xenstored answers EINVAL). */
export function parsePerm(s: string): XsPerm | undefined {
  const letter = s[0];
  const perms = letter === 'w' ? XS_PERM_WRITE : letter === 'r' ? XS_PERM_READ
    : letter === 'b' ? XS_PERM_READ | XS_PERM_WRITE : letter === 'n' ? XS_PERM_NONE : -1;
  if (perms < 0) return undefined;
  return { id: cStrtol0(s.slice(1)), perms };
}

export function parsePerms(strs: readonly string[]): XsPerm[] | undefined {
  const out: XsPerm[] = [];
  for (const s of strs) {
    const p = parsePerm(s);
    if (!p) return undefined;
    out.push(p);
  }
  return out;
}

export const permsToStrings = (perms: XsPerms): string[] => perms.map((p) => permToString(p) ?? `n${p.id}`);

/** Who is asking: a connection's domain, whether it is privileged, and the domain it targets (XS_SET_TARGET). */
export interface XsRequester { readonly domid: number; readonly privileged: boolean; readonly target?: number | undefined }

/** xenstored_core.c perm_for_conn: owners and privileged connections get everything. */
export function permFor(who: XsRequester, perms: XsPerms): number {
  const all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
  const owner = perms[0];
  if (!owner) return XS_PERM_NONE;
  if (who.privileged || owner.id === who.domid || (who.target !== undefined && owner.id === who.target)) return all;
  for (let i = 1; i < perms.length; i++) {
    const p = perms[i]!;
    if (!(p.perms & XS_PERM_IGNORE) && (p.id === who.domid || (who.target !== undefined && p.id === who.target))) {
      return p.perms & all;
    }
  }
  return owner.perms & all;
}
