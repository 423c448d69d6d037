/**
 * The xenstore wire ABI, mirrored from Xen `xen/include/public/io/xs_wire.h`.
 * test/xenstore/xs-wire-header.test.ts checks every number here against the installed header.
 */

// enum xsd_sockmsg_type (XS_DEBUG is an alias of XS_CONTROL; 20 was XS_RESTRICT, removed)
export const XS_CONTROL = 0;
export const XS_DEBUG = XS_CONTROL;
export const XS_DIRECTORY = 1;
export const XS_READ = 2;
export const XS_GET_PERMS = 3;
export const XS_WATCH = 4;
export const XS_UNWATCH = 5;
export const XS_TRANSACTION_START = 6;
export const XS_TRANSACTION_END = 7;
export const XS_INTRODUCE = 8;
export const XS_RELEASE = 9;
export const XS_GET_DOMAIN_PATH = 10;
export const XS_WRITE = 11;
export const XS_MKDIR = 12;
export const XS_RM = 13;
export const XS_SET_PERMS = 14;
export const XS_WATCH_EVENT = 15;
export const XS_ERROR = 16;
export const XS_IS_DOMAIN_INTRODUCED = 17;
export const XS_RESUME = 18;
export const XS_SET_TARGET = 19;
export const XS_RESET_WATCHES = XS_SET_TARGET + 2;
export const XS_DIRECTORY_PART = 22;
export const XS_TYPE_COUNT = 23;
export const XS_INVALID = 0xffff;

/** Names as xenstored's `wire_funcs[].str` prints them (for traces and errors). */
export const XS_TYPE_NAMES: readonly string[] = [
  'CONTROL', 'DIRECTORY', 'READ', 'GET_PERMS', 'WATCH', 'UNWATCH', 'TRANSACTION_START', 'TRANSACTION_END',
  'INTRODUCE', 'RELEASE', 'GET_DOMAIN_PATH', 'WRITE', 'MKDIR', 'RM', 'SET_PERMS', 'WATCH_EVENT', 'ERROR',
  'IS_DOMAIN_INTRODUCED', 'RESUME', 'SET_TARGET', '', 'RESET_WATCHES', 'DIRECTORY_PART',
];
export const xsTypeName = (t: number): string => XS_TYPE_NAMES[t] || '**UNKNOWN**';

/**
 * `xsd_errors[]` in header order. xenstored sends the name followed by one NUL ("ENOENT\0");
 * an errno missing from this table is sent as EINVAL (xenstored_core.c send_error). There is no
 * EQUOTA on the wire: quota violations are ENOSPC (nodes, sizes, transactions) or E2BIG (watches).
 */
export const XSD_ERRORS = [
  'EINVAL', 'EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EIO',
  'ENOTEMPTY', 'ENOSYS', 'EROFS', 'EBUSY', 'EAGAIN', 'EISCONN', 'E2BIG', 'EPERM',
] as const;
export type XsErrno = (typeof XSD_ERRORS)[number];

export const XS_WRITE_NONE = 'NONE';
export const XS_WRITE_CREATE = 'CREATE';
export const XS_WRITE_CREATE_EXCL = 'CREATE|EXCL';

// enum xs_watch_type: string index inside an XS_WATCH_EVENT payload
export const XS_WATCH_PATH = 0;
export const XS_WATCH_TOKEN = 1;

// struct xsd_sockmsg: four little-endian u32, then `len` payload bytes
export const XSD_SOCKMSG_SIZE = 16;
export const XSD_SOCKMSG_TYPE = 0;   // u32 type   (XS_*)
export const XSD_SOCKMSG_REQ_ID = 4; // u32 req_id (echoed in the reply; 0 in watch events)
export const XSD_SOCKMSG_TX_ID = 8;  // u32 tx_id  (0 = no transaction)
export const XSD_SOCKMSG_LEN = 12;   // u32 len    (payload bytes that follow)

// struct xenstore_domain_interface (the guest's xenstore ring page)
export const XENSTORE_RING_SIZE = 1024;
export const MASK_XENSTORE_IDX = (idx: number): number => idx & (XENSTORE_RING_SIZE - 1);
export const XS_INTF_REQ = 0;                 // char req[1024]: requests to xenstored
export const XS_INTF_RSP = 1024;              // char rsp[1024]: replies and watch events
export const XS_INTF_REQ_CONS = 2048;         // u32, written by xenstored
export const XS_INTF_REQ_PROD = 2052;         // u32, written by the guest
export const XS_INTF_RSP_CONS = 2056;         // u32, written by the guest
export const XS_INTF_RSP_PROD = 2060;         // u32, written by xenstored
export const XS_INTF_SERVER_FEATURES = 2064;  // u32 bitmap, written by xenstored
export const XS_INTF_CONNECTION = 2068;       // u32 XENSTORE_CONNECTED / XENSTORE_RECONNECT
export const XS_INTF_ERROR = 2072;            // u32 XENSTORE_ERROR_*
export const XENSTORE_DOMAIN_INTERFACE_SIZE = 2076;

export const XENSTORE_PAYLOAD_MAX = 4096;
export const XENSTORE_ABS_PATH_MAX = 3072;
export const XENSTORE_REL_PATH_MAX = 2048;

export const XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
export const XENSTORE_SERVER_FEATURE_ERROR = 2;
export const XENSTORE_CONNECTED = 0;
export const XENSTORE_RECONNECT = 1;
export const XENSTORE_ERROR_NONE = 0;
export const XENSTORE_ERROR_COMM = 1;
export const XENSTORE_ERROR_RINGIDX = 2;
export const XENSTORE_ERROR_PROTO = 3;

/** A decoded `xsd_sockmsg` header. */
export interface XsHeader { type: number; reqId: number; txId: number; len: number }

export function readHeader(b: Uint8Array, off = 0): XsHeader {
  const v = new DataView(b.buffer, b.byteOffset + off, XSD_SOCKMSG_SIZE);
  return {
    type: v.getUint32(XSD_SOCKMSG_TYPE, true),
    reqId: v.getUint32(XSD_SOCKMSG_REQ_ID, true),
    txId: v.getUint32(XSD_SOCKMSG_TX_ID, true),
    len: v.getUint32(XSD_SOCKMSG_LEN, true),
  };
}

/** Encode one message: header + payload in a fresh buffer. */
export function encodeMessage(type: number, reqId: number, txId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(XSD_SOCKMSG_SIZE + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(XSD_SOCKMSG_TYPE, type >>> 0, true);
  v.setUint32(XSD_SOCKMSG_REQ_ID, reqId >>> 0, true);
  v.setUint32(XSD_SOCKMSG_TX_ID, txId >>> 0, true);
  v.setUint32(XSD_SOCKMSG_LEN, payload.length, true);
  out.set(payload, XSD_SOCKMSG_SIZE);
  return out;
}

/** Bytes <-> strings one byte per char (latin1), so tokens and paths round-trip exactly. */
export function bytesToStr(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
export function strToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** NUL-terminated strings of a payload (xenstored get_strings): bytes after the last NUL are ignored. */
export function splitStrings(p: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) { out.push(bytesToStr(p, start, i)); start = i + 1; }
  }
  return out;
}

/** Join strings, each followed by a NUL (the reply format of DIRECTORY, GET_PERMS, watch events). */
export function joinStrings(parts: readonly string[]): Uint8Array {
  return strToBytes(parts.map((p) => `${p}\0`).join(''));
}
