// Compiled code against QEMU TCG (issue 13: ≥ 0.5× QEMU's MIPS): the 32-bit ALU loop and the CALL/Jcc/RET loop of
// bench/cpu.bench.js (the same loop bodies at the same addresses: code at 1 MiB, data at 2 MiB, stack at 3 MiB) as
// 64 KiB ROMs run with `-M pc -m 32 -bios ROM` on the whole acpidm PcSystem (compiled blocks on, the default) and
// on qemu-system-i386 TCG. The ROM (real mode from F000:FFF0) programs the PIIX4 PM function (PMBA 0xB000,
// PMREGMISC 1), opens A20 (port 0x92), enters flat 32-bit protected mode, copies the loop to 0x100000 and runs it
// OUTER × 1000 times; then it writes EAX, EBX and EDX to port 0xE9 (the debug console, so both emulators are seen
// to compute the same registers) and SLP_EN to PM1a_CNT: both emulators exit. Rate = instructions ÷ (CPU time for
// OUTER − CPU time for 0), medians of 5 alternating runs; CPU time is process.cpuUsage for acpidm and bash
// `times` (children) for QEMU, so the ratio holds on a machine shared with other jobs. The instruction count of
// the difference is the loop's (7,003 or 8,003 per outer pass, + 1 for the CALL loop's JMP past its subroutine), checked against acpidm's virtual clock.
// Without qemu-system-i386 (Debian qemu-system-x86) the QEMU rows are skipped with a note.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcSystem } from '../dist/machine/pc-system.js';
import { PM_BASE, biosRom, median, peerCpu, pmEnable, u16, u32 } from './bios-rom.js';

const CODE = 0x100000, DATA = 0x200000, STACK = 0x300000, OUT = DATA + 0x100;
const ROM_LIN = 0xf0000; // the ROM's last 64 KiB below 1 MiB (where F000:xxxx fetches)

/** The loops, as the payload copied to CODE. `outer` passes of a 1000-iteration inner loop. */
export const LOOPS = {
  // outer: mov ecx,1000 / l: add eax,ebx / xor edx,eax / mov [esi],edx / add ebx,[esi+4] / inc ebx / dec ecx / jnz l
  //        dec ebp / jnz outer       (bench/cpu.bench.js LOOP32's body: 7 instructions per iteration)
  alu32: {
    name: '32-bit protected-mode ALU loop', perOuter: 7003, extra: 0,
    body: [0xb9, ...u32(1000), 0x01, 0xd8, 0x31, 0xc2, 0x89, 0x16, 0x03, 0x5e, 0x04, 0x43, 0x49, 0x75, 0xf3, 0x4d, 0x75, 0xeb],
  },
  // outer: mov ecx,1000 / l: call f / dec ecx / jnz l / dec ebp / jnz outer / jmp done
  // f: add eax,ebx / cmp eax,5 / jz s / inc edx / s: ret   (bench/cpu.bench.js CALL32: 8 instructions per iteration)
  call32: {
    name: '32-bit CALL/Jcc/RET loop', perOuter: 8003, extra: 1, // + the JMP past f
    body: [0xb9, ...u32(1000), 0xe8, 0x08, 0x00, 0x00, 0x00, 0x49, 0x75, 0xf8, 0x4d, 0x75, 0xf0, 0xeb, 0x09,
      0x01, 0xd8, 0x83, 0xf8, 0x05, 0x74, 0x01, 0x42, 0xc3],
  },
};

/** The 64 KiB ROM running `loop` `outer` × 1000 times. */
export function loopRom(loop, outer) {
  // the payload at CODE: test ebp,ebp / jz done / <loop> / done: report registers, S5
  const tail = [
    0x89, 0x05, ...u32(OUT), 0x89, 0x1d, ...u32(OUT + 4), 0x89, 0x15, ...u32(OUT + 8), // mov [OUT..], eax/ebx/edx
    ...Array.from({ length: 12 }, (_, i) => [0xa0, ...u32(OUT + i), 0xe6, 0xe9]).flat(), // mov al,[OUT+i] / out 0xe9,al
    0x66, 0xba, ...u16(PM_BASE + 4), 0x66, 0xb8, ...u16(0x2000), 0x66, 0xef,             // PM1a_CNT = SLP_EN (S5)
    0xf4, 0xeb, 0xfd,                                                                     // hlt / jmp $-1
  ];
  const payload = [0x85, 0xed, 0x74, loop.body.length, ...loop.body, ...tail];
  while (payload.length % 4 !== 0) payload.push(0x90);
  const GDT = 0x100, PM32 = 0x200, PAYLOAD = 0x400;
  const real = [
    0xfa,                                                                         // cli
    ...pmEnable(),                                                                // PM1a_CNT at PM_BASE + 4
    0xe4, 0x92, 0x0c, 0x02, 0xe6, 0x92,                                           // A20 on (port 0x92 bit 1)
    0x2e, 0x0f, 0x01, 0x16, ...u16(GDT + 24),                                     // lgdt [cs:gdtr]
    0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0,                               // CR0.PE = 1
    0x66, 0xea, ...u32(ROM_LIN + PM32), 0x08, 0x00,                               // jmp dword 0x08:pm32
  ];
  const pm32 = [
    0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0,                   // ds = es = ss = 0x10
    0xbc, ...u32(STACK),                                                          // mov esp, STACK
    0xbe, ...u32(ROM_LIN + PAYLOAD), 0xbf, ...u32(CODE), 0xb9, ...u32(payload.length / 4),
    0xfc, 0xf3, 0xa5,                                                             // cld / rep movsd
    0xbe, ...u32(DATA), 0x31, 0xc0, 0x31, 0xdb, 0x31, 0xd2,                       // esi = DATA, eax = ebx = edx = 0
    0xbd, ...u32(outer), 0xbf, ...u32(CODE), 0xff, 0xe7,                          // ebp = outer / jmp CODE
  ];
  const rom = biosRom(real);
  // GDT: null, flat 32-bit code (0x08), flat data (0x10); then its 6-byte pseudo-descriptor
  rom.set([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0], GDT);
  rom.set([...u16(23), ...u32(ROM_LIN + GDT)], GDT + 24);
  rom.set(pm32, PM32);
  rom.set(payload, PAYLOAD);
  return rom;
}

