// QMP monitor: request parsing + dispatch + reply, in process and over a unix socket.
// Floor: JSON.parse of the request plus JSON.stringify of the reply (the least any QMP server does).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../dist/clock/index.js';
import { RunStateMachine } from '../dist/machine/run-state.js';
import { Trace } from '../dist/trace/index.js';
import { VmDriver } from '../dist/qmp/driver.js';
import { QmpMonitor } from '../dist/qmp/monitor.js';
import { JsonStream } from '../dist/qmp/json-stream.js';
import { startQmpServer } from '../dist/qmp/server-node.js';
import { connectQmp } from '../dist/qmp/client-node.js';

function bareVm() {
  const clock = new VirtualClock();
  const trace = new Trace(() => clock.ns());
  const hooks = { stopCpu() {}, resetMachine() {}, powerdown() {}, suspend() {}, wakeup() {} };
  const runState = new RunStateMachine(hooks, trace, () => clock.ns());
  runState.cont();
  return { name: 'bench', runState, trace, clock, runSlice: () => (runState.service() ? 'exit' : 'idle') };
}

export default async function (h) {
  const vm = bareVm();
  const driver = new VmDriver(vm);
  const monitor = new QmpMonitor(vm, driver);
  let sink = 0;
  const session = monitor.connect({ send: (m) => { sink += JSON.stringify(m).length; }, close() {} });
  session.receive('{"execute":"qmp_capabilities"}\r\n');
  const req = '{"execute":"query-status","id":1}\r\n';
  const N = 200;
  const floor = h.measure('qmp floor: JSON.parse request + JSON.stringify reply', () => {
    for (let i = 0; i < N; i++) { const r = JSON.parse(req); sink += JSON.stringify({ return: { running: true, status: 'running' }, id: r.id }).length; }
  }, { perOp: N, unit: 'commands/s' });
  h.measure('qmp in-process query-status (stream parse, dispatch, reply)', () => {
    for (let i = 0; i < N; i++) session.receive(req);
  }, { perOp: N, unit: 'commands/s', floor });
  const batch = req.repeat(100);
  h.measure('qmp JsonStream: 100 commands in one chunk', () => { sink += new JsonStream().push(batch).length; }, { perOp: 100, unit: 'commands/s', floor });

  // Over a real unix socket, sequential round trips (each waits for its reply).
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-bench-'));
  driver.start();
  const server = await startQmpServer(monitor, `unix:${join(dir, 'q.sock')},server=on,wait=off`);
  const c = await connectQmp(join(dir, 'q.sock'));
  const M = 3000;
  for (let i = 0; i < 200; i++) await c.execute('query-status'); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < M; i++) await c.execute('query-status');
  const dt = (performance.now() - t0) / 1000;
  h.report('qmp unix socket query-status round trips (sequential)', M / dt, 'commands/s', undefined, `${M} round trips`);
  c.close();
  driver.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  if (sink === 0.5) console.log(sink);
}
