/**
 * Folds a reboot loop: the messages are cut into cycles after each cycle end (QEMU's RESET event, Xen's
 * DOMAIN_DEATH), and consecutive cycles that say the same thing (numbers aside: times, domain ids, counters)
 * become one box with a count, showing the last of them.
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
  for (let i = 0; i < cycles.length;) {
    let j = i + 1;
    while (j < cycles.length && cycles[j]!.key === cycles[i]!.key) j++;
    if (j - i >= 2) {
      const first = cycles[i]!;
      const last = cycles[j - 1]!;
      // The last cycle is the one shown: the run's deciding transition is in it.
      folds.push({ start: first.start, end: last.end, shown: last.start, length: last.end - last.start, count: j - i,
        firstT: msgs[first.start]!.t, lastT: msgs[last.start]!.t });
    }
    i = j;
  }
  return folds;
}
