/**
 * Folds a reboot loop: the messages are cut into cycles after each cycle end (QEMU's RESET event, Xen's
 * DOMAIN_DEATH), and consecutive cycles (or pairs of cycles) that say the same thing (numbers aside: times, domain
 * ids, counters) become one box with a count, showing the last of them.
 */
import type { Fold, Message } from './swimlane.js';

const shape = (m: Message): string => `${m.from}>${m.to}:${m.kind}:${m.label.replace(/\d+/g, '#')}`;

export function foldCycles(msgs: readonly Message[], isEnd: (m: Message) => boolean): Fold[] {
  const cycles: { start: number; end: number; key: string }[] = [];
  let start = 0;
  for (let i = 0; i < msgs.length; i++) {
    if (!isEnd(msgs[i]!) && i !== msgs.length - 1) continue;
    cycles.push({ start, end: i + 1, key: msgs.slice(start, i + 1).map(shape).join('\n') });
    start = i + 1;
  }
  const folds: Fold[] = [];
  // A repeated group is one cycle, or two (a guest reset, then the built-in firmware's hard reboot after its warm
  // entry, as SeaBIOS does on QEMU): the group that covers the most cycles wins, the single cycle on a tie.
  const same = (a: number, b: number, p: number) => {
    for (let k = 0; k < p; k++) if (cycles[a + k]!.key !== cycles[b + k]!.key) return false;
    return true;
  };
  for (let i = 0; i < cycles.length;) {
    let n = 1;
    let p = 1;
    for (const q of [1, 2]) {
      let m = 1;
      while (i + (m + 1) * q <= cycles.length && same(i, i + m * q, q)) m++;
      if (m >= 2 && m * q > n * p) { n = m; p = q; }
    }
    if (n < 2) { i++; continue; }
    const first = cycles[i]!;
    const last = cycles[i + (n - 1) * p]!;
    const end = cycles[i + n * p - 1]!.end;
    // The last group is the one shown: the run's deciding transition is in it.
    folds.push({ start: first.start, end, shown: last.start, length: end - last.start, count: n,
      firstT: msgs[first.start]!.t, lastT: msgs[last.start]!.t });
    i += n * p;
  }
  return folds;
}
