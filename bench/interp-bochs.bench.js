// The interpreter alone against Bochs's interpreter (issue 13), the same 64 KiB ROM on both: real mode from the
// reset vector, OUTER × 1000 passes of a 7-instruction ALU loop (ADD, XOR, a store, an ADD from memory, INC, DEC,
// JNZ: the 16-bit loop of bench/cpu.bench.js), then "Shutdown" to port 0x8900 (Bochs exits) and SLP_EN to PIIX4
// PM1a_CNT (acpidm exits). acpidm runs the whole PcSystem with compiled blocks off (Cpu.jit = false). Rate =
// instructions ÷ (CPU time for OUTER − CPU time for 0), medians of 5 alternating runs; CPU time is
// process.cpuUsage for acpidm and bash `times` (children) for Bochs. Bochs is Debian's 2.7 (built with its
// internal debugger, told to continue; rfb display without a client, as src/cpu/difftest/oracles-node.ts runs it):
// the row is skipped with a note when `bochs` is not installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { biosRom, median, peerCpu, PM_BASE, pmEnable, runOnAcpidm, u16 } from './bios-rom.js';

export function aluRom(outer) {
  const code = [
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, ...u16(0x7000), // cli / ds = ss = 0 / sp = 0x7000
    ...pmEnable(),
    0x31, 0xc0, 0x31, 0xdb, 0x31, 0xd2, //                               xor ax,ax / xor bx,bx / xor dx,dx
    0xbd, ...u16(outer), 0xbe, ...u16(0x8000), //                       mov bp, outer / mov si, 0x8000
    0x85, 0xed, 0x74, 0x13, //                                           test bp,bp / jz done
    0xb9, ...u16(1000), //                                               outer: mov cx, 1000
    0x01, 0xd8, 0x31, 0xc2, 0x89, 0x14, 0x03, 0x5c, 0x02, 0x43, 0x49, 0x75, 0xf3, // inner (7 instructions)
    0x4d, 0x75, 0xed, //                                                 dec bp / jnz outer
    0xba, ...u16(0x8900), ...[...'Shutdown'].flatMap((ch) => [0xb0, ch.charCodeAt(0), 0xee]), // done: Bochs exits
    0xba, ...u16(PM_BASE + 4), 0xb8, ...u16(0x2000), 0xef, //          acpidm exits (S5)
    0xf4, 0xeb, 0xfd,
  ];
  return biosRom(code);
}

const acpidmRun = (rom) => runOnAcpidm(rom, { memoryMiB: 16, jit: false, bench: 'interp-bochs' }).ms;

function bochsRun(dir, name) {
  const rc = join(dir, `${name}.rc`);
  writeFileSync(rc, [
    `romimage: file=${join(dir, `${name}.bin`)}`, 'vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest', 'megs: 16',
    'cpu: model=p2_klamath, ips=50000000', 'display_library: rfb, options="timeout=0"', 'speaker: enabled=0',
    'sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy', `log: ${join(dir, `${name}.log`)}`,
    'panic: action=fatal', 'error: action=report', 'info: action=ignore', 'debug: action=ignore', '',
  ].join('\n'));
  return peerCpu(`bochs -q -f '${rc}' -rc '${join(dir, 'dbg.rc')}' >/dev/null 2>'${join(dir, `${name}.err`)}'`,
    { bench: 'interp-bochs', timeout: 300_000 }).ms;
}

function rate(run, n0, nN, insns) {
  run(n0); run(nN);
  const d0 = [], dN = [];
  for (let i = 0; i < 5; i++) { d0.push(run(n0)); dN.push(run(nN)); }
  return insns / ((median(dN) - median(d0)) / 1000) / 1e6;
}

export default async function (h) {
  const OUTER = Number(process.env.INTERP_BENCH_OUTER ?? 5000);
  const insns = OUTER * (1000 * 7 + 3);
  const ours = rate(acpidmRun, aluRom(0), aluRom(OUTER), insns);
  const name = 'interpreter alone: 16-bit ALU loop from a -bios ROM, whole machine (jit off)';
  if (spawnSync('bochs', ['--help'], { stdio: 'ignore' }).error) {
    h.report(name, ours, 'MIPS', undefined, 'Bochs peer skipped: bochs not found (Debian bochs bochsbios vgabios)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-interp-bochs-'));
  try {
    writeFileSync(join(dir, 'zero.bin'), aluRom(0));
    writeFileSync(join(dir, 'n.bin'), aluRom(OUTER));
    writeFileSync(join(dir, 'dbg.rc'), 'c\nquit\n');
    const bochs = rate((f) => bochsRun(dir, f), 'zero', 'n', insns);
    h.report(name, ours, 'MIPS', bochs, `floor = Bochs 2.7 interpreter, same ROM, ${OUTER}k passes; ${(ours / bochs).toFixed(2)}× Bochs (goal > 1×)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
