import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type LlmConfig } from '@sylk/config';
import { rateLimitText } from './rate-limit-text.js';
import { rateLimitConfig } from './settings.js';

const withProviders = (providers: Record<string, unknown>): LlmConfig =>
  ({ ...DEFAULT_CONFIG.llm, providers }) as unknown as LlmConfig;
const bucket = (rpm: number, tpm: number) => ({ requests_per_minute: rpm, tokens_per_minute: tpm });

describe('rate limits: config → gate', () => {
  it('keeps providers and models with a limit (0 = none), and drops names without an adapter', () => {
    const llm = withProviders({
      anthropic: {
        rate_limits: {
          ...bucket(50, 0),
          warn_at: 0.9,
          max_concurrent: 0,
          models: { m1: bucket(0, 0), m2: bucket(0, 900) },
        },
      },
      openai: { rate_limits: { ...bucket(0, 0), warn_at: 0.8, max_concurrent: 0, models: { m3: bucket(5, 0) } } },
      google: { rate_limits: { ...bucket(0, 0), warn_at: 0.8, max_concurrent: 3, models: {} } },
      mistral: { rate_limits: { ...bucket(9, 0), warn_at: 0.8, max_concurrent: 0, models: {} } },
    });
    expect(rateLimitConfig(llm)).toEqual({
      anthropic: { requestsPerMinute: 50, warnAt: 0.9, models: { m2: { tokensPerMinute: 900 } } },
      openai: { warnAt: 0.8, models: { m3: { requestsPerMinute: 5 } } },
      google: { maxConcurrent: 3, warnAt: 0.8 },
    });
  });

  it('words the limits and the waiting requests for status', () => {
    const idle = { used: { requests: 0, tokens: 0 }, waiting: 0, waitingUntil: 0 };
    expect(rateLimitText('openai', { ...idle, limits: undefined })).toEqual({});
    expect(rateLimitText('google', { ...idle, limits: { maxConcurrent: 3 } })).toEqual({ limits: '3 connections' });
    const limits = { requestsPerMinute: 2, tokensPerMinute: 40_000, models: { m: { requestsPerMinute: 1 } } };
    expect(rateLimitText('openai', { ...idle, limits })).toEqual({
      limits: '2 requests/min, 40000 tokens/min; m 1 requests/min',
    });
    expect(
      rateLimitText('anthropic', {
        limits: { requestsPerMinute: 2 },
        used: { requests: 2, tokens: 0 },
        waiting: 3,
        waitingUntil: Date.UTC(2026, 0, 1, 10, 0, 30),
      }).waiting,
    ).toBe(
      '3 requests waiting for the rate limit (2 requests/min) until 2026-01-01T10:00:30.000Z; ' +
        'llm.providers.anthropic.rate_limits sets it',
    );
  });
});
