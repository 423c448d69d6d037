// Peer comparison against committed recordings of real QEMU (firmware/expected/*.qemu-events.json,
// written by firmware/record-qemu.sh from `qemu-system-x86_64 -M pc -no-reboot -S`, warm-reset without -no-reboot): every `pc`
// scenario runs its guest kernel on acpidm under the same steps, over a real QMP socket driven by
// node-qemu's QMPClient; the QMP event sequence and the guest's debug-console output must equal QEMU's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QMPClient } from 'node-qemu';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, scenarioKernel } from '../../firmware/tools/scenarios.mjs';
import { comparableEvents } from '../../firmware/tools/qemu-run.mjs';
import { pcOptionsFromGlobals } from '../../src/acpi/profiles/qemu-pc.js';
import { PcSystem } from '../../src/machine/pc-system.js';
import { serveQmp } from '../qmp-vm.js';

const root = join(import.meta.dirname, '../..');

async function runOnAcpidm(name: string): Promise<{ events: unknown[]; status: number | null; debugcon: string }> {
  const sc = SCENARIOS[name]!;
  const globals = (sc.args ?? []).filter((_, i, all) => all[i - 1] === '-global');
  const po = pcOptionsFromGlobals(globals);
  const sys = new PcSystem({
    kernel: new Uint8Array(readFileSync(join(root, 'firmware/guests', `${scenarioKernel(name)}.bin`))),
    noReboot: !sc.reboot, // the recordings ran with -no-reboot -S unless the scenario needs resets to reset
    ...(po.s4_val !== undefined ? { s4Val: po.s4_val } : {}),
    ...(po.disable_s3 !== undefined ? { disableS3: po.disable_s3 } : {}),
    ...(po.disable_s4 !== undefined ? { disableS4: po.disable_s4 } : {}),
  }).powerOn();
  const { svc, path, close } = await serveQmp(sys, { name });
  const client = new QMPClient({ socketPath: path });
  const events: { event: string; data?: unknown }[] = [];
  client.on('rawEvent', (e) => events.push({ event: e.event, ...(e.data && Object.keys(e.data).length ? { data: e.data } : {}) }));
  const gone = new Promise<void>((r) => client.on('disconnected', () => r()));
  const until = async (what: () => boolean, label: string) => {
    const t = Date.now() + 30_000;
    while (!what()) {
      if (Date.now() > t) throw new Error(`${name}: timed out waiting for ${label}; output so far:\n${sys.machine.debugconOutput}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    await client.connect();
    await client.cont();
    for (const step of sc.steps) {
      if ('waitOutput' in step) await until(() => sys.machine.debugconOutput.includes(step.waitOutput), `output '${step.waitOutput}'`);
      else if ('waitEvent' in step) await until(() => events.some((e) => e.event === step.waitEvent), `event ${step.waitEvent}`);
      else if ('execute' in step) await client.execute(step.execute, step.arguments);
      else await Promise.race([gone, until(() => false, 'the VM to exit')]);
    }
    return { events, status: await svc.driver.exited, debugcon: sys.machine.debugconOutput };
  } finally {
    await client.close();
    await close();
  }
}

describe('acpidm over QMP reproduces real QEMU event sequences (firmware/expected)', () => {
  for (const [name, sc] of Object.entries(SCENARIOS)) {
    if (sc.machine && sc.machine !== 'pc') {
      it.skip(`${name}: skipped, acpidm models only the pc machine (not ${sc.machine})`, () => {});
      continue;
    }
    it(`${name}: QMP events and debug console equal QEMU's, exit status 0`, async () => {
      const r = await runOnAcpidm(name);
      const recorded = JSON.parse(readFileSync(join(root, 'firmware/expected', `${name}.qemu-events.json`), 'utf8'));
      expect(comparableEvents(r.events as { event: string }[])).toEqual(comparableEvents(recorded));
      expect(r.status).toBe(0);
      expect(r.debugcon).toBe(readFileSync(join(root, 'firmware/expected', `${name}.qemu.txt`), 'latin1'));
    });
  }
});
