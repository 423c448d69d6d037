import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../tmp-dir.js';

const guest = (n: string) => join(__dirname, '../../firmware/guests', `${n}.bin`);

describe('acpidm run (QEMU mode)', () => {
  it('with no options boots the poweroff kernel and shows the whole path, then exits 0 as QEMU does', async () => {
    const io = captureIo();
    expect(await main(['run'], io)).toBe(0);
    const out = io.out;
    // the guest's own view of the tables it found
    expect(out).toMatch(/guest\s+FADT: PM1a_EVT 0x0600 .* PM1a_CNT 0x0604/);
    expect(out).toMatch(/guest\s+AML: \\_S5_ Package\(4\) \{0, 0, 0, 0\}/);
    // the port write, its decode, the run-state change and the cause
    expect(out).toMatch(/acpi_pm1_cnt_write val 0x2000 <== typ 0 SLP_EN -> S5/);
    expect(out).toMatch(/machine_event SHUTDOWN \{guest: true, reason: guest-shutdown\}/);
    expect(out).toContain('events:\n  SHUTDOWN {guest: true, reason: guest-shutdown}\n');
    expect(out).toMatch(/#1 guest via pm1a-cnt: outw 0x0604 <== 0x2000 \(S5\) \(answers none\)/);
    // the guest kernel's own OUT: its CS:EIP and instruction count are the evidence
    expect(out).toMatch(/verdict: shut down \[SHUTDOWN \{guest: true, reason: guest-shutdown\}\] by the guest: outw 0x0604 <==\s+0x2000 \(S5\) at 0008:[0-9a-f]{8}, insn [\d,]+ \(#1\), answering none; exit 0/);
  });

  it('-no-shutdown leaves the machine in shutdown after SHUTDOWN and STOP', async () => {
    const io = captureIo();
    expect(await main(['run', '-no-shutdown'], io)).toBe(0);
    expect(io.out).toContain('events:\n  SHUTDOWN {guest: true, reason: guest-shutdown}, STOP\n');
    expect(io.out).toContain('machine is shutdown');
  });

  it('an acpi=off guest that halts with interrupts off is a named end state (exit 3)', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('halt'), '-debugcon', 'null'], io)).toBe(3);
    expect(io.out).toMatch(/guest\s+reboot: System halted/);
    expect(io.out).toContain('guest halted with interrupts disabled');
    expect(io.out).toContain('events:\n  (none)\n');
    expect(io.out).toContain('verdict: halted; every CPU is in HLT with IF=0 and nothing is pending; exit 3');
  });

  it('-no-reboot turns the 0xCF9 reset into SHUTDOWN guest-reset and exits 0', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('reboot-cf9'), '-no-reboot'], io)).toBe(0);
    expect(io.out).toContain('events:\n  SHUTDOWN {guest: true, reason: guest-reset}\n');
    expect(io.out).toMatch(/guest via reset-cf9/);
  });

  it('stops at the instruction budget and says so (exit 4)', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('bench-alu32'), '--max-insns', '50000'], io)).toBe(4);
    expect(io.out).toContain('instruction budget of 50000 instructions');
  });

  it('writes the debug console to a -chardev file and the trace to -D as JSON lines', async () => {
    const dir = tempDir('acpidm-run-');
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('poweroff'), '-chardev', `file,id=d,path=${dir}/con.txt`,
      '-device', 'isa-debugcon,iobase=0xe9,chardev=d', '-D', `${dir}/trace.jsonl`, '-trace', 'acpi_pm1_cnt_write', '--quiet'], io)).toBe(0);
    // byte for byte what the same kernel printed on real QEMU 7.2 (firmware/expected/)
    expect(readFileSync(`${dir}/con.txt`, 'latin1')).toBe(readFileSync(join(__dirname, '../../firmware/expected/poweroff.qemu.txt'), 'latin1'));
    const recs = readFileSync(`${dir}/trace.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(recs.filter((r) => r.event === 'acpi_pm1_cnt_write').map((r) => r.args.val)).toEqual([0x0000, 0x2000]);
  });

  it.each([
    [['run', '-kernel', '/nonexistent/k.bin'], 1, /-kernel '\/nonexistent\/k.bin' does not exist/],
    [['run', '-bios', guest('poweroff')], 1, /BIOS image must be a non-empty multiple of 64 KiB/],
    [['run', '-accel', 'kvm'], 2, /only '-accel tcg'/],
    [['run', '-S'], 2, /-S without -qmp/],
  ])('%j fails with a clear message', async (argv, code, msg) => {
    const io = captureIo();
    expect(await main(argv as string[], io)).toBe(code);
    expect(io.err).toMatch(msg as RegExp);
  });
});
