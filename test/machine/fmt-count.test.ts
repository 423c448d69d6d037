import { describe, expect, it } from 'vitest';
import { fmtCount } from '../../src/machine/cause-summary.js';

describe('fmtCount', () => {
  it('prints what toLocaleString("en-US") prints, integers without Intl', () => {
    for (const n of [0, 7, 999, 1000, 12345, 220971783, -1, -1234, -999999, 1e15, Number.MAX_SAFE_INTEGER, 1.5, 1234.5678, 1e21]) {
      expect(fmtCount(n), String(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});
