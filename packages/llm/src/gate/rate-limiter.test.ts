import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@sylk/core';
import { ProviderRateLimiter } from './rate-limiter.js';
import type { RateWarning } from './rate-limiter.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ProviderRateLimiter', () => {
  it('pauses on 429 for min(1 s × 2^attempt, 5 min), Retry-After overriding, success resetting', () => {
    const clock = new ManualClock(0);
    const l = new ProviderRateLimiter('anthropic', undefined, clock, () => {});
    expect(l.pausedUntil()).toBe(0);
    const pauses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const resume = l.onRateLimited({});
      pauses.push(resume - clock.now());
      expect(l.pausedUntil()).toBe(resume);
      clock.advance(resume - clock.now());
      expect(l.pausedUntil()).toBe(0);
    }
    expect(pauses).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000]);
    expect(l.onRateLimited({ retryAfterMs: 2_500 }) - clock.now()).toBe(2_500);
    clock.advance(2_500);
    l.onSuccess();
    expect(l.onRateLimited({}) - clock.now()).toBe(1_000);
  });

  it('pauses until the reset when headers say a limit is exhausted', () => {
    const clock = new ManualClock(0);
    const l = new ProviderRateLimiter('openai', undefined, clock, () => {});
    l.observe({ requestsRemaining: 5, resetMs: 9_000 }, 'm');
    expect(l.pausedUntil()).toBe(0);
    l.observe({ requestsRemaining: 0, resetMs: 9_000 }, 'm');
    expect(l.pausedUntil()).toBe(9_000);
  });

  it('warns once per period at 80% of a soft limit', () => {
    const clock = new ManualClock(0);
    const warnings: RateWarning[] = [];
    const l = new ProviderRateLimiter('anthropic', { requestsPerMinute: 10, tokensPerMinute: 1_000 }, clock, (w) =>
      warnings.push(w),
    );
    for (let i = 0; i < 7; i++) l.record('m', 10);
    expect(warnings).toEqual([]);
    l.record('m', 10);
    l.record('m', 10);
    l.record('m', 10);
    expect(warnings).toEqual([{ resource: 'requests', model: undefined, used: 8, limit: 10, periodEnd: 60_000 }]);
    l.record('m', 800);
    expect(warnings.map((w) => w.resource)).toEqual(['requests', 'tokens']);
    clock.advance(60_000);
    for (let i = 0; i < 8; i++) l.record('m', 1);
    expect(warnings).toHaveLength(3);
    void l.close();
  });

  it('paces with a request bucket (reservoir + refresh) when configured, and costs nothing when not', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(0);
    expect(new ProviderRateLimiter('google', undefined, clock, () => {}).acquire('m', 10)).toBeUndefined();
    const l = new ProviderRateLimiter('google', { models: { m: { requestsPerMinute: 2 } } }, clock, () => {});
    expect(l.acquire('other', 10)).toBeUndefined();
    let done = 0;
    for (let i = 0; i < 3; i++) void l.acquire('m', 10)?.then(() => done++);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(done).toBe(3);
    vi.useRealTimers(); // Bottleneck's disconnect waits on a real tick
    await l.close();
  });
});
