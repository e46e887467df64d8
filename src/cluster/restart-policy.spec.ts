import { describe, expect, it } from '@jest/globals';
import { quickDeathsAfter, restartDelayMs, STABLE_AFTER_MS } from './restart-policy.js';

describe('worker restart policy', () => {
  it('counts deaths in a row of workers that did not live STABLE_AFTER_MS, and forgets them after one that did', () => {
    expect(quickDeathsAfter(0, 100)).toBe(1);
    expect(quickDeathsAfter(3, STABLE_AFTER_MS - 1)).toBe(4);
    expect(quickDeathsAfter(7, STABLE_AFTER_MS)).toBe(0);
  });

  it('restarts at once after an occasional crash, then backs off doubling up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5].map(restartDelayMs)).toEqual([0, 250, 500, 1000, 2000, 4000]);
    expect(restartDelayMs(8)).toBe(30_000);
    expect(restartDelayMs(10_000)).toBe(30_000);
  });
});
