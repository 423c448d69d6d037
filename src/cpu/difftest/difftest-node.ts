/**
 * The differential test driver (Node): generate a seeded sequence, build the ROM with NASM, run it on acpidm
 * (compiled blocks and interpreter alone) and on real QEMU and Bochs, compare per instruction form.
 * `npm run difftest -- --n 5000000 [--seed S]` (bin/difftest.js) and test/cpu/difftest.test.ts call runDifftest.
 */
import { compareStreams, formatSummary, type Comparison } from './compare.js';
import { generate, type GenOptions } from './gen.js';
import { assemble, runOnBochs, runOnQemu, type Oracle } from './oracles-node.js';
import { parseStream, type Stream } from './records.js';
import { romSource, withFullRecords } from './rom.js';
import { runOnAcpidm } from './run-acpidm.js';

export interface DifftestOptions {
  seed: number;
  /** Tested instructions in total. */
  n: number;
  /** Tested instructions per ROM (one emulator start each). */
  perRom?: number;
  oracles?: Oracle[];
  /** Also run the interpreter alone (no compiled blocks) and compare it with acpidm. */
  interpreter?: boolean;
  /** Also run acpidm with every block compiled the first time it runs, and compare it with acpidm. */
  compiled?: boolean;
  log?: (line: string) => void;
  gen?: GenOptions;
}

export interface DifftestResult {
  comparisons: Comparison[];
  roms: number;
  instructions: number;
  /** Records generated: at least `instructions`, as a gate or task group always writes both its records. */
  records: number;
  seconds: Record<string, number>;
}

function merge(into: Comparison | undefined, c: Comparison): Comparison {
  if (!into) return { ...c, forms: new Map([...c.forms].map(([k, v]) => [k, { ...v }])), byRow: new Map(c.byRow) };
  for (const [r, n] of c.byRow) into.byRow.set(r, (into.byRow.get(r) ?? 0) + n);
  into.compared += c.compared;
  into.diffs += c.diffs;
  into.explained += c.explained;
  into.error ??= c.error;
  for (const [k, v] of c.forms) {
    const t = into.forms.get(k);
    if (!t) into.forms.set(k, { ...v });
    else { t.count += v.count; t.diffs += v.diffs; t.explained += v.explained; t.example ??= v.example; t.explainedExample ??= v.explainedExample; }
  }
  return into;
}

export function runDifftest(o: DifftestOptions): DifftestResult {
  const per = o.perRom ?? 20_000;
  const oracles = o.oracles ?? ['qemu', 'bochs'];
  const seconds: Record<string, number> = { generate: 0, nasm: 0, acpidm: 0, compiled: 0, interpreter: 0, qemu: 0, bochs: 0 };
  const total = new Map<string, Comparison>();
  let roms = 0, records = 0;
  const time = <T>(k: string, f: () => T): T => { const t = performance.now(); try { return f(); } finally { seconds[k]! += (performance.now() - t) / 1000; } };
  for (let done = 0; done < o.n; done += per, roms++) {
    const count = Math.min(per, o.n - done);
    const seed = (o.seed + roms) >>> 0;
    const g = time('generate', () => generate(seed, count, o.gen));
    records += g.items.length;
    const rom = time('nasm', () => assemble(romSource(g)));
    const streams: [string, Stream][] = [];
    // acpidm writes full records and FSAVE images (cheap in-process); the oracles write hashes (a port write per
    // byte is what costs there) and run again with full records only for a ROM that shows a difference, for the
    // reproducer and for the FSAVE fields a difference in the fpu checksum is made of.
    const full = withFullRecords(rom, { fsave: true });
    streams.push(['acpidm', time('acpidm', () => parseStream(runOnAcpidm(full).out))]);
    if (o.compiled) streams.push(['compiled', time('compiled', () => parseStream(runOnAcpidm(full, { jitThreshold: 0 }).out))]);
    if (o.interpreter) streams.push(['interp', time('interpreter', () => parseStream(runOnAcpidm(full, { jit: false }).out))]);
    const runOracle = (w: Oracle, r: Uint8Array): Stream => time(w, () => {
      const run = w === 'qemu' ? runOnQemu(r) : runOnBochs(r);
      const s = parseStream(run.out);
      // an oracle that hung or exited early: the comparison names the record and form it stopped at
      if (run.stopped) s.error = run.stopped + (s.error ? `; ${s.error}` : '');
      return s;
    });
    for (const w of oracles) streams.push([w, runOracle(w, rom)]);
    const cmp = (): Comparison[] => {
      const [acp, ...rest] = streams;
      const pairs: [string, Stream, string, Stream][] = rest.map(([n, s]) => [acp![0], acp![1], n, s]);
      if (oracles.length === 2) pairs.push([oracles[0]!, streams.find((s) => s[0] === oracles[0])![1], oracles[1]!, streams.find((s) => s[0] === oracles[1])![1]]);
      return pairs.map(([an, as, bn, bs]) => compareStreams(g.items, as, an, bs, bn));
    };
    let cs = cmp();
    // An oracle whose every hash matched acpidm's runs no second time: in the oracle/oracle comparison acpidm's
    // full records stand in for its hashes (the same records, up to a hash collision).
    const agrees = (w: Oracle): boolean => cs.some((c) => c.a === 'acpidm' && c.b === w && !c.error && c.diffs === 0 &&
      c.explained === 0 && c.compared === g.items.length);
    const again = oracles.filter((w) => !agrees(w) && cs.some((c) => (c.a === w || c.b === w) && (c.diffs > 0 || c.error)));
    if (again.length) {
      for (const w of oracles) {
        const entry = streams.find((s) => s[0] === w)!;
        if (again.includes(w)) entry[1] = runOracle(w, full);
        else if (agrees(w)) entry[1] = streams[0]![1];
      }
      cs = cmp();
    }
    for (const c of cs) total.set(`${c.a}/${c.b}`, merge(total.get(`${c.a}/${c.b}`), c));
    o.log?.(`seed ${seed}: ${count} instructions, ${g.romSize >> 10} KiB ROM; ` +
      [...total.values()].map((c) => `${c.a}/${c.b} ${c.diffs} diffs`).join(', '));
  }
  return { comparisons: [...total.values()], roms, instructions: o.n, records, seconds };
}

