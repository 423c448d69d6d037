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
    expect(summary[0]).toBe('SHUTDOWN {guest: true, reason: guest-shutdown}');
    expect(summary[1]).toMatch(/^ {2}#(\d+) host via acpi-power-button: QMP system_powerdown$/);
    expect(summary[2]).toMatch(/^ {2}#\d+ guest via pm1a-cnt: outw 0x0604 <== 0x2001 \(S5\) \(answers #\d+\)$/);
    expect(summary[3]).toMatch(/power button #\d+: PIIX4 latched PWRBTN_STS \(PWRBTN_EN=1\), SCI raised$/);
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
