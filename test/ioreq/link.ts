// Test support: one ioreq link over either transport, wired to the loopback device model,
// with the hypervisor-side hooks recorded.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInlineIoreq, type InlineIoreqLink, type IoreqLink } from '../../src/ioreq/inline-transport.js';
import { createDeviceModel, createLoopbackStats } from '../../src/ioreq/loopback-dm.js';
import type { XenIoreqHooks } from '../../src/ioreq/xen-ioreq-server.js';
import type { BufioreqMode } from '../../src/ioreq/abi.js';
import { distIoreqFile, startWorkerIoreq } from '../../src/ioreq/worker-transport-node.js';

export type TransportKind = 'inline' | 'worker';
export const TRANSPORTS: TransportKind[] = ['inline', 'worker'];

export interface Recorded {
  xenLog: string[];
  crashes: { vcpu: number; message: string }[];
  hypercalls: { op: number; args: number[]; slotState: number }[];
  deferralStarts: number;
  deferralEnds: number;
}

export interface TestLink {
  link: IoreqLink;
  stats: Int32Array;
  ram: Uint8Array;
  rec: Recorded;
  /** Answer to give startShutdownDeferral (false = the domain is shutting down). */
  deferralAllowed: { value: boolean };
  close(): Promise<void>;
}

/** Fail clearly when the worker's compiled files are missing or older than their sources. */
export function checkDist(): void {
  const dist = fileURLToPath(distIoreqFile(''));
  const src = fileURLToPath(new URL('../../src/ioreq/', import.meta.url));
  if (!existsSync(`${dist}/dm-worker-node.js`)) {
    throw new Error(`dist/ioreq/dm-worker-node.js is missing: run \`npm run build\` before the cross-thread ioreq tests`);
  }
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
    const js = `${dist}/${f.replace(/\.ts$/, '.js')}`;
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(`${src}/${f}`).mtimeMs) {
      throw new Error(`dist/ioreq/${f.replace(/\.ts$/, '.js')} is older than src/ioreq/${f}: run \`npm run build\``);
    }
  }
}

export async function makeLink(kind: TransportKind, opts: {
  vcpus?: number; ramBytes?: number; bufioreq?: BufioreqMode; dmOptions?: unknown; autoRun?: boolean; hypercallRet?: number;
  dmLog?: string[];
} = {}): Promise<TestLink> {
  const stats = createLoopbackStats(true) as SharedArrayBuffer;
  const ram = new SharedArrayBuffer(opts.ramBytes ?? 0x10_0000);
  const rec: Recorded = { xenLog: [], crashes: [], hypercalls: [], deferralStarts: 0, deferralEnds: 0 };
  const deferralAllowed = { value: true };
  let link: IoreqLink;
  const xenHooks: XenIoreqHooks = {
    log: (level, msg) => { rec.xenLog.push(`${level}: ${msg}`); },
    domainCrash: (vcpu, message) => { rec.crashes.push({ vcpu, message }); },
    startShutdownDeferral: () => { rec.deferralStarts++; return deferralAllowed.value; },
    endShutdownDeferral: () => { rec.deferralEnds++; },
    hypercall: (op, args) => {
      rec.hypercalls.push({ op, args: Array.from(args), slotState: link.mem.u8[30]! & 0x0f });
      return opts.hypercallRet ?? 0;
    },
  };
  const common = {
    vcpus: opts.vcpus ?? 1, xenHooks, dmOptions: opts.dmOptions, shared: { stats, ram },
    ...(opts.bufioreq !== undefined ? { bufioreq: opts.bufioreq } : {}),
  };
  if (kind === 'inline') {
    const il: InlineIoreqLink = createInlineIoreq({ ...common, createDeviceModel, autoRun: opts.autoRun ?? true });
    if (opts.dmLog) {
      const prev = il.module.hooks?.log;
      (il.dm.hooks as { log?: (l: string) => void }).log = (l) => { opts.dmLog!.push(l); prev?.(l); };
    }
    link = il;
  } else {
    checkDist();
    link = await startWorkerIoreq({ ...common, spin: 2000 });
  }
  return { link, stats: new Int32Array(stats), ram: new Uint8Array(ram), rec, deferralAllowed, close: () => link.close() };
}
