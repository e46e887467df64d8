import { describe, expect, it } from '@jest/globals';
import { isSuccess, MAX_RETRY_DELAY_MS, retryDelayMs, shouldDisable } from './retry-policy.js';

describe('retryDelayMs', () => {
  it('doubles from the base with jitter on the upper half, up to an hour', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, () => 1)).toBe(4000);
    expect(retryDelayMs(3, 1000, () => 0)).toBe(2000);
    expect(retryDelayMs(40, 1000, () => 1)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(10_000, 1000, () => 0.5)).toBe(MAX_RETRY_DELAY_MS * 0.75);
  });

  it('sums to about a day over 35 failures at the default base', () => {
    let total = 0;
    for (let n = 1; n <= 35; n++) total += retryDelayMs(n, 1000, () => 1);
    expect(total / 3_600_000).toBeGreaterThan(20);
    expect(total / 3_600_000).toBeLessThan(30);
  });
});

describe('shouldDisable', () => {
  const limits = { maxFailures: 5, disableAfterHours: 24 };
  const now = new Date('2024-11-21T12:00:00Z');

  it('after maxFailures rounds in a row', () => {
    expect(shouldDisable({ consecutiveFailures: 4, failingSince: now }, now, limits)).toBeUndefined();
    expect(shouldDisable({ consecutiveFailures: 5, failingSince: now }, now, limits)).toMatch(/5 failed/);
  });

  it('after failing for disableAfterHours', () => {
    const since = new Date(now.getTime() - 24 * 3_600_000);
    expect(shouldDisable({ consecutiveFailures: 1, failingSince: since }, now, limits)).toMatch(/24 h/);
    const recent = new Date(now.getTime() - 23 * 3_600_000);
    expect(shouldDisable({ consecutiveFailures: 1, failingSince: recent }, now, limits)).toBeUndefined();
  });
});

describe('isSuccess', () => {
  it('is any 2xx and nothing else', () => {
    expect([200, 201, 204, 299].map(isSuccess)).toEqual([true, true, true, true]);
    expect([undefined, 199, 301, 302, 400, 500].map(isSuccess)).toEqual([false, false, false, false, false, false]);
  });
});
