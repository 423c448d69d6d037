// QMP protocol as qemu-system-x86_64 speaks it: docs/interop/qmp-spec.rst, monitor/qmp.c, qapi/qmp-dispatch.c.
import { describe, expect, it } from 'vitest';
import { JsonStream, parseJson } from '../../src/qmp/json-stream.js';
import { toLine } from '../../src/qmp/messages.js';
import { QEMU_COMPAT } from '../../src/qmp/version.js';
import { lineSession } from './bare-vm.js';

const negotiated = () => {
  const s = lineSession();
  s.send('{"execute":"qmp_capabilities"}\r\n');
  s.vm.runState.cont();
  return s;
};

describe('greeting and capabilities negotiation (monitor/qmp.c)', () => {
  it('greets with the QMP banner: version, honest package, no capabilities (no OOB)', () => {
    const s = lineSession();
    expect(s.out[0]).toEqual({ QMP: { version: { qemu: { ...QEMU_COMPAT }, package: expect.stringMatching(/^acpidm \d/) }, capabilities: [] } });
    expect(s.raw[0]!.endsWith('}\r\n')).toBe(true);
  });

  it('before qmp_capabilities every other command is CommandNotFound "Expecting capabilities negotiation"', () => {
    const s = lineSession();
    expect(s.send('{"execute":"query-status","id":7}')).toEqual([
      { error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" }, id: 7 },
    ]);
    // even an unknown command gets the negotiation text (monitor_qmp_dispatch rewrites the desc)
    expect(s.send('{"execute":"no-such"}')).toEqual([
      { error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } },
    ]);
  });

  it('no events are sent during negotiation', () => {
    const s = lineSession();
    s.vm.runState.cont(); // RESUME happens while the session is still negotiating
    expect(s.out.filter((m) => 'event' in m)).toEqual([]);
  });

  it('a second qmp_capabilities is CommandNotFound "already complete"', () => {
    const s = lineSession();
    expect(s.send('{"execute":"qmp_capabilities"}')).toEqual([{ return: {} }]);
    expect(s.send('{"execute":"qmp_capabilities","id":"x"}')).toEqual([
      { error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' }, id: 'x' },
    ]);
  });

  it('enabling oob is refused because the greeting offered none', () => {
    const s = lineSession();
    expect(s.send('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}')).toEqual([
      { error: { class: 'GenericError', desc: 'Capability oob not available' } }]);
    expect(s.send('{"execute":"qmp_capabilities","arguments":{"enable":["turbo"]}}')).toEqual([
      { error: { class: 'GenericError', desc: "Parameter 'enable[0]' does not accept value 'turbo'" } }]);
    expect(s.session.negotiated).toBe(false);
    expect(s.send('{"execute":"qmp_capabilities","arguments":{"enable":[]}}')).toEqual([{ return: {} }]);
  });
});

describe('requests and replies (qapi/qmp-dispatch.c)', () => {
  it('echoes id verbatim, whatever its JSON type', () => {
    const s = negotiated();
    for (const id of ['"a"', '42', '{"k":[1,2,{"z":null}]}', '[true]', 'null']) {
      const [r] = s.send(`{"execute":"query-status","id":${id}}`);
      expect(r).toEqual({ return: { running: true, status: 'running' }, id: JSON.parse(id) });
    }
  });

  it('every message ends with CRLF', () => {
    const s = negotiated();
    s.send('{"execute":"stop"}');
    expect(s.raw.length).toBeGreaterThan(2);
    for (const line of s.raw) expect(line).toMatch(/^\{.*\}\r\n$/);
    expect(toLine({ return: {} })).toBe('{"return":{}}\r\n');
  });

  it('malformed JSON gets GenericError and the connection stays usable', () => {
    const s = negotiated();
    const r = s.send('{"execute": }\r\n{"execute":"query-status"}\r\n');
    expect(r[0]).toMatchObject({ error: { class: 'GenericError', desc: expect.stringMatching(/^JSON parse error/) } });
    expect(r[1]).toEqual({ return: { running: true, status: 'running' } });
    const g = s.send('garbage\r\n{"execute":"query-status","id":1}');
    expect(g[0]).toMatchObject({ error: { class: 'GenericError', desc: "JSON parse error, invalid keyword 'garbage'" } });
    expect(g[1]).toMatchObject({ id: 1, return: { status: 'running' } });
    const unterminated = s.send('{"execute": "query-status}\r\n{"execute":"query-status","id":5}\r\n');
    expect(unterminated[0]).toMatchObject({ error: { class: 'GenericError', desc: expect.stringMatching(/^JSON parse error/) } });
    expect(unterminated[1]).toMatchObject({ id: 5, return: { status: 'running' } });
    const stray = s.send('}\r\n{"execute":"query-status","id":2}\r\n');
    expect(stray[0]).toMatchObject({ error: { class: 'GenericError' } });
    expect(stray[1]).toMatchObject({ id: 2 });
  });

  it('input that is not an object, or lacks execute, is GenericError', () => {
    const s = negotiated();
    expect(s.send('[1,2]')).toEqual([{ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } }]);
    expect(s.send('"hello"')).toEqual([{ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } }]);
    expect(s.send('{"id":3}')).toEqual([{ error: { class: 'GenericError', desc: "QMP input lacks member 'execute'" }, id: 3 }]);
    expect(s.send('{"execute":5}')).toEqual([{ error: { class: 'GenericError', desc: "QMP input member 'execute' must be a string" } }]);
    expect(s.send('{"execute":"stop","arguments":[]}')).toEqual([{ error: { class: 'GenericError', desc: "QMP input member 'arguments' must be an object" } }]);
    expect(s.send('{"execute":"stop","bogus":1}')).toEqual([{ error: { class: 'GenericError', desc: "QMP input member 'bogus' is unexpected" } }]);
    expect(s.vm.runState.state).toBe('running'); // none of these ran `stop`
  });

  it('unknown command is CommandNotFound "The command NAME has not been found"', () => {
    const s = negotiated();
    expect(s.send('{"execute":"x-no-such-command","id":"h"}')).toEqual([
      { error: { class: 'CommandNotFound', desc: 'The command x-no-such-command has not been found' }, id: 'h' },
    ]);
  });

  it('argument checking uses QAPI wording: wrong type, unexpected, missing, bad enum value', () => {
    const s = negotiated();
    expect(s.send('{"execute":"query-status","arguments":{"x":1}}')).toEqual([
      { error: { class: 'GenericError', desc: "Parameter 'x' is unexpected" } }]);
    expect(s.send('{"execute":"x-acpidm-query-cause","arguments":{"all":"yes"}}')).toEqual([
      { error: { class: 'GenericError', desc: "Invalid parameter type for 'all', expected: boolean" } }]);
    expect(s.send('{"execute":"x-acpidm-query-trace","arguments":{"limit":1.5}}')).toEqual([
      { error: { class: 'GenericError', desc: "Invalid parameter type for 'limit', expected: integer" } }]);
    expect(s.send('{"execute":"x-acpidm-guest-agent","arguments":{}}')).toEqual([
      { error: { class: 'GenericError', desc: "Parameter 'execute' is missing" } }]);
    expect(s.send('{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}')[0]).toMatchObject({ error: { class: 'GenericError' } });
  });

  it('accepts QEMU single-quoted strings and several objects on one line or one over several lines', () => {
    const s = negotiated();
    const r = s.send("{'execute': 'query-status', 'id': 'sq'}{\"execute\":\"query-version\"}\r\n{\r\n\"execute\":\r\n\"query-current-machine\"}\r\n");
    expect(r).toEqual([
      { return: { running: true, status: 'running' }, id: 'sq' },
      { return: { qemu: { ...QEMU_COMPAT }, package: expect.any(String) } },
      { return: { 'wakeup-suspend-support': true } },
    ]);
  });

  it('input split at any byte boundary gives the same replies', () => {
    const s = negotiated();
    const text = '{"execute":"query-status","id":"a\\"}"}\r\n{"execute":"stop","id":2}\r\n';
    const r = [...text].flatMap((c) => s.send(c));
    expect(r.filter((m) => !('event' in m))).toEqual([
      { return: { running: true, status: 'running' }, id: 'a"}' }, { return: {}, id: 2 }]);
  });

  it('query-commands lists every command, including the x-acpidm extensions', () => {
    const s = negotiated();
    const [r] = s.send('{"execute":"query-commands"}');
    const names = (r as { return: { name: string }[] }).return.map((c) => c.name);
    for (const n of ['qmp_capabilities', 'query-status', 'query-version', 'query-commands', 'cont', 'stop', 'system_powerdown',
      'system_reset', 'system_wakeup', 'quit', 'query-current-machine', 'x-acpidm-query-trace', 'x-acpidm-query-cause']) {
      expect(names).toContain(n);
    }
  });
});

