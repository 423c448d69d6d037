/**
 * `acpidm xen host [--socket PATH] [--xenstored PATH] [--log-dir DIR] [--speed N] [--dm-worker]`:
 * run the modelled hypervisor, xenstored and device models until interrupted;
 * `acpidm xl` talks to it over the control socket.
 * `acpidm xen scenario [--timeline] [--diagram OUT.svg] FILE...`: run scenario files and report pass/fail (and print
 * their timelines, or draw one).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, type CliIo } from '../cli-io.js';
import type { CliCommand } from '../main.js';
import { isHelp } from '../help.js';

export const DEFAULT_XL_SOCKET = process.env.ACPIDM_XL_SOCKET ?? join(tmpdir(), 'acpidm-xen.sock');

function opt(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new CliError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

async function host(args: string[], io: CliIo): Promise<number> {
  const socketPath = opt(args, '--socket') ?? DEFAULT_XL_SOCKET;
  const xenstoredPath = opt(args, '--xenstored');
  const logDir = opt(args, '--log-dir');
  const speedS = opt(args, '--speed');
  const wi = args.indexOf('--dm-worker');
  const dmWorker = wi >= 0;
  if (wi >= 0) args.splice(wi, 1);
  const speed = speedS === undefined ? 1 : Number(speedS);
  if (!(speed > 0 && speed <= 1e6)) throw new CliError(`--speed must be a number > 0, got '${speedS}'`);
  if (args.length) throw new CliError(`xen host: unknown argument '${args[0]}'`);
  const { startXenHostServer } = await import('../../xen-hvm/xen-host-node.js');
  const srv = await startXenHostServer({ socketPath, ...(xenstoredPath ? { xenstoredPath } : {}), ...(logDir ? { logDir } : {}), speed, dmWorker });
  const sig = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (s: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(s);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // ready: said only once the signal handlers are in place
    io.stderr(`acpidm xen host: control socket ${socketPath}${xenstoredPath ? `, xenstored ${xenstoredPath}` : ''}${logDir ? `, logs in ${logDir}` : ''}${dmWorker ? ', qemu-dm in worker threads' : ''}\n`);
  });
  io.stderr(`acpidm xen host: ${sig}: shutting down (waiting clients are told; sockets removed)\n`);
  await srv.close(`shutting down on ${sig}`);
  return 0;
}

async function scenario(args: string[], io: CliIo): Promise<number> {
  const files = [...args];
  const diagram = opt(files, '--diagram');
  const timeline = files.includes('--timeline');
  if (timeline) files.splice(files.indexOf('--timeline'), 1);
  const unknown = files.find((a) => a.startsWith('-'));
  if (unknown) throw new CliError(`xen scenario: unknown option '${unknown}' (--timeline, --diagram OUT.svg)`);
  if (!files.length) throw new CliError('xen scenario: give one or more scenario files');
  if (diagram && files.length > 1) throw new CliError('xen scenario --diagram FILE draws one scenario: give one scenario file');
  const { parseScenario, runScenario, checkScenario } = await import('../../xen-hvm/scenario.js');
  const { formatTimeline } = await import('../../xen-hvm/run-xen-domain.js');
  let failed = 0;
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${f}: ${(e as Error).message}`, 1);
    }
    let spec: ReturnType<typeof parseScenario>;
    try {
      spec = parseScenario(text, f);
    } catch (e) {
      const m = (e as Error).message;
      throw new CliError(m.startsWith(f) ? m : `${f}: ${m}`, 1); // one line naming the file, no stack
    }
    const r = runScenario(spec, (path) => new Uint8Array(readFileSync(path)));
    if (diagram) (await import('./run-diagram.js')).writeXenDiagram(r, diagram, `acpidm xen scenario ${f}: ${spec.name}`);
    const bad = checkScenario(spec, r);
    io.stdout(`${bad.length ? 'FAIL' : 'ok  '} ${spec.name}\n`);
    if (timeline) for (const l of formatTimeline(r.timeline)) io.stdout(`${l}\n`);
    for (const b of bad) io.stdout(`     ${b}\n`);
    if (bad.length) failed++;
  }
  return failed ? 1 : 0;
}

const USAGE = `usage: acpidm xen host [--socket PATH] [--xenstored PATH] [--log-dir DIR] [--speed N] [--dm-worker]
       acpidm xen scenario [--timeline] [--diagram OUT.svg] FILE...

xen host: run the modelled hypervisor, xenstored and device models until SIGINT/SIGTERM
  --socket PATH     control socket for acpidm xl (default $ACPIDM_XL_SOCKET or ${DEFAULT_XL_SOCKET})
  --xenstored PATH  also serve the xenstored wire protocol here (XENSTORED_PATH=PATH xenstore-ls ...)
  --log-dir DIR     write qemu-dm-NAME.log, xl-NAME.log and xend.log there
  --speed N         virtual seconds per real second (default 1)
  --dm-worker       run each domain's qemu-dm in its own worker thread
xen scenario: run scenario files (scenarios/xen/*.json) and print ok/FAIL per file; exit 1 if any failed
  --timeline        also print each scenario's timeline through every layer (as run --xen prints it)
  --diagram OUT.svg write the scenario's swimlane diagram (every layer's messages, the cause path) as SVG
`;

export const command: CliCommand = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = argv;
    if (isHelp(sub) || rest.some(isHelp)) {
      io.stdout(USAGE);
      return 0;
    }
    if (sub === 'host') return host(rest, io);
    if (sub === 'scenario') return scenario(rest, io);
    io.stderr(USAGE);
    return 2;
  },
};
