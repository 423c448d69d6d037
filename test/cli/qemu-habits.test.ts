// The options QEMU users type first (issue 15): -smp 1, -name, -nodefaults, -M q35 refused, -device
// isa-debug-exit and pc-testdev (exit status and port behaviour compared with real qemu-system-i386: skipped
// by hand without it, required under CI=true), -trace filtering and QEMU's warning, QMP human-monitor-command
// and the query-* commands.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { parseRunArgs } from '../../src/cli/qemu-args.js';
import { tempDir } from '../tmp-dir.js';
import { scenario } from '../qmp/scenario-harness.js';

const CI = process.env.CI === 'true';
const hasQemu = (() => { try { execFileSync('which', ['qemu-system-i386'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const dir = tempDir('acpidm-habits-');

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await main(['run', ...argv], io);
  return { code, out: io.out, err: io.err };
}

/** A 64 KiB BIOS whose reset vector (F000:FFF0) runs `code`. */
function bios(name: string, code: number[]): string {
  const rom = new Uint8Array(64 * 1024);
  rom.set(code, 0xfff0);
  const p = join(dir, `${name}.bin`);
  writeFileSync(p, rom);
  return p;
}
// mov dx, 0x501; mov al, 0x21; out dx, al; hlt  -> exit status (0x21 << 1) | 1 = 67
const EXIT_21 = [0xba, 0x01, 0x05, 0xb0, 0x21, 0xee, 0xf4];
// mov eax, 0x12345678; out 0xe0, eax; in al, 0xea (byte 2 of the scratch register); mov dx, 0x501; out dx, al; hlt
const TESTDEV = [0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, 0x66, 0xe7, 0xe0, 0xe4, 0xea, 0xba, 0x01, 0x05, 0xee, 0xf4];

function qemuStatus(rom: string, extra: string[]): number | null {
  const r = spawnSync('qemu-system-i386', ['-display', 'none', '-nodefaults', '-bios', rom, ...extra], { timeout: 20_000 });
  return r.status;
}

describe('acpidm run: QEMU habits', () => {
  it('-smp 1 is accepted; more CPUs are refused with the reason', async () => {
    expect(parseRunArgs(['-smp', '1']).xen).toBe(false);
    expect(parseRunArgs(['-smp', 'cpus=1,sockets=1']).xen).toBe(false);
    const r = await run('-smp', '2');
    expect(r.code).toBe(2);
    expect(r.err).toContain('-smp 2: acpidm models a single CPU');
  });

  it('-M q35 is refused with a clear message', async () => {
    const r = await run('-M', 'q35');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Q35\/ICH9 machine is not modelled yet.*-M pc/);
  });

  it('-name and -nodefaults are accepted; -nodefaults drops the default COM1', () => {
    const c = parseRunArgs(['-name', 'vm1', '-nodefaults']);
    expect(c.name).toBe('vm1');
    expect(c.serials).toEqual([]);
    expect(parseRunArgs(['-name', 'guest=vm2,debug-threads=on']).name).toBe('vm2');
  });

  it("firmware/README.md's QEMU line (-smp 1 -nodefaults -serial none -monitor none) runs unchanged", async () => {
    const r = await run('-smp', '1', '-nodefaults', '-serial', 'none', '-monitor', 'none', '-display', 'none', '-kernel', join(import.meta.dirname, '../../firmware/guests/poweroff.bin'));
    expect(r.code, r.err).toBe(0);
  });

  it('-device isa-debug-exit: a guest write of 0x21 exits with (0x21 << 1) | 1 = 67, as QEMU does', async () => {
    const rom = bios('exit21', EXIT_21);
    const r = await run('-bios', rom, '-device', 'isa-debug-exit,iobase=0x501,iosize=2', '--quiet');
    expect(r.code).toBe(67);
    if (!hasQemu) {
      if (CI) throw new Error('qemu-system-i386 missing (required under CI=true)');
      console.warn('skipping the QEMU comparison: qemu-system-i386 not installed');
      return;
    }
    expect(qemuStatus(rom, ['-device', 'isa-debug-exit,iobase=0x501,iosize=2'])).toBe(67);
  }, 30_000);

  it('-device pc-testdev: the 0xe0 scratch register read back byte-wise at 0xe8+2 gives the same exit status as QEMU', async () => {
    const rom = bios('testdev', TESTDEV);
    const r = await run('-bios', rom, '-device', 'pc-testdev', '-device', 'isa-debug-exit', '--quiet');
    expect(r.code).toBe(((0x34 << 1) | 1) & 0xff);
    if (!hasQemu) {
      if (CI) throw new Error('qemu-system-i386 missing (required under CI=true)');
      return;
    }
    expect(qemuStatus(rom, ['-device', 'pc-testdev', '-device', 'isa-debug-exit'])).toBe(r.code);
  }, 30_000);

  it('-trace PATTERN -D FILE writes only the events the pattern names; an unknown event name warns as QEMU does', async () => {
    const f = join(dir, 'trace.jsonl');
    const r = await run('-trace', 'acpi_pm1*', '-D', f, '-trace', 'no_such_event');
    expect(r.code).toBe(0);
    const names = new Set(readFileSync(f, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event));
    expect(names.size).toBeGreaterThan(0);
    for (const n of names) expect(n).toMatch(/^acpi_pm1/);
    expect(r.err).toContain("-trace no_such_event: warning: trace event 'no_such_event' does not exist");
  });
});

describe('QMP: human-monitor-command and the query-* commands', () => {
  it('info status, system_powerdown, unknown commands; query-kvm, query-cpus-fast, query-machines, query-name', async () => {
    const s = await scenario();
    try {
      const c = s.client;
      expect(await c.execute('human-monitor-command', { 'command-line': 'info status' })).toBe('VM status: running\n');
      expect(await c.execute('human-monitor-command', { 'command-line': 'stop' })).toBe('');
      expect(await c.execute('human-monitor-command', { 'command-line': 'info status' })).toBe('VM status: paused\n');
      expect(await c.execute('human-monitor-command', { 'command-line': 'frobnicate' })).toBe("unknown command: 'frobnicate'\n");
      expect(await c.execute('query-kvm')).toEqual({ enabled: false, present: false });
      expect(await c.execute('query-cpus-fast')).toMatchObject([{ 'cpu-index': 0, target: 'x86_64' }]);
      // the pc machine and QEMU's empty board `none` (what libvirt probes with)
      expect(await c.execute('query-machines')).toMatchObject([{ name: 'pc-i440fx-7.2', alias: 'pc', 'is-default': true, 'cpu-max': 1 }, { name: 'none' }]);
      expect(await c.execute('query-name')).toBeTypeOf('object');
    } finally {
      await s.close();
    }
  });
});