describe('acpidm extensions', () => {
  it('x-acpidm-query-trace filters by name glob, namespace, sequence and limit', async () => {
    const s = negotiated();
    s.send('{"execute":"stop"}{"execute":"cont"}');
    const all = (s.send('{"execute":"x-acpidm-query-trace"}')[0] as { return: { seq: number; ns: string; name: string }[] }).return;
    expect(all.map((r) => r.name)).toEqual(expect.arrayContaining(['qmp_command', 'machine_event', 'machine_runstate']));
    const machine = (s.send('{"execute":"x-acpidm-query-trace","arguments":{"ns":"acpidm:machine"}}')[0] as { return: { ns: string; args: { event?: string } }[] }).return;
    expect(new Set(machine.map((r) => r.ns))).toEqual(new Set(['machine']));
    expect(machine.filter((r) => r.args.event).map((r) => r.args.event)).toEqual(['RESUME', 'STOP', 'RESUME']);
    const cmds = (s.send('{"execute":"x-acpidm-query-trace","arguments":{"name":"qmp_comm*"}}')[0] as { return: { seq: number; args: { command: string } }[] }).return;
    expect(cmds.map((r) => r.args.command)).toEqual(['qmp_capabilities', 'stop', 'cont', 'x-acpidm-query-trace', 'x-acpidm-query-trace', 'x-acpidm-query-trace']); // this one too
    const after = (s.send(`{"execute":"x-acpidm-query-trace","arguments":{"name":"qmp_command","since":${cmds[1]!.seq},"limit":1}}`)[0] as { return: { args: { command: string } }[] }).return;
    expect(after.map((r) => r.args.command)).toEqual(['cont']);
  });

  it('x-acpidm-query-cause: no transition yet, then the last one with its chain; all=true lists every transition', () => {
    const s = lineSession();
    s.send('{"execute":"qmp_capabilities"}');
    expect(s.send('{"execute":"x-acpidm-query-cause"}')).toEqual([{ return: {
      'power-button': [], 'links-total': 0, 'requests-total': 0,
      verdict: expect.objectContaining({ kind: 'verdict', outcome: 'not-started', runState: 'prelaunch', chain: [] }),
    } }]);
    s.send('{"execute":"cont","id":"c1"}');
    const [r] = s.send('{"execute":"x-acpidm-query-cause"}') as { return: { last: { event: string; chain: { requester: string; what: string; evidence: Record<string, unknown> }[] } } }[];
    expect(r!.return.last.event).toBe('RESUME');
    expect(r!.return.last.chain).toEqual([expect.objectContaining({ requester: 'host', what: 'QMP cont', evidence: { session: 1, 'qmp-id': '"c1"' } })]);
    s.send('{"execute":"system_reset"}');
    const [all] = s.send('{"execute":"x-acpidm-query-cause","arguments":{"all":true}}') as { return: { transitions: { event: string }[] } }[];
    expect(all!.return.transitions.map((t) => t.event)).toEqual(['RESUME', 'RESET']);
    // A cont that changes nothing is logged as a request, not a link; from/limit list both over one id range.
    s.send('{"execute":"cont"}');
    const [range] = s.send('{"execute":"x-acpidm-query-cause","arguments":{"from":2,"limit":5}}') as { return: { links: { id: number; what: string }[]; requests: { id: number; what: string; outcome: string }[]; 'links-total': number } }[];
    expect(range!.return.links.map((l) => `${l.id} ${l.what}`)).toEqual(['2 QMP system_reset']);
    expect(range!.return.requests.map((r) => `${r.id} ${r.what}: ${r.outcome}`)).toEqual(['3 QMP cont: changed nothing (running)']);
    expect(range!.return['links-total']).toBe(2);
    const [one] = s.send('{"execute":"x-acpidm-query-cause","arguments":{"from":1,"limit":1}}') as { return: { links: { id: number }[] } }[];
    expect(one!.return.links.map((l) => l.id)).toEqual([1]);
  });
});

describe('JSON stream (qobject/json-streamer.c behaviour)', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ["{'a':'b\\'c'}", { a: "b'c" }],
    ['[1,-2.5e3,true,false,null,"\\u0041"]', [1, -2500, true, false, null, 'A']],
  ])('parses %s', (text, v) => expect(parseJson(text)).toEqual(v));

  it.each(['{"a":}', '{"a" 1}', '{1:2}', '[1,]', '{"a":1,"a":2}', 'tru', '"\\q"'])('rejects %s with a JSON parse error', (text) => {
    expect(() => parseJson(text)).toThrow(/^JSON parse error/);
  });

  it('refuses absurd nesting instead of recursing without bound, then recovers at the next line', () => {
    const st = new JsonStream();
    const items = st.push('['.repeat(5000) + '\r\n{"ok":1}');
    expect(items[0]).toMatchObject({ ok: false, error: 'JSON parse error, nesting too deep' });
    expect(items[1]).toEqual({ ok: true, value: { ok: 1 } });
  });
});
