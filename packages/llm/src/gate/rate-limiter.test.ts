import { describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import { ProviderRateLimiter } from './rate-limiter.js';
import type { RateWarning } from './rate-limiter.js';

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
  });

  it('paces with per-minute windows for the provider and per model, and costs nothing when not configured', () => {
    const clock = new ManualClock(0);
    expect(new ProviderRateLimiter('google', undefined, clock, () => {}).blocked('m', 10)).toBeUndefined();
    const l = new ProviderRateLimiter(
      'google',
      { requestsPerMinute: 3, models: { m: { requestsPerMinute: 2 } } },
      clock,
      () => {},
    );
    clock.advance(5_000);
    for (let i = 0; i < 2; i++) {
      expect(l.blocked('m', 10)).toBeUndefined();
      l.take('m', 10);
    }
    // The model's window is full; the provider's still has one request.
    expect(l.blocked('m', 10)).toEqual({ resource: 'requests', model: 'm', limit: 2, until: 65_000 });
    expect(l.blocked('other', 10)).toBeUndefined();
    l.take('other', 10);
    expect(l.blocked('other', 10)).toEqual({ resource: 'requests', model: undefined, limit: 3, until: 65_000 });
    expect(l.used()).toEqual({ requests: 3, tokens: 0 });
    clock.advance(59_999);
    expect(l.blocked('m', 10)?.until).toBe(65_000);
    clock.advance(1);
    expect(l.blocked('m', 10)).toBeUndefined();
    expect(l.used()).toEqual({ requests: 0, tokens: 0 });
  });

  it('weighs tokens by the estimate; a request bigger than the limit needs a whole window', () => {
    const clock = new ManualClock(0);
    const l = new ProviderRateLimiter('openai', { tokensPerMinute: 1_000 }, clock, () => {});
    l.take('m', 600);
    expect(l.blocked('m', 400)).toBeUndefined();
    expect(l.blocked('m', 401)).toMatchObject({ resource: 'tokens', limit: 1_000, until: 60_000 });
    clock.advance(60_000);
    expect(l.blocked('m', 5_000)).toBeUndefined();
    l.take('m', 5_000);
    expect(l.used().tokens).toBe(1_000);
    expect(l.blocked('m', 1)?.until).toBe(120_000);
  });

  it('trusts rate-limit headers that say less is left than its own count', () => {
    const clock = new ManualClock(0);
    const l = new ProviderRateLimiter('openai', { requestsPerMinute: 10 }, clock, () => {});
    l.take('m', 1);
    l.observe({ requestsRemaining: 8 }, 'm');
    expect(l.used().requests).toBe(2);
    l.observe({ requestsRemaining: 1 }, 'm');
    expect(l.used().requests).toBe(9);
    expect(l.blocked('m', 1)).toBeUndefined();
    l.take('m', 1);
    expect(l.blocked('m', 1)?.until).toBe(60_000);
  });

  it('reconfigures live: new limits apply to the next request, this minute keeps its count', () => {
    const clock = new ManualClock(0);
    const l = new ProviderRateLimiter('anthropic', { requestsPerMinute: 2 }, clock, () => {});
    l.take('m', 1);
    l.take('m', 1);
    expect(l.blocked('m', 1)).toBeDefined();
    l.configure({ requestsPerMinute: 3, warnAt: 0.5 });
    expect(l.limits()).toEqual({ requestsPerMinute: 3, warnAt: 0.5 });
    expect(l.blocked('m', 1)).toBeUndefined();
    l.take('m', 1);
    expect(l.blocked('m', 1)).toMatchObject({ limit: 3, until: 60_000 });
    l.configure({ models: { m: { requestsPerMinute: 1 } } });
    expect(l.blocked('other', 1)).toBeUndefined();
    expect(l.blocked('m', 1)).toBeUndefined();
    l.take('m', 1);
    expect(l.blocked('m', 1)).toMatchObject({ model: 'm', limit: 1 });
    l.configure(undefined);
    expect(l.blocked('m', 1)).toBeUndefined();
    expect(l.limits()).toBeUndefined();
  });
});
