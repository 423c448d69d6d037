// startQmp: what `acpidm run -qmp A -qmp B` wires (one monitor, several listeners), and the cause summary it prints.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QMPClient } from 'node-qemu';
import { describe, expect, it } from 'vitest';
import { qtestMachine } from '../../src/machine/qtest.js';
import { pcMachineVm } from '../../src/qmp/pc-vm.js';
import { startQmp } from '../../src/qmp/server-node.js';
import { QtestGuest } from './guest-model.js';

describe('startQmp (acpidm run -qmp ... -qmp ...)', () => {
  it('two listeners, one monitor: both clients see the power-button sequence; the VM exits 0; the cause summary names both sides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acpidm-svc-'));
    const q = qtestMachine({ pmBase: 0x600 });
    const guest = new QtestGuest(q);
    guest.boot();
    guest.enablePowerButton();
    const svc = await startQmp(pcMachineVm(q.machine, { name: 'svc' }), [`unix:${join(dir, 'q.sock')},server=on,wait=off`, 'tcp:127.0.0.1:0,server=on,wait=off'], { idlePollMs: 1 });
    svc.driver.start();
    const a = new QMPClient({ socketPath: join(dir, 'q.sock') });
    const b = new QMPClient({ host: '127.0.0.1', port: svc.servers[1]!.port! });
    await Promise.all([a.connect(), b.connect()]);
    const seen: Record<string, string[]> = { a: [], b: [] };
    a.on('rawEvent', (e) => seen['a']!.push(e.event));
    b.on('rawEvent', (e) => seen['b']!.push(e.event));
    const closedB = new Promise<void>((r) => b.on('disconnected', () => r()));
    expect(await b.execute('query-name')).toEqual({ name: 'svc' });
    await a.systemPowerdown();
    guest.run();
    expect(await svc.driver.exited).toBe(0);
    await closedB;
    expect(seen['a']).toEqual(['POWERDOWN', 'SHUTDOWN']);
    expect(seen['b']).toEqual(['POWERDOWN', 'SHUTDOWN']);
    const summary = svc.monitor.causeSummary();
    // The VM's verdict (verdict.ts), the same sentence every client prints: the actor, then back to the root.
    const v = svc.monitor.vm.runState.verdict();
    expect(summary.join(' ').replace(/ {2,}/g, ' ')).toBe(`verdict: ${v.sentence}`);
    expect(v.sentence).toMatch(/^shut down \[SHUTDOWN \{guest: true, reason: guest-shutdown\}\] by the guest \(qtest, standing in for guest code\): outw 0x0604 <== 0x2001 \(S5\) \(#\d+\), answering the machine: PIIX4 latched PWRBTN_STS \(PWRBTN_EN=1\), SCI raised \(#\d+\), answering the host: QMP system_powerdown \(#\d+\)/);
    expect(summary.every((l) => l.length <= 100)).toBe(true);
    await Promise.all([a.close(), b.close()]);
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bad second spec closes the first listener and reports the problem', async () => {
    const q = qtestMachine();
    await expect(startQmp(pcMachineVm(q.machine), ['tcp:127.0.0.1:0,server=on,wait=off', 'tcp:0.0.0.0:4444,server=on,wait=off']))
      .rejects.toThrow(/loopback only/);
  });
});
