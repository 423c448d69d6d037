// Guest port IO to the real PIIX4 PM block (issue 13): a 64 KiB ROM programs the PM function through
// 0xCF8/0xCFC (PMBA 0xB000, PMREGMISC 1), then loops N times over `out dx,ax` to PM1_EN + `in eax,dx` from
// PM_TMR, then writes S5 to PM1a_CNT so the machine exits. The whole PcSystem runs it (CPU, chipset, PM1 event
// block, PM timer on the virtual clock). Rate = 2N accesses ÷ (time for N iterations − time for 0), median
// of several runs, where time is CPU time (user + system: process.cpuUsage here, bash `times` for QEMU), so the
// ratio holds on a machine shared with other jobs, where wall time mostly measures the scheduler. When qemu-system-i386 is present the same ROM runs on QEMU TCG in the same process
// (`-M pc -m 32 -bios ROM`) and the ratio is reported; without it that row is skipped with a note.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcSystem } from '../dist/machine/pc-system.js';

const PM_BASE = 0xb000;
const PM1_EN_VALUE = 0x0100; // PWRBTN_EN, as an OSPM leaves it; PM1_STS has no enabled source, so SCI stays low

/** The ROM: real mode from F000:FFF0, 7 instructions and 2 port accesses per iteration. */
export function pmIoRom(n) {
  const u32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  const u16 = (v) => [v & 0xff, (v >>> 8) & 0xff];
  const cfg = 0x80000000 | (1 << 11) | (3 << 8); // PCI mechanism #1: bus 0, device 1, function 3 (PIIX4 PM)
  const code = [
    0xfa,                                                   // cli
    0x66, 0xb8, ...u32(cfg | 0x40), 0xba, ...u16(0xcf8), 0x66, 0xef, // PMBA (0x40) = PM_BASE | 1
    0x66, 0xb8, ...u32(PM_BASE | 1), 0xba, ...u16(0xcfc), 0x66, 0xef,
    0x66, 0xb8, ...u32(cfg | 0x80), 0xba, ...u16(0xcf8), 0x66, 0xef, // PMREGMISC (0x80) bit 0 = PM IO enable
    0xb0, 0x01, 0xba, ...u16(0xcfc), 0xee,
    0x66, 0xb9, ...u32(n),                                  // mov ecx, n
    0xbe, ...u16(PM1_EN_VALUE),                             // mov si, PM1_EN value
    0x66, 0x85, 0xc9,                                       // test ecx, ecx
    0x74, 0x0e,                                             // jz done
    // loop:
    0xba, ...u16(PM_BASE + 2),                              // mov dx, PM1_EN
    0x89, 0xf0,                                             // mov ax, si
    0xef,                                                   // out dx, ax
    0xb2, (PM_BASE + 8) & 0xff,                             // mov dl, PM_TMR
    0x66, 0xed,                                             // in eax, dx
    0x66, 0x49,                                             // dec ecx
    0x75, 0xf2,                                             // jnz loop
    // done:
    0xba, ...u16(PM_BASE + 4), 0xb8, ...u16(0x2000), 0xef,  // PM1a_CNT = SLP_TYP 0 | SLP_EN: S5
    0xf4, 0xeb, 0xfd,                                       // hlt; jmp $-1
  ];
  const rom = new Uint8Array(0x10000).fill(0xff);
  rom.set(code, 0);
  rom.set([0xea, 0x00, 0x00, 0x00, 0xf0], 0xfff0); // jmp F000:0000
  return rom;
}

/** CPU time (ms) for acpidm to run the ROM from power-on to the S5 exit. */
function acpidmRun(rom) {
  const t0 = process.cpuUsage();
  const sys = new PcSystem({ bios: rom, memoryMiB: 32, debugcon: [] });
  sys.powerOn();
  sys.machine.start();
  const r = sys.run(Number.MAX_SAFE_INTEGER);
  const { user, system } = process.cpuUsage(t0);
  const ms = (user + system) / 1000;
  if (r.kind !== 'exit') throw new Error(`pm-io bench: the ROM did not power off (${JSON.stringify(r)})`);
  return ms;
}

/** CPU time (ms) of qemu-system-i386 running the ROM until the S5 write ends it (bash `times`: children's user, system). */
function qemuRun(romFile) {
  const cmd = `qemu-system-i386 -M pc -m 32 -bios '${romFile}' -accel tcg -display none -nodefaults -no-reboot ` +
    '-serial none -monitor none >/dev/null 2>&1; s=$?; times; exit $s';
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) throw new Error(`pm-io bench: qemu-system-i386 failed (${r.error?.message ?? `status ${r.status}`})`);
  // `times` prints the shell's then the children's "XmY.YYYs XmY.YYYs"
  const t = [...r.stdout.trim().split('\n').pop().matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (t.length !== 2) throw new Error(`pm-io bench: cannot read bash times output: ${JSON.stringify(r.stdout)}`);
  return (t[0] + t[1]) * 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median over `runs` of t(N) − t(0), alternating the two so drift hits both. */
function rate(run, romN, rom0, n, runs) {
  run(rom0); run(romN); // warm-up (V8 tiers; page cache for QEMU)
  const dN = [], d0 = [];
  for (let i = 0; i < runs; i++) { d0.push(run(rom0)); dN.push(run(romN)); }
  const ms = median(dN) - median(d0);
  return (2 * n) / (ms / 1000);
}

export default async function (h) {
  const N = Number(process.env.PM_IO_BENCH_N ?? 2_000_000);
  const runs = 5;
  const ours = rate(acpidmRun, pmIoRom(N), pmIoRom(0), N, runs);
  const probe = spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    h.report('guest port IO to PIIX4 PM (outw PM1_EN + inl PM_TMR), whole machine', ours, 'IO/s', undefined,
      'QEMU peer skipped: qemu-system-i386 not found (Debian qemu-system-x86)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-pmio-'));
  try {
    const fN = join(dir, 'n.bin'), f0 = join(dir, 'zero.bin');
    writeFileSync(fN, pmIoRom(N)); writeFileSync(f0, pmIoRom(0));
    const qemu = rate(qemuRun, fN, f0, N, runs);
    h.report('guest port IO to PIIX4 PM (outw PM1_EN + inl PM_TMR), whole machine', ours, 'IO/s', qemu,
      `floor = QEMU TCG same ROM, N=${N}; ${(ours / qemu).toFixed(2)}× QEMU (goal ≥ 2×)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
