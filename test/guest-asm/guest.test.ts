// NASM guest tests (sources in test/guest-asm/src, binaries committed in bin/, rebuilt by build.sh). Each guest
// checks itself with the mac.inc assertions and prints through port 0xE9; the test compares that output byte for
// byte with the committed expected/<name>.txt and checks how the run ended.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guestBin, guestExpected, runGuest, runGuestOnBochs, runGuestOnQemu } from './harness.js';
import { tempDir } from '../tmp-dir.js';

describe('NASM guest tests', () => {
  it.each(['alu32', 'privilege', 'paging', 'exceptions', 'strings', 'misc486', 'unreal', 'pm16', 'sys386', 'pse', 'v86', 'task', 'ioloop', 'eipwrap', 'ipwrap16', 'rmwfault'])('%s prints its expected output and exits 0', (name) => {
    const r = runGuest(guestBin(name));
    expect(r.out).toBe(guestExpected(name));
    expect(r.exit).toBe('stopped');
    expect(r.exitCode).toBe(0);
  });
  it('triple: a fault with an empty IDT ends in a triple fault (reset request)', () => {
    const r = runGuest(guestBin('triple'));
    expect(r.out).toBe(guestExpected('triple'));
    expect(r.exit).toBe('triple-fault');
    expect(r.exitCode).toBe(null);
  });
  it('intr: INTR through the LAPIC gate, HLT wake-up, STI shadow, INTR raised by a read, then halted with IF=0', () => {
    const r = runGuest(guestBin('intr'));
    expect(r.out).toBe(guestExpected('intr'));
    expect(r.exit).toBe('halted-cli');
    expect(r.acked).toEqual([0x30, 0x30, 0x31, 0x30]);
  });
});

// The block compiler against the interpreter on the system-side guests (V86, 4 MiB pages, stack corner cases):
// the same output and the same retired-instruction count with every block compiled at once, and with no compiler.
describe('compiled blocks agree with the interpreter on the system guests', () => {
  it.each(['sys386', 'pse', 'v86', 'task', 'privilege', 'paging', 'ioloop', 'eipwrap', 'ipwrap16', 'rmwfault'])('%s', (name) => {
    const eager = runGuest(guestBin(name), 50_000_000, { jit: true, jitThreshold: 0 });
    const interp = runGuest(guestBin(name), 50_000_000, { jit: false });
    expect(eager.cpu.blocksCompiled).toBeGreaterThan(0);
    expect(eager.out).toBe(interp.out);
    expect(eager.out).toBe(guestExpected(name));
    expect(eager.insns).toBe(interp.insns);
  });
});

// The guests that use only ports 0xE9 and 0xF4 also run on real QEMU (qemu-system-i386 TCG, Debian 7.2). Where QEMU's
// output is not ours, expected/<name>.qemu.txt records what QEMU printed and QEMU_GAPS says why it differs.
const QEMU_GUESTS = ['sys386', 'pse', 'v86', 'task', 'ioloop', 'eipwrap', 'ipwrap16', 'rmwfault'];
const QEMU_GAPS: Record<string, string[]> = {
  sys386: [
    'ENTER: QEMU TCG (target/i386/tcg/translate.c gen_enter) does not check the final stack slot, so no #SS; ' +
      'Bochs (cpu/stack.cc ENTER32_IwIb, read_RMW_virtual_dword_32 on the new ESP) and the SDM do',
    'LOCK: QEMU 7.2 TCG executes LOCK MOV [mem] without #UD (lock checked only on some forms); the SDM (LOCK) and ' +
      'Bochs (decoder: lock on a non-lockable opcode is #UD) raise #UD',
  ],
  ipwrap16: [
    'real-mode CS limit: QEMU 7.2 TCG fetches code at CS base + EIP with no limit check (target/i386/tcg/translate.c, ' +
      'the translator\'s code loads), so the byte after CS:FFFF comes from CS base + 0x10000 and no #GP is raised; ' +
      'Bochs 2.7 raises #GP(0) at the fetch past the limit, as the SDM says and acpidm does',
  ],
  rmwfault: [
    'RCL on memory into a read-only page: QEMU 7.2 TCG leaves OF set in the #PF frame\'s EFLAGS (0x847 where the ' +
      'instruction began with 0x47), the flags of the rotate it did not complete; the SDM (Vol. 3A 6.5: a fault ' +
      'leaves the state before the instruction), Bochs 2.7 and acpidm keep them. The other seven forms agree',
    'ADD and XCHG into a not-present page: QEMU 7.2 TCG reports the load (error code 0); Bochs 2.7 ' +
      '(cpu/paging.cc: a BX_RW access sets bit 1) and acpidm read the operand with write intent and report a write (2)',
  ],
  task: [
    '16-bit TSS: QEMU (target/i386/tcg/seg_helper.c switch_tss_ra) zero-extends the 16-bit registers it loads; ' +
      'Bochs (cpu/tasking.cc: "upper word of general registers is set to 0xFFFF") sets the upper halves to 0xFFFF, and ' +
      'acpidm follows Bochs (the SDM leaves them undefined)',
    'T bit: QEMU 7.2 TCG raises no #DB when it switches to a TSS whose T bit is set (observed here); the SDM (§7.2.1 ' +
      '"debug trap bit") and Bochs (tasking.cc: BX_DEBUG_TRAP_TASK_SWITCH_BIT) raise #DB before the first instruction',
  ],
};
const hasQemu = spawnSync('qemu-system-i386', ['--version']).status === 0;
describe('the same guests on real QEMU', () => {
  it.runIf(!hasQemu && process.env.CI === 'true')('qemu-system-i386 is required in CI', () => {
    expect.fail('qemu-system-i386 is not installed (Debian qemu-system-x86): it is the oracle for these guests');
  });
  it.runIf(!hasQemu && process.env.CI !== 'true')('skipped: qemu-system-i386 not installed', () => {
    console.warn('SKIP: qemu-system-i386 not installed; the guest-asm QEMU comparison did not run');
  });
  it.skipIf(!hasQemu).each(QEMU_GUESTS)('%s prints on QEMU what acpidm prints (or the recorded QEMU gaps)', (name) => {
    const q = runGuestOnQemu(guestBin(name))!;
    const gaps = QEMU_GAPS[name] ?? [];
    const want = gaps.length ? readFileSync(fileURLToPath(new URL(`./expected/${name}.qemu.txt`, import.meta.url)), 'latin1') : guestExpected(name);
    expect(q.out).toBe(want);
    if (gaps.length === 0) expect(q.exitCode).toBe(0);
  });
});

