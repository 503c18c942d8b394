import { describe, expect, it } from 'vitest';
import { ErrorTier, ManualClock } from '@sylk/core';
import { DEFAULT_RETRY_POLICIES, retryDelay } from './retry.js';
import { TransientTracker } from './transient-tracker.js';

const mid = () => 0.5; // no jitter

describe('retry policies', () => {
  it('doubles from the initial delay up to the cap (default policies)', () => {
    const t = DEFAULT_RETRY_POLICIES[ErrorTier.Transient];
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => retryDelay(t, a, mid))).toEqual([100, 200, 400, 800, 1600, 3200, 5000]);
    const r = DEFAULT_RETRY_POLICIES[ErrorTier.ExternalRateLimit];
    expect([0, 5, 6, 9].map((a) => retryDelay(r, a, mid))).toEqual([1000, 32000, 60000, 60000]);
    const d = DEFAULT_RETRY_POLICIES[ErrorTier.ExternalDegrading];
    expect([0, 1, 2, 3].map((a) => retryDelay(d, a, mid))).toEqual([5000, 10000, 20000, 30000]);
    expect(DEFAULT_RETRY_POLICIES[ErrorTier.Permanent].retries).toBe(0);
    expect(DEFAULT_RETRY_POLICIES[ErrorTier.UserFixable].retries).toBe(0);
  });

  it('keeps jitter within ±10%', () => {
    const t = DEFAULT_RETRY_POLICIES[ErrorTier.Transient];
    expect(retryDelay(t, 3, () => 0)).toBe(720);
    expect(retryDelay(t, 3, () => 0.999999)).toBe(880);
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(t, 2, () => i / 100);
      expect(d).toBeGreaterThanOrEqual(360);
      expect(d).toBeLessThanOrEqual(440);
    }
  });

  it('lets Retry-After win', () => {
    expect(retryDelay(DEFAULT_RETRY_POLICIES[ErrorTier.ExternalRateLimit], 0, mid, 7_500)).toBe(7_500);
  });
});

describe('TransientTracker', () => {
  it('is silent for isolated errors, alerts at 3 within 10 s, then cools down for 60 s', () => {
    const clock = new ManualClock();
    const t = new TransientTracker(clock);
    expect(t.record('s1|llm:anthropic')).toBeUndefined();
    clock.advance(11_000);
    expect(t.record('s1|llm:anthropic')).toBeUndefined();
    clock.advance(1_000);
    expect(t.record('s1|llm:anthropic')).toBeUndefined();
    expect(t.record('s2|llm:anthropic')).toBeUndefined(); // other session: own window
    expect(t.record('s1|llm:anthropic')).toBe(3);
    for (let i = 0; i < 5; i++) expect(t.record('s1|llm:anthropic')).toBeUndefined();
    clock.advance(60_000);
    t.record('s1|llm:anthropic');
    t.record('s1|llm:anthropic');
    expect(t.record('s1|llm:anthropic')).toBe(3);
  });
});
