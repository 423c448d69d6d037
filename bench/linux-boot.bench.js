// Linux boot-to-poweroff, the headline figure of issue 13: the tiny i386 kernel (firmware/linux, cached by
// build-kernel.sh), an initramfs of Debian's busybox whose /etc/rc runs `poweroff -f`, and test/linux's command
// line, on acpidm and on qemu-system-i386 TCG in the same run.
// - The figure: the same command line (`-M pc -m 128 -accel tcg -kernel -initrd -append ... -serial file:`) given to
//   bin/acpidm-qemu.js and to qemu-system-i386, each a whole process measured the same way (bios-rom.js peerCpu:
//   user + system time of the process, its start and exit included), alternating, LINUX_BENCH_RUNS times (default
//   5: the machine is noisy); the median of each side's CPU and wall time and the ratio of the medians, every run's CPU time in the note.
// - What explains it, from a node process per run (this file with --once) that boots twice with the whole PcSystem
//   from dist/ and the V8 tuning bin/ applies: the first boot alone (node's start and module loading not counted),
//   how much of it ran compiled and interpreted, and the same boot again in that process (the engine warm, the
//   WebAssembly modules compiled: what the first paid for V8 compiling the emulator and its blocks).
// The initramfs, kernel lookup and command line are test/linux/harness.ts's own (bundled here with rolldown, its
// src/ imports pointed at dist/), so the bench boots exactly what the Linux tests boot; the initramfs is made before
// any clock starts and handed to both emulators as the same file. Skips with a message when the kernel or busybox is
// missing; without QEMU it reports acpidm's figures alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, peerCpu } from './bios-rom.js';
import { clearModuleCache } from '../dist/cpu/jit/wasm/module-cache.js';
import { tuneEngine } from '../dist/cli/engine-tuning-node.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RC = 'echo "ACPIDM: powering off"\npoweroff -f';

/** test/linux/harness.ts as an ES module whose src/ imports are dist/ (the build the other benches measure). */
export async function loadLinuxHarness(dir) {
  const { build } = await import('rolldown');
  const srcDir = join(root, 'src') + sep;
  await build({
    input: join(root, 'test/linux/harness.ts'),
    platform: 'node',
    logLevel: 'silent',
    // the harness finds the repository (and the kernel cache key) from its own folder
    transform: { define: { 'import.meta.dirname': JSON.stringify(join(root, 'test/linux')) } },
    plugins: [{
      name: 'src-to-dist',
      resolveId(source, importer) {
        if (!importer || !source.startsWith('.')) return null;
        const p = resolve(dirname(importer), source);
        return p.startsWith(srcDir) ? { id: pathToFileURL(join(root, 'dist', p.slice(srcDir.length))).href, external: true } : null;
      },
    }],
    output: { file: join(dir, 'linux-harness.mjs'), format: 'esm' },
  });
  return import(pathToFileURL(join(dir, 'linux-harness.mjs')).href);
}

/** Wall and CPU ms of `fn`. */
function timed(fn) {
  const w0 = performance.now(), c0 = process.cpuUsage();
  const out = fn();
  const c = process.cpuUsage(c0);
  return { out, wall: performance.now() - w0, cpu: (c.user + c.system) / 1000 };
}

function acpidmBoot(H, guest, initrd) {
  return timed(() => {
    const run = H.bootLinux(guest, { rc: RC, initrd });
    const out = H.runUntil(run, () => false, 20_000_000_000);
    if (out.kind !== 'exit' || out.status !== 0 || !run.serial().includes('reboot: Power down')) {
      throw new Error(`linux-boot bench: acpidm did not power off (${JSON.stringify(out)}): ${run.serial().slice(-500)}`);
    }
    const cpu = run.sys.cpu;
    return {
      insns: run.sys.machine.clock.instructions, initrd: run.initrd,
      // what explains the time: the share run in compiled blocks, and how many blocks V8 had to compile
      inBlocks: cpu.insnsInBlocks, blocks: cpu.blocksCompiled, entries: cpu.blockEntries, inWasmInterp: cpu.insnsInWasmInterp,
      wasmBlocks: cpu.wasmBlocks, modules: cpu.wasmTier?.modules ?? 0, adopted: cpu.wasmTier?.adopted ?? 0,
    };
  });
}

