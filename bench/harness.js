// Benchmark harness shared by every bench/*.bench.js file.
// Each bench file exports `default async function (h)` and calls
// h.measure(name, fn, { unit, floor, perOp }) or h.report(name, value, unit, floor).
// Results are numbers only: nothing here asserts a speed.
import Benchmark from 'benchmark';

export class Harness {
  constructor() {
    /** @type {{name: string, value: number, unit: string, floor?: number, rme?: number, samples?: number, note?: string}[]} */
    this.results = [];
  }

  /**
   * Run fn with benchmark.js and record ops/s (× perOp, e.g. instructions per call).
   * Returns the measured rate.
   */
  measure(name, fn, { unit = 'ops/s', perOp = 1, floor, maxTime = 2, note } = {}) {
    const b = new Benchmark(name, fn, { maxTime, minSamples: 5 });
    b.run({ async: false });
    if (b.error) throw b.error;
    const value = b.hz * perOp;
    this.results.push({ name, value, unit, ...(floor !== undefined ? { floor } : {}), rme: b.stats.rme, samples: b.stats.sample.length, ...(note ? { note } : {}) });
    return value;
  }

  /** Record a number measured some other way (latency percentiles, bytes per domain...). */
  report(name, value, unit, floor, note) {
    this.results.push({ name, value, unit, ...(floor !== undefined ? { floor } : {}), ...(note ? { note } : {}) });
  }
}
