import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-io.js';
import { parseMemSize, parseRunArgs } from '../../src/cli/qemu-args.js';

describe('acpidm run: the QEMU command-line subset', () => {
  it('accepts a typical firmware-work command line unchanged', () => {
    const cfg = parseRunArgs(['-M', 'pc', '-accel', 'tcg', '-m', '64', '-nographic', '-display', 'none', '-S', '-no-shutdown',
      '-chardev', 'file,id=dbg,path=/tmp/dbg.txt', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg',
      '-global', 'PIIX4_PM.s4_val=3', '-global', 'PIIX4_PM.disable_s3=1', '-machine', 'smm=off', '-icount', 'shift=2,sleep=off',
      '-D', '/tmp/t.jsonl', '-trace', 'acpi_*', '-kernel', 'k.bin']);
    expect(cfg).toMatchObject({
      memoryMiB: 64, startPaused: true, noShutdown: true, smm: false, s4Val: 3, disableS3: true, disableS4: false,
      icountShift: 2, traceFile: '/tmp/t.jsonl', tracePatterns: ['acpi_*'], kernel: 'k.bin',
      debugcons: [{ port: 0x402, sink: { kind: 'file', path: '/tmp/dbg.txt' } }],
    });
  });

  it('takes the Linux command line: -kernel bzImage -initrd FILE -append STRING', () => {
    const cfg = parseRunArgs(['-M', 'pc', '-m', '128', '-kernel', 'bzImage', '-initrd', 'initrd.cpio.gz', '-append', 'console=ttyS0 panic=-1', '-no-reboot']);
    expect(cfg).toMatchObject({ kernel: 'bzImage', initrd: 'initrd.cpio.gz', append: 'console=ttyS0 panic=-1', noReboot: true });
    expect(() => parseRunArgs(['-initrd', 'x'])).toThrow(/-initrd needs -kernel/);
  });

  it('-cpu NAME picks a CPU model of src/cpu/cpu-model.ts; others, and feature flags, are refused with the list', () => {
    expect(parseRunArgs([]).cpuModel).toBe('acpidm');
    expect(parseRunArgs(['-cpu', '486']).cpuModel).toBe('486');
    expect(() => parseRunArgs(['-cpu', 'host'])).toThrow(/-cpu host: not implemented; available models: 486 .*, acpidm /);
    expect(() => parseRunArgs(['-cpu', 'acpidm,+vme'])).toThrow(/feature flags \(\+vme\) are not supported/);
  });

  it('maps -debugcon to port 0xe9 as QEMU hw/char/debugcon.c does', () => {
    expect(parseRunArgs(['-debugcon', 'stdio']).debugcons).toEqual([{ port: 0xe9, sink: { kind: 'stdio' } }]);
    expect(parseRunArgs(['-chardev', 'stdio,id=c', '-device', 'isa-debugcon,chardev=c']).debugcons[0]!.port).toBe(0xe9);
  });

  it.each([
    [['-accel', 'kvm'], /only '-accel tcg'/],
    [['-M', 'q35'], /-machine q35: the Q35\/ICH9 machine is not modelled yet/],
    [['-frobnicate'], /unsupported option '-frobnicate'[\s\S]*-bios FILE/],
    [['-m'], /needs an argument/],
    [['-m', 'lots'], /not a memory size/],
    [['-global', 'PIIX4_PM.s4_val=9'], /3 bits/],
    [['-device', 'isa-debugcon,chardev=nope'], /no -chardev with id=nope/],
    [['-icount', 'auto'], /fixed shift/],
    [['-qmp'], /needs an argument/],
  ])('rejects %j with a clear error', (argv, msg) => {
    expect(() => parseRunArgs(argv as string[])).toThrow(CliError);
    expect(() => parseRunArgs(argv as string[])).toThrow(msg as RegExp);
  });

  it('reads -m sizes as QEMU does (bare number = MiB)', () => {
    expect(parseMemSize('64')).toBe(64);
    expect(parseMemSize('1G')).toBe(1024);
    expect(parseMemSize('512M')).toBe(512);
  });
});
