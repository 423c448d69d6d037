// `acpidm qmp SOCKET COMMAND [JSON-ARGS] [--events]` against a PC machine behind a real socket.
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { parseQmpArgs } from '../../src/cli/commands/qmp.js';
import { main } from '../../src/cli/main.js';
import { scenario, type Scenario } from './scenario-harness.js';

const open: Scenario[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
const sock = (s: Scenario) => (s.server.spec.kind === 'unix' ? s.server.spec.path : '');

describe('acpidm qmp', () => {
  it('sends one command and prints the reply as one JSON line', async () => {
    const s = await scenario();
    open.push(s);
    const io = captureIo();
    expect(await main(['qmp', sock(s), 'query-status'], io)).toBe(0);
    expect(io.out).toBe('{"return":{"running":true,"status":"running"}}\n');
  });

  it('passes JSON arguments (single quotes accepted) and prints QMP errors with exit 1', async () => {
    const s = await scenario();
    open.push(s);
    s.vm.trace.recordEverything(); // what `-trace qmp_*` would enable
    const io = captureIo();
    expect(await main(['qmp', `unix:${sock(s)}`, 'x-acpidm-query-trace', "{'name': 'qmp_*', 'limit': 1}"], io)).toBe(0);
    expect(JSON.parse(io.out).return).toHaveLength(1);
    const e = captureIo();
    expect(await main(['qmp', sock(s), 'system_wakeup'], e)).toBe(1);
    expect(JSON.parse(e.out)).toEqual({ error: { class: 'GenericError', desc: 'Unable to wake up: guest is not in suspended state' } });
  });

  it('--events keeps printing events until the VM exits (power button pressed from "another terminal")', async () => {
    const s = await scenario();
    open.push(s);
    s.guest.enablePowerButton();
    const io = captureIo();
    const run = main(['qmp', sock(s), 'system_powerdown', '--events'], io);
    while (!io.out.includes('POWERDOWN')) await new Promise((r) => setTimeout(r, 5));
    s.guest.run(); // the guest answers the press with S5; no -no-shutdown: the VM exits, the client sees EOF
    expect(await run).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; return?: unknown });
    expect(lines.map((l) => l.event ?? 'return')).toEqual(['POWERDOWN', 'return', 'SHUTDOWN']);
  });

  it.each([
    [[], /missing SOCKET and COMMAND/],
    [['/tmp/x'], /missing COMMAND/],
    [['/tmp/x', 'stop', '[1]'], /JSON-ARGS must be a JSON object/],
    [['/tmp/x', 'stop', '{bad'], /JSON-ARGS is not valid JSON/],
    [['/tmp/x', 'stop', '{}', 'more'], /unexpected argument 'more'/],
    [['/tmp/x', 'stop', '--bogus'], /unknown option '--bogus'/],
  ])('bad input %j is a clear CliError', (args, re) => {
    expect(() => parseQmpArgs(args as string[])).toThrow(re);
  });

  it('a socket nobody listens on, or a non-loopback address, is a clear error (exit 1 / 2)', async () => {
    const io = captureIo();
    expect(await main(['qmp', '/nonexistent/acpidm.sock', 'query-status'], io)).toBe(1);
    expect(io.err).toMatch(/cannot connect to QMP socket \/nonexistent\/acpidm.sock: ENOENT/);
    const io2 = captureIo();
    expect(await main(['qmp', 'tcp:10.0.0.1:4444', 'query-status'], io2)).toBe(2);
    expect(io2.err).toMatch(/loopback only/);
  });
});
