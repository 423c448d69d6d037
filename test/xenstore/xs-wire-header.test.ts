// Every XS_* number, limit, error name and struct offset in xs-wire.ts, checked against the installed
// Xen header /usr/include/xen/io/xs_wire.h (Debian libxen-dev): by compiling a C program that prints
// them, and by reading the enum and #defines with regular expressions.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wire from '../../src/xen-hvm/xenstore/xs-wire.js';
import { tempDir } from '../tmp-dir.js';

const HEADER = '/usr/include/xen/io/xs_wire.h';
const CI = process.env.CI === 'true';
const haveHeader = existsSync(HEADER);
const haveGcc = (() => {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

if (!haveHeader && !CI) console.warn(`SKIP xs_wire.h checks: ${HEADER} missing (apt install libxen-dev)`);
if (!haveGcc && !CI) console.warn('SKIP compiled xs_wire.h check: gcc missing');

const TYPES = [
  'XS_CONTROL', 'XS_DEBUG', 'XS_DIRECTORY', 'XS_READ', 'XS_GET_PERMS', 'XS_WATCH', 'XS_UNWATCH',
  'XS_TRANSACTION_START', 'XS_TRANSACTION_END', 'XS_INTRODUCE', 'XS_RELEASE', 'XS_GET_DOMAIN_PATH', 'XS_WRITE',
  'XS_MKDIR', 'XS_RM', 'XS_SET_PERMS', 'XS_WATCH_EVENT', 'XS_ERROR', 'XS_IS_DOMAIN_INTRODUCED', 'XS_RESUME',
  'XS_SET_TARGET', 'XS_RESET_WATCHES', 'XS_DIRECTORY_PART', 'XS_TYPE_COUNT', 'XS_INVALID',
];
const DEFINES = [
  'XENSTORE_RING_SIZE', 'XENSTORE_PAYLOAD_MAX', 'XENSTORE_ABS_PATH_MAX', 'XENSTORE_REL_PATH_MAX',
  'XENSTORE_SERVER_FEATURE_RECONNECTION', 'XENSTORE_SERVER_FEATURE_ERROR', 'XENSTORE_CONNECTED',
  'XENSTORE_RECONNECT', 'XENSTORE_ERROR_NONE', 'XENSTORE_ERROR_COMM', 'XENSTORE_ERROR_RINGIDX',
  'XENSTORE_ERROR_PROTO', 'XS_WATCH_PATH', 'XS_WATCH_TOKEN',
];
const OFFSETS: [string, string, keyof typeof wire][] = [
  ['xsd_sockmsg', 'type', 'XSD_SOCKMSG_TYPE'],
  ['xsd_sockmsg', 'req_id', 'XSD_SOCKMSG_REQ_ID'],
  ['xsd_sockmsg', 'tx_id', 'XSD_SOCKMSG_TX_ID'],
  ['xsd_sockmsg', 'len', 'XSD_SOCKMSG_LEN'],
  ['xenstore_domain_interface', 'req', 'XS_INTF_REQ'],
  ['xenstore_domain_interface', 'rsp', 'XS_INTF_RSP'],
  ['xenstore_domain_interface', 'req_cons', 'XS_INTF_REQ_CONS'],
  ['xenstore_domain_interface', 'req_prod', 'XS_INTF_REQ_PROD'],
  ['xenstore_domain_interface', 'rsp_cons', 'XS_INTF_RSP_CONS'],
  ['xenstore_domain_interface', 'rsp_prod', 'XS_INTF_RSP_PROD'],
  ['xenstore_domain_interface', 'server_features', 'XS_INTF_SERVER_FEATURES'],
  ['xenstore_domain_interface', 'connection', 'XS_INTF_CONNECTION'],
  ['xenstore_domain_interface', 'error', 'XS_INTF_ERROR'],
];
const ts = (name: string): unknown => (wire as Record<string, unknown>)[name];

describe('xs_wire.h agreement', () => {
  it.runIf(haveHeader || CI)('regexp: enum xsd_sockmsg_type, #defines and xsd_errors order', () => {
    const h = readFileSync(HEADER, 'utf8');
    const body = /enum xsd_sockmsg_type\s*\{([\s\S]*?)\};/.exec(h)![1]!.replace(/\/\*[\s\S]*?\*\//g, '');
    const values: Record<string, number> = {};
    let next = 0;
    for (const line of body.split('\n')) {
      const alias = /^\s*#define\s+(\w+)\s+(\w+)/.exec(line);
      if (alias) { values[alias[1]!] = values[alias[2]!]!; continue; }
      const m = /^\s*(XS_\w+)\s*(?:=\s*([^,]+))?,?/.exec(line);
      if (!m) continue;
      const expr = m[2]?.trim();
      const v = expr === undefined ? next
        : /^0x/i.test(expr) ? Number.parseInt(expr, 16)
          : /^(\w+)\s*\+\s*(\d+)$/.test(expr) ? values[/^(\w+)/.exec(expr)![1]!]! + Number(/(\d+)$/.exec(expr)![1])
            : Number(expr);
      values[m[1]!] = v;
      next = v + 1;
    }
    for (const t of TYPES) expect([t, ts(t)]).toEqual([t, values[t]]);
    for (const d of DEFINES.filter((x) => x.startsWith('XENSTORE'))) {
      const m = new RegExp(`#define\\s+${d}\\s+(\\d+)`).exec(h);
      expect([d, ts(d)]).toEqual([d, Number(m![1])]);
    }
    const errs = [...h.matchAll(/XSD_ERROR\((E\w+)\)/g)].map((m) => m[1]);
    expect(errs).toEqual([...wire.XSD_ERRORS]);
    expect(h).toContain(`#define XS_WRITE_CREATE_EXCL "${wire.XS_WRITE_CREATE_EXCL}"`);
  });

  it.runIf((haveHeader && haveGcc) || CI)('compiled: every number, error string, size and offset', () => {
    const dir = tempDir('xs-wire-');
    const p = (n: string): string => `printf("${n} %ld\\n", (long)(${n}));`;
    const off = ([s, f]: [string, string, string]): string =>
      `printf("off ${s}.${f} %zu\\n", offsetof(struct ${s}, ${f}));`;
    const src = `#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <xen/io/xs_wire.h>
int main(void) {
${[...TYPES, ...DEFINES].map(p).join('\n')}
${OFFSETS.map(off).join('\n')}
printf("size xsd_sockmsg %zu\\n", sizeof(struct xsd_sockmsg));
printf("size xenstore_domain_interface %zu\\n", sizeof(struct xenstore_domain_interface));
for (unsigned i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) printf("err %u %s\\n", i, xsd_errors[i].errstring);
return 0; }
`;
    writeFileSync(join(dir, 'w.c'), src);
    execFileSync('gcc', ['-o', join(dir, 'w'), join(dir, 'w.c')]);
    const out = execFileSync(join(dir, 'w'), { encoding: 'utf8' }).trim().split('\n');
    const got = new Map<string, string>();
    for (const line of out) {
      const i = line.lastIndexOf(' ');
      got.set(line.slice(0, i), line.slice(i + 1));
    }
    for (const n of [...TYPES, ...DEFINES]) expect([n, ts(n)]).toEqual([n, Number(got.get(n))]);
    for (const o of OFFSETS) expect([o[2], ts(o[2])]).toEqual([o[2], Number(got.get(`off ${o[0]}.${o[1]}`))]);
    expect(wire.XSD_SOCKMSG_SIZE).toBe(Number(got.get('size xsd_sockmsg')));
    expect(wire.XENSTORE_DOMAIN_INTERFACE_SIZE).toBe(Number(got.get('size xenstore_domain_interface')));
    const errs = out.filter((l) => l.startsWith('err ')).map((l) => l.split(' ')[2]);
    expect(errs).toEqual([...wire.XSD_ERRORS]);
  });
});

describe('xsd_sockmsg codec', () => {
  it('encodes little-endian type, req_id, tx_id, len then the payload', () => {
    const m = wire.encodeMessage(wire.XS_READ, 0x01020304, 7, wire.strToBytes('/a\0'));
    expect([...m]).toEqual([2, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 3, 0, 0, 0, 0x2f, 0x61, 0]);
    expect(wire.readHeader(m)).toEqual({ type: 2, reqId: 0x01020304, txId: 7, len: 3 });
  });
});