/** a word for bash, quoted */
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
/**
 * One boot by `emulator` (a command) with QEMU's own command line, its serial console in a file: the whole process's
 * CPU time (its start and exit included) and wall time.
 */
function processBoot(emulator, kernel, initrd, cmdline, dir) {
  const serial = join(dir, 'serial.txt');
  rmSync(serial, { force: true });
  const cmd = `${emulator} -M pc -m 128 -accel tcg -kernel ${q(kernel)} -initrd ${q(initrd)} -append ${q(cmdline)} ` +
    `-display none -nodefaults -no-reboot -serial file:${q(serial)} -monitor none >/dev/null 2>&1`;
  const w0 = performance.now();
  const r = peerCpu(cmd, { bench: 'linux-boot' });
  const wall = performance.now() - w0;
  const log = (() => { try { return readFileSync(serial, 'latin1'); } catch { return ''; } })();
  if (r.status !== 0 || !log.includes('reboot: Power down')) {
    throw new Error(`linux-boot bench: ${emulator} did not power off (status ${r.status}): ${log.slice(-500)}`);
  }
  return { wall, cpu: r.ms };
}
/** `acpidm-qemu`, the command a user (or libvirt) runs in QEMU's place, with V8 tuned as bin/ tunes it */
const ACPIDM_QEMU = `${q(process.execPath)} ${q(join(root, 'bin/acpidm-qemu.js'))}`;

/** How much of the boot ran compiled, and how much of the rest the WebAssembly interpreter ran. */
function jitNote(o) {
  return `${(100 * o.inBlocks / o.insns).toFixed(0)}% of them in ${o.blocks} compiled blocks (${o.wasmBlocks} WebAssembly in ${o.modules} modules; ` +
    `${(o.entries / 1e6).toFixed(1)} M entries from the run loop), ${interpNote(o)}`;
}
/** the instructions outside compiled blocks, and those of them the WebAssembly interpreter ran */
function interpNote(o) {
  return `${((o.insns - o.inBlocks) / 1e6).toFixed(1)} M interpreted (${(o.inWasmInterp / 1e6).toFixed(1)} M of them in WebAssembly)`;
}

const NAME = 'Linux boot to poweroff (tiny i386 kernel + busybox initramfs)';

/** One process's two boots (--once): the first boot's figures, the second's, and the initramfs for QEMU. */
async function once(initrdOut) {
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-linux-once-'));
  try {
    const H = await loadLinuxHarness(dir);
    const guest = H.linuxGuest();
    if ('missing' in guest) return { missing: guest.missing };
    // Made before the clock starts, as QEMU is handed a file: building the cpio is the harness's work, not the
    // emulator's (it took 32-36 ms of a boot's CPU time when it was timed)
    const initrd = H.linuxInitramfs(guest, RC);
    clearModuleCache(); // the first boot compiles every module itself
    const first = acpidmBoot(H, guest, initrd);
    // The same boot again in this process: V8 has compiled the emulator's own JavaScript by now, and the WebAssembly
    // tier instantiates the modules the first boot compiled (src/cpu/jit/wasm/module-cache.ts), so the difference is
    // what warming up the engine cost the first.
    const again = acpidmBoot(H, guest, initrd);
    if (initrdOut) writeFileSync(initrdOut, first.out.initrd);
    const strip = (b) => ({ cpu: b.cpu, wall: b.wall, out: { ...b.out, initrd: undefined } });
    return { first: strip(first), again: strip(again), kernel: guest.kernel, cmdline: H.BASE_CMDLINE };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `once` in a fresh node process (its V8 knows nothing of this one's). */
function onceInChild(initrdOut) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--once', initrdOut ?? ''], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 << 20,
  });
  if (r.status !== 0) throw new Error(`linux-boot bench: the boot process failed (${r.error?.message ?? `exit ${r.status}`})`);
  return JSON.parse(r.stdout);
}

