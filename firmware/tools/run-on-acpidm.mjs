// Developer tool: run a firmware scenario on acpidm's in-process pc machine (the built dist/) and
// diff the debug console and events against firmware/expected/ (the real-QEMU recordings).
//   npm run build && node firmware/tools/run-on-acpidm.mjs [--dist DIR] [scenario...]
// It plays SeaBIOS's part the simple way (PMBA 0x600, tables via src/acpi/install, Multiboot load)
// and, on an S3 wakeup, jumps to the FACS waking vector in real mode as SeaBIOS s3_resume does.
// It is a diagnostic aid for wiring `acpidm run -kernel`, not a test and not the product path.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SCENARIOS, scenarioKernel } from './scenarios.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
let dist = join(root, 'dist');
const di = argv.indexOf('--dist');
if (di >= 0) { dist = resolve(argv[di + 1]); argv.splice(di, 2); }
const imp = (p) => import(pathToFileURL(join(dist, p)).href);
const { PcMachine } = await imp('machine/pc-machine.js');
const { QtestMachine } = await imp('machine/qtest.js');
const { PhysMemory } = await imp('memory/phys-memory.js');
const { Cpu } = await imp('cpu/cpu.js');
const { installTables } = await imp('acpi/install/index.js');
const { qemuPcProfile, pcOptionsFromGlobals } = await imp('acpi/profiles/qemu-pc.js');
const { loadMultiboot } = await imp('machine/multiboot.js');

const CS = 1; // src/cpu/cpu-state.ts segment index
const MAX_SLICES = 20000;

function run(name) {
  const sc = SCENARIOS[name];
  if (sc.machine && sc.machine !== 'pc') return { skipped: `machine ${sc.machine} is not modelled` };
  if (sc.reboot) return { skipped: 'its resets need the firmware\'s warm entry (test/interop runs it through PcSystem)' };
  const globals = (sc.args ?? []).filter((_, i, all) => all[i - 1] === '-global');
  const po = pcOptionsFromGlobals(globals);
  const m = new PcMachine({ noReboot: true, debugcon: [{ iobase: 0xe9 }], s4Val: po.s4_val, disableS3: po.disable_s3, disableS4: po.disable_s4 });
  const mem = PhysMemory.fromMegabytes(64);
  const cpu = new Cpu({ mem, io: m.bus, clock: m.clock, intr: m.pic });
  const q = new QtestMachine(m);
  q.programPm(0x600); // SeaBIOS piix4_pm_config_setup
  const tables = installTables(mem.ram, qemuPcProfile(po));
  const entry = loadMultiboot(mem.ram, new Uint8Array(readFileSync(join(root, 'firmware/guests', `${scenarioKernel(name)}.bin`))));
  cpu.setFlatProtectedMode(entry.entry, { eax: 0x2badb002, ebx: entry.infoAddr ?? 0 });
  // A CpuPort adapter: src/cpu's run() returns an exit reason and already gives its instructions
  // to the VirtualClock (syncClock), so report 0 to the machine to avoid counting them twice.
  let exit = null;
  const port = {
    run(n) { exit = cpu.run(n); return 0; },
    requestStop: () => cpu.requestStop(),
    reset: () => cpu.reset(),
    get halted() { return cpu.halted; },
  };
  m.attachCpu(port);
  // With -no-reboot the only reset that keeps running is the S3 wakeup: do SeaBIOS s3_resume.
  m.addResetHandler(() => {
    const vec = new DataView(mem.ram.buffer).getUint32(tables.facs + 12, true);
    if (vec === 0) return;
    cpu.segSel[CS] = vec >>> 4; cpu.segBase[CS] = (vec >>> 4) << 4; cpu.eip = vec & 0xf;
  });
  m.start();
  const out = () => new TextDecoder('latin1').decode(m.debugconBytes());
  let slices = 0, r = 'budget';
  const step = () => { r = m.runSlice(100000); slices++; if (exit === 'triple-fault') m.runState.requestReset?.('guest-reset', { requester: 'guest', mechanism: 'triple-fault', what: 'triple fault' }); return r; };
  const host = (what) => ({ requester: 'host', mechanism: 'qmp', what });
  const live = () => r !== 'exit' && slices < MAX_SLICES;
  for (const s of sc.steps) {
    if (s.waitOutput) while (live() && !out().includes(s.waitOutput)) { if (step() === 'idle' && !m.runState.hasPendingRequest()) break; }
    else if (s.waitEvent) while (live() && !m.runState.log.some((e) => e.event === s.waitEvent)) { if (step() === 'idle' && !m.runState.hasPendingRequest()) break; }
    else if (s.execute === 'system_powerdown') m.runState.requestPowerdown(host('system_powerdown'));
    else if (s.execute === 'system_wakeup') m.runState.requestWakeup('other');
    else if (s.execute === 'quit') m.runState.requestShutdown('host-qmp-quit', host('quit'));
    else if (s.waitExit) while (live()) { if (step() === 'idle' && !m.runState.hasPendingRequest()) break; }
  }
  const events = m.runState.log.map((e) => (e.data ? { event: e.event, data: e.data } : { event: e.event }));
  return { debugcon: out(), events, last: r, cpuExit: exit, insns: m.clock.instructions };
}

let bad = 0;
for (const name of argv.length > 0 ? argv : Object.keys(SCENARIOS)) {
  const r = run(name);
  if (r.skipped) { console.log(`== ${name}: skipped (${r.skipped})`); continue; }
  const exp = readFileSync(join(root, 'firmware/expected', `${name}.qemu.txt`), 'latin1');
  const expEv = readFileSync(join(root, 'firmware/expected', `${name}.qemu-events.json`), 'utf8');
  const sameOut = r.debugcon === exp;
  const sameEv = JSON.stringify(r.events) === JSON.stringify(JSON.parse(expEv));
  if (!sameOut || !sameEv) bad++;
  console.log(`== ${name}: output ${sameOut ? 'same' : 'DIFFERS'}, events ${sameEv ? 'same' : `DIFFER: ${JSON.stringify(r.events)}`} (${r.insns} insns, last slice ${r.last}, cpu ${r.cpuExit})`);
  if (!sameOut) {
    const a = r.debugcon.split('\n'), b = exp.split('\n');
    let shown = 0;
    for (let i = 0; i < Math.max(a.length, b.length) && shown < 6; i++) {
      if (a[i] !== b[i]) { console.log(`   line ${i + 1}: acpidm ${JSON.stringify(a[i] ?? null)}  qemu ${JSON.stringify(b[i] ?? null)}`); shown++; }
    }
  }
}
process.exit(bad === 0 ? 0 : 1);
