// The end of `acpidm run`: readable at any length, and the same verdict in every output mode (issue 14).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/cli/cli-io.js';
import { main } from '../../src/cli/main.js';
import { fitLines, foldRepeats, listLines, summarizeLinks } from '../../src/machine/cause-summary.js';
import type { CauseLink } from '../../src/machine/cause-chain.js';
import { Timeline } from '../../src/machine/timeline.js';

const guest = (n: string) => join(__dirname, '../../firmware/guests', `${n}.bin`);

describe('acpidm run: the summary fits on a screen, the verdict is in every mode', () => {
  it('reboot.bin without -no-reboot: thousands of guest resets fold into one line; no line wider than 100 columns', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('reboot'), '--max-insns', '3000000', '-debugcon', 'null'], io)).toBe(4);
    const summary = io.out.slice(io.out.indexOf('\nevents:'));
    const lines = summary.split('\n');
    // Before: one `events:` line of 257,676 characters and 5,726 chain lines for the default 200 M budget.
    expect(lines.length).toBeLessThan(20);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    const n = /RESET \{guest: true, reason: guest-reset\} ×([\d,]+), last at/.exec(summary);
    expect(n).not.toBeNull();
    const count = Number(n![1]!.replace(/,/g, ''));
    expect(count).toBeGreaterThan(50);
    // Each guest reboot is two RESETs, as on QEMU with SeaBIOS: the guest's, then the firmware's hard reboot after
    // its warm entry (seabios-post.ts). The chain folds the pair; the verdict counts the guest's reboots.
    expect(count % 2).toBe(0);
    expect(summary).toMatch(new RegExp(`#1\\.\\.#${count} cycle of 2: guest via reset-kbc: outb 0x64 <== 0xfe \\(pulse reset line\\) → guest via reset`));
    const guestReboots = (count / 2).toLocaleString('en-US');
    expect(summary.replace(/\n {2}/g, ' ')).toMatch(new RegExp(`verdict: reset ×${guestReboots}, last at [\\d.]+ ms \\[RESET \\{guest: true, reason: guest-reset\\}\\] by the guest: outb 0x64 <== 0xfe \\(pulse reset line\\) at 0008:[0-9a-f]{8}`));
  });

  it('--json ends with a verdict record (chain, run state, exit status, reason, every link); --quiet prints the one-line verdict', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('poweroff'), '--json'], io)).toBe(0);
    const recs = io.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.length).toBeGreaterThan(5);
    expect(recs.slice(0, -1).every((r) => typeof r['event'] === 'string')).toBe(true); // trace lines first
    const v = recs.at(-1)!;
    expect(v).toMatchObject({
      kind: 'verdict', outcome: 'shutdown', runState: 'running', exitStatus: 0, reason: 'shutdown', actor: 'guest', root: 'guest',
      event: { event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' } },
      chain: [expect.objectContaining({ requester: 'guest', mechanism: 'pm1a-cnt', evidence: expect.objectContaining({ cs: 8, port: 0x604, value: 0x2000 }) })],
    });
    expect(v['links']).toHaveLength(1);
    const quiet = captureIo();
    expect(await main(['run', '-kernel', guest('poweroff'), '--quiet'], quiet)).toBe(0);
    expect(quiet.out).toBe('');
    expect(quiet.err).toBe(`verdict: ${String(v['sentence'])}\n`);
  });

  it('halt.bin --quiet: the verdict says it halted (exit 3), with no request to blame', async () => {
    const io = captureIo();
    expect(await main(['run', '-kernel', guest('halt'), '--quiet'], io)).toBe(3);
    expect(io.err).toBe('verdict: halted; every CPU is in HLT with IF=0 and nothing is pending; exit 3\n');
  });
});

describe('cause-summary', () => {
  const link = (id: number, what: string, t = id * 1e6): CauseLink => ({ id, requester: 'guest', mechanism: 'reset-cf9', what, t });

  it('folds runs of one item and of a repeated block; keeps short repeats as they are', () => {
    const keys = (xs: string[]) => foldRepeats(xs, (x) => x).map((r) => `${r.items.join('')}×${r.count}`);
    expect(keys(['a', 'a', 'a', 'a', 'b'])).toEqual(['a×4', 'b×1']);
    expect(keys(['x', 'a', 'b', 'a', 'b', 'a', 'b', 'y'])).toEqual(['x×1', 'ab×3', 'y×1']);
    expect(keys(['a', 'a', 'b'])).toEqual(['a×1', 'a×1', 'b×1']); // fewer than 3 repeats: not folded
  });

  it('summarizeLinks: a cycle of two links ×N with ids and the time of the last', () => {
    const links: CauseLink[] = [];
    for (let i = 0; i < 10; i++) links.push(link(2 * i + 1, 'S5'), link(2 * i + 2, 'reset'));
    expect(summarizeLinks(links)).toEqual(['#1..#20 cycle of 2: guest via reset-cf9: S5 → guest via reset-cf9: reset ×10, last at 20.000 ms']);
  });

  it('fitLines and listLines keep to the width and line budget and say how much they left out', () => {
    const items = Array.from({ length: 200 }, (_, i) => `item-${i}`);
    const f = fitLines(items, { width: 40, maxLines: 3, more: 'see --json' });
    expect(f.every((l) => l.length <= 40)).toBe(true);
    expect(f.at(-1)).toMatch(/^… \d+ more \(see --json\)$/);
    expect(f.length).toBe(4);
    const l = listLines(items, { width: 40, maxLines: 6, indent: '  ' });
    expect(l).toEqual(['  item-0', '  item-1', '  item-2', '  … 195 more', '  item-198', '  item-199']);
    expect(listLines(['x'.repeat(200)], { width: 50 })[0]).toHaveLength(50);
  });
});

describe('timeline budget', () => {
  it('a bounded timeline says how many lines it dropped, in its first line', () => {
    const t = new Timeline(() => 0, { maxLines: 10 });
    for (let i = 0; i < 23; i++) t.note(`line ${i}`);
    // every note is either still there or counted in the marker
    expect(t.dropped).toBe(23 - (t.lines.length - 1));
    expect(t.dropped).toBeGreaterThan(10);
    expect(t.lines[0]).toBe(`        ...  (${t.dropped} older lines dropped)`);
    expect(t.lines.at(-1)).toMatch(/line 22$/);
    expect(t.lines.length).toBeLessThanOrEqual(10);
  });
});
