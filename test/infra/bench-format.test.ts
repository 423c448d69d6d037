// How `npm run bench` prints results (bench/format.js): natural units, counts as counts, latencies against their
// floor as a multiple (not "% of floor"), and no line wider than 120 columns. No speed is measured here.
import { describe, expect, it } from 'vitest';
// @ts-expect-error bench/ is plain JavaScript without type declarations
import { formatFloor, formatTable, formatValue, progressDone, progressStart, versusFloor, WIDTH } from '../../bench/format.js';

describe('bench formatter', () => {
  it('times read in ns, µs, ms, s (never "kns")', () => {
    expect(formatValue(850, 'ns')).toBe('850 ns');
    expect(formatValue(1310, 'ns')).toBe('1.31 µs');
    expect(formatValue(2.5e6, 'ns')).toBe('2.50 ms');
    expect(formatValue(1.2e9, 'ns')).toBe('1.20 s');
    expect(formatValue(1310, 'ns')).not.toMatch(/k\s*ns|kns/);
  });

  it('sizes in B/KiB/MiB, counts as plain counts, rates with an SI prefix', () => {
    expect(formatValue(512, 'bytes')).toBe('512 B');
    expect(formatValue(15872, 'bytes')).toBe('15.5 KiB');
    expect(formatValue(3.5 * 1024 * 1024, 'bytes')).toBe('3.50 MiB');
    expect(formatValue(0, 'count')).toBe('0');
    expect(formatValue(12345, 'count')).toBe('12,345');
    expect(formatValue(1.31e6, 'accesses/s')).toBe('1.31 M accesses/s');
    expect(formatValue(980, 'commands/s')).toBe('980 commands/s');
    expect(formatValue(2.65e3, 'sets/s')).toBe('2.65 k sets/s');
    expect(formatValue(412, 'MIPS')).toBe('412 MIPS');
  });

  it('a rate is compared with its floor as a percentage, a latency or size as a multiple', () => {
    expect(versusFloor(67.9, 734, 'tables/s')).toBe('9.3%');
    expect(versusFloor(1310, 620, 'ns')).toBe('2.11×');
    expect(versusFloor(1310, 620, 'ns')).not.toContain('%');
    expect(versusFloor(5, undefined, 'ns')).toBe('');
    expect(formatFloor(327e6, 'accesses/s')).toBe('327 M');
    expect(formatFloor(620, 'ns')).toBe('620 ns');
  });

  it('every line of the table fits 120 columns; long names wrap, notes go below their row', () => {
    const long = 'xen: xl create -> ACPI poweroff -> domain_destroy, qemu-dm in a worker (20 sequential), with a name that is far too long for one column';
    const lines: string[] = formatTable([
      { name: long, value: 12.5, unit: 'domains/s', note: 'includes Worker start-up '.repeat(8) },
      { name: 'bus outl+inl split into bytes', value: 25.3e6, unit: 'accesses/s', floor: 232e6, rme: 11, samples: 28 },
      { name: 'cross-thread sync round trip median latency', value: 1310, unit: 'ns', floor: 620 },
    ]);
    expect(WIDTH).toBe(120);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(120);
    // the whole name, its words in order, across the wrapped lines
    const esc = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(lines.join('\n')).toMatch(new RegExp(long.split(' ').map(esc).join('\\s+(?:[^\\n]*\\n\\s+)?')));
    expect(lines.some((l) => l.startsWith('    includes Worker start-up'))).toBe(true);
    const row = lines.find((l) => l.startsWith('bus outl+inl'))!;
    expect(row).toMatch(/25\.3 M accesses\/s\s+232 M\s+10\.9%\s+±11\.0% \(28\)$/);
    expect(lines.find((l) => l.startsWith('cross-thread'))).toMatch(/1\.31 µs\s+620 ns\s+2\.11×$/);
  });

  it('progress: one stderr line per bench file, started then completed', () => {
    expect(progressStart(2, 10, 'cpu.bench.js') + progressDone(12.34, 4)).toBe('bench [2/10] cpu.bench.js ... 4 results in 12.3 s\n');
    expect(progressDone(1, 1)).toBe(' 1 result in 1.0 s\n');
  });
});
