// How `npm run bench` prints its results for a person (the JSON output is untouched by this file).
// Pure functions, unit-tested in test/infra/bench-format.test.ts.
//
// Units a bench file may use, and how they read:
//   'ns'                  a time: 850 ns, 1.31 µs, 2.50 ms, 1.20 s        (lower is better)
//   'bytes'               a size: 512 B, 1.5 KiB, 3.2 MiB                 (lower is better)
//   'count'               a plain count: 0, 7, 12,345
//   'X/s' (any rate)      SI prefix on the number: 1.31 M accesses/s, 980 commands/s (higher is better)
//   anything else         the number and the unit: 412.00 MIPS

export const WIDTH = 120;

/** Three significant figures, trailing zeros kept (1.31, 13.1, 131). */
function sig3(v) {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

const group = (n) => Math.round(n).toLocaleString('en-US');

/** A number with its unit, as a person reads it. */
export function formatValue(value, unit) {
  if (!Number.isFinite(value)) return `${value} ${unit}`;
  if (unit === 'ns') {
    const a = Math.abs(value);
    if (a < 1e3) return `${sig3(value)} ns`;
    if (a < 1e6) return `${sig3(value / 1e3)} µs`;
    if (a < 1e9) return `${sig3(value / 1e6)} ms`;
    return `${sig3(value / 1e9)} s`;
  }
  if (unit === 'bytes') {
    const a = Math.abs(value);
    if (a < 1024) return `${Math.round(value)} B`;
    if (a < 1024 ** 2) return `${sig3(value / 1024)} KiB`;
    if (a < 1024 ** 3) return `${sig3(value / 1024 ** 2)} MiB`;
    return `${sig3(value / 1024 ** 3)} GiB`;
  }
  if (unit === 'count') return group(value);
  if (unit.endsWith('/s')) {
    const a = Math.abs(value);
    if (a >= 1e9) return `${sig3(value / 1e9)} G ${unit}`;
    if (a >= 1e6) return `${sig3(value / 1e6)} M ${unit}`;
    if (a >= 1e3) return `${sig3(value / 1e3)} k ${unit}`;
    return `${sig3(value)} ${unit}`;
  }
  return `${sig3(value)} ${unit}`;
}

/** Units where a smaller number is the better one. */
export const lowerIsBetter = (unit) => unit === 'ns' || unit === 'bytes';

/**
 * How a result stands against its floor: a rate as a percentage of the floor's rate ("9.3%"); a time or a size
 * as a multiple of the floor ("2.10×": it takes 2.1 times as long), never as a percentage. '' without a floor.
 */
export function versusFloor(value, floor, unit) {
  if (floor === undefined || floor === 0 || !Number.isFinite(floor)) return '';
  if (lowerIsBetter(unit)) return `${(value / floor).toFixed(2)}×`;
  return `${((value / floor) * 100).toFixed(1)}%`;
}

/** The floor in the value's unit; a rate's unit is left off (the value column names it). */
export function formatFloor(floor, unit) {
  if (floor === undefined) return '';
  const s = formatValue(floor, unit);
  return unit.endsWith('/s') && s.endsWith(` ${unit}`) ? s.slice(0, -unit.length - 1) : s;
}

/** Words of `text` in lines of at most `width` columns (a word longer than that gets a line of its own). */
export function wrap(text, width) {
  const out = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || out.length === 0) out.push(line);
  return out;
}

/**
 * The results table, every line at most `width` columns. A name too long for its column wraps (the numbers are
 * on its first line); a note goes on the lines below its row, indented.
 */
export function formatTable(results, width = WIDTH) {
  const cells = results.map((r) => [
    formatValue(r.value, r.unit),
    formatFloor(r.floor, r.unit),
    versusFloor(r.value, r.floor, r.unit),
    r.rme !== undefined ? `±${r.rme.toFixed(1)}% (${r.samples})` : '',
  ]);
  const head = ['value', 'floor', 'vs floor', '±margin (n)'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const numbers = w.reduce((s, n) => s + n + 2, 0);
  const nameW = Math.max(20, Math.min(width - numbers, Math.max(9, ...results.map((r) => r.name.length))));
  const row = (nameLine, c) => [nameLine.padEnd(nameW), ...c.map((x, i) => x.padStart(w[i]))].join('  ').trimEnd();
  const lines = [row('benchmark', head), '-'.repeat(Math.min(width, nameW + numbers))];
  results.forEach((r, k) => {
    const names = wrap(r.name, nameW);
    lines.push(row(names[0], cells[k]));
    for (const n of names.slice(1)) lines.push(`  ${n}`);
    if (r.note) for (const n of wrap(r.note, width - 4)) lines.push(`    ${n}`);
  });
  return lines;
}

/** The stderr progress line of one bench file, written when it starts (`bench [2/10] cpu.bench.js ...`); when it
 * ends, `done(seconds)` completes the same line. */
export const progressStart = (index, total, file) => `bench [${index}/${total}] ${file} ...`;
export const progressDone = (seconds, results) => ` ${results} result${results === 1 ? '' : 's'} in ${seconds.toFixed(1)} s\n`;
