// Peer check against real QEMU: each guest kernel runs on `qemu-system-x86_64 -M pc` (SeaBIOS,
// QEMU's own ACPI tables) under its scenario, and its debug-console output and QMP events must
// equal the committed recordings in firmware/expected/ (written only by firmware/record-qemu.sh).
// This pins what the kernels do on the reference machine; acpidm is compared with the same files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparableEvents, qemuAvailable, runOnQemu } from '../../firmware/tools/qemu-run.mjs';
import { SCENARIOS, scenarioKernel } from '../../firmware/tools/scenarios.mjs';

const root = join(import.meta.dirname, '../..');
const ci = process.env.CI === 'true';
const haveQemu = qemuAvailable();

describe('guest kernels on real QEMU', () => {
  if (!haveQemu && !ci) {
    it.skip('skipped: qemu-system-x86_64 not found (apt-get install qemu-system-x86); required when CI=true', () => {});
    return;
  }
  it.each(Object.keys(SCENARIOS))('%s: debug console and QMP events match firmware/expected', async (name) => {
    if (!haveQemu) throw new Error('qemu-system-x86_64 is required when CI=true');
    const sc = SCENARIOS[name]!;
    const kernel = join(root, 'firmware/guests', `${scenarioKernel(name)}.bin`);
    const r = await runOnQemu(kernel, sc.steps, { timeoutMs: 20_000, machine: sc.machine, args: sc.args, reboot: sc.reboot });
    expect(r.timedOut, `QEMU did not finish; output so far:\n${r.debugcon}`).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(r.debugcon).toBe(readFileSync(join(root, 'firmware/expected', `${name}.qemu.txt`), 'latin1'));
    const recorded = JSON.parse(readFileSync(join(root, 'firmware/expected', `${name}.qemu-events.json`), 'utf8'));
    expect(comparableEvents(r.events)).toEqual(comparableEvents(recorded));
  });
});
