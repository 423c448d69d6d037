// `acpidm domain` queries as virsh has them (issue 15): list, dominfo, and --json on every query, over real QMP sockets.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { parseDomainArgs } from '../../src/cli/commands/domain.js';
import { main } from '../../src/cli/main.js';
import { scenario, type Scenario } from '../qmp/scenario-harness.js';
import { tempDir } from '../tmp-dir.js';

const UUID = 'c7a5fdbd-cdaf-9455-926a-d65c16db1809';
const open: Scenario[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function vm(name: string) {
  const s = await scenario({ name });
  open.push(s);
  return { s, path: s.server.spec.kind === 'unix' ? s.server.spec.path : '' };
}
async function domain(...args: string[]) {
  const io = captureIo();
  const code = await main(['domain', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('acpidm domain list', () => {
  it('one row per VM with its name and state, as virsh list; a paused one says paused', async () => {
    const a = await vm('web1');
    const b = await vm('db');
    await b.s.client.stop();
    const r = await domain('list', a.path, b.path);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([' Id   Name   State', '-'.repeat(21), ' 1    web1   running', ' 2    db     paused', '']);
    // the other order virsh users type: SOCKET list
    expect((await domain(a.path, 'list')).out).toContain(' 1    web1   running');
  });

  it('a socket nothing answers on: left out with a note, or with --all listed as shut off; --json is an array', async () => {
    const a = await vm('web1');
    const gone = join(tempDir('acpidm-domlist-'), 'none.sock');
    const r = await domain('list', a.path, gone);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(gone);
    expect(r.err).toContain(`acpidm domain: ${gone}: not listed:`);
    const all = await domain('list', '--all', a.path, gone);
    expect(all.out).toContain(` -    ${gone}   shut off`);
    const j = await domain('list', '--all', '--json', a.path, gone);
    const rows = JSON.parse(j.out) as { id: number | null; name: string | null; state: string; socket: string }[];
    expect(rows.map((x) => [x.id, x.name, x.state, x.socket])).toEqual([[1, 'web1', 'running', a.path], [null, null, 'shutoff', gone]]);
  });
});

describe('acpidm domain dominfo and --json', () => {
  it('dominfo prints virsh-style Key: value lines, the CPU time being the VM\'s virtual clock', async () => {
    const { s, path } = await vm('web1');
    s.q.clockStep(2.5e9);
    const r = await domain(path, 'dominfo');
    expect(r.code).toBe(0);
    const kv = Object.fromEntries(r.out.trim().split('\n').map((l) => [l.slice(0, 16).replace(/:\s*$/, ''), l.slice(16)]));
    expect(kv).toMatchObject({ Id: '1', Name: 'web1', 'OS Type': 'hvm', State: 'running', 'CPU(s)': '1', Persistent: 'no', 'QMP socket': path });
    expect(kv['CPU time']).toMatch(/^2\.5s \(virtual, [\d,]+ instructions\)$/);
    const j = JSON.parse((await domain(path, 'dominfo', '--json')).out) as Record<string, unknown>;
    expect(j).toMatchObject({ name: 'web1', state: 'running', stateText: 'running', cpus: 1, socket: path });
    expect(j['cpuTimeNs']).toBeGreaterThanOrEqual(2.5e9);
  });

  it('dominfo shows the UUID and memory the VM was started with (-uuid, -m), as virsh dominfo does', async () => {
    // acpidm run as a management stack starts it: QMP answers query-uuid and query-memory-size-summary from them.
    const dir = tempDir('acpidm-dominfo-');
    const qmp = join(dir, 'q.sock');
    const p = spawn(process.execPath, [join(import.meta.dirname, '../../bin/acpidm.js'), 'run', '-S', '-m', '48', '-uuid', UUID,
      '-name', 'guest=db', '-kernel', join(import.meta.dirname, '../../firmware/guests/pwrbtn.bin'), '-display', 'none',
      '-qmp', `unix:${qmp},server=on,wait=off`], { stdio: 'ignore' });
    try {
      for (let i = 0; !existsSync(qmp); i++) {
        if (i > 600 || p.exitCode !== null) throw new Error(`acpidm run did not listen on ${qmp} (exit ${p.exitCode})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await domain(qmp, 'dominfo');
      expect(r.code, r.err).toBe(0);
      const lines = r.out.trim().split('\n');
      const kv = Object.fromEntries(lines.map((l) => [l.slice(0, 16).replace(/:\s*$/, ''), l.slice(16)]));
      expect(kv).toMatchObject({ Name: 'db', UUID: UUID, 'Max memory': '49152 KiB', 'Used memory': '49152 KiB' });
      // virsh's order: UUID after Name, the memory after CPU time
      const keys = lines.map((l) => l.slice(0, 16).replace(/:\s*$/, ''));
      expect(keys.slice(0, 4)).toEqual(['Id', 'Name', 'UUID', 'OS Type']);
      expect(keys.indexOf('Max memory')).toBe(keys.indexOf('CPU time') + 1);
      expect(JSON.parse((await domain(qmp, 'dominfo', '--json')).out)).toMatchObject({ uuid: UUID, memoryKiB: 49152 });
    } finally {
      p.kill('SIGKILL');
    }
  }, 60_000);

  it('domstate --json and cause --json are JSON documents; event --json prints JSON lines', async () => {
    const { s, path } = await vm('web1');
    await s.client.stop();
    expect(JSON.parse((await domain(path, 'domstate', '--json')).out)).toEqual({ state: 'paused', reason: 'unknown', text: 'paused (unknown)' });
    const c = JSON.parse((await domain(path, 'cause', '--json')).out) as { verdict: unknown; last: { event: string } | null };
    expect(c).toHaveProperty('verdict');
    expect(c.last?.event).toBe('STOP');
    const watching = domain(path, 'event', '--json');
    await new Promise((r) => setTimeout(r, 100));
    await s.client.cont();
    const ev = await watching;
    expect(ev.code).toBe(0);
    expect(ev.out.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ domain: 'web1', kind: 'lifecycle', event: 'Resumed', detail: 'Unpaused', eventNum: 4, detailNum: 0 }]);
  });

  it.each([
    [['list'], /list needs at least one SOCKET/],
    [['s', 'shutdown', '--json'], /--json applies to the queries/],
    [['s', 'domstate', '--all'], /--all only applies to list/],
    [['list', 's', '--reason'], /list takes only --all and --json/],
  ])('bad input %j is a clear CliError', (args, re) => {
    expect(() => parseDomainArgs(args as string[])).toThrow(re);
  });
});