/** acpidm, whole machine, from power-on to the S5 exit: CPU ms, instructions, the 12 bytes the ROM reported. */
function acpidmRun(rom) {
  const t0 = process.cpuUsage();
  const sys = new PcSystem({ bios: rom, memoryMiB: 32, debugcon: [{ iobase: 0xe9 }] });
  sys.powerOn();
  sys.machine.start();
  const r = sys.run(Number.MAX_SAFE_INTEGER);
  const { user, system } = process.cpuUsage(t0);
  if (r.kind !== 'exit') throw new Error(`jit-qemu bench: the ROM did not power off on acpidm (${JSON.stringify(r)})`);
  return { ms: (user + system) / 1000, insns: sys.machine.clock.instructions, out: hexOf(sys.machine.debugconBytes()) };
}

/** qemu-system-i386 TCG until the S5 write ends it: CPU ms of the child (bash `times`) and what it wrote to 0xE9. */
function qemuRun(romFile, conFile) {
  const cmd = `qemu-system-i386 -M pc -m 32 -bios '${romFile}' -accel tcg -display none -nodefaults -no-reboot ` +
    `-serial none -monitor none -debugcon 'file:${conFile}' >/dev/null 2>&1`;
  const r = peerCpu(cmd, { bench: 'jit-qemu' });
  if (r.status !== 0) throw new Error(`jit-qemu bench: qemu-system-i386 failed (status ${r.status})`);
  return { ms: r.ms, out: hexOf(readFileSync(conFile)) };
}

const hexOf = (bytes) => Buffer.from(bytes).toString('hex');

/** Median over `runs` of t(N) − t(0), alternating the two so drift hits both; the runs' outputs for checking. */
function delta(run, argN, arg0, runs) {
  const outs = [run(arg0), run(argN)]; // warm-up (V8 tiers; page cache for QEMU)
  const dN = [], d0 = [];
  for (let i = 0; i < runs; i++) {
    const z = run(arg0), x = run(argN);
    d0.push(z.ms); dN.push(x.ms); outs.push(z, x);
  }
  return { ms: median(dN) - median(d0), outs };
}

export default async function (h) {
  const OUTER = Number(process.env.JIT_QEMU_BENCH_OUTER ?? 100_000);
  const runs = 5;
  const qemuThere = !spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' }).error;
  const dir = mkdtempSync(join(tmpdir(), 'acpidm-jit-qemu-'));
  try {
    for (const loop of Object.values(LOOPS)) {
      const insns = OUTER * loop.perOuter + loop.extra;
      const ours = delta(acpidmRun, loopRom(loop, OUTER), loopRom(loop, 0), runs);
      const [zero, full] = ours.outs;
      if (full.insns - zero.insns !== insns) {
        throw new Error(`jit-qemu bench: ${loop.name}: acpidm ran ${full.insns - zero.insns} instructions more for ${OUTER} passes, expected ${insns}`);
      }
      const mips = insns / (ours.ms / 1000) / 1e6;
      const name = `compiled: ${loop.name}, -bios ROM, whole machine`;
      if (!qemuThere) {
        h.report(name, mips, 'MIPS', undefined, 'QEMU peer skipped: qemu-system-i386 not found (Debian qemu-system-x86)');
        continue;
      }
      const fN = join(dir, 'n.bin'), f0 = join(dir, 'zero.bin'), con = join(dir, 'con.bin');
      writeFileSync(fN, loopRom(loop, OUTER)); writeFileSync(f0, loopRom(loop, 0));
      const qemu = delta((f) => qemuRun(f, con), fN, f0, runs);
      // both emulators computed the same registers for each ROM (12 bytes on port 0xE9)
      for (const [i, o] of qemu.outs.entries()) {
        if (o.out !== ours.outs[i].out) throw new Error(`jit-qemu bench: ${loop.name}: QEMU reported ${o.out}, acpidm ${ours.outs[i].out}`);
      }
      const qmips = insns / (qemu.ms / 1000) / 1e6;
      h.report(name, mips, 'MIPS', qmips,
        `floor = QEMU TCG, same ROM, ${OUTER} × 1000 iterations: ${qmips.toFixed(0)} MIPS; ${(mips / qmips).toFixed(2)}× QEMU (goal ≥ 0.5×)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