// And on real Bochs 2.7 (the P6 model of the difftest), which checks segment limits where QEMU does not: the guests
// that use only ports 0xE9 and 0xF4. Where Bochs's output is not ours, expected/<name>.bochs.txt records what it
// printed and BOCHS_GAPS says why it differs. (intr, strings and misc486 use the harness's test devices or MSRs the
// acpidm model does not report; fpu's precision cases are the difftest's explained C1 rows.)
const BOCHS_GUESTS = ['alu32', 'paging', 'exceptions', 'unreal', 'pm16', 'sys386', 'pse', 'v86', 'task', 'ioloop',
  'ipwrap16', 'triple', 'privilege', 'eipwrap', 'rmwfault'];
const BOCHS_GAPS: Record<string, string[]> = {
  privilege: [
    'a dword at offset 0xFFFFFFFE of a flat 4 GiB SS: Bochs 2.7 skips the limit check for base-0 4 GiB segments ' +
      '(cpu/access.cc read_virtual_checks: SegAccessROK4G) and the access wraps; the SDM (Vol. 3A 5.3, a doubleword ' +
      'at an offset greater than the effective limit - 3) and acpidm raise #SS(0)',
    'the I/O bitmap case reads back the dword latch at port 0x500, a device of the acpidm harness that Bochs lacks ' +
      '(the IN from CPL 3 is allowed on both; Bochs returns all ones)',
  ],
  eipwrap: [
    'an instruction wrapping past 4 GiB into a page made not present just before (INVLPG): Bochs 2.7 runs it from ' +
      'the bytes it had fetched before and faults at EIP 2 (CR2 2); QEMU 7.2 and acpidm fault at the instruction ' +
      '(EIP 0xFFFFFFFD) with CR2 0, the missing byte\'s address (SDM Vol. 3A 4.7)',
  ],
};
const hasBochs = spawnSync('bochs', ['--help'], { stdio: 'ignore' }).error === undefined;
describe('the same guests on real Bochs', () => {
  it.runIf(!hasBochs && process.env.CI === 'true')('bochs is required in CI', () => {
    expect.fail('bochs is not installed (Debian bochs + bochsbios + vgabios): it is an oracle for these guests');
  });
  it.runIf(!hasBochs && process.env.CI !== 'true')('skipped: bochs not installed', () => {
    console.warn('SKIP: bochs not installed; the guest-asm Bochs comparison did not run');
  });
  it.skipIf(!hasBochs).concurrent.each(BOCHS_GUESTS)('%s prints on Bochs what acpidm prints (or the recorded Bochs gaps)', async (name) => {
    const b = (await runGuestOnBochs(guestBin(name)))!;
    const gaps = BOCHS_GAPS[name] ?? [];
    const want = gaps.length ? readFileSync(fileURLToPath(new URL(`./expected/${name}.bochs.txt`, import.meta.url)), 'latin1') : guestExpected(name);
    expect(b.out, `bochs ended: ${b.end}; its stderr ends: ${b.stderr}`).toBe(want);
    // a triple fault resets Bochs (the ROM starts again); every other guest ends with its verdict
    expect(b.end).toBe(name === 'triple' ? 'reset' : 'verdict');
  }, 90_000);
});

describe('committed guest binaries match their sources', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const hasNasm = spawnSync('nasm', ['-v']).status === 0;
  const sources = readdirSync(join(here, 'src')).filter((f) => f.endsWith('.asm'));
  it.runIf(!hasNasm && process.env.CI === 'true')('nasm is required in CI', () => {
    expect.fail('nasm is not installed: it is needed to check test/guest-asm/bin against the sources');
  });
  it.skipIf(!hasNasm).each(sources)('%s', (src) => {
    const out = join(tempDir('acpidm-guest-'), 'out.bin');
    const r = spawnSync('nasm', ['-f', 'bin', '-I', join(here, 'src') + '/', '-o', out, join(here, 'src', src)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const committed = readFileSync(join(here, 'bin', src.replace(/\.asm$/, '.bin')));
    expect(Buffer.compare(readFileSync(out), committed), `bin/${src.replace(/\.asm$/, '.bin')} is stale: run test/guest-asm/build.sh`).toBe(0);
  });
});
