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
import { biosRom, median, peerCpu, PM_BASE, pmEnable, runOnAcpidm, u16, u32 } from './bios-rom.js';

const PM1_EN_VALUE = 0x0100; // PWRBTN_EN, as an OSPM leaves it; PM1_STS has no enabled source, so SCI stays low

/** The ROM: real mode from F000:FFF0, 7 instructions and 2 port accesses per iteration. */
export function pmIoRom(n) {
  const code = [
    0xfa,                                                   // cli
    ...pmEnable(),
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
  return biosRom(code);
}

/** CPU time (ms) for acpidm to run the ROM from power-on to the S5 exit. */
const acpidmRun = (rom) => runOnAcpidm(rom, { memoryMiB: 32, bench: 'pm-io' }).ms;

/** CPU time (ms) of qemu-system-i386 running the ROM until the S5 write ends it. */
function qemuRun(romFile) {
  const r = peerCpu(`qemu-system-i386 -M pc -m 32 -bios '${romFile}' -accel tcg -display none -nodefaults -no-reboot ` +
    '-serial none -monitor none >/dev/null 2>&1', { bench: 'pm-io', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`pm-io bench: qemu-system-i386 failed (status ${r.status})`);
  return r.ms;
}

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