const s1 = (ms) => (ms / 1000).toFixed(1);

export default async function (h) {
  const runs = Math.max(1, Number(process.env.LINUX_BENCH_RUNS ?? 5));
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-linux-bench-'));
  try {
    const initrd = join(dir, 'initrd.cpio');
    const probe = spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    const haveQemu = !probe.error && probe.status === 0;
    const ours = [], cli = [], qemu = [];
    for (let i = 0; i < runs; i++) {
      const o = onceInChild(i === 0 ? initrd : null);
      if (o.missing) { h.report(NAME, 0, 'boots/h', undefined, `skipped: ${o.missing}`); return; }
      ours.push(o);
      cli.push(processBoot(ACPIDM_QEMU, o.kernel, initrd, o.cmdline, dir));
      if (haveQemu) qemu.push(processBoot('qemu-system-i386', o.kernel, initrd, o.cmdline, dir));
    }
    const med = (xs, f) => median(xs.map(f));
    const cpu = med(cli, (c) => c.cpu), wall = med(cli, (c) => c.wall);
    const boot = med(ours, (o) => o.first.cpu), bootWall = med(ours, (o) => o.first.wall);
    const cpu2 = med(ours, (o) => o.again.cpu), wall2 = med(ours, (o) => o.again.wall);
    const o = ours[0];
    const each = (xs) => xs.map((x) => s1(x.cpu)).join(' / ');
    const perH = (ms) => 3_600_000 / ms;
    const inside = `the boot alone inside a node process (its start and module loading not counted): first boot ${s1(boot)} s CPU, ` +
      `${s1(bootWall)} s wall; ${(o.first.out.insns / 1e6).toFixed(0)} M insns at ${(o.first.out.insns / boot / 1000).toFixed(0)} MIPS, ` +
      `${jitNote(o.first.out)}; the same boot again in that process ${s1(cpu2)} s CPU, ${s1(wall2)} s wall ` +
      `(${o.again.out.adopted} of the first boot's modules reused, ${o.again.out.modules} compiled; ${interpNote(o.again.out)})`;
    const ours1 = `acpidm-qemu with QEMU's command line, each run a whole process (node's start included, V8 tuned as bin/ tunes it)`;
    if (!haveQemu) {
      h.report(NAME, perH(cpu), 'boots/h', undefined,
        `medians of ${runs} boots: ${ours1}: ${s1(cpu)} s CPU, ${s1(wall)} s wall (each: ${each(cli)}); ${inside}; ` +
        'QEMU peer skipped: qemu-system-i386 not found (Debian qemu-system-x86)');
      return;
    }
    const qcpu = med(qemu, (r) => r.cpu), qwall = med(qemu, (r) => r.wall);
    const x = (a, b) => `${(a / b).toFixed(2)}×`;
    h.report(NAME, perH(cpu), 'boots/h', perH(qcpu),
      `medians of ${runs} boots, alternating with QEMU: ${ours1}: CPU time ${s1(cpu)} s, QEMU TCG ${s1(qcpu)} s = ` +
      `${x(cpu, qcpu)} QEMU's time (goal ≤ 2×; acpidm each ${each(cli)} s, QEMU each ${each(qemu)} s); ` +
      `wall ${s1(wall)} s vs ${s1(qwall)} s = ${x(wall, qwall)}; ${inside} (first ${x(boot, qcpu)} and again ${x(cpu2, qcpu)} QEMU's CPU time)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--once') {
  tuneEngine(); // as bin/acpidm.js does before a user's boot
  process.stdout.write(JSON.stringify(await once(process.argv[3] || null)));
}
