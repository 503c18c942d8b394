import { describe, expect, it } from 'vitest';
import { ErrorTier } from '@sylk/core';
import { parseDuration, parseRateLimit, parseRetryAfter, provisionalTier } from './errors.js';

const h = (values: Record<string, string>) => new Headers(values);
const NOW = Date.parse('2025-11-25T10:00:00Z');

describe('retry-after and rate-limit headers', () => {
  it('reads retry-after-ms, seconds and HTTP dates', () => {
    expect(parseRetryAfter(h({ 'retry-after-ms': '1500.4', 'retry-after': '9' }), NOW)).toBe(1500);
    expect(parseRetryAfter(h({ 'retry-after': '2.5' }), NOW)).toBe(2500);
    expect(parseRetryAfter(h({ 'retry-after': 'Tue, 25 Nov 2025 10:00:30 GMT' }), NOW)).toBe(30_000);
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });

  it('normalizes OpenAI and Anthropic rate-limit headers', () => {
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('20ms')).toBe(20);
    expect(
      parseRateLimit(h({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' }), NOW),
    ).toEqual({ requestsRemaining: 0, resetMs: 1500 });
    expect(
      parseRateLimit(
        h({
          'anthropic-ratelimit-tokens-remaining': '10',
          'anthropic-ratelimit-requests-reset': '2025-11-25T10:00:05Z',
        }),
        NOW,
      ),
    ).toEqual({ tokensRemaining: 10, resetMs: 5000 });
  });

  it('assigns provisional tiers from status and error type', () => {
    expect(provisionalTier(401, 'authentication_error')).toBe(ErrorTier.UserFixable);
    expect(provisionalTier(429, 'rate_limit_error')).toBe(ErrorTier.ExternalRateLimit);
    expect(provisionalTier(429, 'insufficient_quota')).toBe(ErrorTier.UserFixable);
    expect(provisionalTier(529, 'overloaded_error')).toBe(ErrorTier.ExternalDegrading);
    expect(provisionalTier(undefined, 'overloaded_error')).toBe(ErrorTier.ExternalDegrading);
    expect(provisionalTier(400, 'invalid_request_error')).toBe(ErrorTier.Permanent);
  });
});
