// Record real-QEMU reference output for the guest kernels: for each kernel in
// firmware/tools/scenarios.mjs (or the names given as arguments), run it on QEMU and write
//   firmware/expected/<kernel>.qemu.txt          debug-console bytes, verbatim
//   firmware/expected/<kernel>.qemu-events.json  QMP events in arrival order, {event, data?} only
// Only this script writes those files; the tests only read them. Run: bash firmware/record-qemu.sh
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIOS, scenarioKernel } from './scenarios.mjs';
import { formatEvents, qemuAvailable, qemuVersion, runOnQemu } from './qemu-run.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!qemuAvailable()) {
  console.error('record-qemu: qemu-system-x86_64 not found (apt-get install qemu-system-x86)');
  process.exit(1);
}
console.log(`recording with ${qemuVersion()}`);
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SCENARIOS);
let failed = 0;
for (const name of names) {
  const sc = SCENARIOS[name];
  if (!sc) { console.error(`record-qemu: no scenario for ${name}`); failed++; continue; }
  const r = await runOnQemu(join(root, 'guests', `${scenarioKernel(name)}.bin`), sc.steps, { machine: sc.machine, args: sc.args, reboot: sc.reboot });
  if (r.timedOut) { console.error(`record-qemu: ${name} timed out; not recorded\n${r.debugcon}`); failed++; continue; }
  writeFileSync(join(root, 'expected', `${name}.qemu.txt`), r.debugcon, 'latin1');
  writeFileSync(join(root, 'expected', `${name}.qemu-events.json`), formatEvents(r.events));
  console.log(`${name}: ${r.debugcon.split('\n').length - 1} lines, events ${r.events.map((e) => e.event).join(' ')}`);
}
process.exit(failed === 0 ? 0 : 1);