export function main(argv: string[], out: (s: string) => void): number {
  const opt: DifftestOptions = { seed: 1, n: 20_000 };
  let all = false, explained = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, v = argv[i + 1];
    const num = (): number => {
      const x = Number(v); i++;
      if (!Number.isInteger(x) || x < 0) throw new Error(`${a} needs a non-negative integer, got ${v}`);
      return x;
    };
    if (a === '--n') opt.n = num();
    else if (a === '--seed') opt.seed = num();
    else if (a === '--per-rom') opt.perRom = Math.max(1, num());
    else if (a === '--oracles') { opt.oracles = (v ?? '').split(',').filter((x) => x && x !== 'none') as Oracle[]; i++; if (opt.oracles.some((x) => x !== 'qemu' && x !== 'bochs')) throw new Error('--oracles takes qemu,bochs'); }
    else if (a === '--interpreter') opt.interpreter = true;
    else if (a === '--compiled') opt.compiled = true;
    else if (a === '--x87' || a === '--lock-ud' || a === '--system' || a === '--gates' || a === '--tasks' || a === '--inner-stack' || a === '--extended') { /* on by default */ }
    else if (a === '--no-x87') opt.gen = { ...opt.gen, x87: false };
    else if (a === '--no-lock-ud') opt.gen = { ...opt.gen, lockUd: false };
    else if (a === '--no-system') opt.gen = { ...opt.gen, system: false };
    else if (a === '--no-gates') opt.gen = { ...opt.gen, gates: false };
    else if (a === '--no-tasks') opt.gen = { ...opt.gen, tasks: false };
    else if (a === '--no-extended') opt.gen = { ...opt.gen, extended: false };
    else if (a === '--no-inner-stack') opt.gen = { ...opt.gen, innerStack: false };
    else if (a === '--only') {
      const ks = (v ?? '').split(',').map((x) => x.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())); i++;
      const known = ['x87', 'lockUd', 'system', 'gates', 'tasks', 'innerStack'];
      const bad = ks.filter((k) => !known.includes(k));
      if (bad.length || !ks.length) throw new Error(`--only takes a list of x87,lock-ud,system,gates,tasks,inner-stack, got ${v}`);
      opt.gen = { ...opt.gen, only: ks as NonNullable<DifftestOptions['gen']>['only'] };
    } else if (a === '--all') all = true;
    else if (a === '--explained') explained = true;
    else throw new Error(`unknown option ${a} (options: --n N, --seed S, --per-rom K, --oracles qemu,bochs|none, --interpreter, --compiled, --no-x87, --no-lock-ud, --no-system, --no-gates, --no-tasks, --no-extended, --no-inner-stack, --only CLASS[,CLASS], --all, --explained)`);
  }
  const r = runDifftest({ ...opt, log: (l) => out(l) });
  out(formatSummary(r.comparisons, { all, explained }));
  out(`${r.instructions} instructions in ${r.roms} ROM(s); seconds: ` +
    Object.entries(r.seconds).filter(([, s]) => s > 0).map(([k, s]) => `${k} ${s.toFixed(1)}`).join(', '));
  return r.comparisons.some((c) => c.diffs > 0 || c.error) ? 1 : 0;
}
